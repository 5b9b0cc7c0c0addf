"""Helpers shared by the actions: slot values for responses, the district and the current school.

Actions never send text themselves: they set `outcome` and the slots the responses show,
and the rules in data/rules pick the responses (every sentence lives in domain.yml).
"""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from portal.district import District, School, load_district


def district() -> District:
    """The district configuration (cached until district.yml changes)."""
    return load_district()


def district_values() -> dict[str, Any]:
    """Slot values that every response may show."""
    config = district()
    return {
        "district_short_name": config.short_name,
        "district_phone": config.phone,
        "district_hours": config.office_hours,
        "portal_url": config.portal_url,
    }


def school_values(school: Optional[School]) -> dict[str, Any]:
    """Slot values describing the chosen school (all None when no school is chosen)."""
    if school is None:
        return {"school": None, "school_name": None, "school_phone": None, "school_hours": None,
                "request_form_url": None}
    return {
        "school": school.id,
        "school_name": school.name,
        "school_phone": school.phone,
        "school_hours": school.office_hours.describe(),
        "request_form_url": school.request_form_url,
    }


def slot_events(values: dict[str, Any]) -> list[EventType]:
    """SlotSet events for a mapping of slot names to values."""
    return [SlotSet(name, value) for name, value in values.items()]


def outcome(name: str, **values: Any) -> list[EventType]:
    """Events that report what an action found, with the values its responses show."""
    return slot_events(values) + [SlotSet("outcome", name)]


def current_school(tracker: Tracker) -> Optional[School]:
    """The school chosen in this conversation, if any."""
    return district().school_by_id(tracker.get_slot("school"))


def latest_text(tracker: Tracker) -> str:
    """Text of the latest user message ('' when none)."""
    return (tracker.latest_message or {}).get("text") or ""


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Values of one entity type in the latest user message."""
    return [str(e.get("value")) for e in (tracker.latest_message or {}).get("entities", [])
            if e.get("entity") == entity and e.get("value")]
