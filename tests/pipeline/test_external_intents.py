"""Typed messages never get the help desk's EXTERNAL_* intents."""
from __future__ import annotations

from rasa.shared.nlu.training_data.message import Message

from pipeline.external_intents import ExternalIntentFilter, drop_external_intents


def parsed(intent: str, ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={"text": "EXTERNAL staff reply"})
    message.data["intent"] = {"name": intent, "confidence": dict(ranking)[intent]}
    message.data["intent_ranking"] = [{"name": n, "confidence": c} for n, c in ranking]
    return message


def test_an_external_prediction_gives_way_to_the_next_intent():
    message = parsed("EXTERNAL_staff_reply", [("EXTERNAL_staff_reply", 0.9), ("EXTERNAL_ticket_resolved", 0.05),
                                              ("ticket_status", 0.03), ("greet", 0.02)])
    drop_external_intents(message)
    assert message.data["intent"] == {"name": "ticket_status", "confidence": 0.03}
    assert [r["name"] for r in message.data["intent_ranking"]] == ["ticket_status", "greet"]


def test_other_predictions_are_untouched():
    message = parsed("greet", [("greet", 0.8), ("EXTERNAL_handoff_ended", 0.1), ("thank", 0.1)])
    drop_external_intents(message)
    assert message.data["intent"] == {"name": "greet", "confidence": 0.8}
    assert [r["name"] for r in message.data["intent_ranking"]] == ["greet", "thank"]


def test_only_external_intents_leave_no_intent():
    message = parsed("EXTERNAL_handoff_ended", [("EXTERNAL_handoff_ended", 1.0)])
    ExternalIntentFilter().process([message])
    assert message.data["intent"]["name"] is None and message.data["intent_ranking"] == []
