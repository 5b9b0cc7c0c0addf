"""Identity before disclosure: the lookup form that checks a parent against one guardian record."""
from __future__ import annotations

import logging
import re
from datetime import date
from typing import Any, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.school_form import validate_school_value
from actions.store import StoreUnavailable, run_in_store
from portal.identity import parse_birth_date, verify_guardian
from portal.verification_limits import SENDER_KEY_MAX, is_blocked, record_failure, sms_sender_key

logger = logging.getLogger(__name__)

MAX_VERIFY_ATTEMPTS = 3
IDENTITY_SLOTS = ("contact", "child_first_name", "child_birth_date")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_NAME_FILLER = {"his", "her", "their", "name", "names", "is", "are", "its", "it's", "my", "son", "daughter",
                "kid", "child", "the", "first", "and", "called", "i", "think", "oldest", "youngest", "one", "she",
                "he", "it", "s", "missing", "can't", "cant", "see", "not", "only"}
_NAME_WORD = re.compile(r"[^\W\d_][^\W\d_'\-]*")
SMS_CHANNEL = "sms"  # channels.sms.CHANNEL_NAME (not imported: the action server needs no channel code)
CLIENT_KEY_PREFIX = "client:"


def _metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = (tracker.latest_message or {}).get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def sms_number(tracker: Tracker) -> Optional[str]:
    """The number an SMS came from (set by channels/sms.py); it counts as the contact fact.

    Only on the SMS channel: web chat clients choose their own metadata, and must not claim a number.
    """
    if tracker.get_latest_input_channel() != SMS_CHANNEL:
        return None
    number = _metadata(tracker).get("sms_from")
    return number if isinstance(number, str) and number else None


def sender_key(tracker: Tracker) -> Optional[str]:
    """Who is verifying, across conversations, for the per-sender limit (a keyed hash; None if unknown).

    SMS: the texting number. Web (REST, web chat): the `client_key` the channel put in the metadata
    (`channels/rest.py`, `channels/webchat.py`: a keyed hash of the client's address).
    """
    number = sms_number(tracker)
    if number:
        return sms_sender_key(number)
    client = _metadata(tracker).get("client_key")
    if isinstance(client, str) and client.startswith(CLIENT_KEY_PREFIX) and len(client) <= SENDER_KEY_MAX:
        return client
    return None


async def sender_blocked(tracker: Tracker) -> bool:
    """Has this sender used up its failed checks (in any conversation) for now? False when the store is down."""
    key = sender_key(tracker)
    if not key:
        return False
    try:
        return await run_in_store(is_blocked, key)
    except StoreUnavailable:
        return False


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


def feedback(kind: Optional[str], **slots: Any) -> dict[str, Any]:
    """Slot updates plus the reason the next question is asked again (None when all is well)."""
    return {**slots, "lookup_feedback": kind}


class ValidateLookupForm(FormValidationAction):
    """Collects the school and the identity facts, verifies them, then asks what the topic needs."""

    def name(self) -> str:
        return "validate_lookup_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # A sender blocked by the per-sender limit is treated exactly like a conversation that used its
        # three attempts: no identity question is asked, and the parent is offered the unverified path.
        if (not tracker.get_slot("verified_guardian_id") and attempts_used(tracker) < MAX_VERIFY_ATTEMPTS
                and await sender_blocked(tracker)):
            logger.info("Verification not offered: the sender's failed checks are used up for now")
            used_up = [SlotSet("verify_attempts", float(MAX_VERIFY_ATTEMPTS)),
                       *(SlotSet(slot, None) for slot in IDENTITY_SLOTS), SlotSet("lookup_feedback", None)]
            tracker.add_slots(used_up)
            return used_up + await super().run(dispatcher, tracker, domain)
        return await super().run(dispatcher, tracker, domain)

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if tracker.get_slot("verified_guardian_id"):
            extra = ["missing_child_name"] if tracker.get_slot("topic") == "missing_students" else []
            return ["school", *extra]
        if attempts_used(tracker) >= MAX_VERIFY_ATTEMPTS:
            return ["school"]
        if sms_number(tracker) and attempts_used(tracker) == 0 and not tracker.get_slot("contact"):
            # On SMS the sender's number is the first fact; after a failed try the parent is asked for it.
            return ["school", "child_first_name", "child_birth_date"]
        return ["school", *IDENTITY_SLOTS]

    def validate_school(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> dict[str, Any]:
        return validate_school_value(value, tracker)

    def validate_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                         domain: DomainDict) -> dict[str, Any]:
        if isinstance(value, str) and looks_like_contact(value):
            return feedback(None, contact=value.strip())
        return feedback("bad_contact", contact=None)

    def validate_child_first_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        names = first_names(value)
        if len(names) == 1 and len(names[0]) <= 40:
            return feedback(None, child_first_name=names[0])
        return feedback("bad_child_name", child_first_name=None)

    async def validate_child_birth_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        born = parse_birth_date(str(value or ""))
        if born is None:
            return feedback("bad_date", child_birth_date=None)
        if attempts_used(tracker) >= MAX_VERIFY_ATTEMPTS and not tracker.get_slot("verified_guardian_id"):
            # Used up (in this conversation or by the sender): the facts are not even looked at.
            return feedback(None, child_birth_date=born.isoformat(), verify_attempts=float(MAX_VERIFY_ATTEMPTS))
        try:
            contact = tracker.get_slot("contact") or sms_number(tracker)
            guardian_id = await run_in_store(verify_guardian, contact, tracker.get_slot("child_first_name"), born)
        except StoreUnavailable:
            # Ends the form unverified without counting an attempt; action_after_lookup explains.
            return feedback(None, child_birth_date=born.isoformat())
        if guardian_id:
            logger.info("Parent verified")
            return feedback(None, child_birth_date=born.isoformat(), verified_guardian_id=guardian_id)
        return self._failed_attempt(tracker, born, await self._record_sender_failure(tracker))

    @staticmethod
    async def _record_sender_failure(tracker: Tracker) -> bool:
        """Count the failure against the sender too; True when the sender is now blocked."""
        key = sender_key(tracker)
        if not key:
            return False
        try:
            return await run_in_store(record_failure, key)
        except StoreUnavailable:
            return False

    @staticmethod
    def _failed_attempt(tracker: Tracker, born: date, sender_blocked_now: bool = False) -> dict[str, Any]:
        """Count a failed attempt; start over, or end the form unverified after the last one (or when the
        sender's failures across conversations are used up)."""
        attempts = attempts_used(tracker) + 1
        logger.info("Verification failed (attempt %d of %d)", attempts, MAX_VERIFY_ATTEMPTS)
        if sender_blocked_now:
            attempts = MAX_VERIFY_ATTEMPTS
        if attempts >= MAX_VERIFY_ATTEMPTS:
            return feedback(None, child_birth_date=born.isoformat(), verify_attempts=float(attempts))
        cleared = {slot: None for slot in IDENTITY_SLOTS}
        return feedback("verify_failed", **cleared, verify_attempts=float(attempts))

    def validate_missing_child_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        names = first_names(value)
        if names:
            return feedback(None, missing_child_name=" and ".join(names))
        return feedback("bad_child_name", missing_child_name=None)
