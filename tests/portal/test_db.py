"""portal.db: URL from the environment, cached engines, SQLite pragmas, unit-of-work sessions."""
from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import func, select, text

from portal import db
from portal.models import School


def test_database_url_defaults_to_a_sqlite_file_in_var(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setattr(db, "PROJECT_ROOT", tmp_path)
    assert db.database_url() == f"sqlite:///{tmp_path / 'var' / 'portal.db'}"
    assert (tmp_path / "var").is_dir()


def test_database_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg2://u@h/d")
    assert db.database_url() == "postgresql+psycopg2://u@h/d"
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/d")
    assert db.database_url() == "postgresql://u@h/d"


def test_engine_is_cached_per_url(tmp_path):
    first, second = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert db.get_engine(first) is db.get_engine(first)
    assert db.get_engine(first) is not db.get_engine(second)


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(sqlite_database):
    with db.get_engine(sqlite_database).connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_session_scope_commits_on_success(db_url):
    with db.session_scope(db_url) as session:
        session.add(School(id="org-x", name="X School", org_type="school", active=True))
    with db.session_scope(db_url) as session:
        assert session.get(School, "org-x").name == "X School"


def test_session_scope_rolls_back_on_error(db_url):
    with pytest.raises(RuntimeError):
        with db.session_scope(db_url) as session:
            session.add(School(id="org-y", name="Y School", org_type="school", active=True))
            session.flush()
            raise RuntimeError("boom")
    with db.session_scope(db_url) as session:
        assert session.execute(select(func.count()).select_from(School)).scalar() == 0


def test_in_worker_thread_runs_one_unit_of_work_off_the_event_loop(db_url):
    def add_school(session, school_id, name):
        session.add(School(id=school_id, name=name, org_type="school", active=True))
        return threading.get_ident()

    def fail(session):
        add_school(session, "org-lost", "Lost")
        session.flush()
        raise RuntimeError("boom")

    worker = asyncio.run(db.in_worker_thread(db_url, add_school, "org-z", name="Z School"))
    assert worker != threading.get_ident()
    with pytest.raises(RuntimeError):
        asyncio.run(db.in_worker_thread(db_url, fail))
    with db.session_scope(db_url) as session:
        assert session.get(School, "org-z").name == "Z School" and session.get(School, "org-lost") is None


def test_savepoints_work_inside_a_session(db_url):
    """SQLite needs SQLAlchemy to emit BEGIN itself for SAVEPOINT to behave; tickets rely on it."""
    with db.session_scope(db_url) as session:
        session.add(School(id="kept", name="Kept", org_type="school", active=True))
        nested = session.begin_nested()
        session.add(School(id="dropped", name="Dropped", org_type="school", active=True))
        session.flush()
        nested.rollback()
    with db.session_scope(db_url) as session:
        assert sorted(session.execute(select(School.id)).scalars()) == ["kept"]
