"""message templates

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('message_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('shared', sa.Boolean(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_template'))
    )
    op.create_index('ix_message_template_author', 'message_template', ['author', 'name'], unique=False)
    op.create_table('message_send',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('template_name', sa.String(length=120), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('bulk', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('opted_out', sa.Integer(), nullable=False),
    sa.Column('no_address', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['template_id'], ['message_template.id'],
                            name=op.f('fk_message_send_template_id_message_template'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_send'))
    )
    op.create_index('ix_message_send_creator', 'message_send', ['created_by', 'created_at'], unique=False)
    op.create_table('message_send_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('send_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=20), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['send_id'], ['message_send.id'],
                            name=op.f('fk_message_send_recipient_send_id_message_send'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_send_recipient')),
    sa.UniqueConstraint('send_id', 'subject_type', 'subject_id', name=op.f('uq_message_send_recipient_send_id'))
    )
    op.create_index('ix_message_send_recipient_order', 'message_send_recipient', ['send_id', 'number'],
                    unique=False)
    op.create_index('ix_message_send_recipient_outcome', 'message_send_recipient', ['send_id', 'outcome'],
                    unique=False)
    for table in ('lead', 'contact'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('email_opt_out', sa.Boolean(), nullable=False, server_default=sa.false()))
            batch_op.add_column(sa.Column('sms_opt_out', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ('contact', 'lead'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('sms_opt_out')
            batch_op.drop_column('email_opt_out')
    op.drop_index('ix_message_send_recipient_outcome', table_name='message_send_recipient')
    op.drop_index('ix_message_send_recipient_order', table_name='message_send_recipient')
    op.drop_table('message_send_recipient')
    op.drop_index('ix_message_send_creator', table_name='message_send')
    op.drop_table('message_send')
    op.drop_index('ix_message_template_author', table_name='message_template')
    op.drop_table('message_template')
