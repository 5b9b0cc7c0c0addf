"""SMS channel: phone numbers (conversation, opt-out, pending choices), answered inbound messages, outbox.

Revision ID: 0003_sms
Revises: 0002_helpdesk
Create Date: 2024-12-12
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_sms"
down_revision = "0002_helpdesk"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "sms_contacts",
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("conversation_id", sa.String(64), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        _ts("opted_out_at"),
        _ts("opted_in_at"),
        sa.Column("choices", sa.JSON()),
        _ts("choices_at"),
        _ts("send_lease_until"),
        sa.Column("send_lease_by", sa.String(64)),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("phone", name="pk_sms_contacts"),
        sa.UniqueConstraint("conversation_id", name="uq_sms_contacts_conversation_id"),
    )

    op.create_table(
        "sms_inbound",
        sa.Column("message_sid", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claim", sa.String(32), nullable=False),
        _ts("claimed_at", nullable=False),
        _ts("completed_at"),
        sa.Column("twiml", sa.Text()),
        sa.CheckConstraint("status IN ('processing', 'done')", name="ck_sms_inbound_status"),
        sa.PrimaryKeyConstraint("message_sid", name="pk_sms_inbound"),
    )
    op.create_index("ix_sms_inbound_claimed_at", "sms_inbound", ["claimed_at"])

    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("provider_sid", sa.String(64)),
        _ts("created_at", nullable=False),
        _ts("sent_at"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'cancelled')", name="ck_sms_outbox_status"),
        sa.ForeignKeyConstraint(["phone"], ["sms_contacts.phone"], name="fk_sms_outbox_phone_sms_contacts",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_sms_outbox"),
    )
    op.create_index("ix_sms_outbox_status_next_attempt_at", "sms_outbox", ["status", "next_attempt_at"])
    op.create_index("ix_sms_outbox_phone_status", "sms_outbox", ["phone", "status"])


def downgrade() -> None:
    op.drop_table("sms_outbox")
    op.drop_table("sms_inbound")
    op.drop_table("sms_contacts")
