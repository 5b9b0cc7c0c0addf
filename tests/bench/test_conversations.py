"""The success rule of bench/conversations.py: right reply, and exactly the expected ticket or none."""
from __future__ import annotations

from types import SimpleNamespace

from bench.conversations import check_outcome
from bench.personas import PATHS, Expected, Path
from portal.facts import stated_facts


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


def test_every_persona_has_five_phrasings():
    personas = {p.persona for p in PATHS}
    assert len(personas) == 8
    assert all(sorted(p.variant for p in PATHS if p.persona == name) == [1, 2, 3, 4, 5] for name in personas)


def test_the_fifth_phrasing_states_every_identity_fact_in_a_sentence():
    """Each identity answer is a sentence the parser reads as a stated fact; Ben states all three in one."""
    sentences = [p for p in PATHS if p.variant == 5 and not p.persona.startswith("1 ")]  # Ana needs no check
    assert len(sentences) == 7
    for path in sentences:
        facts = [stated_facts(message) for message in path.messages]
        assert all(any(getattr(f, fact) for f in facts) for fact in ("contact", "child_name", "birth_date")), path
        assert all(len(message.split()) >= 3 for message in path.messages if stated_facts(message).any()), path
    ben = next(p for p in sentences if p.persona.startswith("2 "))
    assert any(stated_facts(message).contact and stated_facts(message).child_name and stated_facts(message).birth_date
               for message in ben.messages)


def test_a_question_asked_again_after_an_answer_counts_but_not_after_an_aside():
    from bench.conversations import repeated_questions
    from bench.personas import Aside

    assert repeated_questions("ben.carter@example.com", {"contact"}, {"contact"}) == 1
    assert repeated_questions("ben.carter@example.com", {"contact"}, {"child_first_name"}) == 0
    assert repeated_questions(Aside("what is a security email?"), {"contact"}, {"contact"}) == 0


def test_only_the_scripted_side_questions_are_asides():
    from bench.personas import Aside

    asides = [m for p in PATHS for m in p.messages if isinstance(m, Aside)]
    assert asides == ["what is a security email?", "wait, why do you need this?"]
