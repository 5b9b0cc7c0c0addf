"""The knowledge file in Spanish: every answer and button title has Spanish text that says the same, fits a phone,
reads easily (Fernández-Huerta >= 70) and ends like the English one; the language picks the text, English is the
fallback."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.knowledge_base import contact_values
from bench.spanish_readability import MIN_SCORE, fernandez_huerta, fernandez_huerta_vowel_groups
from portal.district import OfficeHours, load_district, parse_district
from portal.knowledge import KnowledgeConfigError, load_knowledge, parse_knowledge
from tests.portal.test_knowledge import MAX_REPLY, all_answers

ROOT = Path(__file__).resolve().parents[2]
RAW = yaml.safe_load((ROOT / "knowledge.yml").read_text())
_PLACEHOLDER = re.compile(r"{(\w+)}")


def raw_answers():
    """Every answer entry written in the file (district topics and school overrides), with where it is."""
    for topic, entry in RAW["topics"].items():
        yield pytest.param(entry, id=f"topics.{topic}")
    for school, entries in RAW["schools"].items():
        for topic, entry in entries.items():
            if "answer" in entry:
                yield pytest.param(entry, id=f"{school}.{topic}")


def filled_spanish_answers() -> list[str]:
    """Every Spanish answer filled with the longest real values it can show (a school's, or the district's)."""
    district = load_district()
    longest = max(district.schools, key=lambda s: len(s.name) + len(s.phone) + len(s.office_hours.describe("es")))
    texts = []
    for school_id, answer in all_answers():
        school = district.school_by_id(school_id) or longest
        spanish = answer.in_language("es")
        texts += [spanish.fill(contact_values(school, "es")), spanish.fill(contact_values(None, "es"))]
    return texts


@pytest.mark.parametrize("entry", list(raw_answers()))
def test_every_answer_has_spanish_text_showing_the_same_values(entry):
    assert entry.get("answer_es"), "missing answer_es"
    assert set(_PLACEHOLDER.findall(entry["answer_es"])) == set(_PLACEHOLDER.findall(entry["answer"]))
    assert entry["answer_es"] != entry["answer"]


@pytest.mark.parametrize("text", filled_spanish_answers(), ids=lambda t: t[:40])
def test_spanish_answer_fits_320_characters_and_reads_easily(text):
    assert len(text) <= MAX_REPLY, f"{len(text)} characters: {text}"
    assert "{" not in text and "None" not in text
    assert fernandez_huerta(text) >= MIN_SCORE, f"{fernandez_huerta(text):.1f}: {text}"
    assert fernandez_huerta_vowel_groups(text) >= MIN_SCORE, f"{fernandez_huerta_vowel_groups(text):.1f}: {text}"


@pytest.mark.parametrize("school_id, answer", list(all_answers()), ids=lambda v: getattr(v, "topic", v))
def test_spanish_answer_ends_with_where_to_go_next_like_the_english_one(school_id, answer):
    spanish = answer.in_language("es")
    assert spanish.text == answer.text_es and spanish.next == answer.next
    ending = spanish.text.rstrip()[-90:]
    if answer.next == "link":
        assert re.search(r"{portal_url}|{website_url}|https?://", ending), spanish.text
    elif answer.next == "phone":
        assert "{contact_phone}" in ending or "{district_phone}" in ending, spanish.text
    else:
        assert answer.offer_ticket, f"{answer.topic}: 'person' answers are followed by the offer of a request"


def test_every_button_title_has_a_spanish_title():
    knowledge = load_knowledge()
    assert set(knowledge.labels_es) == set(knowledge.labels)
    for key, title in knowledge.labels_es.items():
        assert title != knowledge.labels[key] and len(title) <= 32, (key, title)
        assert knowledge.label(key, "es") == title and knowledge.label(key) == knowledge.labels[key]


FILE = {
    "topics": {
        "fees": {"answer": "Pay at {portal_url}", "answer_es": "Pague en {portal_url}", "next": "link"},
        "grades": {"answer": "Tap Grades: {portal_url}", "next": "link"},
        "step_parent": {"answer": "Ask the school.", "answer_es": "Pregunte a la escuela.", "next": "person",
                        "offer_ticket": "household_fix"},
    },
    "schools": {"org-a": {"fees": {"answer": "Call {contact_name} at {contact_phone}", "next": "phone"},
                          "step_parent": {"offer_ticket": "other"}},
                "org-b": {"fees": {"answer": "Pay at the office: {contact_phone}",
                                   "answer_es": "Pague en la oficina: {contact_phone}", "next": "phone"}}},
    "labels": {"faq/fees": "School fees", "faq/grades": "Grades"},
    "labels_es": {"faq/fees": "Cuotas"},
}


def test_the_language_picks_the_text_and_english_is_the_fallback():
    knowledge = parse_knowledge(FILE)
    assert knowledge.answer("fees", language="es").text == "Pague en {portal_url}"
    assert knowledge.answer("fees").text == knowledge.answer("fees", language="en").text == "Pay at {portal_url}"
    assert knowledge.answer("fees", language="fr").text == "Pay at {portal_url}"  # an unknown language: English
    assert knowledge.answer("grades", language="es").text == "Tap Grades: {portal_url}"  # no Spanish: English
    assert knowledge.answer("fees", "org-b", "es").text == "Pague en la oficina: {contact_phone}"
    assert knowledge.answer("unknown", language="es") is None and knowledge.answer(None, language="es") is None


def test_a_schools_own_answer_without_spanish_falls_back_to_its_english_not_the_districts_spanish():
    knowledge = parse_knowledge(FILE)
    assert knowledge.answer("fees", "org-a", "es").text == "Call {contact_name} at {contact_phone}"
    # An override that keeps the district's words keeps their Spanish too.
    override = knowledge.answer("step_parent", "org-a", "es")
    assert (override.text, override.offer_ticket) == ("Pregunte a la escuela.", "other")


def test_button_titles_by_language_with_english_fallback():
    knowledge = parse_knowledge(FILE)
    assert knowledge.label("faq/fees", "es") == "Cuotas" and knowledge.label("faq/fees") == "School fees"
    assert knowledge.label("faq/grades", "es") == "Grades"
    assert knowledge.label("faq/app", "es") is None


@pytest.mark.parametrize("change, message", [
    ({"topics": {"fees": {"answer": "x", "answer_es": "Llame a {principal}", "next": "link"}}},
     "topics.fees.answer_es: unknown placeholder(s) principal"),
    ({"topics": {"fees": {"answer": "x", "answer_es": ["y"], "next": "link"}}}, "answer_es: expected text"),
    ({"labels_es": {"faq/fess": "Cuotas"}}, "labels_es: faq/fess not in 'labels'"),
])
def test_a_broken_spanish_text_says_what_is_wrong(change, message):
    with pytest.raises(KnowledgeConfigError, match=re.escape(message)):
        parse_knowledge({**FILE, **change, "schools": {}})


def test_hours_in_spanish():
    hours = OfficeHours(("mon", "tue", "wed", "thu", "fri"), *[__import__("datetime").time(h, m) for h, m in
                                                              ((7, 30), (15, 30))])
    assert hours.describe() == "Mon-Fri 7:30am-3:30pm"
    assert hours.describe("es") == "lun-vie 7:30am-3:30pm"
    district = load_district()
    assert district.hours("es") == "lun-vie 8am-4:30pm" and district.hours() == district.office_hours
    without = parse_district({"district": {"name": "D", "portal_url": "https://p", "phone": "1",
                                           "office_hours": "Mon-Fri 8-4"},
                              "schools": [{"id": "s", "name": "S", "phone": "2", "request_form_url": "https://f",
                                           "office_hours": {"days": ["mon", "wed"], "open": "08:00",
                                                            "close": "12:00"}}]})
    assert without.hours("es") == "Mon-Fri 8-4"  # no Spanish text in the file: the English one
    assert without.schools[0].office_hours.describe("es") == "lun, mié 8am-12pm"
    assert contact_values(None, "es")["contact_hours"] == "lun-vie 8am-4:30pm"
    assert fernandez_huerta(district.features["attendance_reason_es"]) >= MIN_SCORE


PORTAL_LABELS = ("Log In", "Settings", "Account Settings", "Notification Settings", "Message Center", "Grades",
                 "Assignments", "Documents", "Food Service", "My Cart", "Fees", "Add to Cart", "More",
                 "Meal Benefits", "Campus Parent", "Campus Student", "Attendance", "App Store", "Google Play")


@pytest.mark.parametrize("school_id, answer", list(all_answers()), ids=lambda v: getattr(v, "topic", v))
def test_spanish_answer_shows_the_portal_labels_as_the_english_one_does(school_id, answer):
    for quoted in re.findall(r'"[^"]+"', answer.text):
        assert quoted in answer.text_es, f"{answer.topic}: {quoted}"
    for label in PORTAL_LABELS:
        if re.search(rf"(?<![.!?] )\b{re.escape(label)}\b", answer.text[1:]):
            assert re.search(rf"\b{re.escape(label)}\b", answer.text_es), f"{answer.topic}: {label}"
