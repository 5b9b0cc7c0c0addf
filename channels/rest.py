"""Rasa's REST channel, plus the messages pushed into a conversation since the parent's last turn.

REST cannot push: a staff reply or a resolved-ticket message that the help-desk service triggers through
Rasa's HTTP API (`trigger_intent`) is stored in the tracker but reaches no one. This channel returns those
messages first in the answer to the parent's next message. Its name stays `rest`, so the webhook is still
`POST /webhooks/rest/webhook`.

Bad input never reaches the assistant, and never gets a stack trace or silence: the body must be a JSON
object (any Content-Type, so `curl -d '{...}'` works) of at most 64 KiB with a non-empty string `sender`
(at most 128 characters, no control characters) and a string `message`; `metadata`, when sent, an object.
Anything else answers 4xx with {"error": "..."}. The text is cleaned by `channels.inbound` (control
characters, intent payloads a parent may not send, too-long messages answered with a request to be
shorter). The client cannot choose the input channel, nor set metadata (see `get_metadata`).
If the assistant fails on a message, the parent gets a short apology instead of an empty answer.

credentials.yml:
    channels.rest.RestWithPushInput:
"""
from __future__ import annotations

import json
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Optional, Union

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, Event, UserUttered, deserialise_events
from sanic import Blueprint, Request, Sanic, response
from sanic.response import HTTPResponse

from channels.client_address import client_key
from channels.inbound import MAX_SENDER_CHARS, clean_text, prepare
from channels.sentences import channel_sentence

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024  # a 10,000-character message of emoji, JSON-escaped, still gets the "too long" reply


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def parse_body(body: bytes) -> tuple[str, str]:
    """(sender, message) from a request body; BadRequest when it is unusable. The client's own
    `metadata` is checked but not passed on: the channel makes the metadata (`get_metadata`)."""
    if len(body or b"") > MAX_BODY_BYTES:
        raise BadRequest(413, f"request body too large (at most {MAX_BODY_BYTES // 1024} KiB)")
    if not (body or b"").strip():
        raise BadRequest(400, 'send a JSON object like {"sender": "...", "message": "..."}')
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest(400, "malformed JSON body") from None
    if not isinstance(data, dict):
        raise BadRequest(400, 'the JSON body must be an object like {"sender": "...", "message": "..."}')
    sender = data.get("sender")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)
    if not isinstance(sender, str) or not sender.strip():
        raise BadRequest(400, "'sender' is required: a string that names the conversation")
    if len(sender) > MAX_SENDER_CHARS or clean_text(sender) != sender:
        raise BadRequest(400, f"'sender' must be at most {MAX_SENDER_CHARS} characters, without control "
                              "characters or surrounding spaces")
    message = data.get("message")
    if not isinstance(message, str):
        raise BadRequest(400, "'message' is required and must be a string")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest(400, "'metadata' must be an object")
    return sender, message


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


def primary_store(store: Any) -> Any:
    """The configured tracker store inside Rasa's wrappers (FailSafeTrackerStore, AwaitableTrackerStore)."""
    while getattr(store, "_tracker_store", None) is not None:
        store = store._tracker_store
    return store


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
        """What was pushed into this conversation and not yet returned to the parent: read from the end of the
        conversation when the tracker store can (channels.tracker_store), else from the whole tracker."""
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        if agent is None or agent.tracker_store is None:
            return []
        read_tail = getattr(primary_store(agent.tracker_store), "events_since_typed_message", None)
        if read_tail is not None:
            return pushed_since_last_turn(deserialise_events(await read_tail(sender_id)))
        tracker = await agent.tracker_store.retrieve(sender_id)
        return pushed_since_last_turn(list(tracker.events)) if tracker else []

    def _domain(self) -> Any:
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        return getattr(agent, "domain", None)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def with_pushed_messages(message: UserMessage) -> None:
            for pushed in await self.pending_messages(message.sender_id):
                await message.output_channel.send_response(message.sender_id, pushed)
            await on_new_message(message)

        blueprint = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @blueprint.route("/webhook", methods=["GET", "PUT", "PATCH", "DELETE"])
        async def wrong_method(_: Request) -> HTTPResponse:
            return response.json({"error": "use POST with a JSON body"}, status=405, headers={"Allow": "POST"})

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[HTTPResponse, Any]:
            try:
                sender, raw_text = parse_body(request.body)
            except BadRequest as error:
                return response.json({"error": error.message}, status=error.status)
            domain = self._domain()
            metadata = self.get_metadata(request)
            stream = str(request.args.get("stream", "")).lower() == "true"
            text, too_long = prepare(raw_text, domain)
            if too_long:
                return response.json([{"recipient_id": sender, "text": channel_sentence("too_long", domain)}])
            if stream:
                return response.stream(
                    self.stream_response(with_pushed_messages, text, sender, self.name(), metadata),
                    content_type="text/event-stream")
            collector = CollectingOutputChannel()
            try:
                await with_pushed_messages(UserMessage(text, collector, sender, input_channel=self.name(),
                                                       metadata=metadata))
            except CancelledError:
                logger.error("REST message for a conversation timed out")
                return response.json([{"recipient_id": sender, "text": channel_sentence("failed", domain)}])
            except Exception as error:  # noqa: BLE001 - the parent gets an apology, never a stack trace
                logger.exception("REST message could not be answered (%s)", type(error).__name__)
                return response.json([{"recipient_id": sender, "text": channel_sentence("failed", domain)}])
            return response.json(collector.messages)

        @blueprint.listener("before_server_start")
        async def remember_app(app: Sanic, _loop: Any) -> None:
            self.app = app

        return blueprint
