"""Answers that need no lookup: greetings, small talk, general questions, start over and cancel."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_intent, utter

# Which response answers which intent when no flow needs to start.
RESPONSE_FOR_INTENT = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "thank": "utter_thank",
    "bot_challenge": "utter_bot_challenge",
    "out_of_scope": "utter_out_of_scope",
    "nlu_fallback": "utter_fallback",
    "security_email": "utter_security_email",
    "affirm": "utter_what_next",
    "deny": "utter_what_next",
    "next_step": "utter_what_next",
    # A new topic asked while a question is open: acknowledge, the open question follows.
    "get_account": "utter_new_topic_ack",
    "find_request_form": "utter_new_topic_ack",
    "no_key_email": "utter_new_topic_ack",
    "attendance_missing": "utter_new_topic_ack",
    "key_already_used": "utter_new_topic_ack",
    "missing_students": "utter_new_topic_ack",
    "forgot_password": "utter_new_topic_ack",
    "forgot_username": "utter_new_topic_ack",
}

# Slots that survive "start over": the failed-verification count must not be reset by the parent.
KEPT_ON_START_OVER = ("verify_attempts", "verified_guardian_id", "contact", "child_first_name", "child_birth_date")


class ActionAnswerQuestion(Action):
    """Answer the latest intent with its fixed response; clears any pending yes/no offer."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        utter(dispatcher, RESPONSE_FOR_INTENT.get(latest_intent(tracker), "utter_fallback"), tracker)
        return [SlotSet("pending_offer", None)]


class ActionStartOver(Action):
    """Forget the current topic and school and start fresh (verification state is kept)."""

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        kept = [SlotSet(name, tracker.get_slot(name)) for name in KEPT_ON_START_OVER]
        utter(dispatcher, "utter_start_over", school=None)
        return [ActiveLoop(None), AllSlotsReset(), *kept]


class ActionCancel(Action):
    """Stop the open question or offer and say what else is possible."""

    def name(self) -> str:
        return "action_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        utter(dispatcher, "utter_cancelled", tracker)
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("pending_offer", None),
                SlotSet("school_misses", 0.0)]
