"""engine tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('process_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('deployed_by', sa.String(length=100), nullable=True),
    sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_definition')),
    sa.UniqueConstraint('key', 'version', name=op.f('uq_process_definition_key'))
    )
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.create_index('ix_process_definition_key_hash', ['key', 'content_hash'], unique=False)

    op.create_table('process_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('business_key', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('serializer_version', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_by', sa.String(length=100), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_process_instance_definition_id_process_definition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instance'))
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_instance_business_key'), ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_definition_id'), ['definition_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_process_key'), ['process_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_status'), ['status'], unique=False)

    op.create_table('engine_timer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_guid', sa.String(length=36), nullable=False),
    sa.Column('bpmn_id', sa.String(length=100), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_engine_timer_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engine_timer')),
    sa.UniqueConstraint('instance_id', 'task_guid', name=op.f('uq_engine_timer_instance_id'))
    )
    with op.batch_alter_table('engine_timer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engine_timer_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_engine_timer_instance_id'), ['instance_id'], unique=False)

    op.create_table('history_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('business_key', sa.String(length=200), nullable=True),
    sa.Column('event', sa.String(length=30), nullable=False),
    sa.Column('task_guid', sa.String(length=36), nullable=True),
    sa.Column('bpmn_id', sa.String(length=100), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_history_event_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_history_event'))
    )
    with op.batch_alter_table('history_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_history_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_history_event_business_key'), ['business_key'], unique=False)
        batch_op.create_index('ix_history_event_instance_id_id', ['instance_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_history_event_task_guid'), ['task_guid'], unique=False)

    op.create_table('human_task',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('bpmn_id', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('lane', sa.String(length=100), nullable=True),
    sa.Column('assignee', sa.String(length=100), nullable=True),
    sa.Column('form_key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_up_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('business_key', sa.String(length=200), nullable=True),
    sa.Column('object_type', sa.String(length=50), nullable=True),
    sa.Column('object_id', sa.String(length=50), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=True),
    sa.Column('stage', sa.String(length=100), nullable=True),
    sa.Column('owner', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['definition_id'], ['process_definition.id'], name=op.f('fk_human_task_definition_id_process_definition')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_human_task_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_human_task'))
    )
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_assignee_created', ['assignee', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_business_key'), ['business_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_due_at'), ['due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_human_task_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_human_task_owner'), ['owner'], unique=False)

    op.create_table('human_task_candidate',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['human_task.id'], name=op.f('fk_human_task_candidate_task_id_human_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'kind', 'name', name=op.f('pk_human_task_candidate'))
    )
    with op.batch_alter_table('human_task_candidate', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_candidate_kind_name', ['kind', 'name', 'task_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('human_task_candidate', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_candidate_kind_name')

    op.drop_table('human_task_candidate')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_human_task_owner'))
        batch_op.drop_index('ix_human_task_object')
        batch_op.drop_index(batch_op.f('ix_human_task_instance_id'))
        batch_op.drop_index(batch_op.f('ix_human_task_due_at'))
        batch_op.drop_index(batch_op.f('ix_human_task_business_key'))
        batch_op.drop_index('ix_human_task_assignee_created')

    op.drop_table('human_task')
    with op.batch_alter_table('history_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_history_event_task_guid'))
        batch_op.drop_index('ix_history_event_instance_id_id')
        batch_op.drop_index(batch_op.f('ix_history_event_business_key'))
        batch_op.drop_index(batch_op.f('ix_history_event_at'))

    op.drop_table('history_event')
    with op.batch_alter_table('engine_timer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engine_timer_instance_id'))
        batch_op.drop_index(batch_op.f('ix_engine_timer_due_at'))

    op.drop_table('engine_timer')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instance_status'))
        batch_op.drop_index(batch_op.f('ix_process_instance_process_key'))
        batch_op.drop_index(batch_op.f('ix_process_instance_definition_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_business_key'))

    op.drop_table('process_instance')
    with op.batch_alter_table('process_definition', schema=None) as batch_op:
        batch_op.drop_index('ix_process_definition_key_hash')

    op.drop_table('process_definition')
