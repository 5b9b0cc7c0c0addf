"""The questions the forms ask. Each asks its domain response once per turn: when a rule has just
repeated the question (the parent asked "what?"), the form does not ask it a second time."""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import district


def previous_action(tracker: Tracker) -> Optional[str]:
    """Name of the action that ran before the current form run."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") not in (None, "action_listen"):
            return event.get("name")
        if event.get("event") == "user":
            return None
    return None


class AskQuestion(Action, ABC):
    """Ask for one slot with its `utter_ask_<slot>` response."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def buttons(self) -> list[dict[str, str]]:
        """Buttons to show with the question."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        response = f"utter_ask_{self.slot}"
        if previous_action(tracker) != response:
            dispatcher.utter_message(response=response, buttons=self.buttons())
        return []


class ActionAskSchool(AskQuestion):
    """Which school, with one button per school from district.yml and a way out."""

    slot = "school"

    def buttons(self) -> list[dict[str, str]]:
        schools = [{"title": s.name, "payload": s.button_payload} for s in district().schools]
        return schools + [{"title": "Cancel", "payload": "/cancel"}]


class ActionAskContact(AskQuestion):
    slot = "contact"


class ActionAskChildFirstName(AskQuestion):
    slot = "child_first_name"


class ActionAskChildBirthDate(AskQuestion):
    slot = "child_birth_date"


class ActionAskMissingChildName(AskQuestion):
    slot = "missing_child_name"
