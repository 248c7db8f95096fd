"""Partial index for the claimable-tasks inbox (unassigned, oldest first).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNASSIGNED = sa.text("assignee IS NULL")


def upgrade() -> None:
    op.create_index("ix_human_task_unassigned_created", "human_task", ["created_at", "id"],
                    postgresql_where=UNASSIGNED, sqlite_where=UNASSIGNED)


def downgrade() -> None:
    op.drop_index("ix_human_task_unassigned_created", table_name="human_task")
