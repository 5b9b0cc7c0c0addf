"""Helpers shared by the actions: response variables from district.yml and the current school."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from portal.district import District, School, load_district


def district() -> District:
    """The district configuration (cached until district.yml changes)."""
    return load_district()


def district_vars() -> dict[str, str]:
    """Variables every response may use."""
    config = district()
    return {
        "district_name": config.name,
        "district_short_name": config.short_name,
        "district_phone": config.phone,
        "district_hours": config.office_hours,
        "portal_url": config.portal_url,
    }


def school_vars(school: Optional[School]) -> dict[str, str]:
    """Variables describing one school, falling back to the district office when unknown."""
    if school is None:
        config = district()
        return {
            "school_name": "the district office",
            "school_phone": config.phone,
            "school_hours": config.office_hours,
            "request_form_url": config.website_url,
        }
    return {
        "school_name": school.name,
        "school_phone": school.phone,
        "school_hours": school.office_hours.describe(),
        "request_form_url": school.request_form_url,
    }


def current_school(tracker: Tracker) -> Optional[School]:
    """The school chosen in this conversation, if any."""
    return district().school_by_id(tracker.get_slot("school"))


def utter(dispatcher: CollectingDispatcher, response: str, tracker: Optional[Tracker] = None,
          school: Optional[School] = None, **extra: Any) -> None:
    """Send a domain response with district, school and extra variables filled in."""
    if school is None and tracker is not None:
        school = current_school(tracker)
    values: dict[str, Any] = {**district_vars(), **school_vars(school), **extra}
    dispatcher.utter_message(response=response, **values)


def response_text(domain: dict[str, Any], response: str) -> str:
    """The first text of a domain response, for short labels used inside other responses."""
    variations = domain.get("responses", {}).get(response) or [{}]
    return str(variations[0].get("text", ""))


def latest_intent(tracker: Tracker) -> str:
    """Name of the intent of the latest user message ('' when none)."""
    return (tracker.latest_message or {}).get("intent", {}).get("name") or ""


def latest_text(tracker: Tracker) -> str:
    """Text of the latest user message ('' when none)."""
    return (tracker.latest_message or {}).get("text") or ""
