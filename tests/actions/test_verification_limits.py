"""The per-sender limit of identity checks in the lookup form: across conversations, per SMS number or web client."""
from __future__ import annotations

import secrets

import pytest

from actions.verification import MAX_VERIFY_ATTEMPTS, ValidateLookupForm, sender_key, sms_number
from portal.db import session_scope
from portal.verification_limits import client_sender_key, failures, sms_sender_key
from tests.actions.conftest import make_tracker, slot_values

FORM = ValidateLookupForm()
DOMAIN_SLOTS = ["school", "contact", "child_first_name", "child_birth_date", "missing_child_name"]


@pytest.fixture(autouse=True)
def limits(monkeypatch):
    monkeypatch.setenv("VERIFY_SENDER_MAX_FAILURES", "5")
    monkeypatch.setenv("VERIFY_SENDER_WINDOW_MINUTES", "60")


def new_number() -> str:
    return f"+1555{secrets.randbelow(10**7):07d}"


def sms_tracker(number: str, text: str, slots=None, conversation: str = "sms-1"):
    tracker = make_tracker(text, slots=slots, sender=conversation, channel="sms")
    tracker.latest_message = {**tracker.latest_message, "metadata": {"sms_from": number}}
    return tracker


def web_tracker(client_key, text: str, slots=None, channel: str = "rest", extra=None):
    tracker = make_tracker(text, slots=slots, channel=channel)
    tracker.latest_message = {**tracker.latest_message, "metadata": {"client_key": client_key, **(extra or {})}}
    return tracker


async def fail_once(tracker_factory, attempts_so_far: float, born: str = "1/1/2015"):
    tracker = tracker_factory(born, {"contact": "nobody@example.com", "child_first_name": "Max",
                                     "verify_attempts": attempts_so_far})
    return await FORM.validate_child_birth_date(born, None, tracker, {})


def test_sender_keys_come_from_the_channel_only():
    number = new_number()
    assert sender_key(sms_tracker(number, "hi")) == sms_sender_key(number)
    key = client_sender_key("203.0.113.9")
    assert sender_key(web_tracker(key, "hi")) == key
    # A web chat client choosing its own metadata can neither claim an SMS number nor a made-up key.
    spoofed = web_tracker("203.0.113.9", "hi", channel="socketio", extra={"sms_from": number})
    assert sms_number(spoofed) is None and sender_key(spoofed) is None
    assert sender_key(make_tracker("hi")) is None


async def test_sms_sender_blocked_across_conversations_after_five_failures():
    number = new_number()
    first = [await fail_once(lambda t, s: sms_tracker(number, t, s, "sms-a"), float(n)) for n in range(3)]
    assert [u["verify_attempts"] for u in first] == [1.0, 2.0, 3.0]
    # A new conversation from the same number: the fourth failure is a normal one ...
    fourth = await fail_once(lambda t, s: sms_tracker(number, t, s, "sms-b"), 0.0)
    assert fourth["verify_attempts"] == 1.0 and fourth["lookup_feedback"] == "verify_failed"
    # ... the fifth ends this conversation's check too, exactly like a third failure.
    fifth = await fail_once(lambda t, s: sms_tracker(number, t, s, "sms-b"), 1.0)
    assert fifth == {"child_birth_date": "2015-01-01", "verify_attempts": float(MAX_VERIFY_ATTEMPTS),
                     "lookup_feedback": None}
    with session_scope() as session:
        assert failures(session, sms_sender_key(number)) == 5


async def test_blocked_sender_gets_the_used_up_path_even_with_the_right_facts(dispatcher, domain):
    number = "+1 555-010-2005"  # Elena's number: the right facts would verify her
    for _ in range(5):
        await fail_once(lambda t, s: sms_tracker(number, t, s, "sms-x"), 0.0)
    # A fresh conversation: the form only asks the school, and the facts are not looked at.
    tracker = sms_tracker(number, "cvhs", {"requested_slot": "school"}, conversation="sms-y")
    tracker.active_loop = {"name": "lookup_form"}
    events = await FORM.run(dispatcher, tracker, domain)
    values = slot_values(events)
    assert values["verify_attempts"] == float(MAX_VERIFY_ATTEMPTS)
    assert "verified_guardian_id" not in values
    assert await FORM.required_slots(DOMAIN_SLOTS, dispatcher, tracker, domain) == ["school"]
    right = sms_tracker(number, "7/22/2010", {"child_first_name": "Ivan", "verify_attempts": 3.0}, "sms-y")
    updates = await FORM.validate_child_birth_date("7/22/2010", None, right, {})
    assert "verified_guardian_id" not in updates and updates["verify_attempts"] == 3.0


async def test_not_blocked_sender_is_asked_as_usual(dispatcher, domain):
    tracker = sms_tracker(new_number(), "cvhs", {"requested_slot": "school"})
    tracker.active_loop = {"name": "lookup_form"}
    values = slot_values(await FORM.run(dispatcher, tracker, domain))
    assert "verify_attempts" not in values


async def test_web_client_blocked_after_five_failures_and_others_are_not():
    key = client_sender_key(f"198.51.100.{secrets.randbelow(250)}-{secrets.token_hex(4)}")
    results = [await fail_once(lambda t, s: web_tracker(key, t, s), float(n % 3)) for n in range(5)]
    assert results[-1]["verify_attempts"] == 3.0 and results[-1]["lookup_feedback"] is None
    other = await fail_once(lambda t, s: web_tracker(client_sender_key("192.0.2.1" + secrets.token_hex(3)), t, s), 0.0)
    assert other["verify_attempts"] == 1.0


async def test_without_a_sender_key_only_the_conversation_counts():
    for _ in range(8):
        updates = await fail_once(lambda t, s: make_tracker(t, slots=s), 0.0)
        assert updates["verify_attempts"] == 1.0


async def test_a_failing_store_never_blocks(monkeypatch):
    from actions import verification
    from actions.store import StoreUnavailable

    async def down(*_args, **_kwargs):
        raise StoreUnavailable("OperationalError")

    monkeypatch.setattr(verification, "run_in_store", down)
    assert await verification.sender_blocked(sms_tracker(new_number(), "hi")) is False
