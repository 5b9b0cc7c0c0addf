"""Queue counts and the 30-day dashboard numbers, always within a token's scope."""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import conversations
from portal.models import TICKET_KINDS, TICKET_STATUSES, Ticket, utcnow

WINDOW_DAYS = conversations.DEFAULT_WINDOW_DAYS


def _scoped(statement, school_id: Optional[str], district_wide: bool):
    if district_wide:
        return statement
    return statement.where(Ticket.school_id == school_id)


def queue_counts(session: Session, school_id: Optional[str], district_wide: bool) -> dict[str, dict[str, int]]:
    """Ticket counts by status and by kind (active tickets only for the kinds), in scope."""
    by_status = {s: 0 for s in TICKET_STATUSES}
    for status, count in session.execute(
        _scoped(select(Ticket.status, func.count()), school_id, district_wide).group_by(Ticket.status)
    ):
        by_status[status] = count
    open_by_kind = {k: 0 for k in TICKET_KINDS}
    for kind, count in session.execute(
        _scoped(select(Ticket.kind, func.count()), school_id, district_wide)
        .where(Ticket.status.in_(("open", "in_progress")))
        .group_by(Ticket.kind)
    ):
        open_by_kind[kind] = count
    return {"by_status": by_status, "open_by_kind": open_by_kind}


def dashboard(session: Session, school_id: Optional[str], district_wide: bool, days: int = WINDOW_DAYS,
              now: Optional[datetime] = None) -> dict[str, Any]:
    """Tickets opened per kind and median hours to resolve per kind over the window, plus deflection."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    opened = {k: 0 for k in TICKET_KINDS}
    for kind, count in session.execute(
        _scoped(select(Ticket.kind, func.count()), school_id, district_wide)
        .where(Ticket.created_at >= since)
        .group_by(Ticket.kind)
    ):
        opened[kind] = count
    durations: dict[str, list[float]] = {k: [] for k in TICKET_KINDS}
    for kind, created, resolved in session.execute(
        _scoped(select(Ticket.kind, Ticket.created_at, Ticket.resolved_at), school_id, district_wide)
        .where(Ticket.resolved_at.is_not(None), Ticket.resolved_at >= since)
    ):
        durations[kind].append(max(0.0, (resolved - created).total_seconds() / 3600.0))
    every = [hours for values in durations.values() for hours in values]
    return {
        "window_days": days,
        "since": since.isoformat(),
        "per_kind": {
            kind: {
                "opened": opened[kind],
                "resolved": len(durations[kind]),
                "median_hours_to_resolve": _median(durations[kind]),
            }
            for kind in TICKET_KINDS
        },
        "total": {"opened": sum(opened.values()), "resolved": len(every), "median_hours_to_resolve": _median(every)},
        # Conversations are not tied to a school: deflection is district-wide for every token.
        "deflection": conversations.deflection(session, days, now).to_dict(),
    }


def _median(values: list[float]) -> Optional[float]:
    return round(statistics.median(values), 2) if values else None
