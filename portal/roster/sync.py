"""Bulk synchronisation of one table with the rows of an import: insert, update, deactivate in chunks.

Existing rows are loaded with one query; inserts and updates are executemany statements in chunks,
never one ORM object per row. Rows are matched on `key_columns`; rows missing from the import are
marked inactive (never deleted) unless `protect` says to keep them as they are.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Optional, Sequence

from sqlalchemy import Table, and_, bindparam, insert, select, tuple_, update
from sqlalchemy.orm import Session

from portal.roster.report import FileCounts

CHUNK = 5000
Key = tuple
Protect = Callable[[Key, dict[str, Any]], bool]


@dataclass
class TableSync:
    """How to match and compare the rows of one table."""

    table: Table
    key_columns: Sequence[str]
    compare_columns: Sequence[str]
    active_column: str = "active"


def sync_table(
    session: Session,
    spec: TableSync,
    rows: dict[Key, dict[str, Any]],
    counts: FileCounts,
    protect: Optional[Protect] = None,
    deactivate: bool = True,
) -> None:
    """Make `spec.table` hold `rows`; deactivate active rows that are not in `rows`.

    A row is active unless it carries `active: False` (OneRoster's status "tobedeleted").
    """
    existing = _load_existing(session, spec)
    active = spec.active_column
    compare = spec.compare_columns
    inserts, updates, gone = [], [], []
    for key, row in rows.items():
        row = {**row, active: bool(row.get(active, True))}
        current = existing.get(key)
        if current is None:
            inserts.append(row)
        elif current != (*(row[c] for c in compare), row[active]):
            updates.append(row)
        else:
            counts.unchanged += 1
    if deactivate:
        names = (*compare, active)
        gone = [
            key for key, current in existing.items()
            if current[-1] and key not in rows and not (protect and protect(key, dict(zip(names, current))))
        ]
    _insert(session, spec, inserts)
    _update(session, spec, updates)
    _deactivate(session, spec, gone)
    counts.inserted += len(inserts)
    counts.updated += len(updates)
    counts.deactivated += len(gone)


def _load_existing(session: Session, spec: TableSync) -> dict[Key, tuple]:
    """key -> (compare values..., active) for every row of the table, in one query."""
    names = [*spec.key_columns, *spec.compare_columns, spec.active_column]
    width = len(spec.key_columns)
    result = session.execute(select(*[spec.table.c[name] for name in names]))
    return {tuple(record[:width]): tuple(record[width:]) for record in result}


def _insert(session: Session, spec: TableSync, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows, CHUNK):
        session.execute(insert(spec.table), chunk)


def _update(session: Session, spec: TableSync, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    table = spec.table
    statement = (
        update(table)
        .where(and_(*[table.c[k] == bindparam(f"k_{k}") for k in spec.key_columns]))
        .values({c: bindparam(f"v_{c}") for c in (*spec.compare_columns, spec.active_column)})
    )
    for chunk in _chunks(rows, CHUNK):
        params = [
            {**{f"k_{k}": row[k] for k in spec.key_columns},
             **{f"v_{c}": row[c] for c in (*spec.compare_columns, spec.active_column)}}
            for row in chunk
        ]
        session.execute(statement, params)


def _deactivate(session: Session, spec: TableSync, keys: list[Key]) -> None:
    table = spec.table
    key_columns = [table.c[k] for k in spec.key_columns]
    for chunk in _chunks(keys, 400):
        if len(key_columns) == 1:
            condition = key_columns[0].in_([k[0] for k in chunk])
        else:
            condition = tuple_(*key_columns).in_(chunk)
        session.execute(update(table).where(condition).values({spec.active_column: False}))


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
