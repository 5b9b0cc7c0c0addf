"""Fixtures of the portal store tests: every store test runs on SQLite and on PostgreSQL.

PostgreSQL: a fresh, uniquely named database is created on the server at PORTAL_TEST_PG_URL
(default postgresql+psycopg2://postgres@127.0.0.1:5432/test) for the session, migrated, and dropped
at the end. Those tests are skipped, with the reason, only when the server cannot be reached.
"""
from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal import db
from portal.models import Base
from portal.roster import import_roster
from tests.services import service_missing

PG_ADMIN_URL = os.environ.get("PORTAL_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
DEMO_ROSTER = Path(db.PACKAGE_DIR) / "demo" / "roster"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _pg_admin_engine():
    return create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


def _create_pg_database(prefix: str) -> str:
    """A new empty database on the test server; skips the test when the server is unreachable."""
    admin = _pg_admin_engine()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0]
        service_missing(f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {reason}")
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    engine = db._engines.pop(url, None)
    db._sessionmakers.pop(url, None)
    if engine is not None:
        engine.dispose()
    admin = _pg_admin_engine()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'portal.db'}"
    db.migrate(url)
    yield url


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[str]:
    url = _create_pg_database("portal_test")
    db.migrate(url)
    yield url
    _drop_pg_database(url)


def clear_tables(url: str) -> None:
    """Empty every table (and restart ids) so each test starts from a clean, migrated store."""
    engine = db.get_engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.exec_driver_sql(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=BACKENDS)
def db_url(request) -> str:
    """URL of a migrated, empty store: once on SQLite, once on PostgreSQL."""
    url = request.getfixturevalue(f"{request.param}_database")
    clear_tables(url)
    return url


@pytest.fixture(params=BACKENDS)
def fresh_url(request, tmp_path) -> Iterator[str]:
    """URL of a brand-new database that was never migrated."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    url = _create_pg_database("portal_fresh")
    yield url
    _drop_pg_database(url)


def _session(url: str):
    session = db.session_factory(url)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def session(db_url):
    """A session on the empty store; whatever the test does not commit is rolled back."""
    yield from _session(db_url)


def _load_demo(url: str) -> str:
    db.migrate(url)
    report = import_roster(lambda: db.session_scope(url), DEMO_ROSTER, progress=False)
    assert report.ok, report.summary()
    return url


@pytest.fixture(scope="session")
def sqlite_demo_database(tmp_path_factory) -> str:
    return _load_demo(f"sqlite:///{tmp_path_factory.mktemp('sqlite-demo') / 'demo.db'}")


@pytest.fixture(scope="session")
def postgresql_demo_database() -> Iterator[str]:
    url = _load_demo(_create_pg_database("portal_demo"))
    yield url
    _drop_pg_database(url)


@pytest.fixture
def demo_url(db_url) -> str:
    """A private store holding the demo roster (portal/demo/roster), for tests that commit."""
    return _load_demo(db_url)


@pytest.fixture(params=BACKENDS)
def demo_session(request):
    """A session on a shared store holding the demo roster, loaded once per backend.

    Everything the test does is rolled back at the end; tests that need to commit use `demo_url`.
    """
    yield from _session(request.getfixturevalue(f"{request.param}_demo_database"))
