"""Asking which school: validation with partial names and typos, a way out, changing school."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (MISSES_BEFORE_WAY_OUT, PortalAction, district, entity_values, latest_text, outcome,
                            school_values, slot_events)
from actions.outcomes import Outcome
from portal.district import School, names_only_a_type



def resolve_school(value: Any, said: str = "") -> Optional[School]:
    """The school a slot value or free text refers to, or None. When the value names only a kind of school
    ("academy") but the parent's message says more ("narnia academy"), the whole message decides."""
    if not isinstance(value, str) or not value.strip():
        return None
    config = district()
    if said and names_only_a_type(value) and not names_only_a_type(said):
        return config.match_school(said)
    return config.school_by_id(value.strip()) or config.match_school(value)


def school_needed(tracker: Tracker) -> bool:
    """False only for questions whose answer is the same at every school (e.g. attendance)."""
    if tracker.get_slot("topic") == "attendance":
        return district().features_differ_by_school("attendance_visible")
    return True


def validate_school_value(value: Any, tracker: Tracker) -> dict[str, Any]:
    """Slot updates for a school answer: the school and its details, or a counted miss."""
    school = resolve_school(value, latest_text(tracker))
    if school is not None:
        return {**school_values(school), "school_misses": 0.0, "school_question": None}
    misses = float(tracker.get_slot("school_misses") or 0) + 1
    question = "way_out" if misses >= MISSES_BEFORE_WAY_OUT else "retry"
    return {"school": None, "school_misses": misses, "school_question": question}


class ValidateSchoolForm(FormValidationAction):
    """Validates the school answer against district.yml."""

    def name(self) -> str:
        return "validate_school_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return domain_slots if school_needed(tracker) else []

    def validate_school(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> dict[str, Any]:
        return validate_school_value(value, tracker)


class ActionChangeSchool(PortalAction):
    """Switch to the school the parent named, or clear it so the school question is asked again."""

    def name(self) -> str:
        return "action_change_school"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        said = latest_text(tracker)
        school = next((s for s in (resolve_school(v, said) for v in entity_values(tracker, "school")) if s), None)
        return slot_events({**school_values(school), "school_misses": 0.0, "school_question": None})


class ActionHandleInform(PortalAction):
    """An answer given when no question was open: a pasted key, a school name, or not understood."""

    def name(self) -> str:
        return "action_handle_inform"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        from actions.activation_key import key_attempt  # local import: activation_key imports this module

        text = latest_text(tracker)
        if key_attempt(text) is not None:
            return outcome(Outcome.KEY_FOUND)
        school = next((s for s in (resolve_school(v, text) for v in [*entity_values(tracker, "school"), text]) if s),
                      None)
        if school is None:
            return outcome(Outcome.NOT_UNDERSTOOD)
        return outcome(Outcome.SCHOOL_NOTED, **school_values(school), school_misses=0.0)
