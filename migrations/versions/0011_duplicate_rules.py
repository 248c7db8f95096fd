"""duplicate rules, and match columns on accounts and contacts

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('duplicate_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('object', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_duplicate_rule'))
    )
    op.create_index('ix_duplicate_rule_object_active', 'duplicate_rule', ['object', 'active', 'position'],
                    unique=False)
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_name', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('phone_e164', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_account_match_name'), ['match_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_account_phone_e164'), ['phone_e164'], unique=False)
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('match_name', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('match_email', sa.String(length=200), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('phone_e164', sa.String(length=20), nullable=True))
        batch_op.create_index(batch_op.f('ix_contact_match_email'), ['match_email'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_match_name'), ['match_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_phone_e164'), ['phone_e164'], unique=False)
    _backfill()


def _backfill() -> None:
    """Existing rows get their match columns, or duplicate checks would never find them."""
    from workflows.dedupe.normalize import normalize_company, normalize_email, normalize_text, phone_e164

    bind = op.get_bind()
    account = sa.table('account', sa.column('id'), sa.column('name'), sa.column('phone'),
                       sa.column('match_name'), sa.column('phone_e164'))
    for row in bind.execute(sa.select(account.c.id, account.c.name, account.c.phone)).all():
        bind.execute(account.update().where(account.c.id == row.id).values(
            match_name=normalize_company(row.name or '')[:200], phone_e164=phone_e164(row.phone or '')))
    contact = sa.table('contact', sa.column('id'), sa.column('name'), sa.column('phone'), sa.column('email'),
                       sa.column('match_name'), sa.column('match_email'), sa.column('phone_e164'))
    for row in bind.execute(sa.select(contact.c.id, contact.c.name, contact.c.phone, contact.c.email)).all():
        bind.execute(contact.update().where(contact.c.id == row.id).values(
            match_name=normalize_text(row.name or '')[:120],
            match_email=normalize_email(row.email or '')[:200], phone_e164=phone_e164(row.phone or '')))


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_phone_e164'))
        batch_op.drop_index(batch_op.f('ix_contact_match_name'))
        batch_op.drop_index(batch_op.f('ix_contact_match_email'))
        batch_op.drop_column('phone_e164')
        batch_op.drop_column('match_email')
        batch_op.drop_column('match_name')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_phone_e164'))
        batch_op.drop_index(batch_op.f('ix_account_match_name'))
        batch_op.drop_column('phone_e164')
        batch_op.drop_column('match_name')
    op.drop_index('ix_duplicate_rule_object_active', table_name='duplicate_rule')
    op.drop_table('duplicate_rule')
