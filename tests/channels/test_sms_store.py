"""The SMS store (portal.sms: every function takes the caller's session) and the SMS outbox sender
(channels.sms_delivery on the one outbox worker), on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from channels.sms_delivery import make_worker
from channels.sms_gateway import SendResult
from portal import db, outbox
from portal.models import Base, OutboxMessage, SmsContact, SmsInbound, utcnow
from portal.outbox_worker import FlushReport
from portal.sms import Answered, Choice, Claimed, InProgress
from tests.channels.store_calls import sms_store
from tests.portal.conftest import (  # noqa: F401  (fixtures shared with the store tests)
    BACKENDS,
    fresh_url,
    postgresql_database,
    sqlite_database,
)

ANA = "+15550102001"
BEN = "+15550102002"
SMS_TABLES = {"sms_contacts", "sms_inbound"}


def clear_sms_tables(url: str) -> None:
    with db.get_engine(url).begin() as connection:
        for model in (OutboxMessage, SmsInbound, SmsContact):
            connection.execute(model.__table__.delete())


@pytest.fixture(params=BACKENDS)
def url(request) -> str:
    """A migrated store with empty SMS tables: once on SQLite, once on PostgreSQL."""
    database = request.getfixturevalue(f"{request.param}_database")
    clear_sms_tables(database)
    return database


def run_together(count: int, work):
    """Run `work(i)` in `count` threads started at the same moment; their results."""
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors, errors
    return results


# --- Migration ------------------------------------------------------------------------------------------------

def test_sms_tables_match_the_models_and_downgrade_cleanly(fresh_url):
    db.migrate(fresh_url)
    assert db.current_revision(fresh_url) == db.head_revision()
    engine = db.get_engine(fresh_url)
    assert SMS_TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "version_table": db.VERSION_TABLE})
        assert compare_metadata(context, Base.metadata) == []
    db.downgrade(fresh_url, "0002_helpdesk")
    names = set(inspect(db.get_engine(fresh_url)).get_table_names())
    assert not SMS_TABLES & names and not {"sms_outbox", "outbox_messages"} & names
    assert {"tickets", "outbox", "handoffs"} <= names
    db.migrate(fresh_url)
    assert SMS_TABLES <= set(inspect(db.get_engine(fresh_url)).get_table_names())


# --- Numbers ----------------------------------------------------------------------------------------------------

def test_a_number_gets_one_random_conversation_id_for_good(url):
    first = sms_store(url).contact(ANA)
    assert first.conversation_id.startswith("sms-") and "2001" not in first.conversation_id
    assert sms_store(url).contact(ANA).conversation_id == first.conversation_id
    assert sms_store(url).contact(BEN).conversation_id != first.conversation_id
    assert sms_store(url).contact_by_conversation(first.conversation_id).phone == ANA
    assert sms_store(url).contact_by_conversation("sms-unknown") is None


def test_concurrent_first_messages_from_one_number_make_one_row(url):
    ids = run_together(6, lambda _i: sms_store(url).contact(ANA).conversation_id)
    assert len(set(ids)) == 1


def test_opting_out_cancels_the_queue_and_forgets_choices_and_opting_in_restores(url):
    sms_store(url).contact(ANA)
    sms_store(url).set_choices(ANA, [Choice("Yes", "/affirm")])
    sms_store(url).enqueue(ANA, ["one", "two"])
    assert sms_store(url).set_opted_out(ANA, True) is True
    assert sms_store(url).set_opted_out(ANA, True) is False
    contact = sms_store(url).contact(ANA)
    assert contact.opted_out and contact.choices == ()
    assert [m.status for m in sms_store(url).outbox(ANA)] == ["cancelled", "cancelled"]
    assert sms_store(url).enqueue(ANA, ["three"]) == []
    assert sms_store(url).set_opted_out(ANA, False) is True
    assert sms_store(url).enqueue(ANA, ["four"]) != []


def test_an_unknown_number_opting_out_is_recorded(url):
    assert sms_store(url).set_opted_out(BEN, True) is True
    assert sms_store(url).contact(BEN).opted_out


def test_choices_are_kept_per_number_and_replaced(url):
    sms_store(url).contact(ANA)
    sms_store(url).set_choices(ANA, [Choice("Yes, please", "/affirm"), Choice("No, thanks", "/deny")])
    contact = sms_store(url).contact(ANA)
    assert contact.choices == (Choice("Yes, please", "/affirm"), Choice("No, thanks", "/deny"))
    assert contact.choices_at is not None
    sms_store(url).set_choices(ANA, [])
    assert sms_store(url).contact(ANA).choices == () and sms_store(url).contact(ANA).choices_at is None


# --- Inbound MessageSids -----------------------------------------------------------------------------------------

def test_a_message_sid_is_processed_once_and_answered_the_same_way_again(url):
    claim = sms_store(url).claim_inbound("SM1")
    assert isinstance(claim, Claimed)
    assert isinstance(sms_store(url).claim_inbound("SM1"), InProgress)
    sms_store(url).contact(ANA)
    assert sms_store(url).finish_inbound("SM1", claim.token, "<Response/>", ANA, [Choice("A", "/a")]) is True
    assert sms_store(url).claim_inbound("SM1") == Answered("<Response/>")
    assert sms_store(url).answered_twiml("SM1") == "<Response/>"
    assert sms_store(url).contact(ANA).choices == (Choice("A", "/a"),)


def test_concurrent_deliveries_of_one_message_make_one_claim(url):
    results = run_together(8, lambda _i: sms_store(url).claim_inbound("SM-race"))
    assert sum(isinstance(r, Claimed) for r in results) == 1
    assert sum(isinstance(r, InProgress) for r in results) == 7


def test_a_released_claim_can_be_processed_again(url):
    claim = sms_store(url).claim_inbound("SM2")
    sms_store(url).release_inbound("SM2", claim.token)
    assert sms_store(url).answered_twiml("SM2") is None
    assert isinstance(sms_store(url).claim_inbound("SM2"), Claimed)


def test_a_stale_claim_is_taken_over_and_the_old_owner_cannot_finish(url):
    old = sms_store(url).claim_inbound("SM3")
    later = utcnow() + timedelta(minutes=5)
    assert isinstance(sms_store(url).claim_inbound("SM3", now=utcnow() + timedelta(seconds=30)), InProgress)
    new = sms_store(url).claim_inbound("SM3", now=later)
    assert isinstance(new, Claimed) and new.token != old.token
    assert sms_store(url).finish_inbound("SM3", old.token, "<old/>") is False
    assert sms_store(url).finish_inbound("SM3", new.token, "<new/>") is True
    assert sms_store(url).answered_twiml("SM3") == "<new/>"


def test_prune_forgets_old_answers_and_finished_messages(url):
    claim = sms_store(url).claim_inbound("SM4", now=utcnow() - timedelta(days=3))
    sms_store(url).finish_inbound("SM4", claim.token, "<Response/>")
    sms_store(url).contact(ANA)
    [sent] = sms_store(url).enqueue(ANA, ["old"], now=utcnow() - timedelta(days=8))
    with db.session_scope(url) as session:
        session.get(OutboxMessage, sent).status = "delivered"
    [pending] = sms_store(url).enqueue(ANA, ["old but pending"], now=utcnow() - timedelta(days=8))
    assert sms_store(url).prune() == {"inbound": 1, "outbox": 1}
    assert [m.id for m in sms_store(url).outbox()] == [pending]


# --- Outbox ----------------------------------------------------------------------------------------------------

def test_enqueue_keeps_order_and_sets_choices_only_when_given(url):
    sms_store(url).contact(ANA)
    sms_store(url).set_choices(ANA, [Choice("Yes", "/affirm")])
    sms_store(url).enqueue(ANA, ["one", "two"])
    assert sms_store(url).contact(ANA).choices == (Choice("Yes", "/affirm"),)
    sms_store(url).enqueue(ANA, ["three"], choices=[Choice("No", "/deny")])
    assert sms_store(url).contact(ANA).choices == (Choice("No", "/deny"),)
    assert [m.body for m in sms_store(url).outbox(ANA)] == ["one", "two", "three"]
    assert sms_store(url).enqueue("+15559999999", ["nobody"]) == []


def test_store_functions_use_the_callers_session_and_return_plain_data(url):
    """Nothing is committed unless the caller commits, and no ORM object comes back."""
    session = db.session_factory(url)()
    try:
        contact = sms_store_in(session).contact(ANA)
        assert type(contact).__module__ == "portal.sms" and contact.__dataclass_params__.frozen
        sms_store_in(session).enqueue(ANA, ["one"])
        session.rollback()
    finally:
        session.close()
    assert sms_store(url).outbox() == []
    assert sms_store(url).contact_by_conversation(contact.conversation_id) is None


def sms_store_in(session):
    from portal import sms

    class Bound:
        def __getattr__(self, name):
            return lambda *args, **kwargs: getattr(sms, name)(session, *args, **kwargs)

    return Bound()


class FakeClient:
    """Answers send() from a script; records (to, body)."""

    def __init__(self, *script: SendResult) -> None:
        self.script = list(script)
        self.sent: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def send(self, to: str, body: str) -> SendResult:
        with self.lock:
            self.sent.append((to, body))
            return self.script.pop(0) if self.script else SendResult(True, provider_sid=f"SM{len(self.sent)}")


def worker(client, url, **settings):
    settings.setdefault("backoff_base_seconds", 0.0)
    return make_worker(client, url, worker_id=settings.pop("worker_id", "test"), **settings)


def _make_due(url, outbox_id):
    with db.session_scope(url) as session:
        session.get(OutboxMessage, outbox_id).next_attempt_at = utcnow()


def test_the_sender_sends_in_order_and_a_failure_holds_back_later_messages(url):
    sms_store(url).contact(ANA)
    sms_store(url).enqueue(ANA, ["one", "two", "three"])
    client = FakeClient(SendResult(True, "SM1"), SendResult(False, error="gateway answered 500"))
    sender = worker(client, url, backoff_base_seconds=60)
    report = sender.flush()
    assert (report.delivered, report.retried) == (1, 1)
    rows = sms_store(url).outbox(ANA)
    assert [(m.body, m.status, m.attempts) for m in rows] == [
        ("one", "delivered", 1), ("two", "pending", 1), ("three", "pending", 0)]
    assert rows[0].provider_sid == "SM1" and rows[1].last_error == "gateway answered 500"
    assert rows[1].next_attempt_at > utcnow() + timedelta(seconds=50)
    assert sender.flush().attempted == 0  # "two" is not due yet, and "three" waits behind it
    _make_due(url, rows[1].id)
    assert worker(client, url).flush().delivered == 2
    assert [body for _to, body in client.sent] == ["one", "two", "two", "three"]
    assert all(m.status == "delivered" for m in sms_store(url).outbox(ANA))


def test_the_gateways_retry_after_is_respected(url):
    sms_store(url).contact(ANA)
    sms_store(url).enqueue(ANA, ["one"])
    client = FakeClient(SendResult(False, error="gateway answered 429", retry_after=120))
    worker(client, url).flush()
    [row] = sms_store(url).outbox(ANA)
    assert utcnow() + timedelta(seconds=100) < row.next_attempt_at < utcnow() + timedelta(seconds=130)


def test_a_message_refused_for_good_fails_and_the_next_goes(url):
    sms_store(url).contact(ANA)
    sms_store(url).enqueue(ANA, ["bad", "good"])
    client = FakeClient(SendResult(False, error="gateway answered 400", permanent=True))
    report = worker(client, url).flush()
    assert (report.failed, report.delivered) == (1, 1)
    assert [m.status for m in sms_store(url).outbox(ANA)] == ["failed", "delivered"]


def test_a_gateway_unsubscribe_error_records_the_opt_out(url):
    sms_store(url).contact(ANA)
    sms_store(url).enqueue(ANA, ["one", "two"])
    client = FakeClient(SendResult(False, error="21610", permanent=True, unsubscribed=True))
    assert worker(client, url).flush().cancelled == 1
    assert sms_store(url).contact(ANA).opted_out
    assert [m.status for m in sms_store(url).outbox(ANA)] == ["cancelled", "cancelled"]
    assert len(client.sent) == 1


def test_a_number_that_opted_out_after_the_claim_is_not_texted(url):
    sms_store(url).contact(ANA)
    sms_store(url).enqueue(ANA, ["one"])
    with db.session_scope(url) as session:
        [claimed] = outbox.claim_due(session, worker="test", targets=(outbox.SMS,))
    sms_store(url).set_opted_out(ANA, True)  # STOP arrives while the worker holds the row
    client = FakeClient()
    report = FlushReport()
    worker(client, url)._deliver_one(claimed, report)
    assert client.sent == [] and report.cancelled == 1
    assert [m.status for m in sms_store(url).outbox(ANA)] == ["cancelled"]


def test_messages_too_old_are_given_up(url):
    sms_store(url).contact(ANA)
    sms_store(url).enqueue(ANA, ["stale"], now=utcnow() - timedelta(hours=25))
    sms_store(url).enqueue(ANA, ["fresh"])
    client = FakeClient()
    assert worker(client, url).flush().failed == 1
    rows = sms_store(url).outbox(ANA)
    assert [m.status for m in rows] == ["failed", "delivered"]
    assert rows[0].last_error == "not sent within 1 day, 0:00:00"
    assert client.sent == [(ANA, "fresh")]


def test_a_number_being_sent_by_another_worker_is_left_to_it(url):
    sms_store(url).contact(ANA)
    sms_store(url).enqueue(ANA, ["one", "two"])
    with db.session_scope(url) as session:
        outbox.claim_due(session, worker="other-replica", targets=(outbox.SMS,), lease_seconds=60)
    client = FakeClient()
    assert worker(client, url).flush().attempted == 0 and client.sent == []


def test_concurrent_workers_send_each_message_once_and_in_order(url):
    sms_store(url).contact(ANA)
    sms_store(url).contact(BEN)
    sms_store(url).enqueue(ANA, [f"a{i}" for i in range(5)])
    sms_store(url).enqueue(BEN, [f"b{i}" for i in range(5)])
    client = FakeClient()
    run_together(4, lambda i: worker(client, url, worker_id=f"w{i}").flush())
    for prefix, phone in (("a", ANA), ("b", BEN)):
        assert [body for to, body in client.sent if to == phone] == [f"{prefix}{i}" for i in range(5)]
