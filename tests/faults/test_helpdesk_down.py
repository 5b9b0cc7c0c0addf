"""Fault: the external help desk is down. A ticket opened in a real conversation is kept in the store and in the
outbox, survives a restart of the help-desk service during the outage, and is forwarded exactly once (with the
status change staff made meanwhile, in order) when the help desk is back.

A second help-desk process runs on the session's database with a webhook help desk configured; the webhook is a
loopback server behind a TCP proxy the test cuts (connection refused) and restores."""
from __future__ import annotations

import json
import time
from typing import Iterator

import pytest
import requests

from portal import outbox
from portal.db import session_scope
from portal.tickets import get_ticket
from testing_support.processes import Server, free_port, helpdesk_command, start
from tests.e2e.servers import server_env
from tests.faults.proxy import TcpProxy
from tests.faults.support import ask, tickets
from tests.helpdesk.support import Loopback

pytestmark = pytest.mark.e2e


class Forwarding:
    """The help-desk process with the webhook configured, and the webhook."""

    def __init__(self, servers, webhook: Loopback, proxy: TcpProxy) -> None:
        self.servers, self.webhook, self.proxy = servers, webhook, proxy
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: Server | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.servers.workdir / f"helpdesk_forwarding_{self.starts}.log"
        env = server_env(self.servers)
        env.update({
            "RASA_URL": self.servers.rasa_url, "RASA_AUTH_TOKEN": self.servers.token,
            "HELPDESK_TOKENS": json.dumps({t: scope for scope, t in self.servers.staff_tokens.items()}),
            "HELPDESK_EXTERNAL_KIND": "webhook", "HELPDESK_EXTERNAL_URL": f"http://127.0.0.1:{self.proxy.port}/hook",
            "HELPDESK_OUTBOX_POLL_SECONDS": "0.2", "HELPDESK_OUTBOX_BACKOFF_SECONDS": "0.2",
            "HELPDESK_OUTBOX_BACKOFF_CAP_SECONDS": "0.5", "HELPDESK_HTTP_CONNECT_TIMEOUT": "1",
            "HELPDESK_HTTP_READ_TIMEOUT": "5",
        })
        self.process = start(helpdesk_command(self.port), name="help desk (forwarding)", log_path=log, env=env,
                             ready_url=f"{self.url}/api/health")

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()


@pytest.fixture
def forwarding(servers) -> Iterator[Forwarding]:
    def answer(record):
        body = record.json or {}
        ticket = body.get("ticket") or {}
        return 200, {}, json.dumps({"id": f"EXT-{ticket.get('id')}"}).encode()

    webhook = Loopback(responder=answer).start()
    proxy = TcpProxy("127.0.0.1", webhook.server.server_address[1])
    running = Forwarding(servers, webhook, proxy)
    try:
        yield running
    finally:
        running.stop()
        proxy.close()
        webhook.stop()


def external_rows(database_url: str, ticket_id: int) -> list[outbox.OutboxView]:
    with session_scope(database_url) as session:
        return outbox.list_messages(session, target=outbox.EXTERNAL, ticket_id=ticket_id)


def wait_for(condition, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_tickets_are_kept_while_the_help_desk_is_down_and_forwarded_once(servers, sender, forwarding):
    forwarding.proxy.cut()
    forwarding.start()
    # The office is closed at Willow Creek in these tests: the ticket waits for staff.
    text = ask(servers, sender, "I need to speak with someone at the school", "willow creek")
    [ticket] = tickets(servers.database_url, sender)
    assert f"#{ticket.id}" in text and ticket.kind == "handoff"
    # Staff claim it meanwhile: the status change queues behind the creation.
    staff = requests.Session()
    staff.headers["Authorization"] = f"Bearer {servers.staff_tokens['org-willow-creek-ms']}"
    claimed = staff.post(f"{forwarding.url}/api/tickets/{ticket.id}/claim", json={"staff": "Mr. Park"}, timeout=10)
    assert claimed.status_code == 200, claimed.text

    # Tried while down, and kept: pending, with the error recorded.
    rows = wait_for(lambda: [r for r in external_rows(servers.database_url, ticket.id) if r.attempts >= 2],
                    what="two failed attempts")
    assert all(r.status == "pending" for r in external_rows(servers.database_url, ticket.id))
    assert rows[0].event == outbox.TICKET_CREATED and rows[0].last_error
    # The help-desk service restarts during the outage: nothing is lost.
    forwarding.stop()
    forwarding.start()
    attempts_before = {r.id: r.attempts for r in external_rows(servers.database_url, ticket.id)}
    assert forwarding.webhook.requests == []  # the proxy refused every attempt

    forwarding.proxy.restore()
    wait_for(lambda: all(r.status == "delivered" for r in external_rows(servers.database_url, ticket.id)),
             what="both rows delivered")
    time.sleep(1.5)  # several more polls: nothing is sent again
    ours = [r for r in forwarding.webhook.requests if (r.json or {}).get("ticket", {}).get("id") == ticket.id]
    assert [(r.json["event"], r.answered) for r in ours] == [("ticket.created", 200), ("ticket.status_changed", 200)]
    assert len({r.headers["Idempotency-Key"] for r in ours}) == 2
    rows = external_rows(servers.database_url, ticket.id)
    assert [r.event for r in rows] == [outbox.TICKET_CREATED, outbox.STATUS_CHANGED]
    assert rows[0].attempts > attempts_before[rows[0].id]  # retried by the restarted service
    with session_scope(servers.database_url) as session:
        stored = get_ticket(session, ticket.id)
    assert (stored.external_id, stored.status) == (f"EXT-{ticket.id}", "in_progress")
    assert [t.id for t in tickets(servers.database_url, sender)] == [ticket.id]
