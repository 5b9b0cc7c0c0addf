"""Bad input over the web chat's Socket.IO channel (Rasa's socketio with session persistence, as the widget
speaks it) against the real servers: every event gets a non-empty, leak-free `bot_uttered`; the server stays up."""
from __future__ import annotations

import queue
import secrets
import time
from typing import Any, Iterator

import pytest
import socketio

from tests.robustness.cases import PARENT_MESSAGES, check_replies

pytestmark = pytest.mark.e2e

FIRST_REPLY_TIMEOUT = 60.0
QUIET_SECONDS = 1.0


class Chat:
    """One Socket.IO connection to Rasa; each case uses a session of its own."""

    def __init__(self, url: str) -> None:
        self.replies: "queue.Queue[Any]" = queue.Queue()
        self.confirmed: "queue.Queue[Any]" = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("session_confirm", self.confirmed.put)
        self.client.connect(url, socketio_path="/socket.io", transports=["polling"], wait_timeout=30)

    def session(self) -> str:
        session_id = secrets.token_hex(16)
        self.client.emit("session_request", {"session_id": session_id})
        assert self.confirmed.get(timeout=30) == session_id
        return session_id

    def send(self, data: Any) -> list[Any]:
        """Emit one `user_uttered` event; every `bot_uttered` until the server is quiet."""
        while not self.replies.empty():
            self.replies.get_nowait()
        self.client.emit("user_uttered", data)
        try:
            answers = [self.replies.get(timeout=FIRST_REPLY_TIMEOUT)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + QUIET_SECONDS
        while time.monotonic() < deadline:
            try:
                answers.append(self.replies.get(timeout=max(deadline - time.monotonic(), 0.01)))
                deadline = time.monotonic() + QUIET_SECONDS
            except queue.Empty:
                break
        return answers

    def texts(self, data: Any) -> list[str]:
        return [a.get("text") or "" if isinstance(a, dict) else str(a) for a in self.send(data)]


@pytest.fixture(scope="module")
def chat(servers) -> Iterator[Chat]:
    connection = Chat(servers.rasa_url)
    try:
        yield connection
    finally:
        connection.client.disconnect()


@pytest.mark.parametrize("message", list(PARENT_MESSAGES.values()), ids=list(PARENT_MESSAGES))
def test_every_message_gets_a_clear_answer(chat, message):
    session_id = chat.session()
    check_replies(chat.texts({"message": message, "session_id": session_id, "metadata": {"language": "en"}}),
                  message)


MALFORMED = {
    "string-event": "hello",
    "list-event": ["hello"],
    "number-event": 42,
    "null-event": None,
    "message-number": {"message": 5},
    "message-object": {"message": {"text": "hi"}},
    "message-list": {"message": ["hi"]},
    "no-session-id": {"message": "hi", "session_id": None},
    "session-id-too-long": {"message": "hi", "session_id": "s" * 5000},
    "session-id-number": {"message": "hi", "session_id": 12345},
    "metadata-string": {"message": "hi", "metadata": "{not json"},
    "metadata-sms-from": {"message": "hi", "metadata": {"sms_from": "+15550102002"}},
}


@pytest.mark.parametrize("data", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_events_get_an_answer(chat, data):
    session_id = chat.session()
    if isinstance(data, dict) and "session_id" not in data:
        data = {**data, "session_id": session_id}
    check_replies(chat.texts(data), repr(data))


def test_sms_from_metadata_is_not_trusted(chat, servers):
    session_id = chat.session()
    chat.texts({"message": "hi", "session_id": session_id, "metadata": {"sms_from": "+15550102002"}})
    parent = [e for e in servers.tracker(session_id)["events"] if e["event"] == "user"]
    assert parent and "sms_from" not in (parent[-1].get("metadata") or {})


def test_the_server_is_still_up(chat):
    session_id = chat.session()
    texts = chat.texts({"message": "how do I get a parent portal account?", "session_id": session_id})
    assert any("school" in t.lower() for t in texts), texts
