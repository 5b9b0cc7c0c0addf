"""Opening tickets for school staff, declining an offer, and ticket status."""
from __future__ import annotations

import logging
from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.common import PortalAction, conversation_language, current_school, district, outcome, school_values
from actions.outcomes import Outcome
from actions.store import StoreUnavailable, run_in_store
from actions.transcript import build_transcript
from portal import handoff
from portal import tickets as ticket_store
from portal.district import School

logger = logging.getLogger(__name__)

# Staff-facing summaries (not shown to parents).
SUMMARIES = {
    "account_reset": "Parent needs the portal account reset (username and password).",
    "household_fix": "Parent cannot see all children: household/guardian records need fixing.",
    "key_not_received": "Parent requested a portal account but never received the activation key.",
    "handoff": "Parent asked to talk to a person.",
    "other": "Parent needs help with the parent portal.",
}


def ticket_summary(kind: str, details: Optional[dict[str, Any]]) -> str:
    """The staff-facing summary; a request offered after a knowledge answer names its topic."""
    topic = (details or {}).get("topic")
    if topic:
        return f"Parent asked about {topic} (portal knowledge base); only staff can change this."
    return SUMMARIES.get(kind, SUMMARIES["other"])


def ticket_school_values(school: Optional[School]) -> dict[str, Any]:
    """What the parent is told about the school a ticket went to (the district office when none)."""
    if school is None:
        config = district()
        return {"ticket_school_name": config.name, "ticket_school_name_es": config.name,
                "ticket_school_phone": config.phone, "ticket_school_hours": config.hours("en"),
                "ticket_school_hours_es": config.hours("es")}
    values = school_values(school)
    return {"ticket_school_name": values["school_name"], "ticket_school_name_es": values["school_name_es"],
            "ticket_school_phone": values["school_phone"], "ticket_school_hours": values["school_hours"],
            "ticket_school_hours_es": values["school_hours_es"]}


async def open_ticket_for(tracker: Tracker, kind: str, school: Optional[School],
                          details: Optional[dict[str, Any]] = None) -> list[EventType]:
    """Open (or find the already open) ticket of this kind for this conversation."""
    guardian_id = tracker.get_slot("verified_guardian_id")
    shown = ticket_school_values(school)
    try:
        ticket, created = await run_in_store(
            ticket_store.open_ticket,
            kind=kind,
            school_id=school.id if school else None,
            conversation_id=tracker.sender_id,
            channel=tracker.get_latest_input_channel() or "unknown",
            verified=guardian_id is not None,
            summary=ticket_summary(kind, details),
            transcript=build_transcript(tracker),
            guardian_id=guardian_id,
            details=details or {},
            language=tracker.get_slot("language") or "en",
        )
    except StoreUnavailable:
        return outcome(Outcome.TICKET_FAILED, **shown)
    logger.info("Ticket %s (%s) %s for school %s", ticket.id, kind, "opened" if created else "reused",
                school.id if school else "-")
    if not created:
        return outcome(Outcome.TICKET_ALREADY_OPEN, ticket_id=str(ticket.id), **shown)
    if kind == "handoff":
        return await start_handoff(tracker, ticket.id, school, shown)
    return outcome(Outcome.TICKET_OPENED, ticket_id=str(ticket.id), **shown)


async def start_handoff(tracker: Tracker, ticket_id: int, school: Optional[School],
                        shown: dict[str, Any]) -> list[EventType]:
    """During office hours staff take over the chat; outside them the ticket waits for the office to open."""
    if school is None or not school.office_hours.is_open(district().now().replace(tzinfo=None)):
        return outcome(Outcome.HANDOFF_AFTER_HOURS, ticket_id=str(ticket_id), **shown)
    try:
        await run_in_store(handoff.start, tracker.sender_id, ticket_id)
    except StoreUnavailable:
        return outcome(Outcome.HANDOFF_AFTER_HOURS, ticket_id=str(ticket_id), **shown)
    return outcome(Outcome.HANDOFF_OPENED, ticket_id=str(ticket_id), handoff_active=True, relay_acknowledged=False, **shown)


class ActionOpenTicket(PortalAction):
    """Open the ticket the conversation led to (kind in the `ticket_kind` slot)."""

    def name(self) -> str:
        return "action_open_ticket"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        kind = tracker.get_slot("ticket_kind") or "other"
        school = district().school_by_id(tracker.get_slot("ticket_school")) or current_school(tracker)
        events = await open_ticket_for(tracker, kind, school, tracker.get_slot("ticket_details"))
        return [SlotSet("ticket_school", None), SlotSet("ticket_details", None), *events]


class ActionDeclineOffer(PortalAction):
    """The parent said no to an offered check or ticket."""

    def name(self) -> str:
        return "action_decline_offer"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        return outcome(Outcome.DECLINED if current_school(tracker) else Outcome.DECLINED_DISTRICT)


# A request's state as a Spanish reply shows it.
STATUS_ES = {"open": "abierto", "in_progress": "en proceso", "resolved": "resuelto", "closed": "cerrado"}


def describe_tickets(tickets: list[Any], language: str = "en") -> str:
    """'#12 Maple Ridge Elementary (open); #15 ...': ids, schools and states (school names and states in
    `language`)."""
    names = {s.id: s.name_in(language) for s in district().schools}
    status = (lambda s: STATUS_ES.get(s, s)) if language == "es" else (lambda s: s.replace("_", " "))
    parts = [f"#{t.id} {names.get(t.school_id, t.school_id)} ({status(t.status)})" for t in tickets]
    return "; ".join(parts)


class ActionTicketStatus(PortalAction):
    """Tell the parent the state of every ticket opened from this conversation."""

    def name(self) -> str:
        return "action_ticket_status"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        try:
            tickets = await run_in_store(ticket_store.tickets_for_conversation, tracker.sender_id)
        except StoreUnavailable:
            return outcome(Outcome.STORE_UNAVAILABLE if current_school(tracker) else Outcome.STORE_UNAVAILABLE_DISTRICT)
        if not tickets:
            return outcome(Outcome.NO_TICKETS)
        return outcome(Outcome.TICKETS_LISTED, ticket_list=describe_tickets(tickets, conversation_language(tracker)))
