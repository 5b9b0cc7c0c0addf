"""Rasa's `socketio` channel, fixed for the python-socketio this venv pins (5.18), for the web chat widget.

Rasa 3.6's `SocketIOInput` calls `sio.enter_room(sid, session_id)` without `await`. Since python-socketio 5.10,
`AsyncServer.enter_room` is a coroutine, so with `session_persistence: true` the socket never joins its session's
room: every reply (sent to the room named after the session id) and every message pushed later through Rasa's
HTTP API (`trigger_intent?output_channel=latest`) goes nowhere (RasaHQ/rasa#13027, "RuntimeWarning: coroutine
'AsyncServer.enter_room' was never awaited"). This subclass registers the same `session_request` handler with
the `await`; everything else is Rasa's own code. Its name stays `socketio`, so `output_channel=socketio|latest`
finds it.

It also checks what a page sends with `user_uttered` (Rasa's handler fails on a non-object event and
sends nothing): the event must be an object with a string `message` and a session id; the text is cleaned
by `channels.inbound` (control characters, intent payloads a parent may not send, too-long messages). Bad
events and failures get a short `bot_uttered` answer, never silence.

credentials.yml:
    channels.webchat.WebChatInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
"""
from __future__ import annotations

import inspect
import json
import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint, Sanic

from channels.client_address import client_key
from channels.inbound import MAX_SENDER_CHARS, prepare
from channels.sentences import channel_sentence


logger = logging.getLogger(__name__)


class IdentifiedSocketIOOutput(SocketIOOutput):
    """Every assistant message carries a `message_id`: all tabs of one conversation receive it (the session's
    room), and the widget stores it once by that id instead of guessing from text and time."""

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        message = dict(response) if isinstance(response, dict) else {"text": str(response)}
        await super()._send_message(socket_id, {**message, "message_id": uuid.uuid4().hex})


class WebChatInput(SocketIOInput):
    """`SocketIOInput` whose `session_request` really puts the socket in its session's room."""

    def get_output_channel(self) -> Optional[SocketIOOutput]:
        """For messages pushed by the help desk (trigger_intent): with message ids too."""
        if self.sio is None:
            return super().get_output_channel()
        return IdentifiedSocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        sio = self.sio
        assert sio is not None

        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            if not isinstance(data, dict):
                data = {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not session_id.strip() or len(session_id) > 128:
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                joined = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(joined):  # a coroutine since python-socketio 5.10
                    await joined
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            logger.debug(f"User {sid} joined session {session_id}.")

        async def user_uttered(sid: Text, data: Any = None) -> None:
            output = IdentifiedSocketIOOutput(sio, self.bot_message_evt)
            domain = getattr(getattr(getattr(getattr(self, "app", None), "ctx", None), "agent", None), "domain", None)

            async def answer(key: str) -> None:
                # The widget sends its language with every message (its toggle; the conversation's otherwise).
                shown = (data.get(self.metadata_key) or {}) if isinstance(data, dict) else {}
                language = shown.get("language") if isinstance(shown, dict) else None
                await output.send_text_message(sid, channel_sentence(key, domain, language))

            if not isinstance(data, dict) or not isinstance(data.get("message", ""), str):
                await answer("unreadable")
                return
            if self.session_persistence:
                session_id = data.get("session_id")
                if not isinstance(session_id, str) or not session_id.strip() or len(session_id) > MAX_SENDER_CHARS:
                    await answer("unreadable")
                    return
                sender_id = session_id
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key)
            metadata = {k: v for k, v in metadata.items() if k != "sms_from"} if isinstance(metadata, dict) else {}
            text, too_long = prepare(data.get("message", ""), domain)
            if too_long:
                await answer("too_long")
                return
            try:
                await on_new_message(UserMessage(text, output, sender_id, input_channel=self.name(),
                                                 metadata=metadata))
            except Exception as error:  # noqa: BLE001 - the parent gets an apology, never silence
                logger.exception("web chat message could not be answered (%s)", type(error).__name__)
                await answer("failed")

        @socketio_webhook.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app

        # Replace the handlers that super().blueprint() registered for the same events (the client-key
        # wrapper below then wraps our user_uttered).
        sio.on("session_request", namespace=self.namespace)(session_request)
        sio.on(self.user_message_evt, namespace=self.namespace)(user_uttered)
        self._add_client_key(sio)
        return socketio_webhook

    def _add_client_key(self, sio: Any) -> None:
        """Put the server-made `client_key` (keyed hash of the client's address, for the per-sender limit of
        identity checks) into each message's metadata, replacing whatever the client sent under the keys the
        assistant trusts (`client_key`, `sms_from`)."""
        namespace = self.namespace or "/"
        handle_message = sio.handlers[namespace][self.user_message_evt]

        async def with_client_key(sid: Text, data: Any = None) -> Any:
            if not isinstance(data, dict):
                data = {}
            metadata = data.get(self.metadata_key)
            if isinstance(metadata, str):  # Rasa accepts metadata as a JSON string too
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            metadata = dict(metadata) if isinstance(metadata, dict) else {}
            metadata.pop("sms_from", None)
            metadata.pop("client_key", None)
            request = (sio.get_environ(sid, namespace=namespace) or {}).get("sanic.request")
            key = client_key(getattr(request, "ip", None), request.headers.get("x-forwarded-for")) if request else None
            if key:
                metadata["client_key"] = key
            return await handle_message(sid, {**data, self.metadata_key: metadata})

        sio.on(self.user_message_evt, namespace=namespace)(with_client_key)
