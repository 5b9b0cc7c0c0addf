"""Revision 0005_language: tickets.language ("en" for the tickets already there) and sms_contacts.language,
on SQLite and PostgreSQL, undone cleanly and redone."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from portal import db
from portal.models import Base


def _columns(url: str, table: str) -> set[str]:
    return {c["name"] for c in inspect(db.get_engine(url)).get_columns(table)}


def test_language_columns_upgrade_with_english_for_old_tickets_and_downgrade(fresh_url):
    db.migrate(fresh_url, "0004_verification_limits")
    engine = db.get_engine(fresh_url)
    assert "language" not in _columns(fresh_url, "tickets")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO tickets (id, kind, status, conversation_id, channel, verified, summary, transcript, details,"
            " created_at, updated_at) VALUES (7, 'other', 'open', 'c-old', 'rest', false, '', '', '{}',"
            " '2026-11-01 10:00:00', '2026-11-01 10:00:00')"))
        connection.execute(text(
            "INSERT INTO sms_contacts (phone, conversation_id, opted_out, created_at, updated_at) VALUES"
            " ('+15550102001', 'sms-old', false, '2026-11-01 10:00:00', '2026-11-01 10:00:00')"))

    db.migrate(fresh_url, "0005_language")
    assert db.current_revision(fresh_url) == "0005_language"
    assert "language" in _columns(fresh_url, "tickets") and "language" in _columns(fresh_url, "sms_contacts")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT language FROM tickets WHERE id = 7")).scalar() == "en"
        assert connection.execute(text("SELECT language FROM sms_contacts")).scalar() is None
        # A ticket inserted without a language (an older writer) is English too.
        connection.execute(text(
            "INSERT INTO tickets (id, kind, status, conversation_id, channel, verified, summary, transcript, details,"
            " created_at, updated_at) VALUES (8, 'other', 'open', 'c-new', 'sms', false, '', '', '{}',"
            " '2026-11-02 10:00:00', '2026-11-02 10:00:00')"))
        assert connection.execute(text("SELECT language FROM tickets WHERE id = 8")).scalar() == "en"
    indexes = {i["name"] for i in inspect(engine).get_indexes("tickets")}
    assert "ix_tickets_language" in indexes

    db.downgrade(fresh_url, "0004_verification_limits")
    assert "language" not in _columns(fresh_url, "tickets")
    assert "language" not in _columns(fresh_url, "sms_contacts")
    with db.get_engine(fresh_url).connect() as connection:
        assert connection.execute(text("SELECT conversation_id FROM tickets WHERE id = 7")).scalar() == "c-old"
    # The partial unique index of open tickets survived the column drop.
    indexes = {i["name"]: i for i in inspect(db.get_engine(fresh_url)).get_indexes("tickets")}
    assert indexes["uq_tickets_active_conversation_kind"]["unique"]
    db.migrate(fresh_url)
    assert db.current_revision(fresh_url) == db.head_revision() and "language" in _columns(fresh_url, "tickets")
    # The models describe the newest revision (0006 changed the outbox tables since): compared there.
    with db.get_engine(fresh_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "version_table": db.VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
