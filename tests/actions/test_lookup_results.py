"""Answers from the verified parent's records, for every demo persona."""
from __future__ import annotations

import pytest

from actions.lookup_results import ActionAfterLookup
from tests.actions.conftest import make_tracker, slot_values


async def after_lookup(dispatcher, domain, slots):
    return slot_values(await ActionAfterLookup().run(dispatcher, make_tracker("x", slots=slots), domain))


@pytest.mark.parametrize("guardian, topic, found, masked", [
    ("g-ben-carter", "key_already_used", "offer_reset", "b*******7"),
    ("g-elena-petrova", "forgot_password", "self_service_password", "e******a"),
    ("g-frank-miller", "forgot_username", "offer_reset_no_security_email", "f*****r"),
    ("g-grace-kim", "forgot_password", "account_locked", "g**m"),
])
async def test_account_answers(dispatcher, domain, guardian, topic, found, masked):
    slots = await after_lookup(dispatcher, domain, {"verified_guardian_id": guardian, "topic": topic})
    assert slots["outcome"] == found
    assert slots["masked_username"] == masked
    assert slots["ticket_kind"] == "account_reset"


async def test_parent_without_an_account(dispatcher, domain):
    slots = await after_lookup(dispatcher, domain, {"verified_guardian_id": "g-ana-rivera", "topic": "forgot_password"})
    assert slots["outcome"] == "no_account"


async def test_split_household_routes_to_the_missing_childs_school(dispatcher, domain):
    slots = await after_lookup(dispatcher, domain, {"verified_guardian_id": "g-chloe-nguyen", "topic": "missing_students",
                                                    "missing_child_name": "Noah"})
    assert slots["outcome"] == "household_split"
    assert slots["missing_children"] == "Noah"
    assert slots["ticket_school"] == "org-maple-ridge-es"
    assert set(slots["ticket_details"]["guardian_record_ids"]) == {"g-chloe-nguyen", "g-chloe-nguyen-dup"}


async def test_all_children_linked_lists_first_names_only(dispatcher, domain):
    slots = await after_lookup(dispatcher, domain, {"verified_guardian_id": "g-david-okafor", "topic": "missing_students",
                                                    "missing_child_name": "Sam"})
    assert slots["outcome"] == "household_all_linked"
    assert set(slots["children"].split(", ")) == {"Ada", "Sam"}


async def test_child_not_linked_opens_a_household_fix(dispatcher, domain):
    slots = await after_lookup(dispatcher, domain, {"verified_guardian_id": "g-hana-suzuki", "topic": "missing_students",
                                                    "missing_child_name": "Ren"})
    assert slots["outcome"] == "household_not_linked"
    assert slots["ticket_school"] == "org-willow-creek-ms"


async def test_unverified_parent_learns_nothing(dispatcher, domain):
    slots = await after_lookup(dispatcher, domain, {"verify_attempts": 3.0, "topic": "missing_students"})
    assert slots == {"outcome": "unverified", "ticket_kind": "household_fix"}
