"""action_answer_faq: the knowledge file's answer for the topic, per school, and the offer of a request."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge_base import ActionAnswerFaq, contact_values, selected_topic
from actions.tickets import ActionOpenTicket
from portal.district import load_district
from portal.knowledge import load_knowledge
from tests.actions.conftest import make_tracker, slot_values


def selector(topic: str, confidence: float = 0.9) -> dict:
    return {"faq": {"response": {"intent_response_key": f"faq/{topic}", "confidence": confidence}, "ranking": []}}


def faq_tracker(topic: str, slots=None, text="how do i see grades"):
    tracker = make_tracker(text, intent="faq", slots=slots)
    tracker.latest_message["response_selector"] = selector(topic)
    return tracker


def run(action, tracker) -> dict:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    assert dispatcher.messages == []  # actions decide, rules speak
    return slot_values(events)


def test_answer_comes_from_the_knowledge_file_with_the_district_contact():
    values = run(ActionAnswerFaq(), faq_tracker("report_absence"))
    district = load_district()
    assert values["outcome"] == "kb_answer"
    assert values["kb_topic"] == "report_absence"
    assert district.phone in values["kb_answer"] and district.name in values["kb_answer"]
    assert values["kb_answer"] == load_knowledge().answer("report_absence").fill(contact_values(None))


def test_answer_names_the_parents_school_when_known():
    values = run(ActionAnswerFaq(), faq_tracker("report_absence", slots={"school": "org-willow-creek-ms"}))
    assert "Willow Creek Middle School" in values["kb_answer"] and "(555) 010-1202" in values["kb_answer"]


def test_a_schools_override_is_used_for_that_school_only():
    summit = run(ActionAnswerFaq(), faq_tracker("report_absence", slots={"school": "org-summit-ridge-academy"}))
    maple = run(ActionAnswerFaq(), faq_tracker("report_absence", slots={"school": "org-maple-ridge-es"}))
    knowledge = load_knowledge()
    assert summit["kb_answer"].startswith(knowledge.answer("report_absence", "org-summit-ridge-academy").text[:30])
    assert summit["kb_answer"] != maple["kb_answer"]


def test_staff_only_topic_offers_a_household_ticket_and_the_ticket_names_the_topic():
    values = run(ActionAnswerFaq(), faq_tracker("relationships_wrong", slots={"school": "org-maple-ridge-es"}))
    assert values["outcome"] == "kb_answer_offer_ticket"
    assert values["ticket_kind"] == "household_fix" and values["topic"] == "kb_ticket"
    tracker = make_tracker("yes", intent="affirm", slots={"school": "org-maple-ridge-es", **values},
                           sender="kb-ticket-1")
    opened = run(ActionOpenTicket(), tracker)
    assert opened["outcome"] == "ticket_opened"
    assert opened["ticket_school_name"] == "Maple Ridge Elementary"


def test_topic_button_entity_wins_over_the_selector():
    tracker = make_tracker('/faq{"kb_topic":"fees"}', intent="faq",
                           entities=[{"entity": "kb_topic", "value": "fees"}])
    assert run(ActionAnswerFaq(), tracker)["kb_topic"] == "fees"


def test_unknown_topic_gets_the_topics_menu_outcome():
    tracker = faq_tracker("no_such_topic")
    assert run(ActionAnswerFaq(), tracker)["outcome"] == "kb_unknown"
    assert run(ActionAnswerFaq(), make_tracker("hmm", intent="faq"))["outcome"] == "kb_unknown"


@pytest.mark.parametrize("message, expected", [
    ({"response_selector": selector("grades")}, "grades"),
    ({"entities": [{"entity": "kb_topic", "value": "fees"}], "response_selector": selector("grades")}, "fees"),
    ({"response_selector": {"faq": {"response": {"intent_response_key": None}}}}, None),
    ({}, None),
    (None, None),
])
def test_selected_topic(message, expected):
    assert selected_topic(message) == expected
