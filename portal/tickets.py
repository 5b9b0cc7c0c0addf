"""Tickets for school staff: idempotent opening, queries, status changes with an audit trail.

Every function takes the caller's Session and returns plain frozen dataclasses, never ORM objects.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from portal.models import ACTIVE_TICKET_STATUSES, TICKET_KINDS, TICKET_STATUSES, Ticket, TicketEvent, utcnow

log = logging.getLogger(__name__)

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "resolved", "closed"}),
    "in_progress": frozenset({"resolved", "closed"}),
    "resolved": frozenset(),
    "closed": frozenset(),
}


class TicketError(ValueError):
    """A request about tickets that cannot be honoured (bad kind, status or transition)."""


class TicketNotFound(LookupError):
    """No ticket with that id."""


@dataclass(frozen=True)
class TicketEventView:
    """One entry of a ticket's audit trail."""

    at: datetime
    actor: str
    from_status: Optional[str]
    to_status: str
    note: str


@dataclass(frozen=True)
class TicketView:
    """A ticket as plain data."""

    id: int
    kind: str
    status: str
    school_id: Optional[str]
    conversation_id: str
    channel: str
    verified: bool
    guardian_id: Optional[str]
    summary: str
    transcript: str
    details: dict[str, Any]
    external_id: Optional[str]
    created_at: datetime
    updated_at: datetime
    events: tuple[TicketEventView, ...] = ()

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_TICKET_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (timestamps in ISO 8601)."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat()
        data["events"] = [{**asdict(e), "at": e.at.isoformat()} for e in self.events]
        return data


def open_ticket(
    session: Session,
    *,
    kind: str,
    school_id: Optional[str],
    conversation_id: str,
    channel: str,
    verified: bool,
    summary: str,
    transcript: str,
    guardian_id: Optional[str] = None,
    details: Optional[dict[str, Any]] = None,
    actor: str = "assistant",
) -> tuple[TicketView, bool]:
    """Open a ticket, or return the one already open for this conversation and kind.

    Returns (ticket, created). Safe under concurrency: a partial unique index allows one open or
    in-progress ticket per (conversation_id, kind); losing that race re-reads the winner's ticket.
    """
    if kind not in TICKET_KINDS:
        raise TicketError(f"unknown ticket kind {kind!r}; expected one of {', '.join(TICKET_KINDS)}")
    if not conversation_id:
        raise TicketError("a ticket needs a conversation_id")
    existing = _find_active(session, conversation_id, kind)
    if existing is not None:
        return _view(existing), False
    now = utcnow()
    ticket = Ticket(
        kind=kind, status="open", school_id=school_id, conversation_id=conversation_id,
        channel=channel or "unknown", verified=bool(verified), guardian_id=guardian_id,
        summary=summary or "", transcript=transcript or "", details=dict(details or {}),
        created_at=now, updated_at=now,
    )
    ticket.events.append(TicketEvent(at=now, actor=actor, from_status=None, to_status="open", note="opened"))
    try:
        with session.begin_nested():
            session.add(ticket)
    except IntegrityError:
        existing = _find_active(session, conversation_id, kind)
        if existing is None:
            raise
        return _view(existing), False
    log.info("opened ticket %s (%s) for school %s, verified=%s", ticket.id, kind, school_id, bool(verified))
    return _view(ticket), True


def _find_active(session: Session, conversation_id: str, kind: str) -> Optional[Ticket]:
    return session.execute(
        select(Ticket)
        .options(selectinload(Ticket.events))
        .where(
            Ticket.conversation_id == conversation_id,
            Ticket.kind == kind,
            Ticket.status.in_(ACTIVE_TICKET_STATUSES),
        )
    ).scalar_one_or_none()


def tickets_for_conversation(session: Session, conversation_id: str) -> list[TicketView]:
    """All tickets of a conversation, newest first."""
    return _query(session, select(Ticket).where(Ticket.conversation_id == conversation_id))


def get_ticket(session: Session, ticket_id: int) -> Optional[TicketView]:
    """One ticket with its audit trail, or None."""
    ticket = _load(session, ticket_id)
    return _view(ticket) if ticket is not None else None


def list_tickets(
    session: Session,
    status: Optional[str] = None,
    school_id: Optional[str] = None,
    kind: Optional[str] = None,
    limit: Optional[int] = None,
) -> list[TicketView]:
    """Tickets, newest first, optionally filtered by status, school and kind."""
    statement = select(Ticket)
    if status is not None:
        _check_status(status)
        statement = statement.where(Ticket.status == status)
    if kind is not None:
        if kind not in TICKET_KINDS:
            raise TicketError(f"unknown ticket kind {kind!r}; expected one of {', '.join(TICKET_KINDS)}")
        statement = statement.where(Ticket.kind == kind)
    if school_id is not None:
        statement = statement.where(Ticket.school_id == school_id)
    if limit is not None:
        statement = statement.limit(limit)
    return _query(session, statement)


def change_status(session: Session, ticket_id: int, to_status: str, actor: str, note: str = "") -> TicketView:
    """Move a ticket along open -> in_progress -> resolved | closed (or straight from open) and log it."""
    _check_status(to_status)
    ticket = _load(session, ticket_id, for_update=True)
    if ticket is None:
        raise TicketNotFound(f"no ticket with id {ticket_id}")
    if to_status not in TRANSITIONS[ticket.status]:
        raise TicketError(f"ticket {ticket_id} is {ticket.status}; it cannot become {to_status}")
    now = utcnow()
    ticket.events.append(
        TicketEvent(at=now, actor=actor or "unknown", from_status=ticket.status, to_status=to_status, note=note or "")
    )
    log.info("ticket %s: %s -> %s by %s", ticket_id, ticket.status, to_status, actor)
    ticket.status = to_status
    ticket.updated_at = now
    session.flush()
    return _view(ticket)


def resolve_ticket(session: Session, ticket_id: int, note: str, actor: str) -> TicketView:
    """Mark a ticket resolved, with a note for the audit trail."""
    return change_status(session, ticket_id, "resolved", actor, note)


def set_external_id(session: Session, ticket_id: int, external_id: Optional[str]) -> TicketView:
    """Remember the id the ticket has in an external help desk."""
    ticket = _load(session, ticket_id, for_update=True)
    if ticket is None:
        raise TicketNotFound(f"no ticket with id {ticket_id}")
    ticket.external_id = external_id
    ticket.updated_at = utcnow()
    session.flush()
    return _view(ticket)


def _check_status(status: str) -> None:
    if status not in TICKET_STATUSES:
        raise TicketError(f"unknown ticket status {status!r}; expected one of {', '.join(TICKET_STATUSES)}")


def _load(session: Session, ticket_id: int, for_update: bool = False) -> Optional[Ticket]:
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        raise TicketNotFound(f"no ticket with id {ticket_id!r}") from None
    statement = select(Ticket).options(selectinload(Ticket.events)).where(Ticket.id == ticket_id)
    if for_update:
        statement = statement.with_for_update(of=Ticket)
    return session.execute(statement).scalar_one_or_none()


def _query(session: Session, statement) -> list[TicketView]:
    statement = statement.options(selectinload(Ticket.events)).order_by(Ticket.created_at.desc(), Ticket.id.desc())
    return [_view(t) for t in session.execute(statement).scalars()]


def _view(ticket: Ticket) -> TicketView:
    return TicketView(
        id=ticket.id,
        kind=ticket.kind,
        status=ticket.status,
        school_id=ticket.school_id,
        conversation_id=ticket.conversation_id,
        channel=ticket.channel,
        verified=bool(ticket.verified),
        guardian_id=ticket.guardian_id,
        summary=ticket.summary,
        transcript=ticket.transcript,
        details=dict(ticket.details or {}),
        external_id=ticket.external_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
        events=tuple(
            TicketEventView(e.at, e.actor, e.from_status, e.to_status, e.note)
            for e in sorted(ticket.events, key=lambda e: (e.at, e.id or 0))
        ),
    )
