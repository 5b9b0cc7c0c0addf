"""Fault: the SMS gateway's outbound API fails. A pushed message (a staff update) is kept in the SMS outbox while
the gateway is unreachable, survives a restart of the connector, is retried through gateway errors, and reaches
the parent exactly once; the parent's own texts are answered all along (those answers are TwiML, not the API).

The real connector (channels/sms.py) on a real Sanic server and a real store, with the echoing stub assistant of
tests/channels/test_sms_webhook.py; the gateway is its loopback Messages API behind a TCP proxy the test cuts.
(tests/channels/test_sms_rasa.py covers the same connector inside the real Rasa server.)"""
from __future__ import annotations

import time

import requests

from channels.sms import SmsInput
from portal import db
from portal import sms as store
from tests.channels.store_calls import sms_store
from tests.channels.test_sms_webhook import (ACCOUNT, ANA, FROM_NUMBER, TOKEN, Assistant, Gateway, RunningApp,
                                             Setup, make_app, say, trigger)
from tests.faults.proxy import TcpProxy

UPDATE = "Update on request #7: We sent a new key to your email."


def connector(url: str, gateway: Gateway, gateway_url: str, name: str) -> Setup:
    """The connector, served; a fresh instance each time (as after a restart)."""
    channel = SmsInput(database_url=url, auth_token=TOKEN, account_sid=ACCOUNT, from_number=FROM_NUMBER,
                       api_base_url=gateway_url, retry_interval_seconds=0.2)
    channel.worker.backoff_base_seconds = 0.1
    channel.worker.backoff_cap_seconds = 0.4
    assistant = Assistant()
    running = RunningApp(make_app(name, channel, assistant)).start()
    return Setup(url, gateway, channel, assistant, running, requests.Session())


def wait_for_rows(url: str, condition, timeout: float = 15.0) -> list[store.Outbound]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = sms_store(url).outbox(ANA)
        if rows and condition(rows):
            return rows
        time.sleep(0.05)
    raise AssertionError(f"SMS outbox never got there: {sms_store(url).outbox(ANA)}")


def test_a_pushed_sms_is_kept_retried_and_sent_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'sms.db'}"
    db.migrate(url)
    gateway = Gateway().start()
    proxy = TcpProxy("127.0.0.1", gateway.server.server_address[1])
    gateway_url = f"http://127.0.0.1:{proxy.port}"
    setup = connector(url, gateway, gateway_url, "faults-sms-1")
    try:
        assert say(setup, "hi") == ["echo: hi"]
        conversation = sms_store(url).contact(ANA).conversation_id

        proxy.cut()  # the gateway is unreachable
        trigger(setup, conversation, {"text": UPDATE})
        rows = wait_for_rows(url, lambda rows: rows[0].attempts >= 2)
        assert [(r.body, r.status) for r in rows] == [(UPDATE, "pending")] and rows[0].last_error
        assert say(setup, "are you there?") == ["echo: are you there?"]  # the parent is still answered

        # The connector restarts (a crash, a deploy) while the gateway is still down: the message stays queued.
        setup.running.stop()
        attempts_before = sms_store(url).outbox(ANA)[0].attempts
        setup = connector(url, gateway, gateway_url, "faults-sms-2")

        gateway.fail_next(2, status=500)  # back, but failing twice more
        proxy.restore()
        [row] = wait_for_rows(url, lambda rows: rows[0].status == "delivered")
        time.sleep(1.0)  # several more retry rounds: nothing is sent again
        assert [r["form"]["Body"] for r in gateway.accepted()] == [UPDATE]
        assert [r["status"] for r in gateway.requests] == [500, 500, 201]
        assert row.attempts >= attempts_before + 3 and row.provider_sid
        assert [r.status for r in sms_store(url).outbox(ANA)] == ["delivered"]
        assert say(setup, "thanks") == ["echo: thanks"]
    finally:
        setup.running.stop()
        proxy.close()
        gateway.server.shutdown()
        db.dispose_engines()
