"""A bare answer (school name, key) sent when no question was open."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.activation_key import check_pasted_key, key_attempt
from actions.common import latest_text, utter
from actions.school_answers import answer_topic
from actions.school_form import resolve_school


class ActionHandleInform(Action):
    """Make sense of an answer given out of turn: a pasted key, or a school name."""

    def name(self) -> str:
        return "action_handle_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        text = latest_text(tracker)
        pasted = key_attempt(text)
        if pasted is not None:
            return await check_pasted_key(dispatcher, tracker, pasted)
        named = [e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == "school"]
        school = next((s for s in map(resolve_school, [*named, text]) if s), None)
        if school is None:
            utter(dispatcher, "utter_fallback", tracker)
            return []
        utter(dispatcher, "utter_school_confirmed", school=school)
        events: list[EventType] = [SlotSet("school", school.id)]
        return events + await answer_topic(dispatcher, tracker, tracker.get_slot("topic"), school)
