"""accounts in the public pools and on the follow-up cadence: an account (and its contacts)
may have no owner while it waits in a pool; its pool, who had it, its follow-up cycle; pool
claims of accounts

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('account') as batch:
        batch.alter_column('owner', existing_type=sa.String(length=100), nullable=True)
        batch.add_column(sa.Column('pool_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('former_owner', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('released_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('last_contacted_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('followup_instance_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('followup_since', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('recycle_at', sa.DateTime(timezone=True), nullable=True))
        # Accounts already there get their first cycle from the next sweep, counted from then.
        batch.add_column(sa.Column('followup_stale', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.create_foreign_key(op.f('fk_account_pool_id_lead_pool'), 'lead_pool', ['pool_id'], ['id'])
        batch.create_index('ix_account_pool_name', ['pool_id', 'name'], unique=False)
        batch.create_index('ix_account_owner_since', ['owner', 'followup_since'], unique=False)
        batch.create_index('ix_account_since_owner', ['followup_since', 'owner'], unique=False)
        batch.create_index('ix_account_followup_stale', ['followup_stale', 'id'], unique=False)
        batch.create_index('ix_account_recycle_at', ['recycle_at'], unique=False)
    with op.batch_alter_table('contact') as batch:
        batch.alter_column('owner', existing_type=sa.String(length=100), nullable=True)
    with op.batch_alter_table('lead_pool_claim') as batch:
        batch.alter_column('lead_id', existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_lead_pool_claim_account_id_account'), 'account', ['account_id'],
                                 ['id'], ondelete='CASCADE')
        batch.create_unique_constraint(op.f('uq_lead_pool_claim_account_id'), ['account_id', 'claimed_at'])
        batch.create_check_constraint(op.f('ck_lead_pool_claim_one_record'),
                                      sa.text('(lead_id IS NULL) <> (account_id IS NULL)'))


def downgrade() -> None:
    # Back to every account and contact having an owner: a pooled one goes back to whoever had it.
    op.execute("DELETE FROM lead_pool_claim WHERE lead_id IS NULL")
    op.execute("UPDATE account SET owner = COALESCE(former_owner, '') WHERE owner IS NULL")
    op.execute("UPDATE contact SET owner = COALESCE((SELECT account.owner FROM account "
               "WHERE account.id = contact.account_id), '') WHERE owner IS NULL")
    with op.batch_alter_table('lead_pool_claim') as batch:
        batch.drop_constraint(op.f('ck_lead_pool_claim_one_record'), type_='check')
        batch.drop_constraint(op.f('uq_lead_pool_claim_account_id'), type_='unique')
        batch.drop_constraint(op.f('fk_lead_pool_claim_account_id_account'), type_='foreignkey')
        batch.drop_column('account_id')
        batch.alter_column('lead_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('contact') as batch:
        batch.alter_column('owner', existing_type=sa.String(length=100), nullable=False)
    with op.batch_alter_table('account') as batch:
        batch.drop_index('ix_account_recycle_at')
        batch.drop_index('ix_account_followup_stale')
        batch.drop_index('ix_account_since_owner')
        batch.drop_index('ix_account_owner_since')
        batch.drop_index('ix_account_pool_name')
        batch.drop_constraint(op.f('fk_account_pool_id_lead_pool'), type_='foreignkey')
        batch.drop_column('followup_stale')
        batch.drop_column('recycle_at')
        batch.drop_column('followup_since')
        batch.drop_column('followup_instance_id')
        batch.drop_column('last_contacted_at')
        batch.drop_column('assigned_at')
        batch.drop_column('released_at')
        batch.drop_column('former_owner')
        batch.drop_column('pool_id')
        batch.alter_column('owner', existing_type=sa.String(length=100), nullable=False)
