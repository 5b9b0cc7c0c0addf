"""Identity before disclosure: the lookup form that checks a parent against one guardian record."""
from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, Optional

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import utter
from actions.school_form import confirm_typed_school, validate_school_value
from actions.store import StoreUnavailable, run_in_store
from portal.identity import parse_birth_date, verify_guardian

logger = logging.getLogger(__name__)

MAX_VERIFY_ATTEMPTS = 3
IDENTITY_SLOTS = ("contact", "child_first_name", "child_birth_date")
EXPLANATION_FOR_TOPIC = {
    "key_already_used": "utter_key_already_used",
    "missing_students": "utter_missing_students",
    "forgot_password": "utter_forgot_password",
    "forgot_username": "utter_forgot_username",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_NAME_FILLER = {"his", "her", "their", "name", "names", "is", "are", "its", "it's", "my", "son", "daughter",
                "kid", "child", "the", "first", "and", "called", "i", "think", "oldest", "youngest", "one"}
_NAME_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'\-]*")


def attempts_used(tracker: Tracker) -> int:
    """Failed verification attempts in this conversation."""
    return int(tracker.get_slot("verify_attempts") or 0)


def looks_like_contact(value: str) -> bool:
    """An email address or a phone number with area code."""
    text = value.strip()
    return bool(_EMAIL.match(text)) or 10 <= sum(ch.isdigit() for ch in text) <= 15


def first_names(value: Any) -> list[str]:
    """First names in a short answer such as 'his name is Noah' or 'Emma and Noah'."""
    words = _NAME_WORD.findall(str(value or ""))
    return [w for w in words if w.lower() not in _NAME_FILLER][:5]


def birth_date_text(value: Any) -> Optional[date]:
    """The date in an answer, or None when it can't be read."""
    return parse_birth_date(str(value or ""))


class ValidateLookupForm(FormValidationAction):
    """Collects the school and the identity facts, verifies them, then asks what the topic needs."""

    def name(self) -> str:
        return "validate_lookup_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if tracker.get_slot("verified_guardian_id"):
            extra = ["missing_child_name"] if tracker.get_slot("topic") == "missing_students" else []
            return ["school", *extra]
        if attempts_used(tracker) >= MAX_VERIFY_ATTEMPTS:
            return ["school"]
        return domain_slots

    def validate_school(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> dict[str, Any]:
        updates = validate_school_value(value, tracker)
        confirm_typed_school(dispatcher, value, updates)
        return updates

    def validate_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        if isinstance(value, str) and looks_like_contact(value):
            return {"contact": value.strip()}
        utter(dispatcher, "utter_bad_contact", tracker)
        return {"contact": None}

    def validate_child_first_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        names = first_names(value)
        if len(names) == 1 and len(names[0]) <= 40:
            return {"child_first_name": names[0]}
        utter(dispatcher, "utter_bad_child_name", tracker)
        return {"child_first_name": None}

    async def validate_child_birth_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        born = birth_date_text(value)
        if born is None:
            utter(dispatcher, "utter_bad_birth_date", tracker)
            return {"child_birth_date": None}
        try:
            guardian_id = await run_in_store(verify_guardian, tracker.get_slot("contact"),
                                             tracker.get_slot("child_first_name"), born)
        except StoreUnavailable:
            # Ends the form unverified without counting an attempt; action_after_lookup explains.
            return {"child_birth_date": born.isoformat()}
        if guardian_id:
            logger.info("Parent verified in conversation")
            utter(dispatcher, "utter_verified", tracker)
            return {"child_birth_date": born.isoformat(), "verified_guardian_id": guardian_id}
        return self._failed_attempt(dispatcher, tracker, born)

    @staticmethod
    def _failed_attempt(dispatcher: CollectingDispatcher, tracker: Tracker, born: date) -> dict[str, Any]:
        attempts = attempts_used(tracker) + 1
        logger.info("Verification failed (attempt %d of %d)", attempts, MAX_VERIFY_ATTEMPTS)
        if attempts >= MAX_VERIFY_ATTEMPTS:
            return {"child_birth_date": born.isoformat(), "verify_attempts": float(attempts)}
        utter(dispatcher, "utter_verify_failed_retry", tracker)
        return {**{slot: None for slot in IDENTITY_SLOTS}, "verify_attempts": float(attempts)}

    def validate_missing_child_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        names = first_names(value)
        if names:
            return {"missing_child_name": " and ".join(names)}
        utter(dispatcher, "utter_bad_child_name", tracker)
        return {"missing_child_name": None}


class ActionExplainAndOfferLookup(Action):
    """Explain a problem in plain words, then offer to check the parent's account (after verification)."""

    def name(self) -> str:
        return "action_explain_and_offer_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        topic = tracker.get_slot("topic")
        utter(dispatcher, EXPLANATION_FOR_TOPIC.get(topic, "utter_what_next"), tracker)
        if topic not in EXPLANATION_FOR_TOPIC:
            return [SlotSet("pending_offer", None)]
        if attempts_used(tracker) >= MAX_VERIFY_ATTEMPTS and not tracker.get_slot("verified_guardian_id"):
            utter(dispatcher, "utter_verify_locked", tracker)
            return [SlotSet("pending_offer", None)]
        utter(dispatcher, "utter_offer_lookup", tracker)
        return [SlotSet("pending_offer", "lookup"), SlotSet("missing_child_name", None)]
