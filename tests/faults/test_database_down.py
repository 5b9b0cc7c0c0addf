"""Fault: the portal database goes down mid-conversation (PostgreSQL behind a TCP proxy the test cuts).

The session's action server is swapped, on the same port, for one whose DATABASE_URL points at a throwaway
PostgreSQL database through the proxy; the session's Rasa server does not notice. While the database is down the
parent gets the store-unavailable replies with the school's contact; once it is back the conversation continues,
the ticket is opened once, and what was stored before the outage is all there."""
from __future__ import annotations

import secrets
from typing import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from portal import db
from portal.cli import main as portal_admin
from portal.models import Ticket
from tests.faults.proxy import TcpProxy
from tests.faults.support import ask, school, tickets
from tests.portal.conftest import _create_pg_database, _drop_pg_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


class Outage:
    def __init__(self, direct_url: str, proxy: TcpProxy) -> None:
        self.direct_url, self.proxy = direct_url, proxy


@pytest.fixture
def database_behind_a_proxy(servers) -> Iterator[Outage]:
    direct_url = _create_pg_database("faults_db_down")  # skips, with the reason, when PostgreSQL is absent
    proxy = None
    try:
        assert portal_admin(["--database-url", direct_url, "seed-demo"]) == 0
        upstream = make_url(direct_url)
        proxy = TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
        proxied = upstream.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        servers.stop_action_server()
        try:
            servers.start_action_server_again(DATABASE_URL=proxied)
            yield Outage(direct_url, proxy)
        finally:
            servers.stop_action_server()
            servers.start_action_server_again()
    finally:
        if proxy is not None:
            proxy.close()
        db.dispose_engines()
        _drop_pg_database(direct_url)


def test_database_down_mid_conversation(servers, database_behind_a_proxy):
    outage = database_behind_a_proxy
    willow = school(servers, "org-willow-creek-ms")
    grace, ben = f"fault-db-grace-{secrets.token_hex(4)}", f"fault-db-ben-{secrets.token_hex(4)}"

    # Before the outage: Grace's locked account gets a ticket (stored); Ben is in the middle of the identity check.
    text = ask(servers, grace, "my account is locked out", "yes", "willow creek", "grace.kim@example.com", "Leo",
               "12/01/2011")
    [grace_ticket] = tickets(outage.direct_url, grace)
    assert f"#{grace_ticket.id}" in text
    assert "b*******7" not in ask(servers, ben, "it says my activation key was already used", "yes", "willow creek",
                                  "ben.carter@example.com", "Lily")

    outage.proxy.cut()
    # Mid-form, the check needs the store: a graceful reply with the school's phone, nothing disclosed.
    text = ask(servers, ben, "9/3/2012")
    assert "can't reach the school records" in text and willow.phone in text
    assert "b*******7" not in text
    # Grace asks about her ticket: the same graceful reply, not "you have no requests".
    text = ask(servers, grace, "what's the status of my request")
    assert "can't reach the school records" in text and willow.phone in text
    assert outage.proxy.refused > 0  # the action server really tried the database

    outage.proxy.restore()
    # Grace's ticket is still there; Ben continues and gets his reset ticket, once.
    assert f"#{grace_ticket.id}" in ask(servers, grace, "what's the status of my request")
    text = ask(servers, ben, "it says my activation key was already used")
    for answer in ("yes", "willow creek", "ben.carter@example.com", "Lily", "9/3/2012"):
        if "reset your account" in text:
            break
        text = ask(servers, ben, answer)
    assert "b*******7" in text and "reset your account" in text
    text = ask(servers, ben, "yes please")
    [ben_ticket] = tickets(outage.direct_url, ben)
    assert f"#{ben_ticket.id}" in text and ben_ticket.kind == "account_reset"
    # Asking again never makes a second one.
    ask(servers, ben, "the key was already used")
    ask(servers, ben, "yes")
    ask(servers, ben, "yes")
    assert [t.id for t in tickets(outage.direct_url, ben)] == [ben_ticket.id]
    assert [t.id for t in tickets(outage.direct_url, grace)] == [grace_ticket.id]
    with db.session_scope(outage.direct_url) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 2
