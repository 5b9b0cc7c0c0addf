"""Answers that depend on the parent's school, given once the school question is answered."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_steps import show_step
from actions.common import current_school, district, utter
from actions.tickets import offer_ticket, open_ticket_now
from portal.district import School


def answer_get_account(dispatcher: CollectingDispatcher, tracker: Tracker, school: School) -> list[EventType]:
    """Either the school makes the account, or step 1 of doing it yourself."""
    if school.creates_accounts:
        utter(dispatcher, "utter_school_creates_accounts", school=school)
        return [SlotSet("account_step", None)]
    utter(dispatcher, "utter_one_account_all_kids", school=school)
    return show_step(dispatcher, tracker, "request_form")


def answer_request_form(dispatcher: CollectingDispatcher, tracker: Tracker, school: School) -> list[EventType]:
    """The school's request form link (or that the school makes accounts itself)."""
    if school.creates_accounts:
        utter(dispatcher, "utter_school_creates_accounts", school=school)
    else:
        utter(dispatcher, "utter_request_form", school=school)
    return [SlotSet("account_step", "request_form")] if not school.creates_accounts else []


def answer_no_key_email(dispatcher: CollectingDispatcher, tracker: Tracker, school: School) -> list[EventType]:
    """Tips for a missing key email, and an offer to ask the school to resend it."""
    utter(dispatcher, "utter_no_key_email", school=school)
    utter(dispatcher, "utter_offer_key_resend", school=school)
    return offer_ticket("key_not_received", school)


def answer_attendance(dispatcher: CollectingDispatcher, school: Optional[School]) -> list[EventType]:
    """Whether attendance shows in the portal, per school when schools differ."""
    config = district()
    reason = str(config.feature("attendance_reason", school) or "")
    if config.feature("attendance_visible", school):
        utter(dispatcher, "utter_attendance_visible" if school else "utter_attendance_visible_district", school=school)
    elif school is None:
        utter(dispatcher, "utter_attendance_hidden_district", attendance_reason=reason)
    else:
        utter(dispatcher, "utter_attendance_hidden", school=school, attendance_reason=reason)
    return []


async def answer_handoff(dispatcher: CollectingDispatcher, tracker: Tracker, school: School) -> list[EventType]:
    """Open a handoff ticket so a person at the school answers."""
    await open_ticket_now(dispatcher, tracker, "handoff", school, response="utter_handoff")
    return []


async def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, topic: Optional[str],
                       school: Optional[School]) -> list[EventType]:
    """Answer `topic` for `school`; asks what's next when there is nothing to answer."""
    events: list[EventType] = [SlotSet("pending_offer", None), SlotSet("school_misses", 0.0)]
    if topic == "attendance":
        return events + answer_attendance(dispatcher, school)
    if school is not None and topic == "get_account":
        return events + answer_get_account(dispatcher, tracker, school)
    if school is not None and topic == "request_form":
        return events + answer_request_form(dispatcher, tracker, school)
    if school is not None and topic == "no_key_email":
        return events + answer_no_key_email(dispatcher, tracker, school)
    if school is not None and topic == "handoff":
        return events + await answer_handoff(dispatcher, tracker, school)
    utter(dispatcher, "utter_what_next", school=school)
    return events


class ActionAnswerForSchool(Action):
    """After the school question: answer the topic the parent asked about for that school."""

    def name(self) -> str:
        return "action_answer_for_school"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        return await answer_topic(dispatcher, tracker, tracker.get_slot("topic"), current_school(tracker))
