"""pipeline stays: the conversion report's summary of the stage history

One row per ``opportunity_stage`` row with its business type, whether it was the
opportunity's first stay in that stage, its length once it ended, and the stage the
opportunity reached last (stays in the ``lost`` and ``abandoned`` states aside), filled from
the history so far; ``workflows.reports.stays`` keeps it current from then on.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Seconds from a stay's start to its end, in each database's own arithmetic.
SECONDS = {
    "postgresql": "ROUND(EXTRACT(EPOCH FROM s.left_at - s.entered_at))",
    "sqlite": "ROUND((julianday(s.left_at) - julianday(s.entered_at)) * 86400)",
}
FILL = """
    INSERT INTO pipeline_stay (id, opportunity_id, business_type_id, stage, entered_at, first_entry, seconds,
                               reached)
    SELECT s.id, s.opportunity_id, o.business_type_id, s.stage, s.entered_at,
           ROW_NUMBER() OVER (PARTITION BY s.opportunity_id, s.stage ORDER BY s.entered_at, s.id) = 1,
           CAST({seconds} AS INTEGER),
           COALESCE((SELECT l.stage FROM opportunity_stage l
                     WHERE l.opportunity_id = s.opportunity_id AND l.stage NOT IN ('lost', 'abandoned')
                     ORDER BY l.entered_at DESC, l.id DESC LIMIT 1), s.stage)
    FROM opportunity_stage s JOIN opportunity o ON o.id = s.opportunity_id
"""


def fill(bind: sa.Connection) -> None:
    """Every stay of the stage history, summarised (the table must be empty)."""
    bind.execute(sa.text(FILL.format(seconds=SECONDS.get(bind.dialect.name, SECONDS["postgresql"]))))


def upgrade() -> None:
    op.create_table('pipeline_stay',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('business_type_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=100), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_entry', sa.Boolean(), nullable=False),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.Column('reached', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['business_type_id'], ['business_type.id'],
                            name=op.f('fk_pipeline_stay_business_type_id_business_type')),
    sa.ForeignKeyConstraint(['id'], ['opportunity_stage.id'],
                            name=op.f('fk_pipeline_stay_id_opportunity_stage'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'],
                            name=op.f('fk_pipeline_stay_opportunity_id_opportunity')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_stay'))
    )
    with op.batch_alter_table('pipeline_stay', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pipeline_stay_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index('ix_pipeline_stay_type_stage', ['business_type_id', 'stage'], unique=False)
    fill(op.get_bind())


def downgrade() -> None:
    with op.batch_alter_table('pipeline_stay', schema=None) as batch_op:
        batch_op.drop_index('ix_pipeline_stay_type_stage')
        batch_op.drop_index(batch_op.f('ix_pipeline_stay_opportunity_id'))
    op.drop_table('pipeline_stay')
