"""follow-up cadence: each lead's current cycle, its recycling date, and whether to redo it;
why a lead was disqualified

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('lead') as batch:
        batch.add_column(sa.Column('disqualified_reason', sa.String(length=300), nullable=False,
                                   server_default=''))
        batch.add_column(sa.Column('followup_instance_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('followup_since', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('recycle_at', sa.DateTime(timezone=True), nullable=True))
        # Leads already there get their first cycle from the next sweep.
        batch.add_column(sa.Column('followup_stale', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.create_index('ix_lead_recycle_at', ['recycle_at'], unique=False)
        batch.create_index('ix_lead_owner_since', ['owner', 'followup_since'], unique=False)
        batch.create_index('ix_lead_since_owner', ['followup_since', 'owner'], unique=False)
        batch.create_index('ix_lead_followup_stale', ['followup_stale', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lead') as batch:
        batch.drop_index('ix_lead_followup_stale')
        batch.drop_index('ix_lead_since_owner')
        batch.drop_index('ix_lead_owner_since')
        batch.drop_index('ix_lead_recycle_at')
        batch.drop_column('followup_stale')
        batch.drop_column('recycle_at')
        batch.drop_column('followup_since')
        batch.drop_column('followup_instance_id')
        batch.drop_column('disqualified_reason')
