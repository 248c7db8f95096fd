"""how each lead was assigned, for the lead reports; leads by period of creation

Until now only a pool claim (lead_pool_claim) and a handover (the audit log) left a trace of
how a lead's owner came to have it; the assignment rules and a manager's hand left none
that a query could read. ``lead.assigned_via`` is set by every path from now on; leads
already there are classified from what is known, best effort: a claim or a handover at the
moment of assignment, entered by the owner, a team chosen by the rules (only the
``lead_intake`` service sets ``team_unit_id``), else a manager's hand.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Each step classifies the owned leads the steps before it left unclassified.
BACKFILL = (
    ("pool", "EXISTS (SELECT 1 FROM lead_pool_claim c WHERE c.lead_id = lead.id AND c.username = lead.owner "
             "AND c.claimed_at = lead.assigned_at)"),
    ("handover", "EXISTS (SELECT 1 FROM audit_event e WHERE e.action = 'handover' "
                 "AND e.at = lead.assigned_at)"),
    ("entered", "lead.owner = lead.created_by AND lead.assigned_at = lead.created_at"),
    ("rule", "lead.team_unit_id IS NOT NULL"),
    ("manager", "1 = 1"),
)


def upgrade() -> None:
    with op.batch_alter_table('lead') as batch:
        batch.add_column(sa.Column('assigned_via', sa.String(length=10), nullable=True))
        batch.create_index('ix_lead_created_owner', ['created_at', 'owner'], unique=False)
    for via, condition in BACKFILL:
        op.execute(f"UPDATE lead SET assigned_via = '{via}' "  # noqa: S608 (constants above)
                   f"WHERE owner IS NOT NULL AND assigned_via IS NULL AND {condition}")


def downgrade() -> None:
    with op.batch_alter_table('lead') as batch:
        batch.drop_index('ix_lead_created_owner')
        batch.drop_column('assigned_via')
