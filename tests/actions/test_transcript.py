"""The transcript staff read: the parent's and the assistant's messages; a language switch in words."""
from __future__ import annotations

from rasa_sdk import Tracker

from actions.transcript import build_transcript


def user(text: str, intent: str = "inform", entities: list | None = None) -> dict:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}, "entities": entities or []}}


def tracker(*events: dict) -> Tracker:
    return Tracker("p", {}, {}, list(events), False, None, {}, "action_listen")


def test_parent_and_assistant_lines_in_order():
    events = [user("hi", "greet"), {"event": "bot", "text": "Hi! How can I help?"}, {"event": "action", "name": "x"}]
    assert build_transcript(tracker(*events)) == "Parent: hi\nAssistant: Hi! How can I help?"


def test_the_widgets_language_button_reads_as_a_switch_not_a_payload():
    switch = user('/set_language{"language":"es"}', "set_language", [{"entity": "language", "value": "es"}])
    typed = user("español por favor", "set_language", [{"entity": "language", "value": "es"}])
    lines = build_transcript(tracker(switch, typed)).splitlines()
    assert lines == ["Parent switched the chat to Spanish", "Parent: español por favor"]
