"""Fault: the action server is down. The parent gets a reply with the school's contact (policies/action_failure.py),
never silence and never a stale answer; when it is back the conversation continues where it was, and nothing the
failed turns asked for was done (no ticket) or is done twice."""
from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.faults.support import ask, bot_texts, school, tickets, user_texts

pytestmark = pytest.mark.e2e

TROUBLE = "can't finish that right now"


@contextmanager
def action_server_down(servers):
    """Stops the session's action server; it is always started again for the tests that follow."""
    servers.stop_action_server()
    try:
        yield
    finally:
        servers.start_action_server_again()


def test_a_reply_with_the_schools_phone_then_the_conversation_continues(servers, sender):
    maple = school(servers, "org-maple-ridge-es")
    assert "Which school" in ask(servers, sender, "how do I get a parent portal account?")
    assert "Step 1 of 7" in ask(servers, sender, "maple ridge")

    with action_server_down(servers):
        # A custom action fails: the reply names the school and its phone, and is not the step it would have been.
        text = ask(servers, sender, "ok done, what's next?")
        assert TROUBLE in text and maple.name in text and maple.phone in text
        assert "Step" not in text
        # A form fails (talk to a person: school_form, then the ticket): the same reply, and no ticket.
        text = ask(servers, sender, "can I talk to a real person")
        assert TROUBLE in text and maple.phone in text
        tracker = servers.tracker(sender)
        assert tracker["slots"]["school"] == "org-maple-ridge-es"  # nothing the conversation knew is lost
        assert tracker["latest_action_name"] == "action_listen"
    assert tickets(servers.database_url, sender) == []

    # Back up: the steps continue at step 2 (the failed turn moved nothing), and the person is asked for once.
    assert "Step 2 of 7" in ask(servers, sender, "ok done, what's next?")
    text = ask(servers, sender, "can I talk to a real person")
    [ticket] = tickets(servers.database_url, sender)
    assert ticket.kind == "handoff" and f"#{ticket.id}" in text
    tracker = servers.tracker(sender)
    assert user_texts(tracker)[-4:] == ["ok done, what's next?", "can I talk to a real person",
                                        "ok done, what's next?", "can I talk to a real person"]
    replies = bot_texts(tracker)
    assert sum("Step 2 of 7" in r for r in replies) == 1 and sum(TROUBLE in r for r in replies) == 2


def test_a_new_conversation_while_it_is_down_is_not_met_with_silence(servers, sender):
    with action_server_down(servers):
        # The session start failed too, so no contact is known yet: the reply says to call the school.
        text = ask(servers, sender, "my activation key 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C doesn't work")
        assert TROUBLE in text and "None" not in text
    text = ask(servers, sender, "my activation key 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C doesn't work")
    assert "valid and not used yet" in text
