"""The web channels add a server-made `client_key` (keyed hash of the client's address) to each message, for
the per-sender limit of identity checks; a client can neither choose it nor claim an SMS number."""
from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import AsyncMock, MagicMock

from channels.rest import RestWithPushInput
from channels.webchat import WebChatInput
from portal.verification_limits import client_sender_key


def fake_request(ip: str, forwarded_for: str = ""):
    headers = {"x-forwarded-for": forwarded_for} if forwarded_for else {}
    return SimpleNamespace(ip=ip, headers=headers)


def test_rest_metadata_is_the_hashed_client_address():
    channel = RestWithPushInput()
    assert channel.get_metadata(fake_request("203.0.113.7")) == {"client_key": client_sender_key("203.0.113.7")}
    assert channel.get_metadata(fake_request("127.0.0.1", "198.51.100.4")) == {
        "client_key": client_sender_key("198.51.100.4")}
    assert channel.get_metadata(fake_request("127.0.0.1")) is None
    assert "203.0.113.7" not in str(channel.get_metadata(fake_request("203.0.113.7")))


async def _send(data, ip="203.0.113.9", forwarded_for=""):
    received = []

    async def on_new_message(message) -> None:
        received.append(message)

    channel = WebChatInput.from_credentials({"session_persistence": True})
    channel.blueprint(on_new_message)
    sio = channel.sio
    sio.get_environ = MagicMock(return_value={"sanic.request": fake_request(ip, forwarded_for)})
    sio.emit = AsyncMock()
    await sio.handlers["/"]["user_uttered"]("sid-1", data)
    [message] = received
    return message


async def test_webchat_metadata_gets_the_client_key_and_loses_spoofed_keys():
    message = await _send({"message": "hi", "session_id": "abc",
                           "metadata": {"language": "en", "sms_from": "+15550102005", "client_key": "client:x"}})
    assert message.metadata == {"language": "en", "client_key": client_sender_key("203.0.113.9")}
    assert message.sender_id == "abc" and message.text == "hi"


async def test_webchat_metadata_as_a_json_string_and_from_the_host_itself():
    message = await _send({"message": "hi", "session_id": "abc", "metadata": '{"sms_from": "+15550102005"}'},
                          ip="127.0.0.1")
    assert message.metadata == {}
