"""Identity before disclosure: the lookup form's validation."""
from __future__ import annotations

import pytest

from actions.verification import ValidateLookupForm, first_names, looks_like_contact
from tests.actions.conftest import make_tracker

FORM = ValidateLookupForm()
DOMAIN_SLOTS = ["school", "contact", "child_first_name", "child_birth_date", "missing_child_name"]


@pytest.mark.parametrize("value, ok", [("ben.carter@example.com", True), ("+1 (555) 010-2002", True),
                                       ("555.010.2002", True), ("ben", False), ("12345", False), ("", False)])
def test_contact_format(value, ok):
    assert looks_like_contact(value) is ok


@pytest.mark.parametrize("value, names", [("Noah", ["Noah"]), ("his name is Noah", ["Noah"]),
                                          ("Emma and Noah", ["Emma", "Noah"]), ("José", ["José"]), ("123", [])])
def test_first_names(value, names):
    assert first_names(value) == names


async def test_required_slots_before_and_after_verification():
    unverified = await FORM.required_slots(DOMAIN_SLOTS, None, make_tracker(), {})
    assert unverified == ["school", "contact", "child_first_name", "child_birth_date"]
    missing = make_tracker(slots={"verified_guardian_id": "g-chloe-nguyen", "topic": "missing_students"})
    assert await FORM.required_slots(DOMAIN_SLOTS, None, missing, {}) == ["school", "missing_child_name"]
    locked = make_tracker(slots={"verify_attempts": 3.0})
    assert await FORM.required_slots(DOMAIN_SLOTS, None, locked, {}) == ["school"]


async def test_matching_facts_verify_the_parent():
    tracker = make_tracker("9/3/2012", slots={"contact": "BEN.CARTER@example.com ", "child_first_name": "lily"})
    updates = await FORM.validate_child_birth_date("9/3/2012", None, tracker, {})
    assert updates["verified_guardian_id"] == "g-ben-carter"
    assert updates["child_birth_date"] == "2012-09-03"
    assert updates["lookup_feedback"] is None


@pytest.mark.parametrize("contact, child, born", [
    ("ben.carter@example.com", "Lily", "9/4/2012"),      # wrong date
    ("ben.carter@example.com", "Mateo", "4/12/2016"),    # another family's child
    ("ana.rivera@example.com", "Lily", "9/3/2012"),      # another family's contact
])
async def test_wrong_facts_never_say_which_one_was_wrong(contact, child, born):
    tracker = make_tracker(born, slots={"contact": contact, "child_first_name": child})
    updates = await FORM.validate_child_birth_date(born, None, tracker, {})
    assert "verified_guardian_id" not in updates
    assert updates == {"contact": None, "child_first_name": None, "child_birth_date": None,
                       "verify_attempts": 1.0, "lookup_feedback": "verify_failed"}


async def test_third_failure_ends_the_check_unverified():
    tracker = make_tracker("1/1/2015", slots={"contact": "x@example.com", "child_first_name": "Max",
                                              "verify_attempts": 2.0})
    updates = await FORM.validate_child_birth_date("1/1/2015", None, tracker, {})
    assert updates["verify_attempts"] == 3.0
    assert updates["child_birth_date"] == "2015-01-01"
    assert "verified_guardian_id" not in updates


async def test_unreadable_date_asks_again_without_counting_an_attempt():
    updates = await FORM.validate_child_birth_date("last spring", None, make_tracker("last spring"), {})
    assert updates == {"child_birth_date": None, "lookup_feedback": "bad_date"}


def test_bad_contact_and_name_ask_again():
    assert FORM.validate_contact("my email", None, make_tracker(), {})["lookup_feedback"] == "bad_contact"
    assert FORM.validate_child_first_name("Emma and Noah", None, make_tracker(), {})["lookup_feedback"] == "bad_child_name"


async def test_on_sms_the_senders_number_is_the_first_fact():
    sms = {"text": "Ivan", "intent": {"name": "inform"}, "entities": [], "metadata": {"sms_from": "+15550102005"}}
    tracker = make_tracker("Ivan", channel="sms")
    tracker.latest_message = sms
    assert await FORM.required_slots(DOMAIN_SLOTS, None, tracker, {}) == ["school", "child_first_name",
                                                                          "child_birth_date"]
    tracker.slots["child_first_name"] = "Ivan"
    updates = await FORM.validate_child_birth_date("7/22/2010", None, tracker, {})
    assert updates["verified_guardian_id"] == "g-elena-petrova"


async def test_on_sms_a_failed_try_asks_for_the_contact():
    tracker = make_tracker("x", slots={"verify_attempts": 1.0}, channel="sms")
    tracker.latest_message = {"text": "x", "intent": {"name": "inform"}, "metadata": {"sms_from": "+15550109999"}}
    assert "contact" in await FORM.required_slots(DOMAIN_SLOTS, None, tracker, {})
