"""Session start: district values for responses, and what carries over from an earlier session."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import district_values, slot_events

# A new session keeps the school, the failed-verification count and the language, never a verified identity.
CARRIED_OVER = ("school", "school_name", "school_name_es", "school_phone", "school_hours", "school_hours_es",
                "request_form_url", "verify_attempts", "language")


class ActionSessionStart(Action):
    """Starts a session with the district's contact values set."""

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        carried = [SlotSet(name, tracker.get_slot(name)) for name in CARRIED_OVER
                   if tracker.get_slot(name) is not None]
        values = district_values()
        return [SessionStarted(), *carried, *slot_events(values), ActionExecuted("action_listen")]
