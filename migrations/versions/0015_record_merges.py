"""record merges

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('record_merge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object', sa.String(length=20), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('survivor_label', sa.String(length=300), nullable=False),
    sa.Column('survivor_before', sa.JSON(), nullable=False),
    sa.Column('moves', sa.JSON(), nullable=False),
    sa.Column('merged_by', sa.String(length=100), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('undone_by', sa.String(length=100), nullable=True),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_merge'))
    )
    with op.batch_alter_table('record_merge', schema=None) as batch_op:
        batch_op.create_index('ix_record_merge_by_object_at', ['merged_by', 'object', 'merged_at'],
                              unique=False)
        batch_op.create_index('ix_record_merge_object_at', ['object', 'merged_at'], unique=False)
        batch_op.create_index('ix_record_merge_object_survivor', ['object', 'survivor_id'], unique=False)

    op.create_table('record_merge_loser',
    sa.Column('merge_id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('object', sa.String(length=20), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('row', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['merge_id'], ['record_merge.id'],
                            name=op.f('fk_record_merge_loser_merge_id_record_merge'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('merge_id', 'record_id', name=op.f('pk_record_merge_loser'))
    )
    with op.batch_alter_table('record_merge_loser', schema=None) as batch_op:
        batch_op.create_index('ix_record_merge_loser_object_record', ['object', 'record_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_merge_loser', schema=None) as batch_op:
        batch_op.drop_index('ix_record_merge_loser_object_record')

    op.drop_table('record_merge_loser')
    with op.batch_alter_table('record_merge', schema=None) as batch_op:
        batch_op.drop_index('ix_record_merge_object_survivor')
        batch_op.drop_index('ix_record_merge_object_at')
        batch_op.drop_index('ix_record_merge_by_object_at')

    op.drop_table('record_merge')
