"""Alembic migrations build the schema on SQLite and PostgreSQL, and can be undone."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from portal import db
from portal.models import Base

TABLES = {"schools", "persons", "guardian_links", "portal_accounts", "activation_keys", "tickets", "ticket_events"}


def test_upgrade_creates_every_table_at_head(fresh_url):
    assert db.current_revision(fresh_url) is None
    db.migrate(fresh_url)
    assert db.current_revision(fresh_url) == db.head_revision()
    names = set(inspect(db.get_engine(fresh_url)).get_table_names())
    assert TABLES <= names
    assert db.VERSION_TABLE in names


def test_migrating_twice_is_a_no_op(fresh_url):
    db.migrate(fresh_url)
    db.migrate(fresh_url)
    assert db.current_revision(fresh_url) == db.head_revision()


def test_migrated_schema_matches_the_models(fresh_url):
    db.migrate(fresh_url)
    with db.get_engine(fresh_url).connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": db.VERSION_TABLE}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_partial_unique_index_on_open_tickets_exists(fresh_url):
    db.migrate(fresh_url)
    indexes = {i["name"]: i for i in inspect(db.get_engine(fresh_url)).get_indexes("tickets")}
    index = indexes["uq_tickets_active_conversation_kind"]
    assert index["unique"]
    assert index["column_names"] == ["conversation_id", "kind"]


def test_downgrade_removes_everything_and_upgrade_restores_it(fresh_url):
    db.migrate(fresh_url)
    db.downgrade(fresh_url)
    assert db.current_revision(fresh_url) is None
    assert not TABLES & set(inspect(db.get_engine(fresh_url)).get_table_names())
    db.migrate(fresh_url)
    assert TABLES <= set(inspect(db.get_engine(fresh_url)).get_table_names())
