"""action_clarify: when the NLU was unsure, the likely topics as buttons (and the general fallback otherwise)."""
from __future__ import annotations

import asyncio

from rasa_sdk.executor import CollectingDispatcher

from actions.clarify import ActionClarify, likely_topics, topic_payload
from channels.inbound import guard_payload
from portal.knowledge import load_knowledge
from tests.actions.conftest import make_tracker, slot_values


def unsure(ranking: list[tuple[str, float]], faq_topic: str = "") -> dict:
    message = {"text": "x", "intent": {"name": "nlu_fallback", "confidence": 0.45},
               "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.45}]
               + [{"name": n, "confidence": c} for n, c in ranking], "entities": []}
    if faq_topic:
        message["response_selector"] = {"faq": {"response": {"intent_response_key": f"faq/{faq_topic}"}}}
    return message


def clarify(message: dict) -> dict:
    tracker = make_tracker("x", intent="nlu_fallback")
    tracker.latest_message = message
    dispatcher = CollectingDispatcher()
    values = slot_values(asyncio.run(ActionClarify().run(dispatcher, tracker, {})))
    assert dispatcher.messages == []
    return values


def test_two_likely_topics_become_two_buttons():
    values = clarify(unsure([("missing_students", 0.41), ("faq", 0.38), ("greet", 0.1)], faq_topic="one_account_all_kids"))
    labels = load_knowledge().labels
    assert values["outcome"] == "clarify" and values["clarify_choices"] == "two"
    assert (values["clarify_title_1"], values["clarify_payload_1"]) == (labels["missing_students"], "/missing_students")
    assert values["clarify_title_2"] == labels["faq/one_account_all_kids"]
    assert values["clarify_payload_2"] == '/faq{"kb_topic":"one_account_all_kids"}'


def test_topics_without_a_title_and_out_of_scope_are_skipped():
    values = clarify(unsure([("out_of_scope", 0.5), ("affirm", 0.3), ("forgot_password", 0.15)]))
    assert values["clarify_choices"] == "one"
    assert values["clarify_payload_1"] == "/forgot_password"


def test_nothing_likely_is_the_general_fallback():
    assert clarify(unsure([("out_of_scope", 0.6), ("greet", 0.3), ("get_account", 0.01)]))["outcome"] == "fallback"
    assert clarify({"text": "x"})["outcome"] == "fallback"


def test_same_topic_twice_is_offered_once():
    choices = likely_topics(unsure([("faq", 0.4), ("faq", 0.3)], faq_topic="grades"), load_knowledge())
    assert [key for key, _ in choices] == ["faq/grades"]


def test_every_clarify_button_passes_the_channels_payload_guard():
    knowledge = load_knowledge()
    for key in knowledge.labels:
        payload = topic_payload(key)
        assert guard_payload(payload, _Domain()) == payload, payload


class _Domain:
    """What the channels read of Rasa's domain: its intents (the retrieval intent included)."""

    intents = [key for key in load_knowledge().labels if "/" not in key] + ["faq"]
    responses: dict = {}
