"""End to end: the SMS connector mounted on a real Sanic server, requests signed by twilio's RequestValidator,
a stub assistant that echoes, and a loopback HTTP server standing in for the gateway's Messages API.

Runs on SQLite and on PostgreSQL (the store behind duplicates, opt-outs, choices and the outbox)."""
from __future__ import annotations

import asyncio
import base64
import logging
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional
from urllib.parse import parse_qs

import pytest
import requests
from rasa.core.channels.channel import UserMessage
from rasa.server import _get_output_channel
from sanic import Sanic, response
from twilio.request_validator import RequestValidator

from channels.sms import SmsInput
from channels.sms_gateway import GatewayClient
from channels.sms_replies import reply_text
from channels.sms_text import MAX_SMS_CHARS
from portal import db
from portal import sms as store
from portal.models import OutboxMessage, SmsContact, SmsInbound
from tests.channels.store_calls import sms_store
from tests.portal.conftest import (  # noqa: F401  (fixtures shared with the store tests)
    BACKENDS,
    postgresql_database,
    sqlite_database,
)

Sanic.test_mode = True  # several apps in one process

TOKEN = "test-auth-token-0123456789abcdef"
ACCOUNT = "AC0123456789abcdef0123456789abcdef"
FROM_NUMBER = "+15550100000"
ANA = "+15550102001"
BEN = "+15550102002"
URL_IN_REPLY = "https://maple.cedarvalley.example.org/parents/portal?school=org-maple-ridge-es&step=request-form"
LONG_REPLY = " ".join(
    f"Step {i}: open the portal, tap the menu, and look for the form your school uses for new parents." for i in range(6)
) + f" The form is here: {URL_IN_REPLY} and it takes five minutes."
MENU = [{"title": "Yes, please", "payload": "/affirm"}, {"title": "No, thanks", "payload": "/deny"}]


# --- A loopback gateway ------------------------------------------------------------------------------------------

@dataclass
class Gateway:
    """The Messages API on 127.0.0.1: records requests; the next N answer a given status."""

    requests: list[dict[str, Any]] = field(default_factory=list)
    script: list[tuple[int, dict]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Gateway":
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
                with gateway.lock:
                    status, payload = gateway.script.pop(0) if gateway.script else (201, None)
                    gateway.requests.append({"path": self.path, "form": form, "status": status,
                                             "auth": self.headers.get("Authorization", "")})
                    payload = payload or {"sid": f"SM{len(gateway.requests):032d}", "status": "queued"}
                body = str(payload).replace("'", '"').encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.script.clear()

    def fail_next(self, count: int, status: int = 500, payload: Optional[dict] = None) -> None:
        with self.lock:
            self.script.extend([(status, payload or {"code": 20500, "message": "failing on demand"})] * count)

    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["status"] < 300]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.accepted()) >= count:
                return self.accepted()
            time.sleep(0.02)
        raise AssertionError(f"gateway got {len(self.accepted())} accepted messages, expected {count}")


# --- The app -------------------------------------------------------------------------------------------------------

class RunningApp:
    """A Sanic app served from its own event loop in a daemon thread."""

    def __init__(self, app: Sanic) -> None:
        self.app = app
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "RunningApp":
        self.thread.start()
        assert self.ready.wait(15), "the app did not start"
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(self.app.create_server(
            host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False))
        self.loop.run_until_complete(server.startup())
        self.loop.run_until_complete(server.before_start())
        self.loop.run_until_complete(server.after_start())
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(server.before_stop())
        server.close()
        self.loop.run_until_complete(server.after_stop())

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Assistant:
    """The stub behind the connector: records each UserMessage and echoes (fast), with a few special words."""

    def __init__(self) -> None:
        self.messages: list[UserMessage] = []

    async def on_new_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        out, text = message.output_channel, message.text
        if text == "menu":
            await out.send_response(message.sender_id, {"text": "Is that OK?", "buttons": MENU})
        elif text == "long":
            await out.send_response(message.sender_id, {"text": LONG_REPLY})
        elif text == "slow":
            await asyncio.sleep(0.6)
            await out.send_response(message.sender_id, {"text": "slow answer"})
        elif text == "boom":
            raise RuntimeError("the assistant failed")
        else:
            await out.send_response(message.sender_id, {"text": f"echo: {text}"})

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]


def make_app(name: str, channel: SmsInput, assistant: Assistant) -> Sanic:
    app = Sanic(name)
    app.blueprint(channel.blueprint(assistant.on_new_message), url_prefix="/webhooks/sms")
    app.ctx.input_channels = [channel]

    @app.post("/conversations/<conversation_id>/trigger")
    async def trigger(request, conversation_id):
        """What Rasa's trigger_intent does with ?output_channel=sms: Rasa's own output channel lookup."""
        output = _get_output_channel(request, None)
        for message in request.json["messages"]:
            await output.send_response(conversation_id, message)
        return response.json({"output_channel": type(output).__name__})

    return app


@dataclass
class Setup:
    url: str
    gateway: Gateway
    channel: SmsInput
    assistant: Assistant
    running: RunningApp
    http: requests.Session

    @property
    def webhook(self) -> str:
        return f"{self.running.url}/webhooks/sms/webhook"


_COUNTER = iter(range(1_000_000))


@pytest.fixture(scope="module")
def gateway():
    running = Gateway().start()
    yield running
    running.server.shutdown()


@pytest.fixture(scope="module", params=BACKENDS)
def served(request, gateway):
    url = request.getfixturevalue(f"{request.param}_database")
    assistant = Assistant()
    channel = SmsInput(database_url=url, auth_token=TOKEN, account_sid=ACCOUNT, from_number=FROM_NUMBER,
                       api_base_url=gateway.url, retry_interval_seconds=0.2)
    channel.worker.backoff_base_seconds = 0.05
    running = RunningApp(make_app(f"sms-{request.param}-{next(_COUNTER)}", channel, assistant)).start()
    yield url, channel, assistant, running
    running.stop()
    db.dispose_engines()


@pytest.fixture
def sms(served, gateway) -> Setup:
    url, channel, assistant, running = served
    with db.get_engine(url).begin() as connection:
        for model in (OutboxMessage, SmsInbound, SmsContact):
            connection.execute(model.__table__.delete())
    gateway.reset()
    assistant.messages.clear()
    channel.public_url, channel.trust_proxy = None, False
    http = requests.Session()
    yield Setup(url, gateway, channel, assistant, running, http)
    http.close()
    # Let the sends this test started finish, so they cannot reach the next test's gateway.
    deadline = time.monotonic() + 5
    while (sms_store(url).outbox(status="pending")) and time.monotonic() < deadline:
        time.sleep(0.02)


# --- Helpers --------------------------------------------------------------------------------------------------

_SIDS = iter(range(1_000_000))


def new_sid() -> str:
    return f"SM{next(_SIDS):032x}"


def twilio_params(body: str, sender: str = ANA, sid: Optional[str] = None) -> dict[str, str]:
    """The fields Twilio posts for an SMS, blank ones included (they are signed too)."""
    return {"ToCountry": "US", "ToState": "", "SmsMessageSid": sid or "", "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": sid or "", "FromState": "", "SmsStatus": "received", "FromCity": "",
            "Body": body, "FromCountry": "US", "To": FROM_NUMBER, "ToZip": "", "NumSegments": "1",
            "MessageSid": sid or "", "AccountSid": ACCOUNT, "From": sender, "ApiVersion": "2010-04-01"}


def post(setup: Setup, body: str, sender: str = ANA, sid: Optional[str] = None, token: str = TOKEN,
         signed_url: Optional[str] = None, signature: Optional[str] = None, sign: bool = True,
         params: Optional[dict] = None, headers: Optional[dict] = None) -> requests.Response:
    params = params if params is not None else twilio_params(body, sender, sid or new_sid())
    all_headers = dict(headers or {})
    if sign:
        all_headers["X-Twilio-Signature"] = signature if signature is not None else RequestValidator(
            token).compute_signature(signed_url or setup.webhook, params)
    return setup.http.post(setup.webhook, data=params, headers=all_headers, timeout=20)


def messages(answer: requests.Response) -> list[str]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(answer.content)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


def say(setup: Setup, body: str, sender: str = ANA) -> list[str]:
    return messages(post(setup, body, sender))


def trigger(setup: Setup, conversation_id: str, *bot_messages: dict) -> requests.Response:
    answer = setup.http.post(f"{setup.running.url}/conversations/{conversation_id}/trigger?output_channel=sms",
                             json={"messages": list(bot_messages)}, timeout=20)
    assert answer.status_code == 200 and answer.json() == {"output_channel": "SmsPushOutput"}, answer.text
    return answer


def wait_for_outbox(setup: Setup, condition, timeout: float = 5.0) -> list[store.Outbound]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = sms_store(setup.url).outbox()
        if rows and condition(rows):
            return rows
        time.sleep(0.02)
    raise AssertionError(f"outbox never got there: {sms_store(setup.url).outbox()}")


def conversation_of(setup: Setup, phone: str = ANA) -> str:
    return sms_store(setup.url).contact(phone).conversation_id


# --- Signatures -------------------------------------------------------------------------------------------------

def test_a_signed_message_reaches_the_assistant_with_the_senders_number(sms):
    assert say(sms, "my key doesn't work") == ["echo: my key doesn't work"]
    [message] = sms.assistant.messages
    assert message.input_channel == "sms"
    assert message.metadata == {"sms_from": ANA}
    assert message.sender_id == conversation_of(sms) and message.sender_id.startswith("sms-")
    assert "2001" not in message.sender_id


def test_a_forged_signature_is_refused_and_nothing_is_processed(sms):
    answer = post(sms, "hello", token="not-the-real-token")
    assert answer.status_code == 403
    assert sms.assistant.messages == []
    with db.session_scope(sms.url) as session:
        assert session.query(SmsInbound).count() == 0 and session.query(SmsContact).count() == 0


def test_a_signature_for_other_fields_is_refused(sms):
    params = twilio_params("hello", sid=new_sid())
    signature = RequestValidator(TOKEN).compute_signature(sms.webhook, params)
    params["Body"] = "STOP"
    assert post(sms, "", params=params, signature=signature).status_code == 403
    assert sms.assistant.messages == [] and not sms_store(sms.url).contact(ANA).opted_out


def test_a_missing_signature_is_refused(sms):
    assert post(sms, "hello", sign=False).status_code == 403
    assert post(sms, "hello", signature="").status_code == 403
    assert sms.assistant.messages == []


def test_without_an_auth_token_every_request_is_refused(sqlite_database, caplog):
    assistant = Assistant()
    caplog.set_level(logging.ERROR, logger="channels.sms")
    channel = SmsInput(database_url=sqlite_database, auth_token="", account_sid=ACCOUNT, from_number=FROM_NUMBER)
    assert "TWILIO_AUTH_TOKEN is not set" in caplog.text
    running = RunningApp(make_app(f"sms-no-token-{next(_COUNTER)}", channel, assistant)).start()
    try:
        url = f"{running.url}/webhooks/sms/webhook"
        for token in ("", TOKEN):
            params = twilio_params("hello", sid=new_sid())
            signature = RequestValidator(token or "x").compute_signature(url, params)
            answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
            assert answer.status_code == 503
        assert assistant.messages == []
        assert "refused: TWILIO_AUTH_TOKEN is not set" in caplog.text
    finally:
        running.stop()


def test_the_configured_public_url_is_what_must_be_signed(sms):
    sms.channel.public_url = "https://sms.cedarvalley.example.org/webhooks/sms/webhook"
    assert post(sms, "local url").status_code == 403
    assert messages(post(sms, "public url", signed_url=sms.channel.public_url)) == ["echo: public url"]


def test_forwarded_headers_count_only_when_the_proxy_is_trusted(sms):
    public = "https://sms.cedarvalley.example.org/webhooks/sms/webhook"
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "sms.cedarvalley.example.org"}
    assert post(sms, "spoofed", signed_url=public, headers=forwarded).status_code == 403
    sms.channel.trust_proxy = True
    assert messages(post(sms, "proxied", signed_url=public, headers=forwarded)) == ["echo: proxied"]
    assert sms.assistant.texts == ["proxied"]


def test_a_signed_request_without_from_or_message_sid_is_a_bad_request(sms):
    params = twilio_params("hello", sid="")
    assert post(sms, "", params=params).status_code == 400
    params = twilio_params("hello", sender="", sid=new_sid())
    assert post(sms, "", params=params).status_code == 400
    assert sms.assistant.messages == []


# --- Duplicates -------------------------------------------------------------------------------------------------

def test_a_retried_message_is_answered_once_with_the_same_twiml(sms):
    sid = new_sid()
    first = post(sms, "menu", sid=sid)
    again = post(sms, "menu", sid=sid)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert sms.assistant.texts == ["menu"]


def test_two_concurrent_identical_requests_are_processed_once(sms):
    sid = new_sid()
    params = twilio_params("slow", sid=sid)
    signature = RequestValidator(TOKEN).compute_signature(sms.webhook, params)
    barrier = threading.Barrier(3)
    answers: list[requests.Response] = []

    def send():
        barrier.wait()
        answers.append(requests.post(sms.webhook, data=params, headers={"X-Twilio-Signature": signature},
                                     timeout=20))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [messages(a) for a in answers] == [["slow answer"]] * 3
    assert sms.assistant.texts == ["slow"]


def test_a_message_the_assistant_failed_on_can_be_retried(sms):
    sid = new_sid()
    assert post(sms, "boom", sid=sid).status_code == 500
    assert sms_store(sms.url).answered_twiml(sid) is None
    assert post(sms, "boom", sid=sid).status_code == 500
    assert sms.assistant.texts == ["boom", "boom"]


# --- Keywords -----------------------------------------------------------------------------------------------------

def test_stop_opts_out_with_one_confirmation_and_then_nothing_goes_out(sms):
    say(sms, "hi")
    assert say(sms, "STOP") == [reply_text("opted_out")]
    assert sms_store(sms.url).contact(ANA).opted_out
    assert say(sms, "stop") == []  # one confirmation only
    assert say(sms, "how do I get an account?") == []
    trigger(sms, conversation_of(sms), {"text": "School staff: we fixed it."})
    time.sleep(0.3)
    assert sms.gateway.requests == []
    assert sms_store(sms.url).outbox() == []
    assert sms.assistant.texts == ["hi"]  # the keywords and the later message never reached the assistant


@pytest.mark.parametrize("word", ["STOPALL", "unsubscribe", "Cancel", "end", "QUIT."])
def test_every_opt_out_keyword_works(sms, word):
    assert say(sms, word) == [reply_text("opted_out")]
    assert sms_store(sms.url).contact(ANA).opted_out and sms.assistant.messages == []


def test_start_opts_back_in(sms):
    say(sms, "STOP")
    assert say(sms, "Start") == [reply_text("opted_in")]
    assert say(sms, "hello again") == ["echo: hello again"]
    say(sms, "stop")
    assert say(sms, "UNSTOP") == [reply_text("opted_in")]
    assert sms.assistant.texts == ["hello again"]


def test_help_answers_with_the_districts_phone_and_hours_even_when_opted_out(sms):
    [help_text] = say(sms, "help")
    assert "(555) 010-1000" in help_text and "Mon-Fri 8am-4:30pm" in help_text
    say(sms, "STOP")
    assert say(sms, "HELP") == [help_text]
    assert sms.assistant.messages == []


def test_a_message_without_text_still_reaches_the_assistant(sms):
    """Never silence (issue 7): an empty text or a picture goes on as an empty message, which the assistant
    answers with its "didn't get that"; control characters are removed first."""
    say(sms, "")
    say(sms, " \x00\x07 ")
    assert sms.assistant.texts == ["", ""]


# --- Replies -------------------------------------------------------------------------------------------------------

def test_a_long_reply_is_split_into_sms_of_at_most_320_characters(sms):
    parts = say(sms, "long")
    assert len(parts) > 1
    assert all(len(p) <= MAX_SMS_CHARS for p in parts)
    assert " ".join(parts).split() == LONG_REPLY.split()
    assert sum(URL_IN_REPLY in p for p in parts) == 1  # the URL is whole, XML-escaped on the wire


def test_buttons_are_numbered_and_a_number_or_a_title_maps_back(sms):
    assert say(sms, "menu") == ["Is that OK?\nReply 1 for Yes, please, 2 for No, thanks"]
    assert say(sms, "2") == ["echo: /deny"]
    say(sms, "menu")
    assert say(sms, "yes, PLEASE") == ["echo: /affirm"]
    assert say(sms, "1") == ["echo: 1"]  # the echo offered no buttons: "1" is just text now
    say(sms, "menu", sender=BEN)
    assert say(sms, "1", sender=BEN) == ["echo: /affirm"]  # choices are per number


def test_choices_survive_a_restart_and_work_on_another_replica(sms):
    say(sms, "menu")
    replica_assistant = Assistant()
    replica = SmsInput(database_url=sms.url, auth_token=TOKEN, account_sid=ACCOUNT, from_number=FROM_NUMBER,
                       api_base_url=sms.gateway.url)
    running = RunningApp(make_app(f"sms-replica-{next(_COUNTER)}", replica, replica_assistant)).start()
    try:
        url = f"{running.url}/webhooks/sms/webhook"
        params = twilio_params("1", sid=new_sid())
        signature = RequestValidator(TOKEN).compute_signature(url, params)
        answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
        assert messages(answer) == ["echo: /affirm"]
        assert replica_assistant.messages[0].sender_id == conversation_of(sms)
    finally:
        running.stop()


# --- Pushed messages --------------------------------------------------------------------------------------------

def test_a_pushed_message_goes_out_through_the_messages_api(sms):
    say(sms, "hi")
    trigger(sms, conversation_of(sms), {"text": "Update on request #12: we merged your records."})
    [sent] = sms.gateway.wait_for(1)
    assert sent["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert sent["form"] == {"From": FROM_NUMBER, "To": ANA, "Body": "Update on request #12: we merged your records."}
    assert sent["auth"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    [row] = wait_for_outbox(sms, lambda rows: rows[0].status == "delivered")
    assert row.provider_sid.startswith("SM")


def test_a_pushed_long_message_with_buttons_is_split_and_its_choices_map_back(sms):
    say(sms, "hi")
    trigger(sms, conversation_of(sms), {"text": LONG_REPLY}, {"text": "Back with me. Anything else?", "buttons": MENU})
    sent = sms.gateway.wait_for(4)
    bodies = [r["form"]["Body"] for r in sent]
    assert all(len(b) <= MAX_SMS_CHARS for b in bodies)
    assert bodies[-1] == "Back with me. Anything else?\nReply 1 for Yes, please, 2 for No, thanks"
    assert " ".join(bodies[:-1]).split() == LONG_REPLY.split()
    assert say(sms, "No, thanks") == ["echo: /deny"]


def test_a_failed_send_is_retried_in_order_and_not_lost(sms):
    say(sms, "hi")
    sms.gateway.fail_next(2, status=500)
    trigger(sms, conversation_of(sms), {"text": "First."})
    trigger(sms, conversation_of(sms), {"text": "Second."})
    sent = sms.gateway.wait_for(2)
    assert [r["form"]["Body"] for r in sent] == ["First.", "Second."]
    assert [r["status"] for r in sms.gateway.requests] == [500, 500, 201, 201]
    rows = wait_for_outbox(sms, lambda rows: [r.status for r in rows] == ["delivered", "delivered"])
    assert [r.body for r in rows] == ["First.", "Second."]
    assert rows[0].attempts == 3


def test_a_rate_limited_send_waits_and_goes(sms):
    say(sms, "hi")
    sms.gateway.fail_next(1, status=429, payload={"code": 20429, "message": "Too Many Requests"})
    trigger(sms, conversation_of(sms), {"text": "Later."})
    assert [r["form"]["Body"] for r in sms.gateway.wait_for(1)] == ["Later."]


def test_the_gateway_saying_unsubscribed_records_the_opt_out(sms):
    say(sms, "hi")
    sms.gateway.fail_next(1, status=400, payload={"code": 21610, "message": "Attempt to send to unsubscribed "
                                                                             f"recipient {ANA}"})
    trigger(sms, conversation_of(sms), {"text": "Update."})
    deadline = time.monotonic() + 5
    while not sms_store(sms.url).contact(ANA).opted_out and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sms_store(sms.url).contact(ANA).opted_out
    assert [r.status for r in sms_store(sms.url).outbox()] == ["cancelled"]
    assert "2001" not in (sms_store(sms.url).outbox()[0].last_error or "")


def test_a_push_to_an_unknown_conversation_is_dropped(sms):
    trigger(sms, "sms-0000000000000000", {"text": "Nobody."})
    time.sleep(0.2)
    assert sms.gateway.requests == [] and sms_store(sms.url).outbox() == []


# --- Logs ---------------------------------------------------------------------------------------------------------

def test_logs_show_no_full_number_and_no_message_body(sms, caplog):
    caplog.set_level(logging.DEBUG)
    say(sms, "my secret question about Lily")
    say(sms, "STOP")
    say(sms, "HELP")
    post(sms, "forged body text", token="wrong")
    say(sms, "START")
    sms.gateway.fail_next(1, status=400, payload={"code": 21211, "message": f"The 'To' number {ANA} is not valid"})
    trigger(sms, conversation_of(sms), {"text": "private staff reply"})
    time.sleep(0.3)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "***-***-2001" in text
    for secret in ("5550102001", "555-010-2001", "secret question", "private staff reply", "forged body", TOKEN):
        assert secret not in text


# --- The gateway client on its own --------------------------------------------------------------------------------

def test_gateway_client_classifies_answers(gateway):
    gateway.reset()
    client = GatewayClient(ACCOUNT, TOKEN, FROM_NUMBER, gateway.url)
    assert client.send(ANA, "ok").ok
    gateway.fail_next(1, 503)
    assert not client.send(ANA, "x").permanent
    gateway.fail_next(1, 401)
    assert not client.send(ANA, "x").permanent
    gateway.fail_next(1, 400, {"code": 21211, "message": f"The 'To' number {ANA} is not a valid phone number."})
    result = client.send(ANA, "x")
    assert result.permanent and not result.unsubscribed and "2001" in result.error and ANA not in result.error
    unreachable = GatewayClient(ACCOUNT, TOKEN, FROM_NUMBER, "http://127.0.0.1:9", connect_retries=0)
    assert not unreachable.send(ANA, "x").ok and not unreachable.send(ANA, "x").permanent
    assert GatewayClient(ACCOUNT, "", FROM_NUMBER).missing == ["TWILIO_AUTH_TOKEN"]
