"""portal.outbox: enqueue (Rasa, external help desk, SMS), lease-based claiming in order per key, outcomes, backoff
with jitter, concurrency."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from portal import db, outbox
from portal.models import SmsContact, utcnow
from portal.outbox import OutboxError


def _notify(session, conversation="conv-1", text="hello", intent=outbox.STAFF_REPLY):
    return outbox.notify_parent(session, conversation_id=conversation, ticket_id=None, intent=intent,
                                entities={"staff_message": text, "ticket_id": "1"})


def test_enqueue_validates_target_event_and_conversation(session):
    with pytest.raises(OutboxError):
        outbox.enqueue(session, target="email", event="x", payload={}, ordering_key="k")
    with pytest.raises(OutboxError):
        outbox.notify_parent(session, conversation_id="c", ticket_id=None, intent="EXTERNAL_unknown", entities={})
    with pytest.raises(OutboxError):
        outbox.enqueue(session, target=outbox.EXTERNAL, event="ticket.deleted", payload={}, ordering_key="k")
    with pytest.raises(OutboxError):
        outbox.notify_parent(session, conversation_id="", ticket_id=None, intent=outbox.STAFF_REPLY, entities={})


def test_rows_of_one_key_go_one_at_a_time_in_order(session):
    first = _notify(session, text="one")
    second = _notify(session, text="two")
    other = _notify(session, conversation="conv-2", text="elsewhere")
    claimed = outbox.claim_due(session, worker="w1")
    assert [r.id for r in claimed] == [first.id, other.id]
    assert outbox.claim_due(session, worker="w2") == []  # second waits for first; others are leased
    assert outbox.mark_delivered(session, first.id, "w1")
    assert [r.id for r in outbox.claim_due(session, worker="w2")] == [second.id]


def test_a_failed_row_blocks_its_key_until_delivered(session):
    first = _notify(session, text="one")
    second = _notify(session, text="two")
    outbox.claim_due(session, worker="w1")
    retry_at = outbox.mark_failed(session, first.id, "w1", "Rasa answered HTTP 500", base_seconds=60)
    assert retry_at > utcnow() + timedelta(seconds=50)
    assert outbox.claim_due(session, worker="w1") == []  # first not due yet, second blocked behind it
    later = outbox.claim_due(session, worker="w1", now=retry_at + timedelta(seconds=1))
    assert [r.id for r in later] == [first.id]
    assert later[0].attempts == 1 and later[0].last_error == "Rasa answered HTTP 500"
    assert second.id not in [r.id for r in later]


def test_a_lease_keeps_other_workers_away_until_it_expires(session):
    row = _notify(session)
    assert [r.id for r in outbox.claim_due(session, worker="w1", lease_seconds=60)] == [row.id]
    assert outbox.claim_due(session, worker="w2") == []
    stolen = outbox.claim_due(session, worker="w2", now=utcnow() + timedelta(seconds=61))
    assert [r.id for r in stolen] == [row.id]
    assert not outbox.mark_delivered(session, row.id, "w1")  # w1 lost its lease
    assert outbox.mark_failed(session, row.id, "w1", "late") is None
    assert outbox.mark_delivered(session, row.id, "w2")
    delivered = outbox.get_message(session, row.id)
    assert (delivered.status, delivered.attempts, delivered.last_error) == ("delivered", 1, None)
    assert delivered.delivered_at is not None
    assert outbox.claim_due(session, worker="w3", now=utcnow() + timedelta(days=1)) == []  # never again


def test_retry_after_wins_over_a_shorter_backoff_and_give_up_is_final(session):
    row = _notify(session)
    outbox.claim_due(session, worker="w1")
    asked = utcnow() + timedelta(seconds=300)
    assert outbox.mark_failed(session, row.id, "w1", "429", retry_at=asked, base_seconds=1) == asked
    later = outbox.claim_due(session, worker="w1", now=asked + timedelta(seconds=1))
    assert [r.id for r in later] == [row.id]
    assert outbox.give_up(session, row.id, "w1", "refused for good")
    failed = outbox.get_message(session, row.id)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 2, "refused for good")
    assert outbox.claim_due(session, worker="w1", now=utcnow() + timedelta(days=1)) == []


def test_cancel_pending_cancels_one_key_only(session):
    first = _notify(session, text="one")
    second = _notify(session, text="two")
    other = _notify(session, conversation="conv-2")
    outbox.claim_due(session, worker="w1")
    assert outbox.cancel_pending(session, "rasa:conv-1", "opted out") == 2
    assert [outbox.get_message(session, r.id).status for r in (first, second, other)] == [
        "cancelled", "cancelled", "pending"]
    assert not outbox.mark_delivered(session, first.id, "w1")  # its worker finds the lease lost


def test_sms_rows_need_the_sms_event_and_are_ordered_per_number(session):
    with pytest.raises(OutboxError):
        outbox.enqueue(session, target=outbox.SMS, event=outbox.STAFF_REPLY, payload={}, ordering_key="k")
    session.add(SmsContact(phone="+15550102001", conversation_id="sms-a"))
    session.flush()
    first = outbox.queue_text(session, "+15550102001", "one")
    outbox.queue_text(session, "+15550102001", "two")
    assert (first.target, first.event, first.ordering_key, first.payload) == (
        "sms", "sms.text", "sms:+15550102001", {"body": "one"})
    assert [r.id for r in outbox.claim_due(session, worker="w", targets=(outbox.SMS,))] == [first.id]


def test_targets_filter(session):
    rasa_row = _notify(session)
    external_row = outbox.enqueue(session, target=outbox.EXTERNAL, event=outbox.TICKET_CREATED, payload={},
                                  ordering_key="external:1")
    assert [r.id for r in outbox.claim_due(session, worker="w", targets=(outbox.RASA,))] == [rasa_row.id]
    assert [r.id for r in outbox.claim_due(session, worker="w", targets=(outbox.EXTERNAL,))] == [external_row.id]
    assert outbox.claim_due(session, worker="w", targets=()) == []


def test_cancel_and_retry_now(session):
    row = _notify(session)
    outbox.claim_due(session, worker="w")
    outbox.mark_failed(session, row.id, "w", "down", base_seconds=3600)
    assert outbox.retry_now(session, row.id).next_attempt_at <= utcnow()
    assert outbox.cancel(session, row.id).status == "cancelled"
    assert outbox.cancel(session, row.id) is None
    assert outbox.retry_now(session, row.id) is None
    assert outbox.retry_now(session, 999) is None
    assert outbox.claim_due(session, worker="w") == []
    assert outbox.counts(session)["rasa"] == {"pending": 0, "delivered": 0, "failed": 0, "cancelled": 1}


def test_list_messages_filters(session):
    _notify(session)
    row = _notify(session, conversation="other")
    outbox.claim_due(session, worker="w")
    outbox.mark_delivered(session, row.id, "w")
    assert [r.id for r in outbox.list_messages(session, status="delivered")] == [row.id]
    assert len(outbox.list_messages(session, target=outbox.RASA)) == 2
    with pytest.raises(OutboxError):
        outbox.list_messages(session, status="lost")
    data = outbox.get_message(session, row.id).to_dict(with_payload=False)
    assert "payload" not in data and data["delivered_at"].endswith("+00:00")


def test_backoff_grows_exponentially_and_is_capped():
    delays = [outbox.backoff(n, base_seconds=5, cap_seconds=600).total_seconds() for n in range(1, 10)]
    assert 4.5 <= delays[0] <= 5.5
    assert 9 <= delays[1] <= 11
    assert 18 <= delays[2] <= 22
    assert all(d <= 660 for d in delays)
    assert delays[-1] >= 540
    assert outbox.backoff(1000, 5, 600).total_seconds() <= 660


def test_concurrent_workers_never_claim_the_same_row(db_url):
    with db.session_scope(db_url) as session:
        ids = {_notify(session, conversation=f"conv-{n}").id for n in range(30)}
    claimed: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    barrier = threading.Barrier(3)

    def work(name):
        barrier.wait(5)
        while True:
            with db.session_scope(db_url) as session:
                batch = outbox.claim_due(session, worker=name, limit=3)
            if not batch:
                return
            claimed[name].extend(r.id for r in batch)
            with db.session_scope(db_url) as session:
                for row in batch:
                    assert outbox.mark_delivered(session, row.id, name)

    threads = [threading.Thread(target=work, args=(name,)) for name in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    every = [i for rows in claimed.values() for i in rows]
    assert sorted(every) == sorted(ids)  # each row exactly once
    assert len(every) == len(set(every))
