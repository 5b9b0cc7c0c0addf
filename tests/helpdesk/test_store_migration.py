"""Revision 0002_helpdesk: new tables and ticket columns, backfilled resolved_at, clean downgrade."""
from __future__ import annotations

from sqlalchemy import inspect, text

from portal import db

NEW_TABLES = {"ticket_messages", "handoffs", "outbox", "conversations"}


def test_upgrade_downgrade_upgrade(fresh_url):
    db.migrate(fresh_url, "0001_initial")
    engine = db.get_engine(fresh_url)
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO tickets (id, kind, status, conversation_id, channel, verified, summary, transcript, details,"
            " created_at, updated_at) VALUES (1, 'other', 'resolved', 'c', 'rest', false, '', '', '{}',"
            " '2024-11-01 10:00:00', '2024-11-01 12:00:00')"))
        connection.execute(text(
            "INSERT INTO ticket_events (ticket_id, at, actor, from_status, to_status, note) VALUES"
            " (1, '2024-11-01 10:00:00', 'assistant', NULL, 'open', 'opened'),"
            " (1, '2024-11-01 12:00:00', 'staff', 'open', 'resolved', 'done')"))
    db.migrate(fresh_url, "0002_helpdesk")
    assert db.current_revision(fresh_url) == "0002_helpdesk"
    inspector = inspect(engine)
    assert NEW_TABLES <= set(inspector.get_table_names())
    assert {"assignee", "resolved_at"} <= {c["name"] for c in inspector.get_columns("tickets")}
    handoff_indexes = {i["name"]: i for i in inspector.get_indexes("handoffs")}
    assert handoff_indexes["uq_handoffs_active_conversation"]["unique"]
    with engine.connect() as connection:
        resolved_at = connection.execute(text("SELECT resolved_at FROM tickets WHERE id = 1")).scalar()
    assert str(resolved_at).startswith("2024-11-01 12:00:00")

    db.downgrade(fresh_url, "0001_initial")
    inspector = inspect(db.get_engine(fresh_url))
    assert not NEW_TABLES & set(inspector.get_table_names())
    assert not {"assignee", "resolved_at"} & {c["name"] for c in inspector.get_columns("tickets")}
    # The partial unique index of open tickets survived the column drops.
    ticket_indexes = {i["name"]: i for i in inspector.get_indexes("tickets")}
    assert ticket_indexes["uq_tickets_active_conversation_kind"]["unique"]
    db.migrate(fresh_url)
    assert db.current_revision(fresh_url) == db.head_revision()
    # Revision 0006 replaced `outbox` by `outbox_messages` (tests/portal/test_outbox_migration.py).
    assert NEW_TABLES - {"outbox"} | {"outbox_messages"} <= set(inspect(db.get_engine(fresh_url)).get_table_names())
