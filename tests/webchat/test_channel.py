"""channels.webchat.WebChatInput: Rasa's socketio channel whose session_request really joins the session's room."""
from __future__ import annotations

from unittest.mock import AsyncMock

import pytest
from rasa.core.channels.socketio import SocketIOInput

from channels.webchat import WebChatInput


async def _noop(_message) -> None:
    return None


def _session_request(channel: SocketIOInput):
    channel.blueprint(_noop)
    sio = channel.sio
    sio.enter_room = AsyncMock()
    sio.emit = AsyncMock()
    return sio, sio.handlers["/"]["session_request"]


async def test_session_request_joins_the_room_and_confirms() -> None:
    channel = WebChatInput.from_credentials({"session_persistence": True})
    assert isinstance(channel, WebChatInput) and channel.name() == "socketio"
    sio, handler = _session_request(channel)
    await handler("sid-1", {"session_id": "abc123"})
    sio.enter_room.assert_awaited_once_with("sid-1", "abc123", namespace=None)
    sio.emit.assert_awaited_once_with("session_confirm", "abc123", room="sid-1", namespace=None)


@pytest.mark.parametrize("data", [None, {}, {"session_id": None}, {"session_id": ""}, {"session_id": 5},
                                  {"session_id": "x" * 500}])
async def test_a_missing_or_odd_session_id_gets_a_new_one(data) -> None:
    sio, handler = _session_request(WebChatInput.from_credentials({"session_persistence": True}))
    await handler("sid-2", data)
    new_id = sio.emit.await_args.args[1]
    assert isinstance(new_id, str) and len(new_id) == 32
    sio.enter_room.assert_awaited_once_with("sid-2", new_id, namespace=None)


async def test_without_persistence_no_room() -> None:
    sio, handler = _session_request(WebChatInput.from_credentials({}))
    await handler("sid-3", {"session_id": "abc"})
    sio.enter_room.assert_not_awaited()
    sio.emit.assert_awaited_once()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
async def test_why_the_subclass_exists() -> None:
    """Rasa 3.6's own handler never awaits enter_room (RasaHQ/rasa#13027), a coroutine in this python-socketio.
    When this fails, Rasa or python-socketio changed: WebChatInput may no longer be needed."""
    sio, handler = _session_request(SocketIOInput(session_persistence=True))
    await handler("sid-4", {"session_id": "abc"})
    assert sio.enter_room.await_count == 0


async def test_every_assistant_message_has_its_own_id() -> None:
    """All tabs of a conversation get the same message (one room); the id lets the widget store it once."""
    from channels.webchat import IdentifiedSocketIOOutput

    sio = AsyncMock()
    output = IdentifiedSocketIOOutput(sio, "bot_uttered")
    await output.send_text_message("session-1", "Which school?")
    await output.send_text_message("session-1", "Which school?")
    sent = [call.args[1] for call in sio.emit.await_args_list]
    assert [m["text"] for m in sent] == ["Which school?", "Which school?"]
    assert all(call.kwargs["room"] == "session-1" for call in sio.emit.await_args_list)
    assert len({m["message_id"] for m in sent}) == 2


def test_pushed_messages_carry_ids_too() -> None:
    from channels.webchat import IdentifiedSocketIOOutput

    channel = WebChatInput()
    channel.sio = AsyncMock()
    assert isinstance(channel.get_output_channel(), IdentifiedSocketIOOutput)
