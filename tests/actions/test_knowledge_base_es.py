"""action_answer_faq and action_clarify in the conversation's language (the `language` slot)."""
from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionClarify
from actions.knowledge_base import ActionAnswerFaq, contact_values
from portal.district import load_district
from portal.knowledge import load_knowledge
from tests.actions.conftest import make_tracker, slot_values
from tests.actions.test_clarify import unsure
from tests.actions.test_knowledge_base import faq_tracker, run


def clarify(message: dict, slots=None) -> dict:
    tracker = make_tracker("x", intent="nlu_fallback", slots=slots)
    tracker.latest_message = message
    return slot_values(asyncio.run(ActionClarify().run(CollectingDispatcher(), tracker, {})))


def test_answer_is_in_spanish_when_the_language_is_spanish():
    tracker = faq_tracker("report_absence", slots={"language": "es"}, text="como aviso una falta")
    values = run(ActionAnswerFaq(), tracker)
    district = load_district()
    assert values["outcome"] == "kb_answer" and values["kb_topic"] == "report_absence"
    assert values["kb_answer"] == load_knowledge().topics["report_absence"].in_language("es").fill(
        contact_values(None, "es"))
    assert values["kb_answer"].startswith("Para avisar de una falta")
    assert district.phone in values["kb_answer"] and "(lun-vie 8am-4:30pm)" in values["kb_answer"]


def test_spanish_answer_names_the_parents_school_with_its_hours_in_spanish():
    tracker = faq_tracker("report_absence", slots={"language": "es", "school": "org-willow-creek-ms"})
    values = run(ActionAnswerFaq(), tracker)
    assert "Secundaria Willow Creek" in values["kb_answer"] and "(555) 010-1202" in values["kb_answer"]
    assert "(lun-vie 7:45am-4pm)" in values["kb_answer"]


def test_a_schools_override_in_spanish():
    values = run(ActionAnswerFaq(), faq_tracker("report_absence", slots={"language": "es",
                                                                         "school": "org-summit-ridge-academy"}))
    assert values["kb_answer"].startswith("Llame a la oficina para avisar")
    assert "viernes" in values["kb_answer"] and "(lun-jue 8am-2pm)" in values["kb_answer"]


@pytest.mark.parametrize("language", ["en", None, "fr"])
def test_answer_is_in_english_otherwise(language):
    values = run(ActionAnswerFaq(), faq_tracker("grades", slots={"language": language}))
    assert values["kb_answer"] == load_knowledge().answer("grades").fill(contact_values(None))


def test_staff_only_topic_still_offers_the_ticket_in_spanish():
    values = run(ActionAnswerFaq(), faq_tracker("relationships_wrong", slots={"language": "es"}))
    assert values["outcome"] == "kb_answer_offer_ticket" and values["ticket_kind"] == "household_fix"
    assert values["kb_answer"].startswith("Si el portal muestra mal")


def test_clarify_titles_in_spanish_with_the_same_payloads():
    message = unsure([("missing_students", 0.41), ("faq", 0.38)], faq_topic="one_account_all_kids")
    english = clarify(message)
    spanish = clarify(message, slots={"language": "es"})
    labels_es = load_knowledge().labels_es
    assert spanish["clarify_title_1"] == labels_es["missing_students"] != english["clarify_title_1"]
    assert spanish["clarify_title_2"] == labels_es["faq/one_account_all_kids"]
    assert [spanish[f"clarify_payload_{n}"] for n in (1, 2)] == [english[f"clarify_payload_{n}"] for n in (1, 2)]
