"""Live handoff: a conversation handed to school staff, during which the assistant stays quiet.

A handoff starts "waiting" (the parent waits for a person), becomes "live" when staff first reply, and
"ended" when staff hand the conversation back or the ticket is resolved or closed. The assistant pauses
while `is_active()` returns a ticket id. One active handoff per conversation (a partial unique index).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal.models import ACTIVE_HANDOFF_STATES, Handoff, Ticket, utcnow

log = logging.getLogger(__name__)


class HandoffError(ValueError):
    """A handoff request that cannot be honoured (no such ticket, empty conversation id)."""


@dataclass(frozen=True)
class HandoffView:
    """A handoff as plain data."""

    conversation_id: str
    ticket_id: int
    state: str
    started_at: datetime
    live_at: Optional[datetime]
    ended_at: Optional[datetime]

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_HANDOFF_STATES


def start(session: Session, conversation_id: str, ticket_id: int) -> int:
    """Pause the assistant for this conversation until staff hand it back; returns the handoff's ticket id.

    Idempotent: when a handoff is already active for the conversation, that one is kept (and its
    ticket id returned), also when two callers race.
    """
    if not conversation_id:
        raise HandoffError("a handoff needs a conversation_id")
    existing = _active(session, conversation_id)
    if existing is not None:
        return existing.ticket_id
    if session.get(Ticket, int(ticket_id)) is None:
        raise HandoffError(f"no ticket with id {ticket_id}")
    handoff = Handoff(conversation_id=conversation_id, ticket_id=int(ticket_id), state="waiting", started_at=utcnow())
    try:
        with session.begin_nested():
            session.add(handoff)
    except IntegrityError:
        existing = _active(session, conversation_id)
        if existing is None:
            raise
        return existing.ticket_id
    log.info("handoff started for ticket %s", ticket_id)
    return handoff.ticket_id


def is_active(session: Session, conversation_id: str) -> Optional[int]:
    """The ticket id of the conversation's active (waiting or live) handoff, or None."""
    handoff = _active(session, conversation_id)
    return handoff.ticket_id if handoff is not None else None


def get(session: Session, conversation_id: str) -> Optional[HandoffView]:
    """The conversation's active handoff with its state and times, or None."""
    handoff = _active(session, conversation_id)
    return _view(handoff) if handoff is not None else None


def for_ticket(session: Session, ticket_id: int) -> Optional[HandoffView]:
    """The most recent handoff of a ticket (active or ended), or None."""
    handoff = session.execute(
        select(Handoff).where(Handoff.ticket_id == int(ticket_id)).order_by(Handoff.id.desc()).limit(1)
    ).scalar_one_or_none()
    return _view(handoff) if handoff is not None else None


def mark_live(session: Session, conversation_id: str) -> Optional[int]:
    """Staff answered: a waiting handoff becomes live. Returns its ticket id, or None when none is active."""
    handoff = _active(session, conversation_id, for_update=True)
    if handoff is None:
        return None
    if handoff.state == "waiting":
        handoff.state = "live"
        handoff.live_at = utcnow()
        session.flush()
    return handoff.ticket_id


def end(session: Session, conversation_id: str, actor: str = "staff") -> Optional[int]:
    """The assistant resumes: end the active handoff. Returns its ticket id, or None when none was active."""
    handoff = _active(session, conversation_id, for_update=True)
    if handoff is None:
        return None
    handoff.state = "ended"
    handoff.ended_at = utcnow()
    handoff.ended_by = actor or "staff"
    session.flush()
    log.info("handoff ended for ticket %s", handoff.ticket_id)
    return handoff.ticket_id


def _active(session: Session, conversation_id: str, for_update: bool = False) -> Optional[Handoff]:
    statement = select(Handoff).where(
        Handoff.conversation_id == conversation_id, Handoff.state.in_(ACTIVE_HANDOFF_STATES)
    )
    if for_update:
        statement = statement.with_for_update()
    return session.execute(statement).scalar_one_or_none()


def _view(handoff: Handoff) -> HandoffView:
    return HandoffView(
        conversation_id=handoff.conversation_id, ticket_id=handoff.ticket_id, state=handoff.state,
        started_at=handoff.started_at, live_at=handoff.live_at, ended_at=handoff.ended_at,
    )
