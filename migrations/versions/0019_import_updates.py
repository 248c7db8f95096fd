"""import updates, and prefix indexes for duplicate checks

What an import does with a row matching an existing lead, and its counts; and on every match
column an index in the pattern operator class, which PostgreSQL uses for the ``LIKE 'xx%'``
lookups of fuzzy and prefix duplicate rules whatever the database's collation.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-27 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_INDEXED = (('lead', 'match_name'), ('lead', 'match_company'), ('lead', 'phone_e164'), ('lead', 'email'),
                  ('account', 'match_name'), ('account', 'phone_e164'),
                  ('contact', 'match_name'), ('contact', 'phone_e164'), ('contact', 'match_email'))


def upgrade() -> None:
    with op.batch_alter_table('lead_import_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_match', sa.String(length=10), nullable=False,
                                      server_default='skip'))
        batch_op.add_column(sa.Column('updated', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('unchanged', sa.Integer(), nullable=False, server_default='0'))
    for table, column in PREFIX_INDEXED:
        op.create_index(f'ix_{table}_{column}_prefix', table, [column], unique=False,
                        postgresql_ops={column: 'varchar_pattern_ops'})


def downgrade() -> None:
    for table, column in PREFIX_INDEXED:
        op.drop_index(f'ix_{table}_{column}_prefix', table_name=table)
    with op.batch_alter_table('lead_import_job', schema=None) as batch_op:
        batch_op.drop_column('unchanged')
        batch_op.drop_column('updated')
        batch_op.drop_column('on_match')
