"""Opening tickets from a conversation, idempotently, and telling the parent their status."""
from __future__ import annotations

from actions.tickets import ActionDeclineOffer, ActionOpenTicket, ActionTicketStatus
from portal.db import session_scope
from portal.tickets import tickets_for_conversation
from portal import handoff
from tests.actions.conftest import ALWAYS_OPEN, NEVER_OPEN, make_tracker, slot_values

CHAT = [{"event": "user", "text": "i never got the key"}, {"event": "bot", "text": "Which school?"}]


async def open_ticket(dispatcher, domain, sender, slots):
    tracker = make_tracker("yes", "affirm", slots=slots, events=CHAT, sender=sender)
    return slot_values(await ActionOpenTicket().run(dispatcher, tracker, domain))


async def test_ticket_is_opened_once_per_conversation_and_kind(dispatcher, domain, store):
    slots = {"ticket_kind": "key_not_received", "school": "org-summit-ridge-academy"}
    first = await open_ticket(dispatcher, domain, "conv-keys", slots)
    again = await open_ticket(dispatcher, domain, "conv-keys", slots)
    assert first["outcome"] == "ticket_opened"
    assert again["outcome"] == "ticket_already_open"
    assert again["ticket_id"] == first["ticket_id"]
    with session_scope(store) as session:
        tickets = tickets_for_conversation(session, "conv-keys")
    assert len(tickets) == 1
    ticket = tickets[0]
    assert (ticket.kind, ticket.school_id, ticket.verified, ticket.channel) == (
        "key_not_received", "org-summit-ridge-academy", False, "rest")
    assert "Parent: i never got the key" in ticket.transcript


async def test_household_ticket_goes_to_the_routed_school_with_details(dispatcher, domain, store):
    details = {"guardian_record_ids": ["g-chloe-nguyen", "g-chloe-nguyen-dup"], "missing_children": ["Noah"]}
    slots = await open_ticket(dispatcher, domain, "conv-household", {
        "ticket_kind": "household_fix", "school": "org-cedar-valley-hs", "ticket_school": "org-maple-ridge-es",
        "ticket_details": details, "verified_guardian_id": "g-chloe-nguyen"})
    assert slots["outcome"] == "ticket_opened"
    assert slots["ticket_school_name"] == "Maple Ridge Elementary"  # told where the ticket went
    with session_scope(store) as session:
        ticket = tickets_for_conversation(session, "conv-household")[0]
    assert ticket.school_id == "org-maple-ridge-es" and ticket.verified
    assert ticket.details["guardian_record_ids"] == ["g-chloe-nguyen", "g-chloe-nguyen-dup"]


async def test_handoff_in_office_hours_pauses_the_assistant(dispatcher, domain, store, office_hours):
    office_hours({"org-riverbend-es": ALWAYS_OPEN})
    slots = await open_ticket(dispatcher, domain, "conv-handoff", {"ticket_kind": "handoff", "school": "org-riverbend-es"})
    assert slots["outcome"] == "handoff_opened"
    assert slots["handoff_active"] is True
    with session_scope(store) as session:
        assert handoff.is_active(session, "conv-handoff") == int(slots["ticket_id"])


async def test_handoff_outside_office_hours_waits(dispatcher, domain, store, office_hours):
    office_hours({"org-riverbend-es": NEVER_OPEN})
    slots = await open_ticket(dispatcher, domain, "conv-handoff-late", {"ticket_kind": "handoff",
                                                                        "school": "org-riverbend-es"})
    assert slots["outcome"] == "handoff_after_hours"
    assert "handoff_active" not in slots
    with session_scope(store) as session:
        assert handoff.is_active(session, "conv-handoff-late") is None


async def test_store_down_tells_the_parent_to_call(dispatcher, domain, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    slots = await open_ticket(dispatcher, domain, "conv-down", {"ticket_kind": "handoff", "school": "org-riverbend-es"})
    assert slots["outcome"] == "ticket_failed"
    assert (slots["ticket_school_name"], slots["ticket_school_phone"]) == ("Riverbend Elementary", "(555) 010-1404")


async def test_ticket_status_lists_this_conversations_tickets(dispatcher, domain):
    await open_ticket(dispatcher, domain, "conv-status", {"ticket_kind": "account_reset", "school": "org-willow-creek-ms"})
    slots = slot_values(await ActionTicketStatus().run(dispatcher, make_tracker("status?", "ticket_status",
                                                                                sender="conv-status"), domain))
    assert slots["outcome"] == "tickets_listed"
    assert "Willow Creek Middle School (open)" in slots["ticket_list"]


async def test_ticket_status_without_tickets(dispatcher, domain):
    slots = slot_values(await ActionTicketStatus().run(dispatcher, make_tracker("status?", "ticket_status",
                                                                                sender="conv-none"), domain))
    assert slots == {"outcome": "no_tickets"}


async def test_declining_names_the_school_when_known(dispatcher, domain):
    known = slot_values(await ActionDeclineOffer().run(dispatcher, make_tracker("no", "deny", {"school": "org-riverbend-es"}), domain))
    unknown = slot_values(await ActionDeclineOffer().run(dispatcher, make_tracker("no", "deny"), domain))
    assert (known["outcome"], unknown["outcome"]) == ("declined", "declined_district")


async def test_the_ticket_records_the_conversations_language(dispatcher, domain, store):
    slots = {"ticket_kind": "account_reset", "school": "org-willow-creek-ms", "language": "es"}
    await open_ticket(dispatcher, domain, "conv-espanol", slots)
    await open_ticket(dispatcher, domain, "conv-english", {**slots, "language": "en"})
    await open_ticket(dispatcher, domain, "conv-no-slot", {"ticket_kind": "account_reset",
                                                          "school": "org-willow-creek-ms"})
    with session_scope(store) as session:
        languages = {c: tickets_for_conversation(session, c)[0].language
                     for c in ("conv-espanol", "conv-english", "conv-no-slot")}
    assert languages == {"conv-espanol": "es", "conv-english": "en", "conv-no-slot": "en"}

