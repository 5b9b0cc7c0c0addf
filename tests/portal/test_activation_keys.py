"""Activation keys: forgiving parsing, finding a key in a message, lookup by status, masking."""
from __future__ import annotations

import pytest

from portal.activation_keys import check_key, find_key_in_text, mask_key, normalise_key

ANA_KEY = "4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C"  # unused
BEN_KEY = "9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4B"  # redeemed, account active
GRACE_KEY = "A1B2C3D4E5F60718293A4B5C6D7E8F90"  # redeemed, account locked


@pytest.mark.parametrize(
    "typed",
    [
        ANA_KEY,
        ANA_KEY.lower(),
        "4F2A 9C1E 7B3D 4A6F 8E0C 2B5D 9A1F 3E7C",
        "4F2A-9C1E-7B3D-4A6F-8E0C-2B5D-9A1F-3E7C",
        "{4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C}",
        "4f2a9c1e-7b3d-4a6f-8e0c-2b5d9a1f3e7c",
        f'"{ANA_KEY}"',
        f"'{ANA_KEY}'.",
        f"key: {ANA_KEY}",
        f"Activation Key: {ANA_KEY}",
        f"KEY:{ANA_KEY}",
        "4F2A9C1E7B3D4A6F\n8E0C2B5D9A1F3E7C",
        "  4F2A9C1E \u2013 7B3D4A6F\u20148E0C2B5D 9A1F3E7C  ",
    ],
)
def test_normalise_key_forgives_decoration(typed):
    parsed = normalise_key(typed)
    assert parsed.valid
    assert parsed.key == ANA_KEY
    assert parsed.problem is None
    assert parsed.length == 32


@pytest.mark.parametrize("typed", ["", "   ", None, "---", "{ }", "key:"])
def test_normalise_key_empty(typed):
    parsed = normalise_key(typed)
    assert (parsed.key, parsed.problem, parsed.length) == (None, "empty", 0)


def test_normalise_key_31_characters_is_too_short():
    parsed = normalise_key(ANA_KEY[:31])
    assert (parsed.key, parsed.problem, parsed.length) == (None, "too_short", 31)


def test_normalise_key_33_characters_is_too_long():
    parsed = normalise_key(ANA_KEY + "A")
    assert (parsed.key, parsed.problem, parsed.length) == (None, "too_long", 33)


def test_normalise_key_reports_letters_beyond_f():
    parsed = normalise_key("4F2A9C1E7B3D4A6F8E0C2B5D9A1F3EZQ")
    assert parsed.problem == "bad_characters"
    assert parsed.bad_characters == ("Z", "Q")
    assert parsed.length == 32


def test_normalise_key_letter_o_instead_of_zero():
    parsed = normalise_key(ANA_KEY.replace("0", "O"))
    assert parsed.problem == "bad_characters"
    assert parsed.bad_characters == ("O",)


@pytest.mark.parametrize(
    "other_format, bad",
    [
        ("ABCD-EFGH-IJKL-MNOP", ("G", "H", "I", "J", "K", "L", "M", "N", "O", "P")),  # another district's code
        ("X7K2-P9QM", ("X", "K", "P", "Q", "M")),
        ("4F2A_9C1E_7B3D", ("_",)),
        ("4F2A/9C1E#7B3D", ("/", "#")),
    ],
)
def test_normalise_key_other_district_formats(other_format, bad):
    parsed = normalise_key(other_format)
    assert parsed.key is None
    assert parsed.problem == "bad_characters"
    assert parsed.bad_characters == bad


@pytest.mark.parametrize(
    "message",
    [
        f"my key is {ANA_KEY} thanks",
        f"Here it is: {ANA_KEY.lower()}.",
        "it says 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C and won't work",
        "the code {4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C} is invalid",
        "key 4F2A 9C1E 7B3D 4A6F 8E0C 2B5D 9A1F 3E7C ok?",
        "a key 4F2A9C1E7B3D4A6F 8E0C2B5D9A1F3E7C",
        f"key:{ANA_KEY}",
    ],
)
def test_find_key_in_text(message):
    assert find_key_in_text(message) == ANA_KEY


@pytest.mark.parametrize(
    "message",
    [
        "",
        None,
        "I never got my key",
        f"short one {ANA_KEY[:31]} here",
        f"long one {ANA_KEY}AB here",
        "a bad cafe fed a dead bee and added a decade of faded beef cabbage",  # hex-letter words only
        "call me at 555 010 2001",
    ],
)
def test_find_key_in_text_finds_nothing(message):
    assert find_key_in_text(message) is None


def test_mask_key_keeps_only_the_ends():
    assert mask_key(ANA_KEY) == "4F2A…3E7C"
    assert mask_key("4f2a-9c1e-7b3d-4a6f-8e0c-2b5d-9a1f-3e7c") == "4F2A…3E7C"
    assert mask_key("ABC") == "…"
    assert mask_key(None) == "…"


def test_check_key_unused(demo_session):
    result = check_key(demo_session, "4f2a 9c1e 7b3d 4a6f 8e0c 2b5d 9a1f 3e7c")
    assert result.status == "unused"
    assert result.account_status == "none"
    assert result.guardian_id == "g-ana-rivera"
    assert result.school_ids == ("org-maple-ridge-es",)


def test_check_key_redeemed(demo_session):
    result = check_key(demo_session, BEN_KEY)
    assert (result.status, result.account_status, result.guardian_id) == ("redeemed", "active", "g-ben-carter")
    assert result.school_ids == ("org-willow-creek-ms",)


def test_check_key_redeemed_with_locked_account(demo_session):
    result = check_key(demo_session, GRACE_KEY)
    assert (result.status, result.account_status) == ("redeemed", "locked")


@pytest.mark.parametrize("key", ["0" * 32, "not a key", "", ANA_KEY[:31]])
def test_check_key_unknown(demo_session, key):
    result = check_key(demo_session, key)
    assert result.status == "unknown"
    assert (result.account_status, result.guardian_id, result.school_ids) == (None, None, ())


def test_check_key_of_a_removed_guardian_is_unknown(demo_session):
    from portal.models import Person

    demo_session.get(Person, "g-ana-rivera").active = False
    demo_session.flush()
    assert check_key(demo_session, ANA_KEY).status == "unknown"


def test_check_key_of_guardian_with_two_schools(demo_session):
    result = check_key(demo_session, "D0D0D0D01111222233334444555566AA")
    assert result.school_ids == ("org-maple-ridge-es", "org-willow-creek-ms")


def test_check_key_logs_only_a_masked_key(demo_session, caplog):
    caplog.set_level("DEBUG", logger="portal")
    check_key(demo_session, ANA_KEY)
    assert caplog.records, "expected a log line"
    assert ANA_KEY not in caplog.text
    assert "4F2A…3E7C" in caplog.text
