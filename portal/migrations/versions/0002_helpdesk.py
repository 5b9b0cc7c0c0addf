"""Help desk: ticket assignee and resolved_at, conversation messages, live handoffs, outbox, conversations.

Revision ID: 0002_helpdesk
Revises: 0001_initial
Create Date: 2024-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_helpdesk"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

ACTIVE_HANDOFFS = sa.text("state IN ('waiting', 'live')")


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no constraint) works on SQLite without rebuilding the table, which
    # keeps the partial unique index of 0001 intact.
    op.add_column("tickets", sa.Column("assignee", sa.String(255)))
    op.add_column("tickets", _ts("resolved_at"))
    # Tickets resolved before this revision: the time of their last "-> resolved" audit event.
    op.execute(
        "UPDATE tickets SET resolved_at = (SELECT MAX(e.at) FROM ticket_events e "
        "WHERE e.ticket_id = tickets.id AND e.to_status = 'resolved') WHERE status = 'resolved'"
    )

    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        _ts("at", nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("author_name", sa.String(255)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.CheckConstraint("author IN ('parent', 'staff', 'assistant')", name="ck_ticket_messages_author"),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name="fk_ticket_messages_ticket_id_tickets", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_messages"),
    )
    op.create_index("ix_ticket_messages_ticket_id", "ticket_messages", ["ticket_id"])

    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _ts("started_at", nullable=False),
        _ts("live_at"),
        _ts("ended_at"),
        sa.Column("ended_by", sa.String(255)),
        sa.CheckConstraint("state IN ('waiting', 'live', 'ended')", name="ck_handoffs_state"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_handoffs_ticket_id_tickets", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
    )
    op.create_index("ix_handoffs_ticket_id", "handoffs", ["ticket_id"])
    op.create_index(
        "uq_handoffs_active_conversation",
        "handoffs",
        ["conversation_id"],
        unique=True,
        sqlite_where=ACTIVE_HANDOFFS,
        postgresql_where=ACTIVE_HANDOFFS,
    )

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.Integer()),
        sa.Column("conversation_id", sa.String(255)),
        sa.Column("ordering_key", sa.String(320), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", nullable=False),
        _ts("locked_until"),
        sa.Column("locked_by", sa.String(64)),
        sa.Column("last_error", sa.Text()),
        _ts("created_at", nullable=False),
        _ts("delivered_at"),
        sa.CheckConstraint("target IN ('rasa', 'external')", name="ck_outbox_target"),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'cancelled')", name="ck_outbox_status"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_outbox_ticket_id_tickets", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    op.create_index("ix_outbox_ticket_id", "outbox", ["ticket_id"])
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_ordering_key_status", "outbox", ["ordering_key", "status"])

    op.create_table(
        "conversations",
        sa.Column("id", sa.String(255), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        _ts("started_at", nullable=False),
        _ts("answered_at"),
        _ts("last_answer_at"),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("last_topic", sa.String(255)),
        _ts("ticket_opened_at"),
        sa.PrimaryKeyConstraint("id", name="pk_conversations"),
    )
    op.create_index("ix_conversations_answered_at", "conversations", ["answered_at"])


def downgrade() -> None:
    op.drop_table("conversations")
    op.drop_table("outbox")
    op.drop_table("handoffs")
    op.drop_table("ticket_messages")
    # SQLite 3.35+ drops columns in place (no table rebuild, so the partial index survives).
    op.drop_column("tickets", "resolved_at")
    op.drop_column("tickets", "assignee")
