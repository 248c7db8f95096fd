"""watching process versions and migrating instances

Indexes for a version's running instances (paged) and its open tasks per element (the
monitor's heatmap); a bulk migration's job row and one row per instance it moves.

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-27 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_process_instance_definition_status', 'process_instance',
                    ['definition_id', 'status', 'id'], unique=False)
    op.create_index('ix_human_task_definition_bpmn', 'human_task', ['definition_id', 'bpmn_id'], unique=False)
    op.create_table('process_migration_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('moved', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['source_id'], ['process_definition.id'],
                            name=op.f('fk_process_migration_job_source_id_process_definition')),
    sa.ForeignKeyConstraint(['target_id'], ['process_definition.id'],
                            name=op.f('fk_process_migration_job_target_id_process_definition')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_migration_job'))
    )
    op.create_index('ix_process_migration_job_source', 'process_migration_job', ['source_id', 'id'], unique=False)
    op.create_table('process_migration_item',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_process_migration_item_instance_id_process_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['job_id'], ['process_migration_job.id'],
                            name=op.f('fk_process_migration_item_job_id_process_migration_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'instance_id', name=op.f('pk_process_migration_item'))
    )
    op.create_index('ix_process_migration_item_outcome', 'process_migration_item',
                    ['job_id', 'outcome', 'instance_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_process_migration_item_outcome', table_name='process_migration_item')
    op.drop_table('process_migration_item')
    op.drop_index('ix_process_migration_job_source', table_name='process_migration_job')
    op.drop_table('process_migration_job')
    op.drop_index('ix_human_task_definition_bpmn', table_name='human_task')
    op.drop_index('ix_process_instance_definition_status', table_name='process_instance')
