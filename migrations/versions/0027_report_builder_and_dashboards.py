"""saved reports, their shares, and dashboards of them

A saved report keeps the builder's definition as JSON (checked again on every run) and is
shared with roles or org units; a dashboard belongs to one user or is a role's default, and
holds saved reports as ordered tiles.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-27 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('system_key', sa.String(length=60), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_saved_report_owner_id_app_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_report')),
    sa.UniqueConstraint('system_key', name=op.f('uq_saved_report_system_key'))
    )
    op.create_index(op.f('ix_saved_report_owner_id'), 'saved_report', ['owner_id'], unique=False)
    op.create_table('report_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(role IS NULL) <> (unit_id IS NULL)', name=op.f('ck_report_share_one_audience')),
    sa.ForeignKeyConstraint(['report_id'], ['saved_report.id'],
                            name=op.f('fk_report_share_report_id_saved_report'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['org_unit.id'], name=op.f('fk_report_share_unit_id_org_unit'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_share'))
    )
    op.create_index(op.f('ix_report_share_report_id'), 'report_share', ['report_id'], unique=False)
    op.create_index(op.f('ix_report_share_role'), 'report_share', ['role'], unique=False)
    op.create_index(op.f('ix_report_share_unit_id'), 'report_share', ['unit_id'], unique=False)
    op.create_table('dashboard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('role_key', sa.String(length=20), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(user_id IS NULL) <> (role_key IS NULL)', name=op.f('ck_dashboard_one_holder')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_dashboard_user_id_app_user'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard')),
    sa.UniqueConstraint('role_key', name=op.f('uq_dashboard_role_key')),
    sa.UniqueConstraint('user_id', name=op.f('uq_dashboard_user_id'))
    )
    op.create_table('dashboard_tile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dashboard_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('show', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['dashboard_id'], ['dashboard.id'],
                            name=op.f('fk_dashboard_tile_dashboard_id_dashboard'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['saved_report.id'],
                            name=op.f('fk_dashboard_tile_report_id_saved_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_tile'))
    )
    op.create_index('ix_dashboard_tile_dashboard_position', 'dashboard_tile', ['dashboard_id', 'position'],
                    unique=False)
    op.create_index(op.f('ix_dashboard_tile_report_id'), 'dashboard_tile', ['report_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dashboard_tile_report_id'), table_name='dashboard_tile')
    op.drop_index('ix_dashboard_tile_dashboard_position', table_name='dashboard_tile')
    op.drop_table('dashboard_tile')
    op.drop_table('dashboard')
    op.drop_index(op.f('ix_report_share_unit_id'), table_name='report_share')
    op.drop_index(op.f('ix_report_share_role'), table_name='report_share')
    op.drop_index(op.f('ix_report_share_report_id'), table_name='report_share')
    op.drop_table('report_share')
    op.drop_index(op.f('ix_saved_report_owner_id'), table_name='saved_report')
    op.drop_table('saved_report')
