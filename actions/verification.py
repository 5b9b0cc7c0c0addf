"""Identity before disclosure: the lookup form that checks a parent against one guardian record."""
from __future__ import annotations

import logging
from datetime import date
from typing import Any, Callable, Optional

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.school_form import validate_school_value
from actions.store import StoreUnavailable, run_in_store
from portal.facts import (Facts, answered_name, date_readings, find_birth_date, find_contact, first_names, spanish_date,
                          stated_facts, stated_name)
from portal.identity import parse_birth_date, verify_guardian
from portal.verification_limits import SENDER_KEY_MAX, is_blocked, record_failure, sms_sender_key

logger = logging.getLogger(__name__)

MAX_VERIFY_ATTEMPTS = 3
IDENTITY_SLOTS = ("contact", "child_first_name", "child_birth_date")
OFFER = "utter_offer_lookup"  # the question that starts an identity check (data/rules/records_and_tickets.yml)
FORM = "lookup_form"
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


def feedback(kind: Optional[str], **slots: Any) -> dict[str, Any]:
    """Slot updates plus the reason the next question is asked again (None when all is well)."""
    return {**slots, "lookup_feedback": kind}


def _last_index(events: list[dict[str, Any]], matches: Callable[[dict[str, Any]], bool]) -> Optional[int]:
    return next((i for i in range(len(events) - 1, -1, -1) if matches(events[i])), None)


def _check_start(tracker: Tracker) -> tuple[int, Optional[int]]:
    """Where this identity check starts in the events (the parent's message that the offer answered, else the one
    that started the form, else the latest message) and where the form was started (None if not in the events)."""
    events = tracker.events
    activation = _last_index(events, lambda e: e.get("event") == "active_loop" and e.get("name") == FORM)
    offer = _last_index(events[:activation], lambda e: e.get("event") == "action" and e.get("name") == OFFER)
    anchor = next((i for i in (offer, activation) if i is not None), len(events))
    start = _last_index(events[:anchor], lambda e: e.get("event") == "user")
    return (anchor if start is None else start), activation


def check_messages(tracker: Tracker, since_failure: bool = True) -> list[tuple[str, bool]]:
    """The parent's messages in this identity check, oldest first, each with whether it came before the form
    started; with `since_failure`, only those after the last failed attempt (a failure clears every fact)."""
    events = tracker.events
    start, activation = _check_start(tracker)
    if since_failure:
        failure = _last_index(events, lambda e: e.get("event") == "slot" and e.get("name") == "verify_attempts")
        start = max(start, -1 if failure is None else failure + 1)
    return [(str(e.get("text") or ""), activation is not None and i < activation)
            for i, e in enumerate(events) if i >= start and e.get("event") == "user"]


def _slot_values(facts: Facts, with_name: bool = True, text: str = "", day_first_too: bool = False) -> dict[str, Any]:
    """Slot values of stated facts; with `day_first_too` (a parent writing Spanish), a date that reads two ways
    ("12/3/2015") is passed on as written, so that validation asks which one it is."""
    born = facts.birth_date.isoformat() if facts.birth_date else None
    if born and day_first_too and len(date_readings(text)) == 2:
        born = text
    values = {"contact": facts.contact, "child_first_name": facts.child_name if with_name else None,
              "child_birth_date": born}
    return {slot: value for slot, value in values.items() if value is not None}


def reads_dates_day_first_too(tracker: Tracker) -> bool:
    """Parents writing Spanish may mean 12/3/2015 as March 12: such a date is confirmed before it is used."""
    return tracker.get_slot("language") == "es"


def _failed_attempt_facts(tracker: Tracker) -> dict[str, Any]:
    """The facts of the attempt that failed just before the latest message (recorded before the failure cleared
    them: ValidateLookupForm.run)."""
    events = tracker.events
    start, _activation = _check_start(tracker)
    latest = _last_index(events, lambda e: e.get("event") == "user") or 0
    values: dict[str, Any] = {}
    if number := sms_number(tracker):
        values["contact"] = number
    for event in events[start:latest]:
        if event.get("event") == "slot" and event.get("name") in IDENTITY_SLOTS and event.get("value") is not None:
            values[event["name"]] = event["value"]
    return values


def identity_facts(tracker: Tracker) -> dict[str, Any]:
    """Identity slot values that the parent's messages in this check give, beyond the answer to the open question.

    A correction in the latest message ("sorry, I meant 9/3": the year is that of the date given before) replaces
    an answer; right after a failed attempt the other facts of that attempt come back with it, so the attempt is
    made again with one fact corrected (and counted like any other). Otherwise a fact clearly given in a message
    since the check was offered (and after the last failure) fills a slot that is still empty; when the topic is
    missing children, a name given before the form started is the missing child's, not one to verify with.
    """
    messages = check_messages(tracker, since_failure=False)
    earlier_dates = [stated_facts(text).birth_date for text, _before_form in messages[:-1]]
    year = next((born.year for born in reversed(earlier_dates) if born), None)
    latest_text = str((tracker.latest_message or {}).get("text") or "")
    latest = stated_facts(latest_text, year)
    day_first_too = reads_dates_day_first_too(tracker)
    found: dict[str, Any] = {}
    if latest.corrects and latest.any():
        if tracker.get_slot("lookup_feedback") == "verify_failed":
            found.update(_failed_attempt_facts(tracker))
        found.update(_slot_values(latest, text=latest_text, day_first_too=day_first_too))
    missing_topic = tracker.get_slot("topic") == "missing_students"
    for text, before_form in reversed(check_messages(tracker)):
        with_name = not (missing_topic and before_form)
        for slot, value in _slot_values(stated_facts(text), with_name, text, day_first_too).items():
            if tracker.get_slot(slot) is None:
                found.setdefault(slot, value)
    return found


def _missing_child_given(tracker: Tracker) -> dict[str, Any]:
    """The missing child's name when the parent gave it clearly before the form started ("I can't see my son,
    his name is Noah"), so that it is not asked again once the parent is verified."""
    if tracker.get_slot("topic") != "missing_students" or tracker.get_slot("missing_child_name"):
        return {}
    names = (stated_name(text) for text, before_form in check_messages(tracker, since_failure=False) if before_form)
    name = next((name for name in names if name), None)
    return {"missing_child_name": name} if name else {}


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
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        attempt = {**{slot: tracker.get_slot(slot) for slot in IDENTITY_SLOTS}, **identity_facts(tracker)}
        events = await super().run(dispatcher, tracker, domain)
        if SlotSet("lookup_feedback", "verify_failed") in events:
            # A failure clears the facts; the attempt is recorded first, so that a correction can make it again.
            return [SlotSet(slot, value) for slot, value in attempt.items() if slot in required and value] + events
        return events

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

    def extract_contact(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                        domain: DomainDict) -> dict[str, Any]:
        return _only("contact", identity_facts(tracker))

    def extract_child_first_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        found = _only("child_first_name", identity_facts(tracker))
        if not found and (text := bare_answer(tracker, "child_first_name")):
            found = _only("child_first_name", {"child_first_name": answered_name(text)})
        return found

    def extract_missing_child_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> dict[str, Any]:
        text = bare_answer(tracker, "missing_child_name")
        return {"missing_child_name": text} if text and first_names(text) else {}

    def extract_child_birth_date(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return _only("child_birth_date", identity_facts(tracker))

    async def validate_contact(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        contact = find_contact(str(value or ""))
        if contact:
            return await self._check_when_complete(tracker, "contact", contact)
        return _not_answered(value, "contact", "bad_contact")

    async def validate_child_first_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        name = answered_name(str(value or ""))
        if name:
            return await self._check_when_complete(tracker, "child_first_name", name)
        return _not_answered(value, "child_first_name", "bad_child_name")

    async def validate_child_birth_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        text = str(value or "")
        readings = date_readings(text)
        if reads_dates_day_first_too(tracker) and len(readings) == 2:
            return which_date(*readings)
        born = parse_birth_date(text) or _day_and_month_of_offered_date(tracker, text)
        if born:
            return await self._check_when_complete(tracker, "child_birth_date", born.isoformat())
        return _not_answered(value, "child_birth_date", "bad_date")

    async def _check_when_complete(self, tracker: Tracker, slot: str, value: str) -> dict[str, Any]:
        """A valid fact; when the three facts are then known, they are checked against the guardian records, once
        per message: by the last identity fact this message gives (a message may give several)."""
        update = {slot: value}
        facts = {**{name: tracker.get_slot(name) for name in IDENTITY_SLOTS}, **update}
        contact = facts["contact"] or sms_number(tracker)
        later = [name for name in tracker.slots_to_validate() if name in IDENTITY_SLOTS]
        if not (contact and facts["child_first_name"] and facts["child_birth_date"]) or later[-1:] not in ([], [slot]):
            return feedback(None, **update)
        if attempts_used(tracker) >= MAX_VERIFY_ATTEMPTS and not tracker.get_slot("verified_guardian_id"):
            # Used up (in this conversation or by the sender): the facts are not even looked at.
            return feedback(None, **update, verify_attempts=float(MAX_VERIFY_ATTEMPTS))
        try:
            guardian_id = await run_in_store(verify_guardian, contact, facts["child_first_name"],
                                             parse_birth_date(facts["child_birth_date"]))
        except StoreUnavailable:
            # Ends the form unverified without counting an attempt; action_after_lookup explains.
            return feedback(None, **update)
        if guardian_id:
            logger.info("Parent verified")
            return feedback(None, **update, **_missing_child_given(tracker), verified_guardian_id=guardian_id)
        return self._failed_attempt(tracker, update, await self._record_sender_failure(tracker))

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
    def _failed_attempt(tracker: Tracker, update: dict[str, Any], sender_blocked_now: bool = False) -> dict[str, Any]:
        """Count a failed attempt; start over, or end the form unverified after the last one (or when the
        sender's failures across conversations are used up)."""
        attempts = attempts_used(tracker) + 1
        logger.info("Verification failed (attempt %d of %d)", attempts, MAX_VERIFY_ATTEMPTS)
        if sender_blocked_now:
            attempts = MAX_VERIFY_ATTEMPTS
        if attempts >= MAX_VERIFY_ATTEMPTS:
            return feedback(None, **update, verify_attempts=float(attempts))
        cleared = {slot: None for slot in IDENTITY_SLOTS}
        return feedback("verify_failed", **cleared, verify_attempts=float(attempts))

    def validate_missing_child_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        names = first_names(value)
        if names:
            return feedback(None, missing_child_name=" and ".join(names))
        return feedback("bad_child_name", missing_child_name=None)


# Topics a lone name can be taken for by the classifier ("Lily" read as missing_students): the answer to a name
# question is then still the answer. Control words (cancel, start over, a person, why) never are.
MISREAD_AS_TOPIC = {"get_account", "find_request_form", "activation_key_help", "key_already_used", "missing_students",
                    "attendance_missing", "forgot_password", "forgot_username", "no_key_email", "ticket_status",
                    "change_school", "faq", "out_of_scope", "nlu_fallback"}
BARE_ANSWER_MAX_WORDS = 3


def bare_answer(tracker: Tracker, slot: str) -> Optional[str]:
    """The latest message when it is a short answer to the open name question that the classifier took for a topic
    (the domain's from_text mapping skips topic intents); None otherwise."""
    message = tracker.latest_message or {}
    text = str(message.get("text") or "").strip()
    intent = (message.get("intent") or {}).get("name")
    if tracker.get_slot("requested_slot") != slot or intent not in MISREAD_AS_TOPIC or text.startswith("/"):
        return None
    if "?" in text or not 0 < len(text.split()) <= BARE_ANSWER_MAX_WORDS:
        return None
    return text


def which_date(us_reading: date, day_first_reading: date) -> dict[str, Any]:
    """Ask which of the two dates was meant ("¿el 12 de marzo de 2015 o el 3 de diciembre de 2015?")."""
    return feedback("confirm_date", child_birth_date=None, date_choice_1=spanish_date(day_first_reading),
                    date_choice_2=spanish_date(us_reading))


def _day_and_month_of_offered_date(tracker: Tracker, text: str) -> Optional[date]:
    """ "el 12 de marzo" after the parent was asked which of two dates: the year is that of the dates offered."""
    if tracker.get_slot("lookup_feedback") != "confirm_date":
        return None
    offered = parse_birth_date(str(tracker.get_slot("date_choice_1") or ""))
    return find_birth_date(text, year_if_missing=offered.year) if offered else None


def _only(slot: str, values: dict[str, Any]) -> dict[str, Any]:
    """The extraction result for one slot: its value when there is one, else nothing."""
    return {slot: values[slot]} if values.get(slot) is not None else {}


def _not_answered(value: Any, slot: str, kind: str) -> dict[str, Any]:
    """The answer holds no such fact: ask again, saying how to answer unless the message gave other facts."""
    return feedback(None if stated_facts(str(value or "")).any() else kind, **{slot: None})
