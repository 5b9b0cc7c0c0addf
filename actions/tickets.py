"""Opening tickets for school staff, answering yes/no to an offer, and ticket status."""
from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_school, district, response_text, utter
from actions.store import StoreUnavailable, run_in_store
from actions.transcript import build_transcript
from portal import tickets as ticket_store
from portal.district import School

logger = logging.getLogger(__name__)

SUMMARIES = {
    "account_reset": "Parent needs the portal account reset (username and password).",
    "household_fix": "Parent cannot see all children: household/guardian records need fixing.",
    "key_not_received": "Parent requested a portal account but never received the activation key.",
    "handoff": "Parent asked to talk to a person.",
    "other": "Parent needs help with the parent portal.",
}


def offer_ticket(kind: str, school: Optional[School], details: Optional[dict[str, Any]] = None) -> list[EventType]:
    """Slot events that make the next 'yes' open a ticket of this kind at this school."""
    return [SlotSet("pending_offer", "ticket"), SlotSet("ticket_kind", kind),
            SlotSet("ticket_school", school.id if school else None), SlotSet("ticket_details", details)]


def ticket_school(tracker: Tracker) -> Optional[School]:
    """Where an offered ticket goes: the school chosen for it, else the conversation's school."""
    return district().school_by_id(tracker.get_slot("ticket_school")) or current_school(tracker)


async def open_ticket_now(dispatcher: CollectingDispatcher, tracker: Tracker, kind: str,
                          school: Optional[School], details: Optional[dict[str, Any]] = None,
                          response: str = "utter_ticket_opened") -> Optional[int]:
    """Open (or find the already open) ticket and tell the parent its number and what happens next."""
    guardian_id = tracker.get_slot("verified_guardian_id")
    try:
        ticket, created = await run_in_store(
            ticket_store.open_ticket,
            kind=kind,
            school_id=school.id if school else None,
            conversation_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
            verified=guardian_id is not None,
            summary=SUMMARIES.get(kind, SUMMARIES["other"]),
            transcript=build_transcript(tracker),
            guardian_id=guardian_id,
            details=details or {},
        )
    except StoreUnavailable:
        utter(dispatcher, "utter_ticket_failed", school=school)
        return None
    logger.info("Ticket %s (%s) %s for school %s", ticket.id, kind, "opened" if created else "reused",
                school.id if school else "-")
    utter(dispatcher, response if created else "utter_ticket_already_open", school=school, ticket_id=ticket.id)
    return ticket.id


class ActionOpenTicket(Action):
    """The parent said yes to an offered ticket."""

    def name(self) -> str:
        return "action_open_ticket"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        kind = tracker.get_slot("ticket_kind") or "other"
        await open_ticket_now(dispatcher, tracker, kind, ticket_school(tracker), tracker.get_slot("ticket_details"))
        return [SlotSet("pending_offer", None)]


class ActionDeclineOffer(Action):
    """The parent said no to an offered lookup or ticket."""

    def name(self) -> str:
        return "action_decline_offer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        school = ticket_school(tracker)
        utter(dispatcher, "utter_offer_declined" if school else "utter_offer_declined_district", school=school)
        return [SlotSet("pending_offer", None)]


class ActionTicketStatus(Action):
    """Tell the parent the state of every ticket opened from this conversation."""

    def name(self) -> str:
        return "action_ticket_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        try:
            tickets = await run_in_store(ticket_store.tickets_for_conversation, tracker.sender_id)
        except StoreUnavailable:
            utter(dispatcher, "utter_store_unavailable", tracker)
            return []
        if not tickets:
            utter(dispatcher, "utter_no_tickets", tracker)
            return []
        for ticket in tickets:
            label = response_text(domain, f"utter_ticket_label_{ticket.kind}") or ticket.kind
            utter(dispatcher, f"utter_ticket_status_{ticket.status}", school=district().school_by_id(ticket.school_id),
                  ticket_id=ticket.id, ticket_label=label)
        return []
