"""Start over and cancel: leave any open question without losing what must be kept."""
from __future__ import annotations


from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet

from actions.common import PortalAction, conversation_language, district_values, slot_events
from actions.outcomes import Outcome
from actions.store import StoreUnavailable, run_in_store
from portal import handoff

# The failed-verification count survives "start over", so it cannot be used to get more tries.
KEPT_ON_START_OVER = ("verify_attempts",)


async def leave_handoff(tracker: Tracker) -> None:
    """The parent left a live handoff: staff see it ended; a store failure does not stop the reply."""
    if not tracker.get_slot("handoff_active"):
        return
    try:
        await run_in_store(handoff.end, tracker.sender_id, "parent")
    except StoreUnavailable:
        pass


class ActionStartOver(PortalAction):
    """Forget the topic, school and answers, and start fresh."""

    def name(self) -> str:
        return "action_start_over"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        await leave_handoff(tracker)
        language = conversation_language(tracker)
        # The parent's language stays too (a reset would put it back to English).
        kept = [SlotSet(name, tracker.get_slot(name)) for name in KEPT_ON_START_OVER] + [SlotSet("language", language)]
        return [ActiveLoop(None), AllSlotsReset(), *kept, *slot_events(district_values()),
                SlotSet("outcome", Outcome.STARTED_OVER.value)]


class ActionCancel(PortalAction):
    """Stop the open question."""

    def name(self) -> str:
        return "action_cancel"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        await leave_handoff(tracker)
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("handoff_active", False), SlotSet("school_misses", 0.0),
                SlotSet("school_question", None), SlotSet("lookup_feedback", None), SlotSet("outcome", Outcome.CANCELLED.value)]
