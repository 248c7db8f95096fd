"""when each approval task reached its approver, kept on the decision; the decisions by day

The turnaround report looked the moment up in the engine's history for every decision it
counted, which took a second over five years of decisions. ``approval_decision.reached_at``
is set when a decision is recorded from now on (``workflows.approvals.tracking``); decisions
already there are filled from the history by the same definition: the latest time their
task was created or handed to someone, at or before the decision (None if there is none).
The index on the decision's moment covers the report's query.

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-27 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILL = """
    UPDATE approval_decision SET reached_at = (
        SELECT MAX(h.at) FROM history_event h
        WHERE h.task_guid = approval_decision.task_guid AND h.event IN ('task_created', 'task_assigned')
          AND h.at <= approval_decision.decided_at)
    WHERE reached_at IS NULL
"""


def fill(bind: sa.Connection) -> None:
    """Every decision without the moment its task reached the approver gets it from the history."""
    bind.execute(sa.text(FILL))


def upgrade() -> None:
    with op.batch_alter_table('approval_decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reached_at', sa.DateTime(timezone=True), nullable=True))
    fill(op.get_bind())  # before the index, which would otherwise be updated row by row
    with op.batch_alter_table('approval_decision', schema=None) as batch_op:
        batch_op.create_index('ix_approval_decision_decided_covering',
                              ['decided_at', 'round_id', 'approver', 'decision', 'reached_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('approval_decision', schema=None) as batch_op:
        batch_op.drop_index('ix_approval_decision_decided_covering')
        batch_op.drop_column('reached_at')
