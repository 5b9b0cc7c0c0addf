"""Past one machine, on one machine: two Rasa servers and two action servers share PostgreSQL (Rasa's tracker
store and the portal store) and Redis (the lock store), configured only through the environment variables
that the project's own endpoints.yml reads. One conversation's messages go alternately to both Rasa servers
and must behave exactly as with one server: forms continue, slots are kept, one ticket, a clean tracker.

Skipped, with the reason, only when PostgreSQL or Redis cannot be reached, and failed instead in CI
(scripts/start-services.sh starts them there; tests/services.py). The servers start once for this module, in parallel.
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal import db
from portal.cli import main as portal_admin
from portal.db import session_scope
from portal.tickets import tickets_for_conversation
from tests.actions.conftest import ALWAYS_OPEN, NEVER_OPEN, write_district
from testing_support.processes import (PROJECT_ROOT, ServerSet, action_server_command, free_port, project_env,
                                       rasa_server_command, wait_all_ready)
from tests.e2e.servers import http_json, latest_model
from tests.services import service_missing

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PG_ADMIN_URL = os.environ.get("PORTAL_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_HOST = os.environ.get("SCALE_TEST_REDIS_HOST", "127.0.0.1")
REDIS_PORT = int(os.environ.get("SCALE_TEST_REDIS_PORT", "6379"))
REDIS_DB = 1
# Two Rasa servers load their models at the same time on a 2-core machine (~1 min each when it is idle).
START_TIMEOUT_S = 900


@dataclass
class Cluster:
    """Two Rasa servers (each with its own action server) on one PostgreSQL and one Redis."""

    rasa_urls: list[str]
    token: str
    tracker_db_url: str
    portal_db_url: str
    lock_prefix: str
    workdir: Path
    processes: ServerSet = field(default_factory=ServerSet)

    def say(self, server: int, sender: str, message: str) -> list[dict[str, Any]]:
        return http_json(f"{self.rasa_urls[server]}/webhooks/rest/webhook", {"sender": sender, "message": message},
                         timeout=120)

    def text(self, server: int, sender: str, message: str) -> str:
        replies = self.say(server, sender, message)
        assert replies, f"no reply from server {'AB'[server]} to {message!r}"
        return " ".join(r.get("text", "") for r in replies)

    def tracker(self, server: int, sender: str) -> dict[str, Any]:
        return http_json(f"{self.rasa_urls[server]}/conversations/{sender}/tracker?token={self.token}")

    def stored_events(self, sender: str) -> list[dict[str, Any]]:
        """The rows of Rasa's `events` table for this conversation, in insertion order."""
        engine = create_engine(self.tracker_db_url, future=True)
        try:
            with engine.connect() as connection:
                rows = connection.execute(text(
                    "SELECT id, type_name, timestamp, action_name, data FROM events WHERE sender_id = :sender "
                    "ORDER BY id"), {"sender": sender}).mappings().all()
        finally:
            engine.dispose()
        return [dict(row) for row in rows]

    def tickets(self, sender: str):
        with session_scope(self.portal_db_url) as session:
            return tickets_for_conversation(session, sender)


def _admin_engine():
    return create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def _services_or_skip() -> None:
    import redis

    admin = _admin_engine()
    try:
        with admin.connect():
            pass
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]
        service_missing(f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {reason}")
    finally:
        admin.dispose()
    try:
        redis.StrictRedis(host=REDIS_HOST, port=REDIS_PORT, socket_timeout=3).ping()
    except redis.RedisError as error:
        service_missing(f"Redis not reachable at {REDIS_HOST}:{REDIS_PORT}: {error}")


def _create_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str) -> None:
    engine = db._engines.pop(url, None)
    db._sessionmakers.pop(url, None)
    if engine is not None:
        engine.dispose()
    admin = _admin_engine()
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    model = latest_model()
    if model is None:
        pytest.fail("No trained model in models/: run `make train` (make test does it for you).")
    _services_or_skip()
    import redis

    workdir = tmp_path_factory.mktemp("two-servers")
    tracker_db, portal_db = _create_database("rasa_scale"), None
    running = None
    try:
        portal_db = _create_database("portal_scale")
        assert portal_admin(["--database-url", portal_db, "seed-demo"]) == 0
        district = write_district(workdir / "district.yml", {"org-maple-ridge-es": ALWAYS_OPEN,
                                                             "org-willow-creek-ms": NEVER_OPEN})
        running = Cluster(rasa_urls=[], token=secrets.token_hex(16), tracker_db_url=tracker_db,
                          portal_db_url=portal_db, lock_prefix=f"scale{secrets.token_hex(6)}", workdir=workdir)
        # Everything a replica needs, as a deployment would set it (README "Configuration"); Rasa's tracker
        # store takes the URL with SQLAlchemy's default PostgreSQL driver.
        base_env = project_env()
        base_env.update({
            "DATABASE_URL": portal_db, "DISTRICT_FILE": str(district),
            "TRACKER_STORE_URL": make_url(tracker_db).set(drivername="postgresql").render_as_string(
                hide_password=False),
            "LOCK_STORE_TYPE": "channels.lock_store.AtomicRedisLockStore", "REDIS_HOST": REDIS_HOST,
            "REDIS_PORT": str(REDIS_PORT), "REDIS_PASSWORD": "", "REDIS_DB": str(REDIS_DB),
            "LOCK_STORE_KEY_PREFIX": running.lock_prefix,
            # The action servers take calls only with the token that Rasa sends (endpoints.yml).
            "ACTION_SERVER_TOKEN": secrets.token_hex(16),
        })
        action_ports, rasa_ports = [free_port(), free_port()], [free_port(), free_port()]
        for index, port in enumerate(action_ports):
            running.processes.start(action_server_command(port), name=f"action server {'AB'[index]}", wait=False,
                                    log_path=workdir / f"action_server_{'AB'[index]}.log", env=base_env,
                                    ready_url=f"http://127.0.0.1:{port}/health")
        for index, port in enumerate(rasa_ports):
            env = {**base_env, "ACTION_SERVER_URL": f"http://127.0.0.1:{action_ports[index]}/webhook"}
            running.processes.start(rasa_server_command(port, model, PROJECT_ROOT / "endpoints.yml",
                                                        auth_token=running.token),
                                    name=f"Rasa server {'AB'[index]}", wait=False, cwd=workdir, env=env,
                                    log_path=workdir / f"rasa_server_{'AB'[index]}.log",
                                    ready_url=f"http://127.0.0.1:{port}/version")
            running.rasa_urls.append(f"http://127.0.0.1:{port}")
        # Two Rasa servers load their models at once here: a longer start-up allowance.
        wait_all_ready(list(running.processes), timeout=START_TIMEOUT_S)
        yield running
    finally:
        if running is not None:
            running.processes.stop_all(timeout=30)
            client = redis.StrictRedis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=3)
            for key in client.scan_iter(f"{running.lock_prefix}:*"):
                client.delete(key)
        for url in (tracker_db, portal_db):
            if url:
                _drop_database(url)


def check_stored_events(cluster: Cluster, sender: str, sent: list[str]) -> None:
    """Rasa's events table holds every message once, in order, each turn whole, nothing twice."""
    events = cluster.stored_events(sender)
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps), "events stored out of order"
    assert len({event["data"] for event in events}) == len(events), "an event was stored twice"
    user_events = [json.loads(event["data"]) for event in events if event["type_name"] == "user"]
    assert [event["text"] for event in user_events] == sent
    # One message at a time: each new message arrives after the previous turn ended with action_listen.
    last_action = None
    for event in events:
        if event["type_name"] == "user" and last_action is not None:
            assert last_action == "action_listen", "a message was processed while another turn was running"
        if event["type_name"] == "action":
            last_action = event["action_name"]
    # Both servers read the same conversation.
    assert cluster.tracker(0, sender)["events"] == cluster.tracker(1, sender)["events"]


def test_one_conversation_over_two_servers(cluster: Cluster) -> None:
    sender = f"scale-{secrets.token_hex(6)}"
    sent: list[str] = []

    def say(server: int, message: str) -> str:
        sent.append(message)
        return cluster.text(server, sender, message)

    # The key-already-used path (portal/demo/PERSONAS.md, Ben Carter), each message to the other server:
    # the identity form asked on one server continues on the other, and the verified parent stays verified.
    assert "check it's really you" in say(0, "it says my activation key has already been used")
    say(1, "yes")
    say(0, "willow creek")
    say(1, "ben.carter@example.com")
    say(0, "Lily")
    text = say(1, "9/3/2012")
    assert "b*******7" in text and "reset your account" in text

    # "Yes, open the ticket", sent to both servers at the same moment (a double tap, a retry from a proxy).
    start = threading.Barrier(2)

    def accept(server: int) -> str:
        start.wait()
        return cluster.text(server, sender, "yes please")

    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(accept, [0, 1]))
    sent += ["yes please", "yes please"]
    [ticket] = cluster.tickets(sender)
    assert (ticket.kind, ticket.school_id, ticket.verified, ticket.guardian_id) == (
        "account_reset", "org-willow-creek-ms", True, "g-ben-carter")
    assert any(f"#{ticket.id}" in reply for reply in replies), replies
    assert any("Willow Creek Middle School" in reply for reply in replies)

    # Asking again, on both servers, never makes a second ticket.
    say(0, "the key was already used")
    say(1, "yes")
    assert "already have request" in say(0, "yes")
    assert len(cluster.tickets(sender)) == 1
    check_stored_events(cluster, sender, sent)
    tracker = cluster.tracker(1, sender)
    assert tracker["slots"]["verified_guardian_id"] == "g-ben-carter"


def test_burst_to_both_servers_is_processed_in_order(cluster: Cluster) -> None:
    """Messages for one conversation arrive at both servers while the conversation is busy: the Redis lock
    store queues them across servers, and they are processed one at a time in the order they arrived."""
    import redis

    from channels.lock_store import AtomicRedisLockStore

    sender = f"burst-{secrets.token_hex(6)}"
    messages = ["hello", "are you a bot?", "thank you", "hi there", "am I talking to a bot", "thanks a lot"]
    spans: list[tuple[float, float]] = [(0.0, 0.0)] * len(messages)
    replies: list[list[dict[str, Any]]] = [[] for _ in messages]
    # A third "server" holds the conversation's lock, as if a long turn were running, so the whole burst
    # is in flight at once; every message waits for it, then for the ones that arrived before it.
    holder = AtomicRedisLockStore(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, key_prefix=cluster.lock_prefix)
    held = holder.issue_ticket(sender)

    def send(index: int) -> None:
        time.sleep(0.3 * index)  # arrival order is send order
        began = time.monotonic()
        replies[index] = cluster.say(index % 2, sender, messages[index])
        spans[index] = (began, time.monotonic())

    with ThreadPoolExecutor(len(messages)) as pool:
        sending = [pool.submit(send, index) for index in range(len(messages))]
        time.sleep(0.3 * len(messages) + 1.5)
        assert not any(future.done() for future in sending), "a message was processed while the lock was held"
        released = time.monotonic()
        holder.cleanup(sender, held)
        for future in sending:
            future.result()
    assert all(replies), replies
    assert all(began < released < ended for began, ended in spans), (released, spans)
    check_stored_events(cluster, sender, messages)
    # The lock was deleted once the queue was empty.
    client = redis.StrictRedis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, socket_timeout=3)
    assert client.get(f"{cluster.lock_prefix}:lock:{sender}") is None
