"""Answers to portal questions beyond the account steps, from the district's knowledge file.

The NLU names the topic (retrieval intent `faq/<topic>`, picked by the ResponseSelector, or a topic button's
`kb_topic` entity); the words come from `knowledge.yml` (portal/knowledge.py), with the parent's school's
override when there is one, in the conversation's language (the `language` slot: the Spanish text when the
file has one, else the English). Topics that only staff can fix offer a request to the school.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType

from actions.common import PortalAction, conversation_language, current_school, district, entity_values, outcome
from actions.outcomes import Outcome
from portal.district import School
from portal.knowledge import load_knowledge, topic_of

RETRIEVAL_INTENT = "faq"


def selected_topic(message: Optional[dict[str, Any]]) -> Optional[str]:
    """The knowledge topic of a parsed message: a topic button's entity first, else the ResponseSelector's pick."""
    message = message or {}
    for entity in message.get("entities") or []:
        if entity.get("entity") == "kb_topic" and entity.get("value"):
            return str(entity["value"])
    selected = ((message.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}).get("response") or {}
    return topic_of(selected.get("intent_response_key"))


def contact_values(school: Optional[School], language: str = "en") -> dict[str, Any]:
    """The placeholders an answer may show: the parent's school as the contact when known, else the district
    (office hours written in `language`)."""
    config = district()
    hours = config.hours(language)
    values = {
        "portal_url": config.portal_url, "website_url": config.website_url, "district_name": config.name,
        "district_short_name": config.short_name, "district_phone": config.phone,
        "district_hours": hours,
        "contact_name": config.name, "contact_phone": config.phone, "contact_hours": hours,
    }
    if school is not None:
        values.update(contact_name=school.name_in(language), contact_phone=school.phone,
                      contact_hours=school.office_hours.describe(language))
    return values


class ActionAnswerFaq(PortalAction):
    """Answer a knowledge-base question; offer a request to the school where only staff can fix it."""

    def name(self) -> str:
        return "action_answer_faq"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        topic = selected_topic(tracker.latest_message) or next(iter(entity_values(tracker, "kb_topic")), None)
        school = current_school(tracker)
        language = conversation_language(tracker)
        answer = load_knowledge().answer(topic, school.id if school else None, language)
        if answer is None:
            return outcome(Outcome.KB_UNKNOWN)
        text = answer.fill(contact_values(school, language))
        if answer.offer_ticket:
            details = {"topic": f"faq/{answer.topic}"}
            return outcome(Outcome.KB_ANSWER_OFFER_TICKET, kb_answer=text, kb_topic=answer.topic,
                           ticket_kind=answer.offer_ticket, ticket_details=details, topic="kb_ticket")
        return outcome(Outcome.KB_ANSWER, kb_answer=text, kb_topic=answer.topic)
