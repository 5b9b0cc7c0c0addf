"""The whole story with the service's own background worker: a parent's handoff ticket appears on the right
school's queue, staff claim it, reply live (through a Rasa outage), hand back, resolve; "Rasa" receives each
message once and in order, and the external help desk hears of the ticket and its status changes."""
from __future__ import annotations

import time

import pytest

from helpdesk.app import create_app
from helpdesk.config import ExternalConfig
from portal import db, handoff
from portal.tickets import add_message, get_ticket, open_ticket
from tests.helpdesk.conftest import MAPLE, MAPLE_TOKEN, WILLOW_TOKEN, make_config
from tests.helpdesk.support import Client, Loopback, RunningApp


def _wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def desk():
    server = Loopback(responder=lambda r: (200, {}, b'{"id": "HD-7"}')).start()
    yield server
    server.stop()


@pytest.fixture
def service(db_url, rasa, desk):
    config = make_config(db_url, rasa.url, outbox_worker=True,
                         external=ExternalConfig(kind="webhook", url=desk.url + "/hook"))
    running = RunningApp(create_app(config)).start()
    yield running
    running.stop()


def test_parent_to_staff_and_back(db_url, rasa, desk, service):
    # The action server opens a handoff ticket and pauses the assistant.
    with db.session_scope(db_url) as session:
        ticket, _ = open_ticket(session, kind="handoff", school_id=MAPLE, conversation_id="parent-42",
                                channel="rest", verified=False, summary="Parent asked to talk to a person.",
                                transcript="parent: can I talk to someone at Maple Ridge?")
        handoff.start(session, "parent-42", ticket.id)
    maple = Client(service.url, MAPLE_TOKEN)
    willow = Client(service.url, WILLOW_TOKEN)
    try:
        assert ticket.id not in [t["id"] for t in willow.get("/api/tickets").json()["tickets"]]
        queue = maple.get("/staff/fragments/queue").text
        assert f'data-ticket-id="{ticket.id}"' in queue and "live chat" in queue

        assert maple.post(f"/api/tickets/{ticket.id}/claim", {"assignee": "Ms. Jones"}).status_code == 200
        assert maple.post(f"/api/tickets/{ticket.id}/messages",
                          {"text": "Hi, this is Ms. Jones. How can I help?", "staff": "Ms. Jones"}).status_code == 201
        _wait(lambda: len(rasa.answered_ok()) == 1)

        # The parent answers in the same conversation (the Rasa side records it while paused).
        with db.session_scope(db_url) as session:
            add_message(session, ticket.id, "parent", "I can't see my son Noah.")
        assert maple.get(f"/api/tickets/{ticket.id}").json()["messages"][-1]["author"] == "parent"

        rasa.fail_next(2, status=500)  # Rasa has a bad moment: the reply is retried, not lost
        maple.post(f"/api/tickets/{ticket.id}/messages", {"text": "I have linked Noah now.", "staff": "Ms. Jones"})
        _wait(lambda: len(rasa.answered_ok()) == 2)
        maple.post(f"/api/tickets/{ticket.id}/handback", {"staff": "Ms. Jones"})
        with db.session_scope(db_url) as session:
            assert handoff.is_active(session, "parent-42") is None
        maple.post(f"/api/tickets/{ticket.id}/resolve",
                   {"message": "Noah is linked to your account now.", "note": "fixed the guardian link",
                    "staff": "Ms. Jones"})
        _wait(lambda: len(rasa.answered_ok()) == 4)

        delivered = rasa.answered_ok()
        assert [(r.json["name"], r.json["entities"].get("staff_message")) for r in delivered] == [
            ("EXTERNAL_staff_reply", "Hi, this is Ms. Jones. How can I help?"),
            ("EXTERNAL_staff_reply", "I have linked Noah now."),
            ("EXTERNAL_handoff_ended", None),
            ("EXTERNAL_ticket_resolved", "Noah is linked to your account now."),
        ]
        assert {r.path for r in rasa.requests} == {"/conversations/parent-42/trigger_intent"}
        assert [r.answered for r in rasa.requests].count(500) == 2
        time.sleep(0.3)  # a few more worker polls: nothing is sent again
        assert len(rasa.answered_ok()) == 4

        details = maple.get(f"/api/tickets/{ticket.id}").json()
        assert details["status"] == "resolved" and details["handoff"]["state"] == "ended"
        assert [d["status"] for d in details["deliveries"]] == ["delivered"] * 4
        assert details["deliveries"][1]["attempts"] == 3

        _wait(lambda: len(desk.answered_ok()) == 3)
        assert [r.json["event"] for r in desk.answered_ok()] == [
            "ticket.created", "ticket.status_changed", "ticket.status_changed"]
        with db.session_scope(db_url) as session:
            assert get_ticket(session, ticket.id).external_id == "HD-7"
    finally:
        maple.close()
        willow.close()
