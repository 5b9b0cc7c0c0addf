"""Deleting a family's personal data (portal.privacy, `portal-admin forget-family`) and purging old conversation
data (`portal-admin purge`), on SQLite and PostgreSQL: what goes, what is kept anonymised, nothing else touched."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select, text

from portal import db, outbox, privacy
from portal.cli import main as portal_admin
from portal.conversations import record_answer
from portal.models import Base, Person, Ticket
from portal.models import SmsContact
from portal.tickets import add_message, open_ticket, reply_to_parent
from portal.verification_limits import client_sender_key, record_failure, sms_sender_key

BEN_IDS = ("g-ben-carter", "s-lily-carter")
BEN_TEXTS = ("g-ben-carter", "s-lily-carter", "ben.carter", "5550102002", "conv-ben", "sms-ben", "bcarter77",
             "9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4B", "Lily")


def tracker_event(sender: str, type_name: str, data: dict, timestamp: float = 0.0) -> dict:
    return {"sender_id": sender, "type_name": type_name, "timestamp": timestamp or datetime.now().timestamp(),
            "data": json.dumps(data)}


@pytest.fixture
def family_store(demo_url):
    """The demo roster plus Ben's and Ana's conversations, tickets, SMS and tracker events. Tracker in the same DB."""
    engine = db.get_engine(demo_url)
    privacy.tracker_metadata.drop_all(engine)
    privacy.tracker_metadata.create_all(engine)
    with db.session_scope(demo_url) as session:
        ben, _ = open_ticket(session, kind="account_reset", school_id="org-willow-creek-ms", conversation_id="conv-ben",
                             channel="rest", verified=True, guardian_id="g-ben-carter", summary="Ben Carter: reset",
                             transcript="Parent: ben.carter@example.com Lily", details={"username": "bcarter77"})
        add_message(session, ben.id, "parent", "I'm Ben, 555-010-2002")
        reply_to_parent(session, ben.id, "Hi Ben, on it", "Ms Office")
        open_ticket(session, kind="handoff", school_id="org-willow-creek-ms", conversation_id="conv-ben-unverified",
                    channel="rest", verified=False, summary="talk to a person", transcript="Parent: it's Ben")
        ana, _ = open_ticket(session, kind="account_reset", school_id="org-maple-ridge-es", conversation_id="conv-ana",
                             channel="rest", verified=True, guardian_id="g-ana-rivera", summary="Ana Rivera",
                             transcript="Parent: ana.rivera@example.com")
        add_message(session, ana.id, "parent", "I'm Ana")
        for conversation in ("conv-ben", "conv-ana", "conv-other"):
            record_answer(session, conversation, "rest", "key_help")
        session.add_all([SmsContact(phone="+15550102002", conversation_id="sms-ben"),
                         SmsContact(phone="+15550102001", conversation_id="sms-ana")])
        session.flush()
        outbox.queue_text(session, "+15550102002", "Hi Ben")
        outbox.queue_text(session, "+15550102001", "Hi Ana")
        record_failure(session, sms_sender_key("+15550102002"))
        record_failure(session, sms_sender_key("+15550102001"))
        record_failure(session, client_sender_key("203.0.113.7"))
    with engine.begin() as connection:
        connection.execute(insert(privacy.tracker_events), [
            tracker_event("conv-ben", "slot", {"event": "slot", "name": "verified_guardian_id", "value": "g-ben-carter"}),
            tracker_event("conv-ben", "user", {"event": "user", "text": "Lily"}),
            tracker_event("conv-ben-unverified", "slot", {"event": "slot", "name": "contact",
                                                          "value": "BEN.CARTER@example.com "}),
            tracker_event("sms-ben", "user", {"event": "user", "text": "Lily", "metadata": {"sms_from": "+15550102002"}}),
            tracker_event("conv-ben-text", "user", {"event": "user", "text": "my number is (555) 010-2002"}),
            tracker_event("conv-ana", "slot", {"event": "slot", "name": "verified_guardian_id", "value": "g-ana-rivera"}),
            tracker_event("conv-ana", "slot", {"event": "slot", "name": "contact", "value": "ana.rivera@example.com"}),
            tracker_event("sms-ana", "user", {"event": "user", "text": "hi", "metadata": {"sms_from": "+15550102001"}}),
            tracker_event("conv-other", "user", {"event": "user", "text": "hi"}),
        ])
    return demo_url


def snapshot(url: str) -> dict[str, set[tuple]]:
    tables = [t.name for t in Base.metadata.sorted_tables] + ["events"]
    with db.get_engine(url).connect() as connection:
        return {t: {tuple(str(v) for v in row) for row in connection.execute(text(f"SELECT * FROM {t}"))}
                for t in tables}


def mentions(row: tuple, needles) -> bool:
    return any(n.lower() in value.lower() for value in row for n in needles)


def family_ticket_ids(url: str) -> set[str]:
    with db.session_scope(url) as session:
        return {str(i) for i in session.execute(select(Ticket.id).where(
            Ticket.conversation_id.in_(["conv-ben", "conv-ben-unverified"]))).scalars()}


def test_dry_run_reports_and_changes_nothing(family_store, capsys):
    before = snapshot(family_store)
    assert portal_admin(["--database-url", family_store, "forget-family", "--contact", "Ben.Carter@example.com",
                         "--tracker-url", family_store, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["applied"] is False
    assert report["counts"]["guardian records"] == 1 and report["counts"]["students (linked to this family only)"] == 1
    assert report["counts"]["tracker conversations"] == 4  # conv-ben, conv-ben-unverified, sms-ben, conv-ben-text
    assert report["counts"]["tickets anonymised"] == 2 and report["counts"]["SMS numbers"] == 1
    assert report["contacts"] == ["b********r@example.com", "***-***-2002"]
    assert "ben.carter@" not in json.dumps(report) and "5550102002" not in json.dumps(report)
    assert snapshot(family_store) == before


def test_forget_family_deletes_the_family_and_touches_nothing_else(family_store, capsys):
    before = snapshot(family_store)
    ticket_ids = family_ticket_ids(family_store)
    assert portal_admin(["--database-url", family_store, "forget-family", "--guardian", "g-ben-carter",
                         "--tracker-url", family_store, "--yes"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Deleted:") and "tracker conversations" in out and "ben.carter@" not in out
    after = snapshot(family_store)
    # Nothing of the family is left anywhere, in the portal store or the tracker store ...
    for table, rows in after.items():
        assert not [r for r in rows if mentions(r, BEN_TEXTS)], table
    assert not [r for r in after["verification_failures"] if sms_sender_key("+15550102002") in r]
    # ... and every row unrelated to the family is exactly as it was.
    def unrelated(table, rows):
        kept = set()
        for row in rows:
            if mentions(row, BEN_TEXTS) or any(f"forgotten-{i}" in row for i in ticket_ids):
                continue
            if table == "tickets" and row[0] in ticket_ids:
                continue
            if table in ("ticket_events", "ticket_messages", "handoffs", "outbox_messages") and row[ticket_column(table)] in ticket_ids:
                continue
            if table == "verification_failures" and sms_sender_key("+15550102002") in row:
                continue
            kept.add(row)
        return kept

    for table in before:
        assert unrelated(table, before[table]) == unrelated(table, after[table]), table
    # The tickets stay for the statistics, anonymised and closed.
    with db.session_scope(family_store) as session:
        tickets = session.execute(select(Ticket).where(Ticket.id.in_([int(i) for i in ticket_ids]))).scalars().all()
        assert len(tickets) == 2
        for ticket in tickets:
            assert ticket.status == "closed" and ticket.guardian_id is None and ticket.transcript == ""
            assert ticket.summary == privacy.REMOVED and ticket.details == {} and ticket.messages == []
            assert ticket.conversation_id == f"forgotten-{ticket.id}"
            assert ticket.kind in ("account_reset", "handoff") and ticket.school_id == "org-willow-creek-ms"
        assert session.get(Person, "g-ana-rivera") is not None and session.get(Person, "g-ben-carter") is None
    # Running it again finds no such family.
    assert portal_admin(["--database-url", family_store, "forget-family", "--guardian", "g-ben-carter",
                         "--tracker-url", family_store, "--yes"]) == 1


def ticket_column(table: str) -> int:
    return {"ticket_events": 1, "ticket_messages": 1, "handoffs": 2, "outbox_messages": 5}[table]


def test_a_student_shared_with_another_household_stays(demo_url, capsys):
    assert portal_admin(["--database-url", demo_url, "forget-family", "--contact", "+1 (555) 010-2009",
                         "--tracker-url", f"sqlite:///{demo_url}-missing.db", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "kept: also linked to another guardian" in out and "no Rasa tracker store found" in out
    with db.session_scope(demo_url) as session:
        assert session.get(Person, "g-maria-lopez") is None
        assert session.get(Person, "s-sofia-lopez") is not None and session.get(Person, "g-jorge-lopez") is not None


def test_duplicate_records_of_one_parent_go_together(demo_url):
    with db.session_scope(demo_url) as session:
        family = privacy.find_family(session, contacts=["chloe.nguyen@example.com"])
    assert family.guardian_ids == ("g-chloe-nguyen", "g-chloe-nguyen-dup")


@pytest.mark.parametrize("args, code, message", [
    ([], 2, "name the family"),
    (["--contact", "nobody@example.com"], 1, "no guardian record matches"),
    (["--contact", "12"], 1, "not an email address or phone number"),
    (["--guardian", "s-lily-carter"], 1, "no guardian record matches"),  # a student is not a family handle
])
def test_bad_requests(demo_url, capsys, args, code, message):
    assert portal_admin(["--database-url", demo_url, "forget-family", *args]) == code
    assert message in capsys.readouterr().err


def test_purge_removes_old_conversation_data_only(family_store, capsys):
    engine = db.get_engine(family_store)
    old = datetime.now(timezone.utc) - timedelta(days=100)
    with engine.begin() as connection:
        connection.execute(insert(privacy.tracker_events), [
            tracker_event("conv-old", "user", {"event": "user", "text": "hi"}, timestamp=old.timestamp())])
    with db.session_scope(family_store) as session:
        session.execute(text("UPDATE conversations SET started_at = :t WHERE id = 'conv-other'"),
                        {"t": old.replace(tzinfo=None) if engine.dialect.name == "sqlite" else old})
    before = snapshot(family_store)
    assert portal_admin(["--database-url", family_store, "purge", "--older-than", "90",
                         "--tracker-url", family_store]) == 0
    assert "Dry run" in capsys.readouterr().out and snapshot(family_store) == before
    assert portal_admin(["--database-url", family_store, "purge", "--older-than", "90", "--tracker-url", family_store,
                         "--yes", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["tracker conversations"] == 1 and report["counts"]["conversation records"] == 1
    after = snapshot(family_store)
    assert not [r for r in after["events"] if "conv-old" in r]
    assert not [r for r in after["conversations"] if "conv-other" in r]
    assert len(after["events"]) == len(before["events"]) - 1
    assert after["tickets"] == before["tickets"] and after["persons"] == before["persons"]
    assert portal_admin(["--database-url", family_store, "purge", "--older-than", "0"]) == 2
