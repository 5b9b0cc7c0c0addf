"""A parent opens a ticket; staff of the right school see it, claim it, reply live and resolve it;
the parent receives every staff message in the same conversation."""
from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.e2e


def staff(servers, scope):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {servers.staff_tokens[scope]}"
    return session


def texts(replies):
    return [r.get("text", "") for r in replies]


def wait_for_delivery(servers, ticket_id, scope="org-maple-ridge-es", timeout=30):
    """Until the help desk's outbox has nothing pending for this ticket."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ticket = staff(servers, scope).get(f"{servers.helpdesk_url}/api/tickets/{ticket_id}", timeout=10).json()
        pending = [d for d in ticket.get("deliveries", ticket.get("outbox", [])) if d.get("status") != "delivered"]
        if not pending:
            return ticket
        time.sleep(0.5)
    raise AssertionError(f"deliveries still pending: {pending}")


def test_ticket_from_parent_to_staff_and_back(servers, sender):
    servers.say(sender, "I want to talk to a person")
    assert "pass your messages to them" in " ".join(texts(servers.say(sender, "maple ridge")))
    servers.say(sender, "My daughter Sofia's grades don't show")

    maple, willow = staff(servers, "org-maple-ridge-es"), staff(servers, "org-willow-creek-ms")
    queue = maple.get(f"{servers.helpdesk_url}/api/tickets", timeout=10).json()
    tickets = queue["tickets"] if isinstance(queue, dict) else queue
    [ticket] = [t for t in tickets if t["conversation_id"] == sender]
    assert (ticket["kind"], ticket["school_id"]) == ("handoff", "org-maple-ridge-es")
    # Another school's staff cannot see it.
    assert willow.get(f"{servers.helpdesk_url}/api/tickets/{ticket['id']}", timeout=10).status_code == 404

    url = f"{servers.helpdesk_url}/api/tickets/{ticket['id']}"
    assert maple.post(f"{url}/claim", json={"staff": "Ms. Lee"}, timeout=10).status_code == 200
    detail = maple.get(url, timeout=10).json()
    assert any(m["text"] == "My daughter Sofia's grades don't show" for m in detail["messages"])

    assert maple.post(f"{url}/messages", json={"text": "Hi, I'm Ms. Lee. Let me check Sofia's record.",
                                               "staff": "Ms. Lee"}, timeout=10).status_code == 201
    wait_for_delivery(servers, ticket["id"])
    assert "School staff: Hi, I'm Ms. Lee. Let me check Sofia's record." in texts(servers.say(sender, "thanks"))

    assert maple.post(f"{url}/resolve", json={"message": "Fixed: Sofia shows on your account now.",
                                              "staff": "Ms. Lee"}, timeout=10).status_code == 200
    wait_for_delivery(servers, ticket["id"])
    replies = texts(servers.say(sender, "great"))
    assert replies[0] == f"Update on request #{ticket['id']}: Fixed: Sofia shows on your account now."
    assert maple.get(url, timeout=10).json()["status"] == "resolved"
