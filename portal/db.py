"""Database connection: URL from the environment, cached engines, short-lived sessions, migrations."""
from __future__ import annotations

import asyncio
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Optional, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Engine, create_engine, make_url
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"
# Our own name, so the portal schema can share a PostgreSQL database with other Alembic projects.
VERSION_TABLE = "portal_alembic_version"
SQLITE_BUSY_TIMEOUT_SECONDS = 15
# Any fixed number: serialises concurrent `migrate()` calls on one PostgreSQL database.
_PG_MIGRATION_LOCK = 7_201_540_331

Result = TypeVar("Result")

_engines: dict[str, Engine] = {}
_sessionmakers: dict[str, sessionmaker] = {}
_lock = threading.Lock()


def database_url() -> str:
    """`DATABASE_URL` from the environment, else a SQLite file in `<project>/var/` (created if needed)."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        # Heroku-style URLs say "postgres://", which SQLAlchemy 1.4 no longer accepts.
        return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url
    var_dir = PROJECT_ROOT / "var"
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var_dir / 'portal.db'}"


def get_engine(url: Optional[str] = None) -> Engine:
    """One engine per URL for the whole process (engines own the connection pool)."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _create_engine(url)
            _engines[url] = engine
        return engine


def _create_engine(url: str) -> Engine:
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, future=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
        _configure_sqlite(engine, in_memory=make_url(url).database in (None, "", ":memory:"))
        return engine
    if backend == "postgresql":
        return create_engine(url, future=True, pool_pre_ping=True, executemany_mode="values_plus_batch")
    return create_engine(url, future=True, pool_pre_ping=True)


def _configure_sqlite(engine: Engine, in_memory: bool) -> None:
    """Foreign keys and WAL on every connection; SQLAlchemy emits BEGIN IMMEDIATE itself.

    pysqlite's own transaction handling breaks SAVEPOINT (see SQLAlchemy's pysqlite docs), so the
    driver runs in autocommit mode and the "begin" hook starts transactions. IMMEDIATE takes the
    write lock up front: concurrent units of work (two workers opening the same ticket) then wait
    for each other (busy timeout) instead of failing with "database is locked" when a transaction
    that has read tries to write after another one committed. A connection may choose otherwise
    with the execution option `sqlite_begin` (e.g. "BEGIN" for a long read-only report).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - exercised implicitly
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # pragma: no cover - exercised implicitly
        connection.exec_driver_sql(connection.get_execution_options().get("sqlite_begin", "BEGIN IMMEDIATE"))


def session_factory(url: Optional[str] = None) -> sessionmaker:
    """The (cached) sessionmaker bound to the engine for `url`."""
    url = url or database_url()
    engine = get_engine(url)
    with _lock:
        factory = _sessionmakers.get(url)
        if factory is None:
            factory = sessionmaker(bind=engine, future=True, expire_on_commit=False)
            _sessionmakers[url] = factory
        return factory


@contextmanager
def session_scope(url: Optional[str] = None) -> Iterator[Session]:
    """One unit of work: a fresh Session, committed on success, rolled back on error, always closed.

    On SQLite a unit of work holds the database's write lock until it ends (see `_configure_sqlite`):
    keep it short, and never open a second `session_scope` inside one in the same thread.
    """
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _unit_of_work(url: Optional[str], work: Callable[..., Result], args: tuple, kwargs: dict) -> Result:
    with session_scope(url) as session:
        return work(session, *args, **kwargs)


async def in_worker_thread(url: Optional[str], work: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
    """`work(session, *args, **kwargs)` as one unit of work (`session_scope(url)`) in a worker thread, so an
    event loop (the action server, the help desk) never waits on the store. Store errors propagate."""
    return await asyncio.to_thread(_unit_of_work, url, work, args, kwargs)


def migrate(url: Optional[str] = None, revision: str = "head") -> None:
    """Upgrade the schema to `revision` with Alembic (a no-op when already there)."""
    from alembic import command

    engine = get_engine(url)
    with engine.connect() as connection:
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)


def downgrade(url: Optional[str] = None, revision: str = "base") -> None:
    """Downgrade the schema (used by tests and by operators undoing a release)."""
    from alembic import command

    with get_engine(url).begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(url: Optional[str] = None) -> Optional[str]:
    """The schema revision the database is at, or None when it was never migrated."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with the code."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def alembic_config():
    """Alembic configuration pointing at the package's migrations (no working-directory assumptions)."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def dispose_engines() -> None:
    """Close every pooled connection (tests and benchmarks call this before dropping a database)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _sessionmakers.clear()
