"""The REST channel returns messages pushed into a conversation since the parent's last turn."""
from __future__ import annotations

from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from channels.rest import pushed_since_last_turn


def parent(text):
    return UserUttered(text, {"name": "inform"})


def test_messages_after_an_external_trigger_are_pending():
    events = [parent("hi"), BotUttered("Hi!"), ActionExecuted("action_listen"),
              UserUttered.create_external("EXTERNAL_staff_reply"), BotUttered("School staff: done", {"buttons": []})]
    assert pushed_since_last_turn(events) == [{"text": "School staff: done"}]


def test_nothing_pending_once_the_parent_wrote_again():
    events = [UserUttered.create_external("EXTERNAL_staff_reply"), BotUttered("School staff: done"),
              parent("thanks"), BotUttered("You're welcome!")]
    assert pushed_since_last_turn(events) == []


def test_the_turns_own_replies_are_not_pushed_twice():
    assert pushed_since_last_turn([parent("hi"), BotUttered("Hi!")]) == []


def test_buttons_of_pushed_messages_are_kept():
    buttons = [{"title": "Yes", "payload": "/affirm"}]
    events = [UserUttered.create_external("EXTERNAL_handoff_ended"), BotUttered("Back with me.", {"buttons": buttons})]
    assert pushed_since_last_turn(events) == [{"text": "Back with me.", "buttons": buttons}]
