"""SMS channel: a Twilio-compatible Rasa connector.

    POST /webhooks/sms/webhook   form fields From, Body, MessageSid; header X-Twilio-Signature
    GET  /webhooks/sms/          {"status": "ok"}

Inbound, in this order (nothing reaches the assistant before the signature is checked):
1. `X-Twilio-Signature` checked with twilio's `RequestValidator`, the secret `TWILIO_AUTH_TOKEN` and the public
   URL (credentials `public_url`; else the URL the request arrived at, from X-Forwarded-Proto/-Host only with
   `trust_proxy: true`). Bad or missing signature: 403. No `TWILIO_AUTH_TOKEN`: every request refused (503).
2. The MessageSid is claimed in the store: a retried or concurrent duplicate gets the TwiML the first one
   answered with, and is never processed twice.
3. Carrier keywords, before NLU and never seen by the dialogue: STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT opt
   the number out (one confirmation; after that it gets nothing, pushes included); START, UNSTOP opt back in;
   HELP answers with the district's phone and hours (also when opted out). Texts: `channels/sms_replies.py`.
   In Spanish (issue 12): AYUDA is HELP and PARAR, ALTO, CANCELAR, BAJA are STOP, answered in Spanish; any
   case, with or without accents. ESPAÑOL / ESPANOL and ENGLISH / INGLES / INGLÉS set the number's language
   (kept in the store) and reach the assistant as `/set_language{"language":"es"}` (its reply is texted; an
   opted-out number is only remembered, and START then tells the assistant). The keyword answers and the
   numbered-choice line follow the number's language: the keyword's own, else the conversation's `language`
   slot as last seen (read from the tracker store after each turn), else English. A number that chose Spanish
   and starts a conversation with no message yet has `/set_language` sent first (its reply is not texted).
4. A reply naming one of the numbered choices last offered ("1", or the button's title) becomes that button's
   payload. The message goes to Rasa with `metadata={"sms_from": "+1555..."}` under the number's conversation
   id (random, "sms-..."; the number itself stays out of tracker ids, tickets and logs).
5. The replies come back inline as TwiML, one <Message> per SMS (at most 320 characters each, see sms_text).

Outbound outside a webhook call (Rasa's `trigger_intent?output_channel=latest`, or `output_channel=sms`): Rasa
asks `get_output_channel()`, whose messages are queued in the store's outbox (nothing for an opted-out number)
and sent through the gateway's Messages API by the process's one outbox worker (`channels.sms_delivery`,
woken by the push); failures stay queued and are retried with backoff (also on another replica after a
restart). The caller gets success once the message is safely queued, so it never needs to retry (and never
duplicates) the whole trigger.

DB work runs in threads (`asyncio.to_thread`, one short session per unit of work), and so do the worker's
sends: the event loop never blocks.
Logs show masked numbers (`***-***-2005`) and never message bodies.

credentials.yml:
    channels.sms.SmsInput:
      public_url: https://assistant.example.org/webhooks/sms/webhook   # as in the Twilio console (optional)
      trust_proxy: false
      from_number: "+15550100000"                                      # or TWILIO_FROM_NUMBER
Environment: TWILIO_AUTH_TOKEN (required), TWILIO_ACCOUNT_SID and TWILIO_FROM_NUMBER (for pushed messages),
optional SMS_PUBLIC_URL, TWILIO_API_BASE_URL; the store is DATABASE_URL (portal.db).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, Iterable, Mapping, Optional, Text
from urllib.parse import parse_qs

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request, RequestParameters
from sanic.response import HTTPResponse
from twilio.request_validator import RequestValidator

from channels.inbound import language_payload, prepare
from channels.sentences import channel_sentence
from channels.sms_delivery import make_worker
from channels.sms_gateway import GatewayClient
from channels.sms_replies import reply_templates, reply_text
from channels.sms_text import (
    HELP,
    OPT_IN,
    OPT_OUT,
    SET_LANGUAGE,
    Keyword,
    Rendered,
    match_choice,
    parse_keyword,
    render_batch,
    twiml,
)
from portal import db
from portal import sms as store
from portal.identity import mask_phone
from portal.models import DEFAULT_LANGUAGE, LANGUAGES, utcnow

logger = logging.getLogger(__name__)

CHANNEL_NAME = "sms"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
KNOWN_CREDENTIALS = {"public_url", "trust_proxy", "from_number", "api_base_url", "retry_interval_seconds",
                     "choices_ttl_minutes", "database_url"}
# Some carriers turn "@" into "¡" (GSM 7-bit alphabet mix-ups); put it back where an email address was meant.
_CARRIER_AT = re.compile(r"(?<=[\w.+-])\u00a1(?=[\w-]+(?:\.[\w-]+)+)")


@dataclass(frozen=True)
class ConversationState:
    """What the channel needs to know of the assistant's conversation with a number."""

    started: bool  # the parent has said something in it
    language: Optional[str]  # its `language` slot


def normalise_number(raw: Optional[str]) -> Optional[str]:
    """An E.164 number ("+15550102005") from the gateway's From field, or None when it is not a phone number.

    Twilio sends E.164 already; 10 digits (or 11 starting with 1) without "+" are taken as North American.
    """
    value = (raw or "").strip()
    if re.search(r"[^\d\s()+.-]", value):  # "whatsapp:+1...", alphanumeric sender ids: not an SMS number
        return None
    digits = re.sub(r"\D", "", value)
    if value.startswith("+") and 8 <= len(digits) <= 15:
        return "+" + digits
    if len(digits) == 10 and not value.startswith("+"):
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1") and not value.startswith("+"):
        return "+" + digits
    return None


def form_parameters(request: Request) -> RequestParameters:
    """The form fields exactly as signed, blank values included (Sanic's `request.form` drops them, and
    Twilio signs its empty fields such as FromCity, so the signature would never match)."""
    content_type = (request.headers.get("content-type") or "").lower()
    if "application/x-www-form-urlencoded" not in content_type:
        return RequestParameters()
    return RequestParameters(parse_qs((request.body or b"").decode("utf-8", "replace"), keep_blank_values=True))


def _flag(value: Any) -> bool:
    """A yes/no setting from YAML, where "false" in quotes must not count as true."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _first_header(request: Request, name: str) -> str:
    return (request.headers.get(name) or "").split(",")[0].strip()


class SmsReplyCollector(OutputChannel):
    """Collects the replies of one webhook call, for the TwiML answer."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    def __init__(self) -> None:
        self.messages: list[Dict[Text, Any]] = []

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.messages.append(dict(message))

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.messages.append({"text": text})


class SmsPushOutput(OutputChannel):
    """Messages Rasa sends outside a webhook call: queued in the outbox and sent through the gateway."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    def __init__(self, channel: "SmsInput") -> None:
        self.channel = channel

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self.channel.push(recipient_id, [dict(message)])

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.channel.push(recipient_id, [{"text": text}])


class SmsInput(InputChannel):
    """The SMS connector (see the module docstring)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = dict(credentials or {})
        unknown = sorted(set(credentials) - KNOWN_CREDENTIALS)
        if unknown:
            logger.warning("SMS channel: ignoring unknown credentials keys %s (secrets belong in the environment: "
                           "TWILIO_AUTH_TOKEN, TWILIO_ACCOUNT_SID)", ", ".join(unknown))
        return cls(
            public_url=credentials.get("public_url"),
            trust_proxy=_flag(credentials.get("trust_proxy", False)),
            from_number=credentials.get("from_number"),
            api_base_url=credentials.get("api_base_url"),
            retry_interval_seconds=float(credentials.get("retry_interval_seconds", 15)),
            choices_ttl_minutes=float(credentials.get("choices_ttl_minutes", 240)),
            database_url=credentials.get("database_url"),
        )

    def __init__(
        self,
        public_url: Optional[str] = None,
        trust_proxy: bool = False,
        from_number: Optional[str] = None,
        api_base_url: Optional[str] = None,
        retry_interval_seconds: float = 15.0,
        choices_ttl_minutes: float = 240.0,
        database_url: Optional[str] = None,
        auth_token: Optional[str] = None,
        account_sid: Optional[str] = None,
        duplicate_wait_seconds: float = 10.0,
    ) -> None:
        env = os.environ
        self.public_url = (public_url or env.get("SMS_PUBLIC_URL") or "").strip() or None
        if self.public_url and not re.match(r"^https?://[^/]+", self.public_url):
            raise ValueError(f"SMS channel: public_url must be a full http(s) URL, got {self.public_url!r}")
        self.trust_proxy = trust_proxy
        self.auth_token = (auth_token if auth_token is not None else env.get("TWILIO_AUTH_TOKEN", "")).strip()
        self.database_url = database_url or None
        self.retry_interval_seconds = retry_interval_seconds
        self.choices_ttl = timedelta(minutes=choices_ttl_minutes)
        self.duplicate_wait_seconds = duplicate_wait_seconds
        self.client = GatewayClient(
            account_sid if account_sid is not None else env.get("TWILIO_ACCOUNT_SID"),
            self.auth_token,
            from_number or env.get("TWILIO_FROM_NUMBER"),
            api_base_url or env.get("TWILIO_API_BASE_URL"),
        )
        self.worker = make_worker(self.client, self.database_url)
        self._wakeup = asyncio.Event()
        self._worker: Optional[asyncio.Task] = None
        self.app: Optional[Sanic] = None
        if not self.auth_token:
            logger.error("SMS channel: TWILIO_AUTH_TOKEN is not set, so no webhook request can be verified; "
                         "every request to /webhooks/sms/webhook will be refused")
        elif not self.client.configured:
            logger.warning("SMS channel: %s not set; pushed messages are queued but not sent until it is",
                           ", ".join(self.client.missing))

    # --- Rasa's interface -------------------------------------------------------------------------------

    def get_output_channel(self) -> OutputChannel:
        """Used by Rasa outside a webhook call (trigger_intent): messages go out through the gateway API."""
        return SmsPushOutput(self)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sms_webhook = Blueprint("sms_webhook", __name__)

        @sms_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sms_webhook.route("/webhook", methods=["GET", "PUT", "PATCH", "DELETE"])
        async def wrong_method(_: Request) -> HTTPResponse:
            return response.text("Method not allowed: the gateway POSTs here", status=405, headers={"Allow": "POST"})

        @sms_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle_webhook(request, on_new_message)

        @sms_webhook.listener("after_server_start")
        async def start_worker(app: Sanic, _loop: Any) -> None:
            self.app = app
            if self.client.configured:
                self._wakeup = asyncio.Event()
                self._worker = asyncio.get_running_loop().create_task(self._run_worker())

        @sms_webhook.listener("before_server_stop")
        async def stop_worker(_app: Sanic, _loop: Any) -> None:
            if self._worker is not None:
                self._worker.cancel()
                await asyncio.gather(self._worker, return_exceptions=True)
                self._worker = None

        return sms_webhook

    # --- Inbound ----------------------------------------------------------------------------------------

    def signed_url(self, request: Request) -> str:
        """The URL the gateway signed: `public_url`, else the URL this request arrived at."""
        query = request.query_string
        if self.public_url:
            if query and "?" not in self.public_url:
                return f"{self.public_url}?{query}"
            return self.public_url
        scheme = "https" if request.transport.get_extra_info("sslcontext") else "http"
        host = request.headers.get("host", "")
        if self.trust_proxy:
            scheme = _first_header(request, "x-forwarded-proto") or scheme
            host = _first_header(request, "x-forwarded-host") or host
        return f"{scheme}://{host}{request.path}" + (f"?{query}" if query else "")

    def _domain(self, app: Optional[Sanic] = None) -> Any:
        agent = getattr(getattr(app or self.app, "ctx", None), "agent", None)
        return getattr(agent, "domain", None)

    async def handle_webhook(self, request: Request,
                             on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> HTTPResponse:
        if not self.auth_token:
            logger.error("SMS webhook refused: TWILIO_AUTH_TOKEN is not set, so the request cannot be verified")
            return response.text("SMS channel not configured", status=503)
        params = form_parameters(request)
        signature = request.headers.get("x-twilio-signature", "")
        url = self.signed_url(request)
        if not signature or not RequestValidator(self.auth_token).validate(url, params, signature):
            logger.warning("SMS webhook refused: %s X-Twilio-Signature for %s (if this is the gateway, check "
                           "public_url / trust_proxy and TWILIO_AUTH_TOKEN)", "invalid" if signature else "no", url)
            return response.text("Forbidden", status=403)

        phone = normalise_number(params.get("From"))
        message_sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
        if not phone or not message_sid or len(message_sid) > 64:
            logger.warning("SMS webhook: signed request without a usable From or MessageSid; ignored")
            return response.text("From and MessageSid are required", status=400)

        claim = await self._store(store.claim_inbound, message_sid)
        if isinstance(claim, store.Answered):
            logger.info("SMS %s from %s is a duplicate: answered as before", message_sid, mask_phone(phone))
            return _xml(claim.twiml)
        if isinstance(claim, store.InProgress):
            return _xml(await self._wait_for_answer(message_sid, phone))

        try:
            bodies, choices = await self._answer(request, phone, message_sid, params.get("Body") or "",
                                                 on_new_message)
            answer = twiml(bodies)
            await self._store(store.finish_inbound, message_sid, claim.token, answer, phone, choices)
        except Exception:
            logger.exception("SMS %s from %s could not be answered", message_sid, mask_phone(phone))
            try:
                await self._store(store.release_inbound, message_sid, claim.token)
            except Exception:  # noqa: BLE001 - the claim then goes stale and can be taken over
                logger.exception("SMS %s: could not release its claim", message_sid)
            return response.text("Internal error", status=500)
        return _xml(answer)

    async def _wait_for_answer(self, message_sid: str, phone: str) -> str:
        """A concurrent duplicate: wait for the first request's TwiML (else answer nothing, it answers)."""
        deadline = asyncio.get_running_loop().time() + self.duplicate_wait_seconds
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.1)
            answer = await self._store(store.answered_twiml, message_sid)
            if answer is not None:
                logger.info("SMS %s from %s was a concurrent duplicate: answered as the first", message_sid,
                            mask_phone(phone))
                return answer
        logger.info("SMS %s from %s: still being answered by another request; this one answers nothing",
                    message_sid, mask_phone(phone))
        return twiml([])

    async def _answer(self, request: Request, phone: str, message_sid: str, body: str,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> tuple[list[str], Optional[tuple]]:
        """The SMS bodies to answer with, and the choices they offer (None: keep the pending ones)."""
        domain = self._domain(request.app)
        contact = await self._store(store.contact, phone)
        found = parse_keyword(body)
        if found is not None:
            return await self._keyword(request, contact, found, message_sid, on_new_message)
        if contact.opted_out:
            logger.info("SMS %s from %s ignored: the number opted out (START opts back in)", message_sid,
                        mask_phone(phone))
            return [], None
        # Control characters out, "/intent" payloads a parent may not send neutralised (channels.inbound). An
        # empty text (a picture, spaces) still goes to the assistant, whose "didn't get that" beats silence.
        text, too_long = prepare(_CARRIER_AT.sub("@", body), domain)
        if too_long:
            logger.info("SMS %s from %s is too long; asked for a shorter one", message_sid, mask_phone(phone))
            return [channel_sentence("too_long", domain, contact.language)], None

        fresh = contact.choices_at is not None and contact.choices_at >= utcnow() - self.choices_ttl
        payload = match_choice(text, contact.choices) if fresh else None
        if contact.language not in (None, DEFAULT_LANGUAGE):
            # A number that chose Spanish starting a new conversation: the assistant hears it first.
            await self._tell_language(request.app, contact, contact.language, message_sid, on_new_message,
                                      new_conversation_only=True)
        logger.info("SMS %s from %s -> conversation %s%s", message_sid, mask_phone(phone), contact.conversation_id,
                    " (a numbered choice)" if payload else "")
        return await self._converse(request, contact, payload or text, message_sid, on_new_message)

    async def _converse(self, request: Request, contact: store.Contact, text: str, message_sid: str,
                        on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> tuple[list[str], Optional[tuple]]:
        """One turn with the assistant; the replies as SMS bodies in the conversation's language (remembered for
        the number when it changed, e.g. by the language detector)."""
        collector = SmsReplyCollector()
        await on_new_message(UserMessage(
            text, collector, contact.conversation_id, input_channel=CHANNEL_NAME,
            message_id=message_sid, metadata={"sms_from": contact.phone},
        ))
        language = await self._follow_conversation_language(request.app, contact)
        rendered: Rendered = render_batch(collector.messages, reply_templates(self._domain(request.app), language))
        if rendered.bodies:
            now_contact = await self._store(store.contact, contact.phone)
            if now_contact.opted_out:  # a STOP was handled while this message was with the assistant
                return [], None
        return list(rendered.bodies), rendered.choices

    async def _keyword(self, request: Request, contact: store.Contact, found: Keyword, message_sid: str,
                       on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> tuple[list[str], Optional[tuple]]:
        """STOP, START, HELP, their Spanish words, and ESPAÑOL / ENGLISH (never seen by NLU, except the language
        switch, which the assistant gets as `/set_language{"language": ...}`)."""
        domain = self._domain(request.app)
        phone = contact.phone
        language = contact.language
        if found.command == SET_LANGUAGE or (found.language and contact.language is None):
            # ESPAÑOL / ENGLISH always; AYUDA, PARAR, ... only tell a number's language before its conversation did.
            await self._store(store.set_language, phone, found.language)
            language = found.language
        reply_in = found.language or language or DEFAULT_LANGUAGE
        if found.command == OPT_OUT:
            changed = await self._store(store.set_opted_out, phone, True)
            logger.info("SMS %s: %s opted out%s", message_sid, mask_phone(phone), "" if changed else " (already)")
            return ([reply_text("opted_out", domain, reply_in)] if changed else []), None
        if found.command == OPT_IN:
            changed = await self._store(store.set_opted_out, phone, False)
            logger.info("SMS %s: %s opted in%s", message_sid, mask_phone(phone), "" if changed else " (already)")
            if language is not None:  # e.g. ESPAÑOL texted while opted out: the conversation follows now
                await self._tell_language(request.app, contact, language, message_sid, on_new_message)
            return [reply_text("opted_in", domain, reply_in)], None
        if found.command == HELP:
            logger.info("SMS %s: HELP from %s (%s)", message_sid, mask_phone(phone), reply_in)
            return [reply_text("help", domain, reply_in)], None
        # SET_LANGUAGE
        if contact.opted_out:
            logger.info("SMS %s: %s chose %s while opted out; remembered, nothing sent", message_sid,
                        mask_phone(phone), found.language)
            return [], None
        logger.info("SMS %s: %s chose %s -> conversation %s", message_sid, mask_phone(phone), found.language,
                    contact.conversation_id)
        bodies, choices = await self._converse(request, contact, language_payload(found.language), message_sid,
                                               on_new_message)
        if not bodies and not (await self._store(store.contact, phone)).opted_out:
            bodies = [reply_text("language_set", domain, found.language)]
        return bodies, choices

    async def _conversation_state(self, app: Any, conversation_id: str) -> Optional[ConversationState]:
        """Whether the assistant's conversation has a parent's message yet, and its `language` slot; None when
        the channel cannot see the assistant's tracker store (then nothing is assumed)."""
        agent = getattr(getattr(app or self.app, "ctx", None), "agent", None)
        tracker_store = getattr(agent, "tracker_store", None)
        if tracker_store is None:
            return None
        try:
            tracker = tracker_store.retrieve(conversation_id)
            if inspect.isawaitable(tracker):
                tracker = await tracker
        except Exception as error:  # noqa: BLE001 - the language is a nicety; the conversation goes on
            logger.warning("SMS: could not read conversation %s (%s)", conversation_id, type(error).__name__)
            return None
        if tracker is None:
            return ConversationState(False, None)
        started = any(isinstance(event, UserUttered) for event in tracker.events)
        try:
            language = tracker.get_slot("language")
        except Exception:  # noqa: BLE001 - a domain without the slot
            language = None
        return ConversationState(started, language if isinstance(language, str) else None)

    async def _tell_language(self, app: Any, contact: store.Contact, language: str, message_sid: str,
                             on_new_message: Callable[[UserMessage], Awaitable[Any]],
                             new_conversation_only: bool = False) -> bool:
        """Send `/set_language{"language": ...}` to the assistant (its replies are not texted) unless its
        conversation already has that language; with `new_conversation_only`, only to a conversation without
        a parent's message yet. True when it was sent."""
        state = await self._conversation_state(app, contact.conversation_id)
        if state is None:
            if new_conversation_only:
                return False
        elif (new_conversation_only and state.started) or state.language == language:
            return False
        logger.info("SMS %s: conversation %s told the number's language (%s)", message_sid, contact.conversation_id,
                    language)
        await on_new_message(UserMessage(
            language_payload(language), SmsReplyCollector(), contact.conversation_id, input_channel=CHANNEL_NAME,
            message_id=f"{message_sid}-language", metadata={"sms_from": contact.phone},
        ))
        return True

    async def _follow_conversation_language(self, app: Any, contact: store.Contact) -> str:
        """The conversation's language after a turn (the `language` slot), remembered for the number when it
        differs; the number's remembered language when the tracker cannot be read."""
        state = await self._conversation_state(app, contact.conversation_id)
        language = state.language if state is not None else None
        if language in LANGUAGES:
            if language != contact.language:
                await self._store(store.set_language, contact.phone, language)
            return language
        return contact.language or DEFAULT_LANGUAGE

    # --- Outbound (pushed) ------------------------------------------------------------------------------

    async def push(self, conversation_id: str, messages: Iterable[Mapping[str, Any]]) -> None:
        """Queue bot messages for the number behind `conversation_id` and start sending them."""
        contact = await self._store(store.contact_by_conversation, conversation_id)
        if contact is None:
            logger.warning("SMS push to conversation %s dropped: not an SMS conversation", conversation_id)
            return
        if contact.opted_out:
            logger.info("SMS push to %s not sent: the number opted out", mask_phone(contact.phone))
            return
        rendered = render_batch(messages, reply_templates(self._domain(), contact.language))
        if not rendered.bodies:
            return
        # A pushed message with buttons replaces the pending choices; one without keeps them.
        ids = await self._store(store.enqueue, contact.phone, rendered.bodies, rendered.choices or None)
        if not ids:
            logger.info("SMS push to %s not sent: the number opted out", mask_phone(contact.phone))
            return
        if not self.client.configured:
            logger.warning("SMS push to %s queued, not sent: %s not set", mask_phone(contact.phone),
                           ", ".join(self.client.missing))
            return
        self._wakeup.set()  # the outbox worker sends it now

    async def _store(self, function: Callable[..., Any], *args: Any) -> Any:
        """`function(session, *args)` of `portal.sms` as one unit of work, in a worker thread."""
        return await db.in_worker_thread(self.database_url, function, *args)

    def _prune(self) -> None:
        with db.session_scope(self.database_url) as session:
            store.prune(session)

    async def flush_outbox(self) -> None:
        """Send everything due now (the worker does this; tests and operators may too)."""
        await asyncio.to_thread(self.worker.flush)

    async def _run_worker(self) -> None:
        """The process's one outbox loop (target "sms"): when woken by a push, and every
        `retry_interval_seconds` (0: only when woken); every hour, forget old answered MessageSids."""
        await self.worker.run(self._wakeup, self.retry_interval_seconds or None, housekeeping=self._prune)


def _xml(body: str) -> HTTPResponse:
    return response.text(body, content_type=XML_CONTENT_TYPE)
