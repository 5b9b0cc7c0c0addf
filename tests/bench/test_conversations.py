"""The success rule of bench/conversations.py: right reply, and exactly the expected ticket or none."""
from __future__ import annotations

from types import SimpleNamespace

from bench.conversations import check_outcome
from bench.personas import PATHS, Expected, Path


def ticket(kind: str, school: str, number: int = 7) -> SimpleNamespace:
    return SimpleNamespace(id=number, kind=kind, school_id=school)


def path(expected: Expected) -> Path:
    return Path("p", 1, ("hi",), expected)


def test_no_ticket_expected():
    expected = path(Expected("Campus Parent app"))
    assert check_outcome(expected, "Both are on the Campus Parent app", []) == (True, "")
    assert not check_outcome(expected, "Both are on the Campus Parent app", [ticket("household_fix", "x")])[0]
    assert not check_outcome(expected, "Sorry, I didn't get that", [])[0]


def test_ticket_expected_must_match_kind_school_and_be_named_in_the_reply():
    expected = path(Expected("#", "account_reset", "org-willow-creek-ms"))
    assert check_outcome(expected, "I opened request #7", [ticket("account_reset", "org-willow-creek-ms")])[0]
    assert not check_outcome(expected, "I opened request #8", [ticket("account_reset", "org-willow-creek-ms")])[0]
    assert not check_outcome(expected, "I opened request #7", [ticket("household_fix", "org-willow-creek-ms")])[0]
    assert not check_outcome(expected, "I opened request #7", [ticket("account_reset", "org-maple-ridge-es")])[0]
    assert not check_outcome(expected, "I opened request #7", [])[0]
    two = [ticket("account_reset", "org-willow-creek-ms"), ticket("account_reset", "org-willow-creek-ms", 8)]
    assert not check_outcome(expected, "I opened request #7", two)[0]


def test_every_persona_has_four_phrasings():
    personas = {p.persona for p in PATHS}
    assert len(personas) == 8
    assert all(sum(p.persona == name for p in PATHS) == 4 for name in personas)
