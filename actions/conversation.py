"""Start over and cancel: leave any open question without losing what must be kept."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import district_values, slot_events

# The failed-verification count survives "start over", so it cannot be used to get more tries.
KEPT_ON_START_OVER = ("verify_attempts",)


class ActionStartOver(Action):
    """Forget the topic, school and answers, and start fresh."""

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        kept = [SlotSet(name, tracker.get_slot(name)) for name in KEPT_ON_START_OVER]
        return [ActiveLoop(None), AllSlotsReset(), *kept, *slot_events(district_values()),
                SlotSet("outcome", "started_over")]


class ActionCancel(Action):
    """Stop the open question."""

    def name(self) -> str:
        return "action_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("school_misses", 0.0),
                SlotSet("school_question", None), SlotSet("lookup_feedback", None), SlotSet("outcome", "cancelled")]
