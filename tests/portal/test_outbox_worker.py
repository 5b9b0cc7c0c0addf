"""portal.outbox_worker: the one worker loop, with a scripted sender (the real senders are tested in
tests/helpdesk/test_delivery.py, tests/helpdesk/test_external.py and tests/channels/test_sms_store.py)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from portal import db, outbox
from portal.models import OutboxMessage, utcnow
from portal.outbox_worker import Outcome, OutboxWorker, Sender


class Scripted(Sender):
    """A Rasa-target sender answering from a script (an Exception instance is raised); records what it sent."""

    target = outbox.RASA

    def __init__(self, *script) -> None:
        self.script = list(script)
        self.sent: list[str] = []
        self.settled: list[str] = []

    def send(self, message):
        self.sent.append(message.payload["entities"]["staff_message"])
        answer = self.script.pop(0) if self.script else Outcome.delivered()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def settle(self, session, message, outcome):
        self.settled.append(outcome.kind)


def _queue(url, *texts, conversation="conv-1", now=None):
    with db.session_scope(url) as session:
        return [outbox.notify_parent(session, conversation_id=conversation, ticket_id=None, intent=outbox.STAFF_REPLY,
                                     entities={"staff_message": text}) for text in texts]


def _rows(url):
    with db.session_scope(url) as session:
        return outbox.list_messages(session)


def test_outcomes_are_recorded_and_a_bug_in_a_sender_is_a_retry(db_url):
    _queue(db_url, "one")
    _queue(db_url, "two", conversation="conv-2")
    _queue(db_url, "three", conversation="conv-3")
    sender = Scripted(RuntimeError("boom"), Outcome.failed("refused"), Outcome.delivered("ref-3"))
    report = OutboxWorker([sender], db_url, backoff_base_seconds=60).flush()
    assert (report.retried, report.failed, report.delivered) == (1, 1, 1)
    assert sender.settled == ["retry", "failed", "delivered"]
    one, two, three = _rows(db_url)
    assert (one.status, one.attempts, one.last_error) == ("pending", 1, "internal error (RuntimeError)")
    assert one.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert (two.status, two.last_error) == ("failed", "refused")
    assert (three.status, three.provider_ref) == ("delivered", "ref-3")


def test_rows_older_than_the_senders_max_age_are_given_up_unsent(db_url):
    [old] = _queue(db_url, "old")
    with db.session_scope(db_url) as session:
        session.get(OutboxMessage, old.id).created_at = utcnow() - timedelta(hours=2)
    _queue(db_url, "new")
    sender = Scripted()
    sender.max_age = timedelta(hours=1)
    report = OutboxWorker([sender], db_url).flush()
    assert (report.failed, report.delivered, sender.sent) == (1, 1, ["new"])
    assert [(r.status, r.attempts) for r in _rows(db_url)] == [("failed", 0), ("delivered", 1)]


def test_a_worker_that_lost_its_lease_records_nothing(db_url):
    _queue(db_url, "one")

    class Slow(Scripted):
        def send(self, message):
            with db.session_scope(db_url) as session:  # the lease expired; another worker took the row
                outbox.claim_due(session, worker="other", now=utcnow() + timedelta(seconds=300))
            return super().send(message)

    report = OutboxWorker([Slow()], db_url, worker_id="slow").flush()
    assert (report.delivered, report.lost_lease) == (0, 1)
    [row] = _rows(db_url)
    assert row.status == "pending" and row.attempts == 0


def test_only_the_workers_targets_are_claimed(db_url):
    with db.session_scope(db_url) as session:
        outbox.enqueue(session, target=outbox.EXTERNAL, event=outbox.TICKET_CREATED, payload={},
                       ordering_key="external:1")
    assert OutboxWorker([Scripted()], db_url).flush().attempted == 0
    assert _rows(db_url)[0].status == "pending"


def test_the_loop_flushes_when_woken_and_runs_housekeeping(db_url):
    sender = Scripted()
    chores: list[int] = []

    async def scenario():
        wakeup = asyncio.Event()
        task = asyncio.create_task(OutboxWorker([sender], db_url).run(
            wakeup, poll_seconds=None, housekeeping=lambda: chores.append(1), housekeeping_seconds=3600))
        await asyncio.sleep(0.3)
        _queue(db_url, "woken")
        assert sender.sent == []  # no polling: nothing happens until woken
        wakeup.set()
        for _ in range(100):
            if sender.sent:
                break
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    assert sender.sent == ["woken"] and chores == [1]
