"""Spanish support (issue 12): the language of a ticket's conversation, and the language an SMS number chose.

`tickets.language`: "en" or "es" (the conversation's `language` slot when the ticket was opened); existing
tickets become "en". `sms_contacts.language`: set by the SMS keywords ESPAÑOL / ENGLISH (and the Spanish
keywords AYUDA, PARAR, ...), NULL while the number never chose one.

Revision ID: 0005_language
Revises: 0004_verification_limits
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_language"
down_revision = "0004_verification_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("language", sa.String(8), nullable=False, server_default=sa.text("'en'")))
    op.create_index("ix_tickets_language", "tickets", ["language"])
    op.add_column("sms_contacts", sa.Column("language", sa.String(8)))


def downgrade() -> None:
    op.drop_column("sms_contacts", "language")
    op.drop_index("ix_tickets_language", table_name="tickets")
    op.drop_column("tickets", "language")
