"""Asking which school: validation with partial names and typos, buttons, a way out, changing school."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import district, utter
from portal.district import School

MISSES_BEFORE_WAY_OUT = 2


def school_buttons() -> list[dict[str, str]]:
    """One button per school, plus a way out."""
    buttons = [{"title": s.name, "payload": f'/inform{{"school":"{s.id}"}}'} for s in district().schools]
    return buttons + [{"title": "Cancel", "payload": "/cancel"}]


def resolve_school(value: Any) -> Optional[School]:
    """The school a slot value or free text refers to, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    config = district()
    return config.school_by_id(value.strip()) or config.match_school(value)


def school_needed(tracker: Tracker) -> bool:
    """False only for questions whose answer is the same at every school (e.g. attendance)."""
    if tracker.get_slot("topic") == "attendance":
        return district().features_differ_by_school("attendance_visible")
    return True


def validate_school_value(value: Any, tracker: Tracker) -> dict[str, Any]:
    """Slot updates for a school answer: the school id, or a counted miss."""
    school = resolve_school(value)
    if school is not None:
        return {"school": school.id, "school_misses": 0.0}
    return {"school": None, "school_misses": float(tracker.get_slot("school_misses") or 0) + 1}


def confirm_typed_school(dispatcher: CollectingDispatcher, typed: Any, updates: dict[str, Any]) -> None:
    """Echo the matched school's full name when the parent typed (not tapped) it."""
    school = district().school_by_id(updates.get("school"))
    if school is not None and typed != school.id:
        utter(dispatcher, "utter_school_confirmed", school=school)


class ValidateSchoolForm(FormValidationAction):
    """Validates the school answer against district.yml."""

    def name(self) -> str:
        return "validate_school_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return domain_slots if school_needed(tracker) else []

    def validate_school(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> dict[str, Any]:
        updates = validate_school_value(value, tracker)
        confirm_typed_school(dispatcher, value, updates)
        return updates


class ActionAskSchool(Action):
    """Ask for the school with one button per school; after misses, explain and offer a way out."""

    def name(self) -> str:
        return "action_ask_school"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        misses = int(tracker.get_slot("school_misses") or 0)
        if misses == 0:
            response = "utter_ask_school"
        elif misses < MISSES_BEFORE_WAY_OUT:
            response = "utter_school_not_found"
        else:
            response = "utter_school_not_found_final"
        utter(dispatcher, response, school=None, buttons=school_buttons())
        return []


class ActionChangeSchool(Action):
    """Switch to the school the parent named, or clear it so the next question asks again."""

    def name(self) -> str:
        return "action_change_school"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        named = [e.get("value") for e in tracker.latest_message.get("entities", []) if e.get("entity") == "school"]
        school = next((s for s in map(resolve_school, named) if s), None)
        if school is None:
            return [SlotSet("school", None), SlotSet("school_misses", 0.0)]
        utter(dispatcher, "utter_school_confirmed", school=school)
        return [SlotSet("school", school.id), SlotSet("school_misses", 0.0)]
