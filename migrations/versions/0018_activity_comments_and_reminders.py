"""activity comments and reminders

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_happened', ['happened_at', 'id'], unique=False)

    op.create_table('activity_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], name=op.f('fk_activity_comment_activity_id_activity'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activity_comment'))
    )
    with op.batch_alter_table('activity_comment', schema=None) as batch_op:
        batch_op.create_index('ix_activity_comment_activity_created', ['activity_id', 'created_at'], unique=False)

    op.create_table('daily_job_run',
    sa.Column('job', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('job', 'day', name=op.f('pk_daily_job_run'))
    )


def downgrade() -> None:
    op.drop_table('daily_job_run')
    with op.batch_alter_table('activity_comment', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_comment_activity_created')

    op.drop_table('activity_comment')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_happened')
