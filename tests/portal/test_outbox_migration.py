"""Revision 0006_one_outbox: the rows of `outbox` (Rasa, external help desk) and `sms_outbox` move into
`outbox_messages` without loss, in order, with their leases (a row leased mid-send at migration time is
delivered once its lease expires); the old tables go; undone and redone, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from portal import db, outbox
from portal.models import Base, UTCDateTime, utcnow

ANA = "+15550102001"
BEN = "+15550102002"
T0 = utcnow().replace(microsecond=0) - timedelta(minutes=10)


def _table(name: str, *columns: str, times: tuple[str, ...] = (), json: tuple[str, ...] = ()) -> sa.Table:
    return sa.table(name, *(sa.column(c) for c in columns), *(sa.column(c, UTCDateTime()) for c in times),
                    *(sa.column(c, sa.JSON()) for c in json))


OLD_OUTBOX = _table("outbox", "id", "target", "event", "ticket_id", "conversation_id", "ordering_key", "status",
                    "attempts", "locked_by", "last_error",
                    times=("next_attempt_at", "locked_until", "created_at", "delivered_at"), json=("payload",))
SMS_OUTBOX = _table("sms_outbox", "id", "phone", "body", "status", "attempts", "last_error", "provider_sid",
                    times=("next_attempt_at", "created_at", "sent_at"))
CONTACTS = _table("sms_contacts", "phone", "conversation_id", "opted_out", "send_lease_by",
                  times=("send_lease_until", "created_at", "updated_at"))


def _old_row(id_, target, event, key, status="pending", **extra):
    row = dict(id=id_, target=target, event=event, ticket_id=1, conversation_id="conv-a", ordering_key=key,
               status=status, attempts=0, locked_by=None, last_error=None, next_attempt_at=T0, locked_until=None,
               created_at=T0, delivered_at=None, payload={"name": event, "entities": {"ticket_id": "1"}})
    row.update(extra)
    return row


def _sms_row(id_, phone, body, status="pending", **extra):
    row = dict(id=id_, phone=phone, body=body, status=status, attempts=0, last_error=None, provider_sid=None,
               next_attempt_at=T0, created_at=T0, sent_at=None)
    row.update(extra)
    return row


def _fill_old_tables(url: str, now) -> None:
    with db.get_engine(url).begin() as connection:
        connection.execute(sa.text(
            "INSERT INTO tickets (id, kind, status, conversation_id, channel, verified, summary, transcript, details,"
            " created_at, updated_at) VALUES (1, 'other', 'open', 'conv-a', 'rest', false, '', '', '{}',"
            " '2026-11-01 10:00:00', '2026-11-01 10:00:00')"))
        connection.execute(OLD_OUTBOX.insert(), [
            _old_row(1, "rasa", "EXTERNAL_staff_reply", "rasa:conv-a", "delivered", attempts=1, delivered_at=T0),
            # Mid-send at migration time: an old worker holds its lease for two more minutes.
            _old_row(2, "rasa", "EXTERNAL_staff_reply", "rasa:conv-a", locked_by="old-helpdesk",
                     locked_until=now + timedelta(seconds=120)),
            _old_row(3, "external", "ticket.created", "external:1", attempts=2, last_error="Zendesk answered 503",
                     payload={"ticket": {"id": 1}, "change": {}}),
            _old_row(5, "rasa", "EXTERNAL_ticket_resolved", "rasa:conv-a"),  # waits behind 2
        ])
        connection.execute(CONTACTS.insert(), [
            # The old SMS scheme leased the whole number: a worker is sending to Ana right now.
            dict(phone=ANA, conversation_id="sms-ana", opted_out=False, send_lease_by="old-sms",
                 send_lease_until=now + timedelta(seconds=60), created_at=T0, updated_at=T0),
            dict(phone=BEN, conversation_id="sms-ben", opted_out=False, send_lease_by=None, send_lease_until=None,
                 created_at=T0, updated_at=T0),
        ])
        connection.execute(SMS_OUTBOX.insert(), [
            _sms_row(1, ANA, "Hi Ana", "sent", attempts=1, provider_sid="SM1", sent_at=T0),
            _sms_row(2, ANA, "Update on request #7", attempts=2, last_error="gateway answered 500"),
            _sms_row(3, ANA, "Reply 1 or 2"),
            _sms_row(4, BEN, "Hi Ben"),
            _sms_row(5, BEN, "bad", "failed", attempts=1, last_error="gateway answered 400"),
        ])


def _columns(url: str, table: str) -> set[str]:
    return {c["name"] for c in inspect(db.get_engine(url)).get_columns(table)}


def test_both_outboxes_move_into_one_without_loss_and_back(fresh_url):
    db.migrate(fresh_url, "0005_language")
    now = utcnow()
    _fill_old_tables(fresh_url, now)

    db.migrate(fresh_url, "0006_one_outbox")
    names = set(inspect(db.get_engine(fresh_url)).get_table_names())
    assert "outbox_messages" in names and not {"outbox", "sms_outbox"} & names
    assert not {"send_lease_until", "send_lease_by"} & _columns(fresh_url, "sms_contacts")
    with db.get_engine(fresh_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "version_table": db.VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []

    with db.session_scope(fresh_url) as session:
        rows = {r.id: r for r in outbox.list_messages(session)}
    # Help-desk rows keep their ids; SMS rows follow the largest one (5), in their old order.
    assert sorted(rows) == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    assert [(rows[i].target, rows[i].status) for i in (1, 2, 3, 5)] == [
        ("rasa", "delivered"), ("rasa", "pending"), ("external", "pending"), ("rasa", "pending")]
    assert (rows[3].attempts, rows[3].last_error, rows[3].payload) == (
        2, "Zendesk answered 503", {"ticket": {"id": 1}, "change": {}})
    sms = [rows[i] for i in (6, 7, 8, 9, 10)]
    assert [(r.phone, r.payload["body"], r.status) for r in sms] == [
        (ANA, "Hi Ana", "delivered"), (ANA, "Update on request #7", "pending"), (ANA, "Reply 1 or 2", "pending"),
        (BEN, "Hi Ben", "pending"), (BEN, "bad", "failed")]
    assert {(r.target, r.event) for r in sms} == {("sms", "sms.text")}
    assert (sms[0].provider_ref, sms[0].delivered_at, sms[1].attempts, sms[1].last_error) == (
        "SM1", T0, 2, "gateway answered 500")
    assert sms[1].ordering_key == f"sms:{ANA}"

    with db.session_scope(fresh_url) as session:
        # Now: the leased rows (2, and Ana's head 7) are left alone; what waits behind them too.
        assert [r.id for r in outbox.claim_due(session, worker="new", now=now)] == [3, 9]
        for row_id in (3, 9):
            assert outbox.mark_delivered(session, row_id, "new")
        assert outbox.claim_due(session, worker="new", now=now + timedelta(seconds=30)) == []
        # Once the old leases expire, the rows are delivered, and the ones behind them follow in order.
        later = now + timedelta(seconds=121)
        assert [r.id for r in outbox.claim_due(session, worker="new", now=later)] == [2, 7]
        for row_id in (2, 7):
            assert outbox.mark_delivered(session, row_id, "new")
        assert [r.id for r in outbox.claim_due(session, worker="new", now=later)] == [5, 8]
        # New rows get ids after the moved ones (PostgreSQL's sequence was moved on).
        assert outbox.queue_text(session, BEN, "new").id == 11

    db.downgrade(fresh_url, "0005_language")
    names = set(inspect(db.get_engine(fresh_url)).get_table_names())
    assert {"outbox", "sms_outbox"} <= names and "outbox_messages" not in names
    with db.get_engine(fresh_url).connect() as connection:
        old = connection.execute(sa.text("SELECT id, status FROM outbox ORDER BY id")).all()
        texts = connection.execute(sa.text("SELECT id, phone, body, status FROM sms_outbox ORDER BY id")).all()
        lease = connection.execute(sa.text(
            f"SELECT send_lease_by FROM sms_contacts WHERE phone = '{ANA}'")).scalar()
    assert [tuple(r) for r in old] == [(1, "delivered"), (2, "delivered"), (3, "delivered"), (5, "pending")]
    assert [tuple(r) for r in texts] == [
        (6, ANA, "Hi Ana", "sent"), (7, ANA, "Update on request #7", "sent"), (8, ANA, "Reply 1 or 2", "pending"),
        (9, BEN, "Hi Ben", "sent"), (10, BEN, "bad", "failed"), (11, BEN, "new", "pending")]
    assert lease == "new"  # Ana's pending text 8 was leased: the number's lease again

    db.migrate(fresh_url)
    assert db.current_revision(fresh_url) == db.head_revision()
    with db.session_scope(fresh_url) as session:
        assert len(outbox.list_messages(session)) == 10
