"""One outbox (issue 13): `outbox_messages` replaces `outbox` (Rasa, external help desk) and `sms_outbox` (SMS).

Every row of both old tables moves, pending or finished, in one transaction, then the old tables go:

- `outbox` rows keep their id (an external help desk de-duplicates on "parent-portal-outbox-<id>"), their
  columns, their status, and their lease (`locked_until`, `locked_by`).
- `sms_outbox` rows get the ids after the largest `outbox` id, in their old order (so the messages to one
  number still go out in order): target "sms", event "sms.text", ordering key "sms:<phone>", payload
  {"body": ...}; status "sent" becomes "delivered" (`sent_at` -> `delivered_at`, `provider_sid` ->
  `provider_ref`). The old scheme leased a whole number (`sms_contacts.send_lease_until`/`send_lease_by`):
  that lease moves onto the number's pending rows, and the two columns are dropped.

A row leased at migration time (a worker of the old code may be sending it right now) stays leased until
its lease expires, and is then claimed and delivered as any due row: at most one lease (120 s help desk,
60 s SMS) late, and never sent twice by two new workers. The downgrade moves the rows back the same way.

Revision ID: 0006_one_outbox
Revises: 0005_language
Create Date: 2026-12-08
"""
from __future__ import annotations

import json

from alembic import op
import sqlalchemy as sa

revision = "0006_one_outbox"
down_revision = "0005_language"
branch_labels = None
depends_on = None

SMS_EVENT = "sms.text"


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _json(value):
    """A JSON column's value as read by a plain table (SQLite hands back the text)."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=True),
        sa.Column("target", sa.String(16), nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("ordering_key", sa.String(320), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("ticket_id", sa.Integer()),
        sa.Column("conversation_id", sa.String(255)),
        sa.Column("phone", sa.String(32)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("next_attempt_at", nullable=False),
        _ts("locked_until"),
        sa.Column("locked_by", sa.String(64)),
        sa.Column("last_error", sa.Text()),
        sa.Column("provider_ref", sa.String(255)),
        _ts("created_at", nullable=False),
        _ts("delivered_at"),
        sa.CheckConstraint("target IN ('rasa', 'external', 'sms')", name="ck_outbox_messages_target"),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed', 'cancelled')",
                           name="ck_outbox_messages_status"),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_outbox_messages_ticket_id_tickets",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["phone"], ["sms_contacts.phone"], name="fk_outbox_messages_phone_sms_contacts",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
    )
    op.create_index("ix_outbox_messages_ticket_id", "outbox_messages", ["ticket_id"])
    op.create_index("ix_outbox_messages_phone", "outbox_messages", ["phone"])
    op.create_index("ix_outbox_messages_status_next_attempt_at", "outbox_messages", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_messages_ordering_key_status", "outbox_messages", ["ordering_key", "status"])

    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO outbox_messages (id, target, event, ordering_key, payload, ticket_id, conversation_id, status,"
        " attempts, next_attempt_at, locked_until, locked_by, last_error, created_at, delivered_at)"
        " SELECT id, target, event, ordering_key, payload, ticket_id, conversation_id, status, attempts,"
        " next_attempt_at, locked_until, locked_by, last_error, created_at, delivered_at FROM outbox"))
    offset = bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM outbox")).scalar()
    # The payload {"body": ...}, built by the database (SQLite's JSON1 is built in since 3.38).
    json_object = "json_build_object" if bind.dialect.name == "postgresql" else "json_object"
    body_json = f"{json_object}('body', o.body)"
    bind.execute(sa.text(
        "INSERT INTO outbox_messages (id, target, event, ordering_key, payload, phone, status, attempts,"
        " next_attempt_at, locked_until, locked_by, last_error, provider_ref, created_at, delivered_at)"
        f" SELECT o.id + :offset, 'sms', :event, 'sms:' || o.phone, {body_json}, o.phone,"
        " CASE o.status WHEN 'sent' THEN 'delivered' ELSE o.status END, o.attempts, o.next_attempt_at,"
        " CASE WHEN o.status = 'pending' THEN c.send_lease_until END,"
        " CASE WHEN o.status = 'pending' THEN c.send_lease_by END,"
        " o.last_error, o.provider_sid, o.created_at, o.sent_at"
        " FROM sms_outbox o JOIN sms_contacts c ON c.phone = o.phone"
    ).bindparams(offset=offset, event=SMS_EVENT))
    _restart_id_sequence(bind, "outbox_messages")

    op.drop_table("sms_outbox")
    op.drop_table("outbox")
    # In place (SQLite 3.35+ too): a batch rebuild of sms_contacts would cascade-delete the rows just moved.
    op.drop_column("sms_contacts", "send_lease_by")
    op.drop_column("sms_contacts", "send_lease_until")


def _restart_id_sequence(bind, table: str) -> None:
    """PostgreSQL: the id sequence continues after the ids copied in (SQLite takes MAX(id) + 1 itself)."""
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
            f" FROM {table}"))


def downgrade() -> None:
    op.add_column("sms_contacts", _ts("send_lease_until"))
    op.add_column("sms_contacts", sa.Column("send_lease_by", sa.String(64)))

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

    bind = op.get_bind()
    # Help-desk rows back with their ids; a "failed" one (only SMS rows give up today) stays pending there.
    bind.execute(sa.text(
        "INSERT INTO outbox (id, target, event, ticket_id, conversation_id, ordering_key, payload, status, attempts,"
        " next_attempt_at, locked_until, locked_by, last_error, created_at, delivered_at)"
        " SELECT id, target, event, ticket_id, conversation_id, ordering_key, payload,"
        " CASE status WHEN 'failed' THEN 'pending' ELSE status END, attempts, next_attempt_at, locked_until,"
        " locked_by, last_error, created_at, delivered_at FROM outbox_messages WHERE target <> 'sms'"))
    sms_outbox = sa.table(
        "sms_outbox", *(sa.column(name) for name in ("id", "phone", "body", "status", "attempts", "next_attempt_at",
                                                    "last_error", "provider_sid", "created_at", "sent_at")))
    rows = bind.execute(sa.text(
        "SELECT id, phone, payload, status, attempts, next_attempt_at, last_error, provider_ref, created_at,"
        " delivered_at, locked_until, locked_by FROM outbox_messages WHERE target = 'sms' AND phone IS NOT NULL"
        " ORDER BY id")).all()
    if rows:
        bind.execute(sms_outbox.insert(), [{
            "id": row.id, "phone": row.phone, "body": str((_json(row.payload) or {}).get("body", "")),
            "status": "sent" if row.status == "delivered" else row.status, "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at, "last_error": row.last_error,
            "provider_sid": (row.provider_ref or None) and row.provider_ref[:64], "created_at": row.created_at,
            "sent_at": row.delivered_at,
        } for row in rows])
        contacts = sa.table("sms_contacts", sa.column("phone"), sa.column("send_lease_until"),
                            sa.column("send_lease_by"))
        leases = {row.phone: (row.locked_until, row.locked_by) for row in rows
                  if row.status == "pending" and row.locked_until is not None}
        for phone, (until, by) in leases.items():
            bind.execute(contacts.update().where(contacts.c.phone == phone)
                         .values(send_lease_until=until, send_lease_by=by))
    _restart_id_sequence(bind, "outbox")
    _restart_id_sequence(bind, "sms_outbox")
    op.drop_table("outbox_messages")
