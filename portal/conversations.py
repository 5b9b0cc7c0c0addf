"""Conversations: which reached an answer, and which needed a ticket (the deflection rate).

The assistant calls `record_answer()` whenever a parent gets an answer; `open_ticket()` calls
`mark_ticket_opened()` when it creates a ticket. Deflection rate = conversations that got an answer
and opened no ticket / conversations that got an answer, counted over conversations whose first
answer falls in the window (30 days by default).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from portal.models import Conversation, utcnow

DEFAULT_WINDOW_DAYS = 30
_TOPIC_MAX = 255


@dataclass(frozen=True)
class Deflection:
    """Answered conversations in a window, how many opened a ticket, and the share that did not."""

    window_days: int
    answered: int
    with_ticket: int

    @property
    def deflected(self) -> int:
        return self.answered - self.with_ticket

    @property
    def rate(self) -> Optional[float]:
        return self.deflected / self.answered if self.answered else None

    def to_dict(self) -> dict:
        return {"window_days": self.window_days, "answered": self.answered, "with_ticket": self.with_ticket,
                "deflected": self.deflected, "rate": self.rate}


def record_answer(session: Session, conversation_id: str, channel: Optional[str], topic: Optional[str]) -> None:
    """The parent got an answer in this conversation (topic: e.g. the intent or outcome answered)."""
    if not conversation_id:
        return
    now = utcnow()
    _ensure(session, conversation_id, channel, now)
    values = dict(
        answered_at=func.coalesce(Conversation.answered_at, now),
        last_answer_at=now,
        answers=Conversation.answers + 1,
        channel=_better_channel(channel),
    )
    if topic:
        values["last_topic"] = str(topic)[:_TOPIC_MAX]
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def mark_ticket_opened(session: Session, conversation_id: str, channel: Optional[str]) -> None:
    """A ticket was opened in this conversation (kept at the first ticket's time)."""
    if not conversation_id:
        return
    now = utcnow()
    _ensure(session, conversation_id, channel, now)
    session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(ticket_opened_at=func.coalesce(Conversation.ticket_opened_at, now), channel=_better_channel(channel))
        .execution_options(synchronize_session=False)
    )


def deflection(session: Session, days: int = DEFAULT_WINDOW_DAYS, now: Optional[datetime] = None) -> Deflection:
    """Deflection over conversations whose first answer is within the last `days` days."""
    since = (now or utcnow()) - timedelta(days=days)
    answered, with_ticket = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Conversation.ticket_opened_at.is_not(None), 1), else_=0)), 0),
        ).where(Conversation.answered_at >= since)
    ).one()
    return Deflection(window_days=days, answered=int(answered or 0), with_ticket=int(with_ticket or 0))


def _better_channel(channel: Optional[str]):
    """Keep a known channel; replace 'unknown' with a real one when we learn it."""
    if not channel or channel == "unknown":
        return Conversation.channel
    return case((Conversation.channel == "unknown", channel), else_=Conversation.channel)


def _ensure(session: Session, conversation_id: str, channel: Optional[str], now: datetime) -> None:
    """Insert the conversation's row unless it exists (atomic on SQLite and PostgreSQL)."""
    values = dict(id=conversation_id, channel=(channel or "unknown")[:64], started_at=now, answers=0)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - other databases: read, then insert
        if session.get(Conversation, conversation_id) is None:
            session.add(Conversation(**values))
            session.flush()
        return
    session.execute(insert(Conversation).values(**values).on_conflict_do_nothing(index_elements=["id"]))
