"""Rasa's REST channel, plus the messages pushed into a conversation since the parent's last turn.

REST cannot push: a staff reply or a resolved-ticket message that the help-desk service triggers through
Rasa's HTTP API (`trigger_intent`) is stored in the tracker but reaches no one. This channel returns those
messages first in the answer to the parent's next message. Its name stays `rest`, so the webhook is still
`POST /webhooks/rest/webhook`.

credentials.yml:
    channels.rest.RestWithPushInput:
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, Event, UserUttered
from sanic import Blueprint, Sanic
from sanic.request import Request

from portal.verification_limits import client_key


def is_external(event: Event) -> bool:
    """A user event made by `trigger_intent`, not typed by the parent."""
    return isinstance(event, UserUttered) and (event.text or "").startswith(EXTERNAL_MESSAGE_PREFIX)


def pushed_since_last_turn(events: list[Event]) -> list[dict[str, Any]]:
    """Bot messages that followed an external trigger after the parent's last real message."""
    pushed: list[dict[str, Any]] = []
    triggered = False
    for event in events:
        if isinstance(event, UserUttered) and not is_external(event):
            pushed, triggered = [], False
        elif is_external(event):
            triggered = True
        elif triggered and isinstance(event, BotUttered):
            pushed.append({"text": event.text, **{k: v for k, v in (event.data or {}).items() if v}})
    return pushed


class RestWithPushInput(RestInput):
    """REST channel that also delivers messages pushed into the conversation since the last turn."""

    def __init__(self) -> None:
        self.app: Optional[Sanic] = None

    @classmethod
    def name(cls) -> str:
        return "rest"

    def get_metadata(self, request: Request) -> Optional[dict[str, Any]]:
        """`client_key`: a keyed hash of the client's address, for the per-sender limit of identity checks
        (`portal.verification_limits`). The raw address never reaches the tracker."""
        key = client_key(request.ip, request.headers.get("x-forwarded-for"))
        return {"client_key": key} if key else None

    async def pending_messages(self, sender_id: str) -> list[dict[str, Any]]:
        """What was pushed into this conversation and not yet returned to the parent."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None or agent.tracker_store is None:
            return []
        tracker = await agent.tracker_store.retrieve(sender_id)
        return pushed_since_last_turn(list(tracker.events)) if tracker else []

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_pushed_messages(message: UserMessage) -> None:
            for pushed in await self.pending_messages(message.sender_id):
                await message.output_channel.send_response(message.sender_id, pushed)
            await on_new_message(message)

        blueprint = super().blueprint(with_pushed_messages)

        @blueprint.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app

        return blueprint
