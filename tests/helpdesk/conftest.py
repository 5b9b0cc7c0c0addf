"""Fixtures of the help-desk tests: the portal store on SQLite and PostgreSQL (reused from tests/portal),
a loopback server standing in for Rasa and the external help desks, and the app running in a thread."""
from __future__ import annotations

from typing import Iterator

import pytest
from sanic import Sanic

from helpdesk.app import create_app
from helpdesk.auth import Scope, TokenRegistry
from helpdesk.config import HelpdeskConfig
from portal import db
from portal.models import Base
from portal.tickets import open_ticket
from tests.helpdesk.support import Client, Loopback, RunningApp
from tests.portal.conftest import (  # noqa: F401  (fixtures shared with the store tests)
    BACKENDS,
    _session,
    fresh_url,
    postgresql_database,
    sqlite_database,
)

# Several apps start in one process: Sanic then needs its test mode (it re-applies its "touch-up" code
# rewriting from the original methods instead of rewriting them twice).
Sanic.test_mode = True

MAPLE = "org-maple-ridge-es"
WILLOW = "org-willow-creek-ms"
DISTRICT_TOKEN = "district-token-0123456789abcdef"
MAPLE_TOKEN = "maple-token-0123456789abcdef"
WILLOW_TOKEN = "willow-token-0123456789abcdef"
RASA_TOKEN = "rasa-secret-token-42"
TOKENS = {
    DISTRICT_TOKEN: Scope(None, "District office"),
    MAPLE_TOKEN: Scope(MAPLE, "Maple Ridge office"),
    WILLOW_TOKEN: Scope(WILLOW, "Willow Creek office"),
}


def clear_tables(url: str) -> None:
    """Empty every table. DELETE rather than the store tests' TRUNCATE: much faster on tiny PostgreSQL
    tables (ids keep counting up, which no help-desk test depends on)."""
    with db.get_engine(url).begin() as connection:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def db_url(request) -> str:
    """URL of a migrated, empty store: once on SQLite, once on PostgreSQL."""
    url = request.getfixturevalue(f"{request.param}_database")
    clear_tables(url)
    return url


@pytest.fixture
def session(db_url):
    """A session on the empty store; whatever the test does not commit is rolled back."""
    yield from _session(db_url)


def make_config(database_url: str, rasa_url: str, **overrides) -> HelpdeskConfig:
    """Fast timeouts and backoff, no background worker unless asked: tests flush the outbox themselves."""
    values = dict(
        tokens=TokenRegistry(TOKENS), database_url=database_url, rasa_url=rasa_url, rasa_token=RASA_TOKEN,
        outbox_worker=False, connect_timeout=0.5, read_timeout=0.5, http_retries=0, http_backoff_factor=0.0,
        backoff_base_seconds=0.01, backoff_cap_seconds=0.05, outbox_poll_seconds=0.1,
    )
    values.update(overrides)
    return HelpdeskConfig(**values)


def open_test_ticket(database_url: str, conversation_id: str = "conv-1", school_id: str = MAPLE,
                     kind: str = "household_fix", **extra):
    values = dict(kind=kind, school_id=school_id, conversation_id=conversation_id, channel="rest", verified=True,
                  summary="Noah missing from the portal", transcript="parent: I only see Emma")
    values.update(extra)
    with db.session_scope(database_url) as session:
        ticket, _ = open_ticket(session, **values)
    return ticket


@pytest.fixture(scope="session")
def loopback_server() -> Iterator[Loopback]:
    server = Loopback().start()
    yield server
    server.stop()


@pytest.fixture
def rasa(loopback_server) -> Loopback:
    """The loopback server, reset: it plays Rasa (answers 200 unless told to fail)."""
    loopback_server.reset()
    return loopback_server


@pytest.fixture(scope="session")
def _running_apps() -> Iterator[dict]:
    apps: dict[str, RunningApp] = {}
    yield apps
    for app in apps.values():
        app.stop()


@pytest.fixture
def config(db_url, rasa) -> HelpdeskConfig:
    return make_config(db_url, rasa.url)


@pytest.fixture
def client(db_url, rasa, _running_apps) -> Iterator[Client]:
    """A client (no token) of the app serving the test's store; one app per backend for the session."""
    running = _running_apps.get(db_url)
    if running is None:
        running = RunningApp(create_app(make_config(db_url, rasa.url))).start()
        _running_apps[db_url] = running
    client = Client(running.url)
    yield client
    client.close()


@pytest.fixture
def district_client(client) -> Client:
    return client.as_(DISTRICT_TOKEN)


@pytest.fixture
def maple_client(client) -> Client:
    return client.as_(MAPLE_TOKEN)


@pytest.fixture
def willow_client(client) -> Client:
    return client.as_(WILLOW_TOKEN)
