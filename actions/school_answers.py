"""Answers that depend on the parent's school, given once the school question is answered."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.common import PortalAction, attendance_values, current_school, district, outcome
from actions.outcomes import Outcome
from portal.district import School


def attendance_answer(school: Optional[School]) -> list[EventType]:
    """Whether attendance shows in the portal, per school when schools differ."""
    config = district()
    visible = bool(config.feature("attendance_visible", school))
    name = Outcome.ATTENDANCE_VISIBLE if visible else Outcome.ATTENDANCE_HIDDEN
    return outcome(name if school else Outcome(f"{name.value}_district"), **attendance_values(school))


def account_answer(school: School) -> list[EventType]:
    """Either the school makes the account, or step 1 of doing it yourself."""
    if school.creates_accounts:
        return outcome(Outcome.SCHOOL_CREATES_ACCOUNTS, account_step=None)
    return outcome(Outcome.ACCOUNT_STEP_ONE, account_step="request_form")


def request_form_answer(school: School) -> list[EventType]:
    """The school's request form link (or that the school makes accounts itself)."""
    if school.creates_accounts:
        return outcome(Outcome.SCHOOL_CREATES_ACCOUNTS)
    return outcome(Outcome.REQUEST_FORM, account_step="request_form")


def topic_answer(topic: Optional[str], school: Optional[School]) -> list[EventType]:
    """What to answer about `topic` at `school`."""
    if topic == "attendance":
        return attendance_answer(school)
    if school is None:
        return outcome(Outcome.WHAT_NEXT)
    if topic == "get_account":
        return account_answer(school)
    if topic == "request_form":
        return request_form_answer(school)
    if topic == "no_key_email":
        return outcome(Outcome.NO_KEY_EMAIL, ticket_kind="key_not_received")
    if topic == "handoff":
        return outcome(Outcome.OPEN_HANDOFF, ticket_kind="handoff")
    if topic == "kb_ticket":
        return outcome(Outcome.OPEN_KB_TICKET)
    return outcome(Outcome.WHAT_NEXT)


class ActionAnswerForSchool(PortalAction):
    """After the school question: answer the topic the parent asked about for that school."""

    def name(self) -> str:
        return "action_answer_for_school"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        cleared = [SlotSet("school_misses", 0.0), SlotSet("school_question", None)]
        return cleared + topic_answer(tracker.get_slot("topic"), current_school(tracker))
