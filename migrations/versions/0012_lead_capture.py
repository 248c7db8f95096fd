"""lead capture: web-to-lead forms and file imports

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-27 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lead_web_form',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('required', sa.JSON(), nullable=False),
    sa.Column('pool_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('thank_you_url', sa.String(length=500), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pool_id'], ['lead_pool.id'], name=op.f('fk_lead_web_form_pool_id_lead_pool')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_web_form')),
    sa.UniqueConstraint('public_key', name=op.f('uq_lead_web_form_public_key'))
    )
    op.create_table('lead_import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=True),
    sa.Column('pool_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['pool_id'], ['lead_pool.id'], name=op.f('fk_lead_import_job_pool_id_lead_pool')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_import_job'))
    )
    op.create_index('ix_lead_import_job_creator', 'lead_import_job', ['created_by', 'created_at'], unique=False)
    op.create_table('lead_import_row',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['job_id'], ['lead_import_job.id'],
                            name=op.f('fk_lead_import_row_job_id_lead_import_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_lead_import_row_lead_id_lead'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('job_id', 'number', name=op.f('pk_lead_import_row'))
    )


def downgrade() -> None:
    op.drop_table('lead_import_row')
    op.drop_index('ix_lead_import_job_creator', table_name='lead_import_job')
    op.drop_table('lead_import_job')
    op.drop_table('lead_web_form')
