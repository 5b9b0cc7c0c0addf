"""The SMS store (portal.sms, revision 0003_sms) and the outbox sender, on SQLite and on PostgreSQL."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from channels.sms_delivery import Deliverer
from channels.sms_gateway import SendResult
from portal import db
from portal import sms as store
from portal.models import Base, utcnow
from portal.sms import Answered, Choice, Claimed, InProgress
from portal.sms_models import SmsContact, SmsInbound, SmsOutbound
from tests.portal.conftest import (  # noqa: F401  (fixtures shared with the store tests)
    BACKENDS,
    fresh_url,
    postgresql_database,
    sqlite_database,
)

ANA = "+15550102001"
BEN = "+15550102002"
SMS_TABLES = {"sms_contacts", "sms_inbound", "sms_outbox"}


def clear_sms_tables(url: str) -> None:
    with db.get_engine(url).begin() as connection:
        for model in (SmsOutbound, SmsInbound, SmsContact):
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
    assert not SMS_TABLES & names and {"tickets", "outbox", "handoffs"} <= names
    db.migrate(fresh_url)
    assert SMS_TABLES <= set(inspect(db.get_engine(fresh_url)).get_table_names())


# --- Numbers ----------------------------------------------------------------------------------------------------

def test_a_number_gets_one_random_conversation_id_for_good(url):
    first = store.contact(ANA, url)
    assert first.conversation_id.startswith("sms-") and "2001" not in first.conversation_id
    assert store.contact(ANA, url).conversation_id == first.conversation_id
    assert store.contact(BEN, url).conversation_id != first.conversation_id
    assert store.contact_by_conversation(first.conversation_id, url).phone == ANA
    assert store.contact_by_conversation("sms-unknown", url) is None


def test_concurrent_first_messages_from_one_number_make_one_row(url):
    ids = run_together(6, lambda _i: store.contact(ANA, url).conversation_id)
    assert len(set(ids)) == 1


def test_opting_out_cancels_the_queue_and_forgets_choices_and_opting_in_restores(url):
    store.contact(ANA, url)
    store.set_choices(ANA, [Choice("Yes", "/affirm")], url)
    store.enqueue(ANA, ["one", "two"], url)
    assert store.set_opted_out(ANA, True, url) is True
    assert store.set_opted_out(ANA, True, url) is False
    contact = store.contact(ANA, url)
    assert contact.opted_out and contact.choices == ()
    assert [m.status for m in store.outbox(url, ANA)] == ["cancelled", "cancelled"]
    assert store.enqueue(ANA, ["three"], url) == []
    assert store.set_opted_out(ANA, False, url) is True
    assert store.enqueue(ANA, ["four"], url) != []


def test_an_unknown_number_opting_out_is_recorded(url):
    assert store.set_opted_out(BEN, True, url) is True
    assert store.contact(BEN, url).opted_out


def test_choices_are_kept_per_number_and_replaced(url):
    store.contact(ANA, url)
    store.set_choices(ANA, [Choice("Yes, please", "/affirm"), Choice("No, thanks", "/deny")], url)
    contact = store.contact(ANA, url)
    assert contact.choices == (Choice("Yes, please", "/affirm"), Choice("No, thanks", "/deny"))
    assert contact.choices_at is not None
    store.set_choices(ANA, [], url)
    assert store.contact(ANA, url).choices == () and store.contact(ANA, url).choices_at is None


# --- Inbound MessageSids -----------------------------------------------------------------------------------------

def test_a_message_sid_is_processed_once_and_answered_the_same_way_again(url):
    claim = store.claim_inbound("SM1", url)
    assert isinstance(claim, Claimed)
    assert isinstance(store.claim_inbound("SM1", url), InProgress)
    store.contact(ANA, url)
    assert store.finish_inbound("SM1", claim.token, "<Response/>", url, ANA, [Choice("A", "/a")]) is True
    assert store.claim_inbound("SM1", url) == Answered("<Response/>")
    assert store.answered_twiml("SM1", url) == "<Response/>"
    assert store.contact(ANA, url).choices == (Choice("A", "/a"),)


def test_concurrent_deliveries_of_one_message_make_one_claim(url):
    results = run_together(8, lambda _i: store.claim_inbound("SM-race", url))
    assert sum(isinstance(r, Claimed) for r in results) == 1
    assert sum(isinstance(r, InProgress) for r in results) == 7


def test_a_released_claim_can_be_processed_again(url):
    claim = store.claim_inbound("SM2", url)
    store.release_inbound("SM2", claim.token, url)
    assert store.answered_twiml("SM2", url) is None
    assert isinstance(store.claim_inbound("SM2", url), Claimed)


def test_a_stale_claim_is_taken_over_and_the_old_owner_cannot_finish(url):
    old = store.claim_inbound("SM3", url)
    later = utcnow() + timedelta(minutes=5)
    assert isinstance(store.claim_inbound("SM3", url, now=utcnow() + timedelta(seconds=30)), InProgress)
    new = store.claim_inbound("SM3", url, now=later)
    assert isinstance(new, Claimed) and new.token != old.token
    assert store.finish_inbound("SM3", old.token, "<old/>", url) is False
    assert store.finish_inbound("SM3", new.token, "<new/>", url) is True
    assert store.answered_twiml("SM3", url) == "<new/>"


def test_prune_forgets_old_answers_and_finished_messages(url):
    claim = store.claim_inbound("SM4", url, now=utcnow() - timedelta(days=3))
    store.finish_inbound("SM4", claim.token, "<Response/>", url)
    store.contact(ANA, url)
    [sent] = store.enqueue(ANA, ["old"], url, now=utcnow() - timedelta(days=8))
    store.mark_sent(sent, "SMx", url)
    [pending] = store.enqueue(ANA, ["old but pending"], url, now=utcnow() - timedelta(days=8))
    assert store.prune(url) == {"inbound": 1, "outbox": 1}
    assert [m.id for m in store.outbox(url)] == [pending]


# --- Outbox ----------------------------------------------------------------------------------------------------

def test_enqueue_keeps_order_and_sets_choices_only_when_given(url):
    store.contact(ANA, url)
    store.set_choices(ANA, [Choice("Yes", "/affirm")], url)
    store.enqueue(ANA, ["one", "two"], url)
    assert store.contact(ANA, url).choices == (Choice("Yes", "/affirm"),)
    store.enqueue(ANA, ["three"], url, choices=[Choice("No", "/deny")])
    assert store.contact(ANA, url).choices == (Choice("No", "/deny"),)
    assert [m.body for m in store.outbox(url, ANA)] == ["one", "two", "three"]
    assert store.next_outbound(ANA, url).body == "one"
    assert store.enqueue("+15559999999", ["nobody"], url) == []


def test_one_worker_at_a_time_holds_a_numbers_send_lease(url):
    store.contact(ANA, url)
    assert store.take_send_lease(ANA, "a", 60, url)
    assert store.take_send_lease(ANA, "a", 60, url)  # renewal
    assert not store.take_send_lease(ANA, "b", 60, url)
    assert store.take_send_lease(ANA, "b", 60, url, now=utcnow() + timedelta(seconds=61))  # expired
    store.release_send_lease(ANA, "b", url)
    results = run_together(5, lambda i: store.take_send_lease(ANA, f"w{i}", 60, url))
    assert sum(results) == 1


class FakeClient:
    """Answers send() from a script; records (to, body)."""

    def __init__(self, *script: SendResult) -> None:
        self.script = list(script)
        self.sent: list[tuple[str, str]] = []

    def send(self, to: str, body: str) -> SendResult:
        self.sent.append((to, body))
        return self.script.pop(0) if self.script else SendResult(True, provider_sid=f"SM{len(self.sent)}")


def deliverer(client, url) -> Deliverer:
    return Deliverer(client, url, worker_id="test", backoff_base_seconds=0.0)


def test_the_sender_sends_in_order_and_a_failure_holds_back_later_messages(url):
    store.contact(ANA, url)
    store.enqueue(ANA, ["one", "two", "three"], url)
    client = FakeClient(SendResult(True, "SM1"), SendResult(False, error="gateway answered 500"))
    sender = Deliverer(client, url, worker_id="test", backoff_base_seconds=60)
    report = sender.deliver(ANA)
    assert (report.sent, report.retried) == (1, 1)
    assert [(m.body, m.status, m.attempts) for m in store.outbox(url, ANA)] == [
        ("one", "sent", 1), ("two", "pending", 1), ("three", "pending", 0)]
    assert store.outbox(url, ANA)[1].last_error == "gateway answered 500"
    assert sender.deliver(ANA).sent == 0  # "two" is not due yet, and "three" waits behind it
    assert store.due_phones(url) == []
    assert ANA in store.due_phones(url, now=utcnow() + timedelta(minutes=2))
    assert deliverer(client, url).flush().sent == 0  # not due now
    with db.session_scope(url) as session:
        session.get(SmsOutbound, store.outbox(url, ANA)[1].id).next_attempt_at = utcnow()
    assert deliverer(client, url).flush().sent == 2
    assert [body for _to, body in client.sent] == ["one", "two", "two", "three"]
    assert all(m.status == "sent" for m in store.outbox(url, ANA))


def test_a_message_refused_for_good_fails_and_the_next_goes(url):
    store.contact(ANA, url)
    store.enqueue(ANA, ["bad", "good"], url)
    client = FakeClient(SendResult(False, error="gateway answered 400", permanent=True))
    assert deliverer(client, url).deliver(ANA).sent == 1
    assert [m.status for m in store.outbox(url, ANA)] == ["failed", "sent"]


def test_a_gateway_unsubscribe_error_records_the_opt_out(url):
    store.contact(ANA, url)
    store.enqueue(ANA, ["one", "two"], url)
    client = FakeClient(SendResult(False, error="21610", permanent=True, unsubscribed=True))
    deliverer(client, url).deliver(ANA)
    assert store.contact(ANA, url).opted_out
    assert [m.status for m in store.outbox(url, ANA)] == ["cancelled", "cancelled"]
    assert len(client.sent) == 1


def test_messages_too_old_are_given_up(url):
    store.contact(ANA, url)
    store.enqueue(ANA, ["stale"], url, now=utcnow() - timedelta(hours=25))
    store.enqueue(ANA, ["fresh"], url)
    client = FakeClient()
    assert deliverer(client, url).deliver(ANA).failed == 1
    assert [m.status for m in store.outbox(url, ANA)] == ["failed", "sent"]
    assert client.sent == [(ANA, "fresh")]


def test_a_busy_number_is_left_to_the_worker_sending_it(url):
    store.contact(ANA, url)
    store.enqueue(ANA, ["one"], url)
    store.take_send_lease(ANA, "other-replica", 60, url)
    client = FakeClient()
    assert deliverer(client, url).deliver(ANA).busy == 1 and client.sent == []


def test_concurrent_senders_send_each_message_once(url):
    store.contact(ANA, url)
    store.enqueue(ANA, [f"m{i}" for i in range(5)], url)
    clients = [FakeClient() for _ in range(4)]
    run_together(4, lambda i: Deliverer(clients[i], url, worker_id=f"w{i}").deliver(ANA))
    sent = [body for client in clients for _to, body in client.sent]
    assert sorted(sent) == [f"m{i}" for i in range(5)]


def test_concurrent_calls_of_one_sender_exclude_each_other(url):
    store.contact(ANA, url)
    store.enqueue(ANA, [f"m{i}" for i in range(6)], url)
    client = FakeClient()
    sender = Deliverer(client, url, worker_id="same-process")
    run_together(3, lambda _i: sender.deliver(ANA))
    assert [body for _to, body in client.sent] == [f"m{i}" for i in range(6)]
