"""Helpers shared by the actions: slot values for responses, the district and the current school.

Actions never send text themselves: they set `outcome` and the slots the responses show,
and the rules in data/rules pick the responses (every sentence lives in domain.yml).
"""
from __future__ import annotations

from typing import Any, Optional

import logging
from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.outcomes import ANSWERED_OUTCOMES, Outcome
from actions.store import StoreUnavailable, run_in_store
from portal.conversations import record_answer as store_answer
from portal.district import District, School, load_district
from portal.models import LANGUAGES  # the conversation languages (the `language` slot); the first is the default

# A parent who misses twice in a row (a pasted key that is no key, a school not found) is offered a way out.
MISSES_BEFORE_WAY_OUT = 2


def district() -> District:
    """The district configuration (cached until district.yml changes)."""
    return load_district()


def conversation_language(tracker: Tracker) -> str:
    """The `language` slot's value ("en" or "es"); English for anything else."""
    language = tracker.get_slot("language")
    return language if language in LANGUAGES else LANGUAGES[0]


# Values shown in replies that are words, not numbers or links, have a Spanish twin slot (`<name>_es`) that the
# Spanish variations in domain.yml show: a reply is right in either language whenever it is spoken, also right
# after the parent switched language, without any action re-setting values.
SPANISH = "es"


def district_values() -> dict[str, Any]:
    """Slot values that every response may show."""
    config = district()
    return {
        "district_short_name": config.short_name,
        "district_phone": config.phone,
        "district_hours": config.hours("en"),
        "district_hours_es": config.hours(SPANISH),
        "portal_url": config.portal_url,
    }


def school_values(school: Optional[School]) -> dict[str, Any]:
    """Slot values describing the chosen school (all None when no school is chosen)."""
    if school is None:
        return {"school": None, "school_name": None, "school_name_es": None, "school_phone": None,
                "school_hours": None, "school_hours_es": None, "request_form_url": None}
    return {
        "school": school.id,
        "school_name": school.name,
        "school_name_es": school.name_in(SPANISH),
        "school_phone": school.phone,
        "school_hours": school.office_hours.describe("en"),
        "school_hours_es": school.office_hours.describe(SPANISH),
        "request_form_url": school.request_form_url,
    }


def attendance_reason(school: Optional[School], language: str = "en") -> str:
    """Why attendance is hidden, from district.yml (`attendance_reason_es` in Spanish, else the English text)."""
    config = district()
    spanish = config.feature("attendance_reason_es", school) if language == SPANISH else None
    return str(spanish or config.feature("attendance_reason", school) or "")


def attendance_values(school: Optional[School]) -> dict[str, Any]:
    """The attendance note in both languages."""
    return {"attendance_reason": attendance_reason(school), "attendance_reason_es": attendance_reason(school, SPANISH)}


def slot_events(values: dict[str, Any]) -> list[EventType]:
    """SlotSet events for a mapping of slot names to values."""
    return [SlotSet(name, value) for name, value in values.items()]


def outcome(found: Outcome, **values: Any) -> list[EventType]:
    """Events that report what an action found, with the values its responses show."""
    if not isinstance(found, Outcome):
        raise TypeError(f"outcome() takes an Outcome, not {found!r}")
    return slot_events(values) + [SlotSet("outcome", found.value)]


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


logger = logging.getLogger(__name__)



def final_outcome(events: list[EventType]) -> Optional[str]:
    """The outcome the events leave set, if they set one."""
    values = [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == "outcome"]
    return values[-1] if values else None


class PortalAction(Action, ABC):
    """An action that decides an outcome from the tracker (and the store); rules then pick the replies.

    Every answered question is recorded for the help desk's deflection rate.
    """

    @abstractmethod
    async def decide(self, tracker: Tracker) -> list[EventType]:
        """Events for this turn: the `outcome` slot and the values the replies show."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events = await self.decide(tracker)
        answered = final_outcome(events)
        if answered in ANSWERED_OUTCOMES:
            await record_answer(tracker, answered)
        if tracker.get_slot("district_phone") is None:
            # The session start failed (action server down then): the replies still need the district's contact.
            events = slot_events(district_values()) + events
        return events


async def record_answer(tracker: Tracker, topic: str) -> None:
    """Note that this conversation got an answer; a store failure never stops the reply."""
    try:
        await run_in_store(store_answer, tracker.sender_id, tracker.get_latest_input_channel(), topic)
    except StoreUnavailable:
        logger.warning("Could not record the answer for the deflection rate")
