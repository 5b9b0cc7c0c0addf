"""Live handoff and pushed messages over REST: staff replies and resolutions reach the parent."""
from __future__ import annotations

import pytest

from portal.db import session_scope
from portal.tickets import get_ticket, tickets_for_conversation

pytestmark = pytest.mark.e2e


def texts(replies):
    return [r.get("text", "") for r in replies]


def only_ticket(servers, sender):
    with session_scope(servers.database_url) as session:
        [ticket] = tickets_for_conversation(session, sender)
        return get_ticket(session, ticket.id)


def test_live_handoff_relays_both_ways_and_hands_back(servers, sender):
    servers.say(sender, "can I talk to a real person please")
    opened = " ".join(texts(servers.say(sender, "maple ridge")))
    assert "pass your messages to them" in opened
    assert "passed that on to school staff" in " ".join(texts(servers.say(sender, "my son Noah can't log in")))
    assert servers.say(sender, "hello? is anyone there") == []  # relayed quietly, no bot chatter
    ticket = only_ticket(servers, sender)
    assert ticket.kind == "handoff"
    assert [m.text for m in ticket.messages if m.author == "parent"][-2:] == ["my son Noah can't log in",
                                                                             "hello? is anyone there"]
    servers.trigger(sender, "EXTERNAL_staff_reply", staff_message="Hi, this is Ms. Lee. I reset Noah's link.",
                    ticket_id=str(ticket.id))
    # REST cannot push: the staff reply comes first in the answer to the parent's next message.
    assert texts(servers.say(sender, "ok"))[0] == "School staff: Hi, this is Ms. Lee. I reset Noah's link."
    servers.trigger(sender, "EXTERNAL_handoff_ended", ticket_id=str(ticket.id))
    back = texts(servers.say(sender, "thank you!"))
    assert back[0].startswith("You're back with the automated helper")
    assert "welcome" in back[-1]


def test_handoff_outside_office_hours_waits_for_the_office(servers, sender):
    servers.say(sender, "I need to speak with someone at the school")
    text = " ".join(texts(servers.say(sender, "willow creek")))
    assert "office is closed now" in text
    assert "Step" not in text
    assert "makes parent accounts" not in " ".join(texts(servers.say(sender, "how do i get an account")))


def test_resolved_ticket_message_reaches_the_parent(servers, sender):
    servers.say(sender, "I never got the email with my activation key")
    servers.say(sender, "summit")
    servers.say(sender, "yes please")
    ticket = only_ticket(servers, sender)
    servers.trigger(sender, "EXTERNAL_ticket_resolved", staff_message="We sent a new key to your email.",
                    ticket_id=str(ticket.id))
    replies = texts(servers.say(sender, "did you send it?"))
    assert replies[0] == f"Update on request #{ticket.id}: We sent a new key to your email."
