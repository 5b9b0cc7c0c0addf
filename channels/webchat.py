"""Rasa's `socketio` channel, fixed for the python-socketio this venv pins (5.18), for the web chat widget.

Rasa 3.6's `SocketIOInput` calls `sio.enter_room(sid, session_id)` without `await`. Since python-socketio 5.10,
`AsyncServer.enter_room` is a coroutine, so with `session_persistence: true` the socket never joins its session's
room: every reply (sent to the room named after the session id) and every message pushed later through Rasa's
HTTP API (`trigger_intent?output_channel=latest`) goes nowhere (RasaHQ/rasa#13027, "RuntimeWarning: coroutine
'AsyncServer.enter_room' was never awaited"). This subclass registers the same `session_request` handler with
the `await`; everything else is Rasa's own code. Its name stays `socketio`, so `output_channel=socketio|latest`
finds it.

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
from rasa.core.channels.socketio import SocketIOInput
from sanic import Blueprint

from portal.verification_limits import client_key

logger = logging.getLogger(__name__)


class WebChatInput(SocketIOInput):
    """`SocketIOInput` whose `session_request` really puts the socket in its session's room."""

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

        # Replaces the handler that super().blueprint() registered for the same event.
        sio.on("session_request", namespace=self.namespace)(session_request)
        self._add_client_key(sio)
        return socketio_webhook

    def _add_client_key(self, sio: Any) -> None:
        """Put the server-made `client_key` (keyed hash of the client's address, for the per-sender limit of
        identity checks) into each message's metadata, replacing whatever the client sent under the keys the
        assistant trusts (`client_key`, `sms_from`)."""
        namespace = self.namespace or "/"
        handle_message = sio.handlers[namespace][self.user_message_evt]

        async def with_client_key(sid: Text, data: Any) -> Any:
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
