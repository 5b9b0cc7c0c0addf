"""Live handoff: while school staff talk to the parent, the assistant relays messages and stays quiet."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.orm import Session

from actions.common import PortalAction, latest_text, outcome
from actions.outcomes import Outcome
from actions.store import StoreUnavailable, run_in_store
from portal import handoff
from portal.external_intents import TICKET_RESOLVED
from portal.tickets import add_message


def relay(session: Session, conversation_id: str, text: str) -> Optional[int]:
    """Add the parent's message to the active handoff's ticket; None when the handoff is over."""
    ticket_id = handoff.is_active(session, conversation_id)
    if ticket_id is not None:
        add_message(session, ticket_id, "parent", text)
    return ticket_id


class ActionRelayToStaff(PortalAction):
    """During a handoff, pass the parent's message to staff instead of answering it (acknowledged once)."""

    def name(self) -> str:
        return "action_relay_to_staff"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        text = latest_text(tracker).strip() or "(empty message)"
        try:
            ticket_id = await run_in_store(relay, tracker.sender_id, text)
        except StoreUnavailable:  # not passed on: say so, with the school's phone, rather than pretend
            return outcome(Outcome.STORE_UNAVAILABLE)
        if ticket_id is None:  # staff ended it, and their notice has not reached this conversation yet
            return outcome(Outcome.HANDOFF_OVER, handoff_active=False)
        if tracker.get_slot("relay_acknowledged"):
            return outcome(Outcome.RELAYED_QUIET)
        return outcome(Outcome.RELAYED, relay_acknowledged=True)


class ActionEndHandoff(PortalAction):
    """Staff handed the conversation back, or resolved the ticket: the assistant answers again."""

    def name(self) -> str:
        return "action_end_handoff"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        resolved = (tracker.latest_message or {}).get("intent", {}).get("name") == TICKET_RESOLVED
        return [SlotSet("handoff_active", False), *outcome(Outcome.TICKET_UPDATE if resolved else Outcome.HANDOFF_ENDED)]
