"""index the columns a merge (and a contact's or a record's pages) look rows up by

A contact merge read opportunity.contact_id, lead.contact_id and the message recipients of
a record without an index: a scan of each table per merge.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 06:50:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_opportunity_contact_id', 'opportunity', ['contact_id'], unique=False)
    op.create_index('ix_lead_contact_id', 'lead', ['contact_id'], unique=False)
    op.create_index('ix_message_send_recipient_subject', 'message_send_recipient',
                    ['subject_type', 'subject_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_message_send_recipient_subject', table_name='message_send_recipient')
    op.drop_index('ix_lead_contact_id', table_name='lead')
    op.drop_index('ix_opportunity_contact_id', table_name='opportunity')
