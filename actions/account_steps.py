"""Getting an account step by step: what's next, and help where the parent is stuck."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import utter

STEPS = ["request_form", "key_email", "new_user", "enter_key", "create_login", "back_to_login", "security_step"]
DONE = "done"


def next_step(current: Optional[str]) -> str:
    """The step after `current` ('done' after the last one)."""
    if current not in STEPS:
        return STEPS[0]
    index = STEPS.index(current) + 1
    return STEPS[index] if index < len(STEPS) else DONE


def step_response(step: str) -> str:
    """Response that explains a step."""
    return "utter_step_done" if step == DONE else f"utter_step_{step}"


def show_step(dispatcher: CollectingDispatcher, tracker: Tracker, step: str) -> list[EventType]:
    """Explain one step and remember it as where the parent is."""
    utter(dispatcher, step_response(step), tracker)
    return [SlotSet("account_step", step)]


def named_step(tracker: Tracker) -> Optional[str]:
    """A step the parent named in the latest message, if any."""
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "account_step" and entity.get("value") in STEPS:
            return str(entity["value"])
    return None


class ActionAccountNextStep(Action):
    """'What's next?' moves to the next step of getting an account."""

    def name(self) -> str:
        return "action_account_next_step"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        current = tracker.get_slot("account_step")
        if current is None or current == DONE:
            utter(dispatcher, "utter_what_next", tracker)
            return []
        return show_step(dispatcher, tracker, next_step(current))


class ActionAccountStuck(Action):
    """'I'm stuck' gives help for the step the parent named or is on, or asks which step."""

    def name(self) -> str:
        return "action_account_stuck"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        step = named_step(tracker) or tracker.get_slot("account_step")
        if step not in STEPS:
            utter(dispatcher, "utter_ask_stuck_where", tracker)
            return []
        utter(dispatcher, f"utter_stuck_{step}", tracker)
        return [SlotSet("account_step", step)]
