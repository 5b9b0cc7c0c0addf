"""End to end with the real assistant: a Rasa server with the SMS channel (credentials.yml block as documented),
the session's action server and demo store, a loopback gateway, and requests signed by twilio's library."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

import pytest
import requests
from twilio.request_validator import RequestValidator

from channels.response_variations import NLG_ENDPOINT_YAML
from portal.db import session_scope
from portal.tickets import tickets_for_conversation
from tests.channels.store_calls import sms_store
from tests.channels.test_sms_webhook import ACCOUNT, FROM_NUMBER, TOKEN, Gateway, new_sid, twilio_params
from testing_support.processes import free_port, rasa_server_command, start
from tests.e2e.servers import latest_model, server_env
from tests.e2e.test_spanish import ENGLISH_WORDS, SPANISH_PATHS, check_ending

pytestmark = pytest.mark.e2e

PARENT = "+15550102777"
PUBLIC_URL = "https://sms.cedarvalley.example.org/webhooks/sms/webhook"


class SmsRasa:
    def __init__(self, url: str, token: str, database_url: str, gateway: Gateway) -> None:
        self.url, self.token, self.database_url, self.gateway = url, token, database_url, gateway

    def text(self, body: str, sender: str = PARENT, token: str = TOKEN, sid: str = "") -> requests.Response:
        params = twilio_params(body, sender, sid or new_sid())
        signature = RequestValidator(token).compute_signature(PUBLIC_URL, params)
        return requests.post(f"{self.url}/webhooks/sms/webhook", data=params,
                             headers={"X-Twilio-Signature": signature}, timeout=60)

    def say(self, body: str, sender: str = PARENT) -> list[str]:
        answer = self.text(body, sender)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].startswith("text/xml")
        return [m.text or "" for m in ET.fromstring(answer.content).findall("Message")]

    def trigger(self, conversation_id: str, intent: str, **entities: str) -> None:
        answer = requests.post(f"{self.url}/conversations/{conversation_id}/trigger_intent",
                               params={"output_channel": "latest", "token": self.token},
                               json={"name": intent, "entities": entities}, timeout=60)
        assert answer.status_code == 200, answer.text

    def tracker(self, conversation_id: str) -> dict:
        return requests.get(f"{self.url}/conversations/{conversation_id}/tracker", params={"token": self.token},
                            timeout=30).json()


@pytest.fixture(scope="module")
def sms_rasa(servers, tmp_path_factory) -> Iterator[SmsRasa]:
    workdir: Path = tmp_path_factory.mktemp("sms-rasa")
    gateway = Gateway().start()
    credentials = workdir / "credentials.yml"
    credentials.write_text(f"channels.sms.SmsInput:\n  public_url: {PUBLIC_URL}\n  retry_interval_seconds: 0.5\n")
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "{servers.action_url}/webhook"\n'
                         f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{workdir / "tracker.db"}"\n'
                         'lock_store:\n  type: "in_memory"\n' + NLG_ENDPOINT_YAML)
    env = server_env(servers)
    env.update({"TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_FROM_NUMBER": FROM_NUMBER,
                "TWILIO_API_BASE_URL": gateway.url})
    port = free_port()
    log = workdir / "rasa_sms.log"
    rasa = None
    try:
        rasa = start(rasa_server_command(port, latest_model(), endpoints, credentials, auth_token=servers.token),
                     name="Rasa server (SMS)", log_path=log, cwd=workdir, env=env,
                     ready_url=f"http://127.0.0.1:{port}/version")
        yield SmsRasa(f"http://127.0.0.1:{port}", servers.token, servers.database_url, gateway)
    finally:
        if rasa is not None:
            rasa.stop()
        gateway.server.shutdown()
        text = log.read_text() if log.exists() else ""
        assert "5550102777" not in text and "555-010-2777" not in text, "the full number was logged"


def test_a_conversation_over_sms_with_numbered_choices_and_a_pushed_update(sms_rasa):
    assert sms_rasa.text("hi", token="forged").status_code == 403
    first = sms_rasa.say("how do I get a parent portal account?")
    assert first and "school" in " ".join(first).lower()
    step = sms_rasa.say("maple ridge")
    assert any("Step 1 of 7" in m for m in step)
    assert step[-1].endswith("Reply 1 for Done, what's next?, 2 for I'm stuck")
    assert any("Step 2 of 7" in m for m in sms_rasa.say("1"))

    conversation = sms_store(sms_rasa.database_url).contact(PARENT).conversation_id
    tracker = sms_rasa.tracker(conversation)
    parent_events = [e for e in tracker["events"] if e["event"] == "user"]
    assert parent_events[0]["metadata"]["sms_from"] == PARENT
    assert parent_events[-1]["text"] == "/next_step" and parent_events[-1]["input_channel"] == "sms"
    assert len(parent_events) == 3  # the forged request never reached the assistant

    sms_rasa.trigger(conversation, "EXTERNAL_ticket_resolved", staff_message="We sent a new key.", ticket_id="7")
    [pushed] = sms_rasa.gateway.wait_for(1, timeout=30)
    assert pushed["form"] == {"From": FROM_NUMBER, "To": PARENT, "Body": "Update on request #7: We sent a new key."}

    assert sms_rasa.say("STOP") and sms_store(sms_rasa.database_url).contact(PARENT).opted_out
    sms_rasa.trigger(conversation, "EXTERNAL_ticket_resolved", staff_message="Another update.", ticket_id="7")
    assert len(sms_rasa.gateway.requests) == 1  # nothing more to an opted-out number
    assert sms_rasa.say("what about my key?") == []


@pytest.mark.parametrize("path", SPANISH_PATHS, ids=lambda p: p.persona)
def test_persona_path_in_spanish_over_sms(sms_rasa, path):
    """Each persona texts in Spanish from their own mobile number: the number is the first identity fact, so the
    contact question is skipped; every text comes back in Spanish and the same ticket is opened (issue 12)."""
    texts = sms_rasa.say(path.opener, path.phone)
    assert "confirmar que es usted" in " ".join(texts), texts
    for message in ("sí", path.school, path.child, path.born, *path.after):
        texts = sms_rasa.say(message, path.phone)
        assert texts, f"no text back for {message!r}"
        assert all(len(text) <= 320 for text in texts)
        assert not any(word in text for word in ENGLISH_WORDS for text in texts), texts
    conversation = sms_store(sms_rasa.database_url).contact(path.phone).conversation_id
    with session_scope(sms_rasa.database_url) as session:
        found = tickets_for_conversation(session, conversation)
    check_ending(path, " ".join(texts), found)
    assert sms_rasa.tracker(conversation)["slots"]["language"] == "es"
