"""The knowledge file: every topic answered, short and plain enough for a phone, ending with where to go next."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from actions.knowledge_base import contact_values
from bench.grade_level import fk_grade
from portal.district import load_district
from portal.knowledge import (PLACEHOLDERS, Answer, KnowledgeConfigError, knowledge_topic_payload, load_knowledge,
                              parse_knowledge, topic_of)

ROOT = Path(__file__).resolve().parents[2]
MAX_REPLY = 320
MAX_GRADE = 8
_URL_OR_PHONE = re.compile(r"https?://\S+|\(\d{3}\) \d{3}-\d{4}")


def nlu_topics() -> set[str]:
    """The faq/<topic> names the training data teaches."""
    topics = set()
    for path in (ROOT / "data" / "nlu").glob("*.yml"):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            if str(block.get("intent", "")).startswith("faq/"):
                topics.add(block["intent"].split("/", 1)[1])
    return topics


def all_answers() -> Iterator[tuple[str, Answer]]:
    """Every answer in the file: the district's and each school's override, with where it applies."""
    knowledge = load_knowledge()
    for topic, answer in knowledge.topics.items():
        yield "", answer
    for school_id, overrides in knowledge.school_overrides.items():
        for answer in overrides.values():
            yield school_id, answer


def filled_answers() -> list[str]:
    """Every answer filled with the longest real values it can show (the district's or any school's)."""
    district = load_district()
    longest = max(district.schools, key=lambda s: len(s.name) + len(s.phone) + len(s.office_hours.describe()))
    texts = []
    for school_id, answer in all_answers():
        school = district.school_by_id(school_id) or longest
        texts += [answer.fill(contact_values(school)), answer.fill(contact_values(None))]
    return texts


def test_every_trained_topic_has_an_answer_and_a_button_title():
    knowledge = load_knowledge()
    trained = nlu_topics()
    assert trained, "no faq/<topic> training data"
    assert trained == set(knowledge.topics), (trained ^ set(knowledge.topics))
    assert {f"faq/{t}" for t in trained} <= set(knowledge.labels)


def test_override_schools_exist_in_the_district():
    ids = {s.id for s in load_district().schools}
    assert set(load_knowledge().school_overrides) <= ids


@pytest.mark.parametrize("text", filled_answers(), ids=lambda t: t[:40])
def test_answer_fits_320_characters_at_grade_8(text):
    assert len(text) <= MAX_REPLY, f"{len(text)} characters: {text}"
    assert fk_grade(_URL_OR_PHONE.sub("", text)) <= MAX_GRADE, text
    assert "{" not in text and "None" not in text


@pytest.mark.parametrize("school_id, answer", list(all_answers()), ids=lambda v: getattr(v, "topic", v))
def test_answer_ends_with_where_to_go_next(school_id, answer):
    ending = answer.text.rstrip()[-90:]
    if answer.next == "link":
        assert re.search(r"{portal_url}|{website_url}|https?://", ending), answer.text
    elif answer.next == "phone":
        assert "{contact_phone}" in ending or "{district_phone}" in ending, answer.text
    else:
        assert answer.offer_ticket, f"{answer.topic}: 'person' answers are followed by the offer of a request"


def test_staff_only_topics_offer_a_fitting_ticket():
    topics = load_knowledge().topics
    assert topics["relationships_wrong"].offer_ticket == "household_fix"
    assert topics["step_parent"].offer_ticket == "household_fix"
    assert topics["update_contact"].offer_ticket == "other"
    assert topics["grades"].offer_ticket is None


def test_school_override_replaces_only_that_school():
    knowledge = parse_knowledge({
        "topics": {"fees": {"answer": "Pay at {portal_url}", "next": "link"}},
        "schools": {"org-a": {"fees": {"answer": "Call {contact_name} at {contact_phone}", "next": "phone"}}},
    })
    assert knowledge.answer("fees", "org-a").text.startswith("Call")
    assert knowledge.answer("fees", "org-b").text.startswith("Pay")
    assert knowledge.answer("fees", None).text.startswith("Pay")
    assert knowledge.answer("unknown", "org-a") is None
    assert knowledge.answer(None) is None


def test_override_inherits_next_and_ticket_from_the_district_answer():
    knowledge = parse_knowledge({
        "topics": {"step_parent": {"answer": "Ask the school.", "next": "person", "offer_ticket": "household_fix"}},
        "schools": {"org-a": {"step_parent": {"answer": "Ask us."}}},
    })
    override = knowledge.answer("step_parent", "org-a")
    assert (override.text, override.next, override.offer_ticket) == ("Ask us.", "person", "household_fix")


def test_fill_uses_values_and_never_prints_none():
    answer = Answer(topic="x", text="Call {contact_name} at {contact_phone}.", next="phone")
    assert answer.fill({"contact_name": "Maple", "contact_phone": "(555) 010-1101"}) == "Call Maple at (555) 010-1101."
    assert answer.fill({"contact_name": None}) == "Call  at ."


@pytest.mark.parametrize("raw, message", [
    ({}, "needs a 'topics' mapping"),
    ({"topics": {"Bad Key": {"answer": "x", "next": "link"}}}, "not a topic key"),
    ({"topics": {"fees": {"next": "link"}}}, "missing 'answer'"),
    ({"topics": {"fees": "just text"}}, "expected a mapping"),
    ({"topics": {"fees": {"answer": "Call {principal}", "next": "phone"}}}, "unknown placeholder(s) principal"),
    ({"topics": {"fees": {"answer": "x", "next": "email"}}}, "fees.next"),
    ({"topics": {"fees": {"answer": "x", "next": "person", "offer_ticket": "refund"}}}, "offer_ticket"),
    ({"topics": {"fees": {"answer": "x", "next": "link"}}, "schools": {"org-a": {"grades": {"answer": "y"}}}},
     "no such topic"),
])
def test_a_broken_file_says_what_is_wrong(raw, message):
    with pytest.raises(KnowledgeConfigError, match=re.escape(message)):
        parse_knowledge(raw)


def test_edited_file_is_read_again_without_restart(tmp_path, monkeypatch):
    path = tmp_path / "knowledge.yml"
    path.write_text('topics:\n  fees:\n    answer: "Old answer. {portal_url}"\n    next: link\n')
    monkeypatch.setenv("KNOWLEDGE_FILE", str(path))
    assert load_knowledge().answer("fees").text.startswith("Old")
    path.write_text('topics:\n  fees:\n    answer: "New answer, edited. {portal_url}"\n    next: link\n')
    import os
    os.utime(path, (1, 2_000_000_000))
    assert load_knowledge().answer("fees").text.startswith("New")


def test_topic_helpers():
    assert topic_of("faq/grades") == "grades"
    assert topic_of("grades") is None and topic_of(None) is None and topic_of("chitchat/hi") is None
    assert knowledge_topic_payload("grades") == '/faq{"kb_topic":"grades"}'


def test_placeholders_are_values_the_assistant_fills():
    assert PLACEHOLDERS == set(contact_values(None))


def test_domain_names_the_same_topics_and_only_points_to_the_file():
    responses = yaml.safe_load((ROOT / "domain.yml").read_text())["responses"]
    pointers = {name.split("/", 1)[1]: texts for name, texts in responses.items() if name.startswith("utter_faq/")}
    assert set(pointers) == set(load_knowledge().topics)
    assert all(texts == [{"text": "{kb_answer}"}] for texts in pointers.values())
