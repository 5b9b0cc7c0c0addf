"""Live handoff: relaying the parent's messages to staff, and handing the conversation back."""
from __future__ import annotations

from actions.handoff import ActionEndHandoff, ActionRelayToStaff
from actions.tickets import ActionOpenTicket
from portal import handoff
from portal.db import session_scope
from portal.tickets import get_ticket
from tests.actions.conftest import ALWAYS_OPEN, make_tracker, slot_values


async def start(dispatcher, domain, sender):
    tracker = make_tracker("talk to a person", "human_handoff", sender=sender,
                           slots={"ticket_kind": "handoff", "school": "org-maple-ridge-es"})
    return slot_values(await ActionOpenTicket().run(dispatcher, tracker, domain))


async def relay(dispatcher, domain, sender, text, acknowledged=False):
    tracker = make_tracker(text, "inform", sender=sender, slots={"handoff_active": True,
                                                                 "relay_acknowledged": acknowledged})
    return slot_values(await ActionRelayToStaff().run(dispatcher, tracker, domain))


async def test_parent_messages_reach_the_ticket_and_are_acknowledged_once(dispatcher, domain, store, office_hours):
    office_hours({"org-maple-ridge-es": ALWAYS_OPEN})
    ticket_id = int((await start(dispatcher, domain, "conv-relay"))["ticket_id"])
    first = await relay(dispatcher, domain, "conv-relay", "my son is Noah, 2nd grade")
    second = await relay(dispatcher, domain, "conv-relay", "are you there?", acknowledged=True)
    assert (first["outcome"], first["relay_acknowledged"]) == ("relayed", True)
    assert second == {"outcome": "relayed_quiet"}
    with session_scope(store) as session:
        messages = [(m.author, m.text) for m in get_ticket(session, ticket_id).messages]
    assert ("parent", "my son is Noah, 2nd grade") in messages and ("parent", "are you there?") in messages


async def test_relay_after_staff_ended_it_resumes_the_assistant(dispatcher, domain, store, office_hours):
    office_hours({"org-maple-ridge-es": ALWAYS_OPEN})
    await start(dispatcher, domain, "conv-ended")
    with session_scope(store) as session:
        handoff.end(session, "conv-ended")
    slots = await relay(dispatcher, domain, "conv-ended", "hello?")
    assert slots == {"outcome": "handoff_over", "handoff_active": False}


async def test_hand_back_and_resolution(dispatcher, domain):
    back = slot_values(await ActionEndHandoff().run(dispatcher, make_tracker("", "EXTERNAL_handoff_ended"), domain))
    done = slot_values(await ActionEndHandoff().run(dispatcher, make_tracker("", "EXTERNAL_ticket_resolved"), domain))
    assert back == {"handoff_active": False, "outcome": "handoff_ended"}
    assert done == {"handoff_active": False, "outcome": "ticket_update"}


async def test_relay_with_the_store_down_does_not_pretend_it_was_passed_on(dispatcher, domain, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    slots = await relay(dispatcher, domain, "conv-down", "hello?")
    assert slots == {"outcome": "store_unavailable"}
