"""Alembic environment of the portal store.

Programmatic runs (`portal.db.migrate`) pass an open connection in `config.attributes["connection"]`;
command-line runs build an engine from `DATABASE_URL` through `portal.db`.
"""
from __future__ import annotations

from alembic import context

from portal.db import VERSION_TABLE, get_engine
from portal.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite needs table rebuilds for most ALTERs
        compare_type=True,
        **kwargs,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout (`alembic upgrade head --sql`)."""
    from portal.db import database_url

    _configure(url=config.get_main_option("sqlalchemy.url") or database_url(), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run against a live database."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    with get_engine(config.get_main_option("sqlalchemy.url") or None).begin() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
