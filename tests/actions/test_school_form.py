"""Which school: names, partial names, typos, misses with a way out, and changing school."""
from __future__ import annotations

import pytest

from actions.school_form import (ActionChangeSchool, ActionHandleInform, ValidateSchoolForm, resolve_school,
                                 school_needed)
from tests.actions.conftest import make_tracker, slot_values


@pytest.mark.parametrize("typed, school_id", [
    ("Maple Ridge Elementary", "org-maple-ridge-es"),
    ("maple ridge", "org-maple-ridge-es"),
    ("mapel ridge", "org-maple-ridge-es"),
    ("my kid goes to willow creek", "org-willow-creek-ms"),
    ("cvhs", "org-cedar-valley-hs"),
    ("Cedar Valley High", "org-cedar-valley-hs"),
    ("riverbend elem", "org-riverbend-es"),
    ("summitt", "org-summit-ridge-academy"),
    ("org-riverbend-es", "org-riverbend-es"),
])
def test_resolves_names_partials_and_typos(typed, school_id):
    assert resolve_school(typed).id == school_id


@pytest.mark.parametrize("typed", ["hogwarts", "", "   ", "the school", "lincoln high school", "🙂"])
def test_unknown_schools_are_not_guessed(typed):
    assert resolve_school(typed) is None


@pytest.mark.parametrize("value, said, school_id", [
    ("high school", "the high school", "org-cedar-valley-hs"),
    ("academy", "academy", "org-summit-ridge-academy"),
    ("academy", "narnia academy", None),          # the NLU kept only the type word of an unknown school
    ("high school", "lincoln high school", None),
    ("elementary", "the elementary", None),       # two elementary schools: no guess
])
def test_a_kind_of_school_names_a_school_only_when_the_message_says_no_more(value, said, school_id):
    school = resolve_school(value, said)
    assert (school.id if school else None) == school_id


def test_an_unknown_academy_is_a_miss_even_when_only_academy_was_extracted():
    updates = ValidateSchoolForm().validate_school("academy", None, make_tracker("narnia academy"), {})
    assert updates["school"] is None and updates["school_misses"] == 1


def test_a_match_sets_the_school_details():
    updates = ValidateSchoolForm().validate_school("willow creek", None, make_tracker("willow creek"), {})
    assert updates["school"] == "org-willow-creek-ms"
    assert updates["school_name"] == "Willow Creek Middle School"
    assert updates["school_phone"] == "(555) 010-1202"
    assert updates["school_hours"] == "Mon-Fri 7:45am-4pm"
    assert updates["school_question"] is None


def test_misses_ask_again_then_offer_a_way_out():
    first = ValidateSchoolForm().validate_school("hogwarts", None, make_tracker("hogwarts"), {})
    assert first == {"school": None, "school_misses": 1.0, "school_question": "retry"}
    second = ValidateSchoolForm().validate_school("narnia", None, make_tracker("narnia", slots={"school_misses": 1.0}), {})
    assert second["school_question"] == "way_out"


def test_attendance_needs_the_school_only_when_schools_differ():
    assert school_needed(make_tracker(slots={"topic": "attendance"}))  # Summit Ridge shows it, others don't
    assert school_needed(make_tracker(slots={"topic": "get_account"}))


async def test_change_school_to_a_named_school(dispatcher, domain):
    tracker = make_tracker("actually it's riverbend", "change_school",
                           entities=[{"entity": "school", "value": "riverbend"}], slots={"school": "org-maple-ridge-es"})
    slots = slot_values(await ActionChangeSchool().run(dispatcher, tracker, domain))
    assert slots["school"] == "org-riverbend-es"


async def test_change_school_without_a_name_clears_it(dispatcher, domain):
    tracker = make_tracker("wrong school", "change_school", slots={"school": "org-maple-ridge-es"})
    slots = slot_values(await ActionChangeSchool().run(dispatcher, tracker, domain))
    assert slots["school"] is None and slots["school_name"] is None


@pytest.mark.parametrize("text, found", [
    ("maple ridge", "school_noted"),
    ("9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4B", "key_found"),
    ("blue", "not_understood"),
])
async def test_out_of_turn_answers(dispatcher, domain, text, found):
    slots = slot_values(await ActionHandleInform().run(dispatcher, make_tracker(text), domain))
    assert slots["outcome"] == found
