"""helpdesk.delivery + helpdesk.rasa: the outbox reaches "Rasa" (a loopback server that records requests and
fails on demand). Retries with backoff, nothing lost while Rasa is down, nothing delivered twice, order kept."""
from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from portal import db, outbox
from portal.models import utcnow
from portal.tickets import reply_to_parent, resolve_ticket
from helpdesk.delivery import make_worker
from tests.helpdesk.conftest import RASA_TOKEN, make_config, open_test_ticket
from tests.helpdesk.support import free_port


def _reply(db_url, ticket_id, text, staff="Ms. Jones"):
    with db.session_scope(db_url) as session:
        reply_to_parent(session, ticket_id, text, staff)


def _rasa_rows(db_url):
    with db.session_scope(db_url) as session:
        return outbox.list_messages(session, target=outbox.RASA)


def _wait_until_due(db_url):
    """Sleep past the (test-sized) backoff of every pending row."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        pending = [r for r in _rasa_rows(db_url) if r.status == "pending"]
        if all(r.next_attempt_at <= utcnow() for r in pending):
            return
        time.sleep(0.02)


def test_a_staff_reply_reaches_rasa_in_the_contract_shape(db_url, rasa, config):
    ticket = open_test_ticket(db_url, conversation_id="conv-1")
    _reply(db_url, ticket.id, "Hi, this is Ms. Jones.")
    report = make_worker(config).flush()
    assert (report.delivered, report.retried) == (1, 0)
    (request,) = rasa.requests
    assert request.method == "POST"
    assert request.path == "/conversations/conv-1/trigger_intent"
    assert request.query == {"output_channel": ["latest"], "token": [RASA_TOKEN]}
    assert request.headers["Content-Type"] == "application/json"
    assert request.json == {"name": "EXTERNAL_staff_reply",
                            "entities": {"staff_message": "Hi, this is Ms. Jones.", "ticket_id": str(ticket.id)}}
    (row,) = _rasa_rows(db_url)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 1, None)
    assert make_worker(config).flush().attempted == 0
    assert len(rasa.requests) == 1  # never sent twice


def test_resolution_message_shape(db_url, rasa, config):
    ticket = open_test_ticket(db_url, conversation_id="conv-2")
    with db.session_scope(db_url) as session:
        resolve_ticket(session, ticket.id, note="merged records", actor="Ms. Jones",
                       message_to_parent="Noah now shows in your portal.")
    make_worker(config).flush()
    assert [r.json for r in rasa.requests] == [{
        "name": "EXTERNAL_ticket_resolved",
        "entities": {"staff_message": "Noah now shows in your portal.", "ticket_id": str(ticket.id)},
    }]


def test_server_errors_are_retried_with_backoff_until_delivered(db_url, rasa):
    # Delays large enough for a loaded machine to check them before they pass.
    config = make_config(db_url, rasa.url, backoff_base_seconds=0.4, backoff_cap_seconds=0.8)
    ticket = open_test_ticket(db_url)
    _reply(db_url, ticket.id, "Are you still there?")
    rasa.fail_next(2, status=500)
    deliverer = make_worker(config)
    first = deliverer.flush()
    assert (first.delivered, first.retried) == (0, 1)
    (row,) = _rasa_rows(db_url)
    assert (row.status, row.attempts) == ("pending", 1)
    assert row.last_error.startswith("Rasa answered HTTP 500")
    assert row.next_attempt_at > utcnow() + timedelta(seconds=0.1)
    assert deliverer.flush().attempted == 0  # not due yet: backoff
    _wait_until_due(db_url)
    assert deliverer.flush().retried == 1
    second_delay = _rasa_rows(db_url)[0].next_attempt_at - utcnow()
    assert second_delay > timedelta(seconds=0.5)  # exponential: about twice the first delay
    _wait_until_due(db_url)
    assert deliverer.flush().delivered == 1
    (row,) = _rasa_rows(db_url)
    assert (row.status, row.attempts) == ("delivered", 3)
    assert [r.answered for r in rasa.requests] == [500, 500, 200]
    assert len(rasa.answered_ok()) == 1


def test_timeouts_are_failures_and_retried(db_url, rasa, config):
    ticket = open_test_ticket(db_url)
    _reply(db_url, ticket.id, "hello")
    rasa.stall_next(1, seconds=1.0)  # longer than the client's 0.5 s read timeout
    deliverer = make_worker(config)
    assert deliverer.flush().retried == 1
    (row,) = _rasa_rows(db_url)
    assert row.last_error == "Rasa timed out (ReadTimeout)"
    _wait_until_due(db_url)
    assert deliverer.flush().delivered == 1
    assert len(rasa.answered_ok()) == 1


def test_nothing_is_lost_while_rasa_is_down(db_url, rasa):
    ticket = open_test_ticket(db_url)
    down = make_config(db_url, f"http://127.0.0.1:{free_port()}")
    for text in ("one", "two", "three"):
        _reply(db_url, ticket.id, text)
    deliverer = make_worker(down)
    for _ in range(3):
        report = deliverer.flush()
        assert report.delivered == 0 and report.retried == 1  # only the head of the line is tried
        _wait_until_due(db_url)
    rows = _rasa_rows(db_url)
    assert [r.status for r in rows] == ["pending"] * 3
    assert rows[0].attempts == 3 and rows[0].last_error == "Rasa unreachable (ConnectionError)"
    assert rows[1].attempts == rows[2].attempts == 0
    up = make_worker(make_config(db_url, rasa.url))
    assert up.flush().delivered == 3
    assert [r.json["entities"]["staff_message"] for r in rasa.requests] == ["one", "two", "three"]


def test_order_within_a_conversation_survives_a_failure(db_url, rasa, config):
    first = open_test_ticket(db_url, conversation_id="conv-a")
    second = open_test_ticket(db_url, conversation_id="conv-b")
    _reply(db_url, first.id, "a1")
    _reply(db_url, first.id, "a2")
    _reply(db_url, second.id, "b1")
    rasa.fail_next(1)
    deliverer = make_worker(config)
    report = deliverer.flush()
    assert (report.delivered, report.retried) == (1, 1)  # a1 failed, b1 delivered; a2 waits behind a1
    assert [r.json["entities"]["staff_message"] for r in rasa.answered_ok()] == ["b1"]
    _wait_until_due(db_url)
    deliverer.flush()
    assert [r.json["entities"]["staff_message"] for r in rasa.answered_ok()] == ["b1", "a1", "a2"]


def test_http_level_retry_on_503_within_one_attempt(db_url, rasa):
    config = make_config(db_url, rasa.url, http_retries=2)
    ticket = open_test_ticket(db_url)
    _reply(db_url, ticket.id, "hi")
    rasa.fail_next(2, status=503)
    assert make_worker(config).flush().delivered == 1
    assert [r.answered for r in rasa.requests] == [503, 503, 200]
    assert _rasa_rows(db_url)[0].attempts == 1


def test_retry_after_is_respected(db_url, rasa, config):
    ticket = open_test_ticket(db_url)
    _reply(db_url, ticket.id, "hi")
    rasa.fail_next(1, status=429, headers={"Retry-After": "120"})
    make_worker(config).flush()
    (row,) = _rasa_rows(db_url)
    assert utcnow() + timedelta(seconds=100) < row.next_attempt_at < utcnow() + timedelta(seconds=130)


def test_conversation_ids_are_quoted_in_the_path(db_url, rasa, config):
    ticket = open_test_ticket(db_url, conversation_id="+15550102001/x y")
    _reply(db_url, ticket.id, "hi")
    make_worker(config).flush()
    assert rasa.requests[0].path == "/conversations/%2B15550102001%2Fx%20y/trigger_intent"


def test_concurrent_deliverers_send_each_notification_once(db_url, rasa, config):
    tickets = [open_test_ticket(db_url, conversation_id=f"conv-{n}") for n in range(12)]
    for ticket in tickets:
        _reply(db_url, ticket.id, f"reply {ticket.id}")
    deliverers = [make_worker(config) for _ in range(3)]
    threads = [threading.Thread(target=d.flush) for d in deliverers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    texts = [r.json["entities"]["staff_message"] for r in rasa.requests]
    assert sorted(texts) == sorted(f"reply {t.id}" for t in tickets)
    assert len(texts) == len(set(texts))
    assert {r.status for r in _rasa_rows(db_url)} == {"delivered"}


def test_logs_and_errors_hold_no_token_and_no_message(db_url, rasa, config, caplog):
    ticket = open_test_ticket(db_url, conversation_id="+15550102001")
    _reply(db_url, ticket.id, "call me at 555-010-2001 or ana.rivera@example.com")
    rasa.fail_next(1, status=500)
    with caplog.at_level(logging.DEBUG):
        make_worker(config).flush()
        down = make_worker(make_config(db_url, f"http://127.0.0.1:{free_port()}"))
        _wait_until_due(db_url)
        down.flush()
    (row,) = _rasa_rows(db_url)
    for text in (caplog.text, row.last_error):
        assert RASA_TOKEN not in text
        assert "555-010-2001" not in text and "ana.rivera@example.com" not in text
        assert "15550102001" not in text
    assert "outbox" in caplog.text
