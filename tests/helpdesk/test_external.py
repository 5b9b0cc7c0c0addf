"""helpdesk.external through the outbox: each adapter's documented request shape against a loopback
server, the external id stored, status changes forwarded in order, and outages survived."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from helpdesk.config import ExternalConfig
from helpdesk.delivery import make_worker
from portal.outbox_worker import OutboxWorker
from helpdesk.external import subject
from portal import db, outbox
from portal.models import utcnow
from portal.tickets import change_status, claim_ticket, get_ticket, resolve_ticket
from tests.helpdesk.conftest import make_config, open_test_ticket
from tests.helpdesk.support import Loopback


@pytest.fixture
def desk(loopback_server) -> Loopback:
    loopback_server.reset()
    return loopback_server


def _deliverer(db_url, desk, kind, **settings) -> OutboxWorker:
    external = ExternalConfig(kind=kind, url=desk.url, **settings)
    # Rasa points at the same loopback; the tests only look at the help-desk paths.
    return make_worker(make_config(db_url, desk.url, external=external))


def _basic(header: str) -> str:
    assert header.startswith("Basic ")
    return base64.b64decode(header[6:]).decode()


def _external_rows(db_url):
    with db.session_scope(db_url) as session:
        return outbox.list_messages(session, target=outbox.EXTERNAL)


def _ticket(db_url, ticket_id):
    with db.session_scope(db_url) as session:
        return get_ticket(session, ticket_id)


def _wait_until_due(db_url):
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if all(r.next_attempt_at <= utcnow() for r in _external_rows(db_url) if r.status == "pending"):
            return
        time.sleep(0.02)


def _zendesk(record):
    if record.method == "POST":
        return 201, {}, json.dumps({"ticket": {"id": 9001, "status": "new"}}).encode()
    return 200, {}, json.dumps({"ticket": {"id": 9001}}).encode()


def test_zendesk_create_and_status_changes(db_url, desk):
    desk.reset(_zendesk)
    deliverer = _deliverer(db_url, desk, "zendesk", email="agent@cedarvalley.example.org", api_token="ZD-TOKEN")
    ticket = open_test_ticket(db_url, kind="account_reset", verified=False)
    assert deliverer.flush().delivered == 1
    (create,) = desk.requests
    assert (create.method, create.path) == ("POST", "/api/v2/tickets.json")
    assert _basic(create.headers["Authorization"]) == "agent@cedarvalley.example.org/token:ZD-TOKEN"
    assert create.headers["Idempotency-Key"].startswith("parent-portal-outbox-")
    body = create.json["ticket"]
    assert body["subject"] == subject({"id": ticket.id, "kind": "account_reset", "school_id": "org-maple-ridge-es"})
    assert body["comment"]["public"] is False
    assert "parent: I only see Emma" in body["comment"]["body"]
    assert "Parent identity verified: no" in body["comment"]["body"]
    assert (body["status"], body["priority"], body["external_id"]) == ("new", "normal", f"parent-portal-{ticket.id}")
    assert {"parent_portal", "account_reset", "org-maple-ridge-es", "unverified"} <= set(body["tags"])
    assert _ticket(db_url, ticket.id).external_id == "9001"

    with db.session_scope(db_url) as session:
        claim_ticket(session, ticket.id, "Ms. Jones")
        resolve_ticket(session, ticket.id, note="reset the password", actor="Ms. Jones", message_to_parent="Done.")
    assert deliverer.flush(targets=(outbox.EXTERNAL,)).delivered == 2
    updates = desk.requests[1:]
    assert [(r.method, r.path) for r in updates] == [("PUT", "/api/v2/tickets/9001.json")] * 2
    assert [r.json["ticket"]["status"] for r in updates] == ["open", "solved"]
    assert updates[1].json["ticket"]["comment"] == {
        "body": "Parent portal: status in_progress -> resolved by Ms. Jones: reset the password", "public": False}


def test_freshdesk_create_and_status_change(db_url, desk):
    desk.reset(lambda r: (201, {}, b'{"id": 77, "status": 2}') if r.method == "POST" else (200, {}, b'{"id": 77}'))
    deliverer = _deliverer(db_url, desk, "freshdesk", api_key="FD-KEY",
                           requester_email="assistant@cedarvalley.example.org")
    ticket = open_test_ticket(db_url, kind="handoff", transcript="parent: <b>help</b>")
    deliverer.flush()
    create = desk.requests[0]
    assert (create.method, create.path) == ("POST", "/api/v2/tickets")
    assert _basic(create.headers["Authorization"]) == "FD-KEY:X"
    body = create.json
    assert (body["email"], body["status"], body["priority"], body["source"]) == (
        "assistant@cedarvalley.example.org", 2, 3, 7)
    assert body["subject"].startswith(f"[Parent portal #{ticket.id}]")
    assert "&lt;b&gt;help&lt;/b&gt;" in body["description"] and "<br>" in body["description"]
    assert _ticket(db_url, ticket.id).external_id == "77"
    with db.session_scope(db_url) as session:
        change_status(session, ticket.id, "closed", "Ms. Jones", "spam")
    deliverer.flush()
    update = desk.requests[-1]
    assert (update.method, update.path, update.json) == ("PUT", "/api/v2/tickets/77", {"status": 5})


def test_osticket_creates_tickets_only(db_url, desk):
    desk.reset(lambda r: (201, {"Content-Type": "text/plain"}, b"123456"))
    deliverer = _deliverer(db_url, desk, "osticket", api_key="OST-KEY",
                           requester_email="assistant@cedarvalley.example.org")
    ticket = open_test_ticket(db_url)
    deliverer.flush()
    (create,) = desk.requests
    assert (create.method, create.path, create.headers["X-API-Key"]) == ("POST", "/api/tickets.json", "OST-KEY")
    assert set(create.json) == {"alert", "autorespond", "source", "name", "email", "subject", "message"}
    assert (create.json["source"], create.json["email"]) == ("API", "assistant@cedarvalley.example.org")
    assert _ticket(db_url, ticket.id).external_id == "123456"
    with db.session_scope(db_url) as session:
        change_status(session, ticket.id, "in_progress", "Ms. Jones")
    assert deliverer.flush().delivered == 1  # nothing to send: osTicket's API cannot update tickets
    assert len(desk.requests) == 1
    assert {r.status for r in _external_rows(db_url)} == {"delivered"}


def test_osticket_must_answer_201(db_url, desk):
    desk.reset(lambda r: (200, {"Content-Type": "text/plain"}, b"123"))
    deliverer = _deliverer(db_url, desk, "osticket", api_key="OST-KEY", requester_email="a@b.example")
    open_test_ticket(db_url)
    assert deliverer.flush().retried == 1
    assert _external_rows(db_url)[0].last_error.startswith("osticket help desk answered HTTP 200")


def test_webhook_is_signed_and_carries_our_ids(db_url, desk):
    desk.reset(lambda r: (200, {}, b'{"id": "EXT-1"}'))
    deliverer = _deliverer(db_url, desk, "webhook", secret="shh")
    ticket = open_test_ticket(db_url)
    with db.session_scope(db_url) as session:
        change_status(session, ticket.id, "in_progress", "Ms. Jones", "on it")
    deliverer.flush()
    created, changed = desk.requests
    for request in (created, changed):
        expected = hmac.new(b"shh", request.body, hashlib.sha256).hexdigest()
        assert request.headers["X-Helpdesk-Signature"] == f"sha256={expected}"
        assert request.headers["Idempotency-Key"] == request.json["delivery_id"]
    assert created.json["event"] == "ticket.created" and created.json["ticket"]["id"] == ticket.id
    assert changed.json["event"] == "ticket.status_changed"
    assert changed.json["external_id"] == "EXT-1"
    assert changed.json["change"]["to"] == "in_progress" and changed.json["change"]["note"] == "on it"
    assert _ticket(db_url, ticket.id).external_id == "EXT-1"


def test_an_outage_loses_nothing_and_creates_nothing_twice(db_url, desk):
    desk.reset(_zendesk)
    deliverer = _deliverer(db_url, desk, "zendesk", email="a@b.example", api_token="T")
    ticket = open_test_ticket(db_url)
    with db.session_scope(db_url) as session:
        change_status(session, ticket.id, "in_progress", "Ms. Jones")
    desk.fail_next(2, status=502)
    desk.stall_next(1, seconds=1.0)
    for _ in range(3):
        report = deliverer.flush()
        assert report.delivered == 0 and report.retried == 1  # the status change waits behind the creation
        _wait_until_due(db_url)
    assert [r.method for r in desk.requests] == ["POST"] * 3
    creation, change = _external_rows(db_url)
    assert (creation.status, creation.attempts, change.attempts) == ("pending", 3, 0)
    assert deliverer.flush().delivered == 2
    assert [r.method for r in desk.answered_ok()] == ["POST", "PUT"]
    assert _ticket(db_url, ticket.id).external_id == "9001"
    assert deliverer.flush().attempted == 0


def test_a_ticket_the_help_desk_never_saw_is_created_by_its_status_change(db_url, desk):
    ticket = open_test_ticket(db_url)
    with db.session_scope(db_url) as session:  # e.g. opened before forwarding was configured
        outbox.cancel(session, _external_rows(db_url)[0].id)
        change_status(session, ticket.id, "in_progress", "Ms. Jones")
    desk.reset(_zendesk)
    _deliverer(db_url, desk, "zendesk", email="a@b.example", api_token="T").flush()
    (request,) = desk.requests
    assert (request.method, request.json["ticket"]["status"]) == ("POST", "open")
    assert _ticket(db_url, ticket.id).external_id == "9001"


def test_a_creation_already_stored_is_not_sent_again(db_url, desk):
    ticket = open_test_ticket(db_url)
    with db.session_scope(db_url) as session:
        from portal.tickets import set_external_id
        set_external_id(session, ticket.id, "EXISTING")
    desk.reset(_zendesk)
    assert _deliverer(db_url, desk, "zendesk", email="a@b.example", api_token="T").flush().delivered == 1
    assert desk.requests == []


def test_answers_without_an_id_are_failures(db_url, desk):
    desk.reset(lambda r: (201, {}, b"not json"))
    deliverer = _deliverer(db_url, desk, "zendesk", email="a@b.example", api_token="T")
    open_test_ticket(db_url)
    assert deliverer.flush().retried == 1
    assert _external_rows(db_url)[0].last_error == "help desk answered HTTP 201 without JSON"
    desk.reset(lambda r: (201, {}, b'{"ticket": {}}'))
    _wait_until_due(db_url)
    deliverer.flush()
    assert _external_rows(db_url)[0].last_error == "Zendesk answered without a ticket id"


def test_errors_name_the_status_but_no_secret(db_url, desk):
    desk.reset(lambda r: (401, {}, b'{"error": "Couldn\'t authenticate you"}'))
    deliverer = _deliverer(db_url, desk, "freshdesk", api_key="FD-SECRET", requester_email="a@b.example")
    open_test_ticket(db_url)
    deliverer.flush()
    error = _external_rows(db_url)[0].last_error
    assert error.startswith("freshdesk help desk answered HTTP 401")
    assert "FD-SECRET" not in error


def test_without_an_external_help_desk_its_rows_wait(db_url, rasa):
    open_test_ticket(db_url)
    deliverer = make_worker(make_config(db_url, rasa.url))
    assert deliverer.targets == (outbox.RASA,)
    assert deliverer.flush().attempted == 0
    assert [r.status for r in _external_rows(db_url)] == ["pending"]
