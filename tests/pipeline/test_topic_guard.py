"""TopicGuard: a surer guess for the intents that start an identity check or a ticket."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from pipeline.topic_guard import TopicGuard, guarded_guess_unsure

CONFIG = {**TopicGuard.get_default_config(), "threshold": 0.45, "ambiguity_threshold": 0.05,
          "guarded_intents": ["missing_students", "human_handoff"], "guarded_threshold": 0.7,
          "guarded_ambiguity_threshold": 0.2, "faq_topic_threshold": 0.4}


def parse(ranking: list[tuple[str, float]]) -> str:
    message = Message(data={"text": "x", "intent": {"name": ranking[0][0], "confidence": ranking[0][1]},
                            "intent_ranking": [{"name": n, "confidence": c} for n, c in ranking],
                            "response_selector": {"faq": {"response": {"intent_response_key": "faq/fees",
                                                                       "confidence": 0.9}}}})
    TopicGuard(CONFIG).process([message])
    return message.data["intent"]["name"]


@pytest.mark.parametrize("ranking, expected", [
    ([("missing_students", 0.95), ("faq", 0.03)], "missing_students"),    # sure: the check may start
    ([("missing_students", 0.65), ("faq", 0.2)], "nlu_fallback"),         # middling
    ([("missing_students", 0.75), ("faq", 0.6)], "nlu_fallback"),         # close to the runner-up
    ([("faq", 0.6), ("missing_students", 0.3)], "faq"),                   # not guarded: the usual thresholds
    ([("faq", 0.4), ("missing_students", 0.3)], "nlu_fallback"),          # below the usual threshold
    ([("greet", 0.52), ("thank", 0.5)], "nlu_fallback"),                  # usual ambiguity
])
def test_guarded_intents_need_a_surer_guess(ranking, expected):
    assert parse(ranking) == expected


def test_ranking_is_kept_for_the_clarifying_question():
    message = Message(data={"text": "x", "intent": {"name": "human_handoff", "confidence": 0.6},
                            "intent_ranking": [{"name": "human_handoff", "confidence": 0.6},
                                               {"name": "faq", "confidence": 0.3}]})
    TopicGuard(CONFIG).process([message])
    names = [r["name"] for r in message.data["intent_ranking"]]
    assert names == ["nlu_fallback", "human_handoff", "faq"]


def test_guarded_guess_unsure_without_runner_up():
    assert not guarded_guess_unsure(0.9, [{"name": "a", "confidence": 0.9}], 0.7, 0.2)
    assert guarded_guess_unsure(0.69, [], 0.7, 0.2)


@pytest.mark.parametrize("topic_confidence, expected", [(0.9, "faq"), (0.39, "nlu_fallback"), (None, "nlu_fallback")])
def test_a_knowledge_question_needs_a_sure_topic(topic_confidence, expected):
    data = {"text": "x", "intent": {"name": "faq", "confidence": 0.99},
            "intent_ranking": [{"name": "faq", "confidence": 0.99}, {"name": "greet", "confidence": 0.01}]}
    if topic_confidence is not None:
        data["response_selector"] = {"faq": {"response": {"intent_response_key": "faq/fees",
                                                          "confidence": topic_confidence}}}
    message = Message(data=data)
    TopicGuard(CONFIG).process([message])
    assert message.data["intent"]["name"] == expected
