"""The activation-key check: what parents paste, and what the store says about each demo key."""
from __future__ import annotations

import pytest

from actions.activation_key import ActionCheckActivationKey, key_attempt
from tests.actions.conftest import make_tracker, slot_values

ANA_UNUSED = "4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C"
BEN_REDEEMED = "9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4B"
GRACE_LOCKED = "A1B2C3D4E5F60718293A4B5C6D7E8F90"


@pytest.mark.parametrize("text, expected", [
    ("what is an activation key?", None),
    ("my key 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C says invalid", "4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C"),
    ("key is 4F2A9C1E7B3D4A6F", "4F2A9C1E7B3D4A6F"),
    ("ABCD-EFGH-1234-MNOP", "ABCD-EFGH-1234-MNOP"),
])
def test_key_attempt_finds_what_was_pasted(text, expected):
    found = key_attempt(text)
    if expected is None:
        assert found is None
    else:
        assert found is not None and found.replace("-", "") .upper() == expected.replace("-", "").upper()


async def run_check(dispatcher, domain, text, slots=None):
    events = await ActionCheckActivationKey().run(dispatcher, make_tracker(text, "activation_key_help", slots), domain)
    return slot_values(events)


async def test_question_without_a_key_explains_the_key(dispatcher, domain):
    assert (await run_check(dispatcher, domain, "where do I put the activation key"))["outcome"] == "key_help"
    assert dispatcher.messages == []  # actions never write text; rules pick the responses


async def test_unused_key_continues_at_the_key_step(dispatcher, domain):
    slots = await run_check(dispatcher, domain, f"my key {{{ANA_UNUSED.lower()}}} is not working")
    assert slots["outcome"] == "key_unused"
    assert slots["account_step"] == "enter_key"


async def test_redeemed_key_offers_a_lookup(dispatcher, domain):
    slots = await run_check(dispatcher, domain, " ".join(BEN_REDEEMED[i:i + 4] for i in range(0, 32, 4)))
    assert slots["outcome"] == "key_redeemed"
    assert slots["topic"] == "key_already_used"


async def test_key_of_a_locked_account(dispatcher, domain):
    assert (await run_check(dispatcher, domain, GRACE_LOCKED))["outcome"] == "key_account_locked"


async def test_well_formed_key_nobody_issued(dispatcher, domain):
    assert (await run_check(dispatcher, domain, "0123456789ABCDEF0123456789ABCDEF"))["outcome"] == "key_unknown"


async def test_too_short_key_says_how_many_characters(dispatcher, domain):
    slots = await run_check(dispatcher, domain, "4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7")
    assert slots["outcome"] == "key_too_short"
    assert slots["key_length"] == "31"
    assert slots["key_misses"] == 1.0


async def test_other_district_format_names_the_bad_characters(dispatcher, domain):
    slots = await run_check(dispatcher, domain, "HX7P-L29Q-WKT4-M8RZ")
    assert slots["outcome"] == "key_bad_characters"
    assert "X" in slots["bad_characters"] and "Z" in slots["bad_characters"]


async def test_second_malformed_key_offers_a_way_out(dispatcher, domain):
    slots = await run_check(dispatcher, domain, "4F2A9C1E7B3D4A6F", slots={"key_misses": 1.0})
    assert slots["outcome"] == "key_gave_up"
    assert slots["key_misses"] == 0.0


async def test_store_down_gives_a_graceful_outcome(dispatcher, domain, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    slots = await run_check(dispatcher, domain, BEN_REDEEMED)
    assert slots["outcome"] == "store_unavailable_district"
