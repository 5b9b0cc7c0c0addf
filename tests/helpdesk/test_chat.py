"""/chat/: the widget's files, the demo page, and a conversation's history for a reloaded page."""
from __future__ import annotations

import json

import pytest

from helpdesk.chat import history_from_events

EVENTS = [
    {"event": "user", "text": "/greet", "metadata": {}},
    {"event": "bot", "text": "Hi! What do you need?", "data": {"buttons": [{"title": "Get an account",
                                                                          "payload": "/get_account"}]}},
    {"event": "user", "text": "how do I get an account"},
    {"event": "bot", "text": "Which school?\n\nPick one below.", "data": {"buttons": [{"title": "Maple",
                                                                                     "payload": "/inform"}]}},
    {"event": "user", "text": "EXTERNAL: EXTERNAL_staff_reply", "metadata": {"is_external": True}},
    {"event": "bot", "text": "School staff: hello", "data": {}},
    {"event": "slot", "name": "school", "value": "x"},
]


def test_history_keeps_parent_and_assistant_messages_in_order():
    history = history_from_events(EVENTS)
    assert [(h["sender"], h["text"]) for h in history] == [
        ("parent", "/greet"), ("assistant", "Hi! What do you need?"), ("parent", "how do I get an account"),
        ("assistant", "Which school?"), ("assistant", "Pick one below."), ("assistant", "School staff: hello")]
    assert history[3]["buttons"] == [] and history[4]["buttons"][0]["title"] == "Maple"


def test_demo_page_and_widget_files_are_served(client):
    page = client.get("/chat/")
    assert page.status_code == 200 and "widget.js" in page.text
    assert client.get("/chat/widget.js").status_code == 200
    assert client.get("/chat/vendor/socket.io.min.js").status_code == 200
    for hidden in ("/chat/package.json", "/chat/node_modules/axe-core/axe.min.js", "/chat/../portal/db.py"):
        assert client.get(hidden).status_code == 404


def test_history_comes_from_rasas_tracker(client, rasa):
    rasa.reset(lambda request: (200, {"Content-Type": "application/json"}, json.dumps({"events": EVENTS}).encode()))
    answer = client.get("/chat/history", params={"session_id": "abc123"})
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.json()[0] == {"sender": "parent", "text": "/greet", "buttons": []}
    assert rasa.requests[-1].path == "/conversations/abc123/tracker"


@pytest.mark.parametrize("params", [{}, {"session_id": ""}, {"session_id": "x" * 500}])
def test_history_needs_a_sensible_session_id(client, params):
    assert client.get("/chat/history", params=params).status_code == 400


def test_history_when_rasa_is_down(client, rasa):
    rasa.reset(lambda request: (500, {}, b"oops"))
    answer = client.get("/chat/history", params={"session_id": "abc"})
    assert answer.status_code == 503 and "error" in answer.json()
