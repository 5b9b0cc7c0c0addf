"""Tickets for school staff: idempotent opening, queries, status changes with an audit trail, and the
staff workflow of the help desk (claim, notes, conversation messages, live replies, hand back, resolve).

Every function takes the caller's Session and returns plain frozen dataclasses, never ORM objects.
Whatever must reach the parent (through Rasa) or an external help desk is written to the outbox
(`portal.outbox`) in the caller's transaction, together with the change it reports.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Callable, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from portal import conversations, handoff, outbox
from portal.models import (
    ACTIVE_TICKET_STATUSES,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MESSAGE_AUTHORS,
    TICKET_KINDS,
    TICKET_STATUSES,
    Ticket,
    TicketEvent,
    TicketMessage,
    utcnow,
)

log = logging.getLogger(__name__)

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "resolved", "closed"}),
    "in_progress": frozenset({"resolved", "closed"}),
    "resolved": frozenset(),
    "closed": frozenset(),
}


class TicketError(ValueError):
    """A request about tickets that cannot be honoured (bad kind, status or transition)."""


class TicketConflict(TicketError):
    """The request is valid but the ticket's current state forbids it (e.g. resolving a closed ticket)."""


class TicketNotFound(LookupError):
    """No ticket with that id."""


MESSAGE_MAX_CHARS = 4000
NAME_MAX_CHARS = 255


@dataclass(frozen=True)
class TicketEventView:
    """One entry of a ticket's audit trail."""

    at: datetime
    actor: str
    from_status: Optional[str]
    to_status: str
    note: str


@dataclass(frozen=True)
class TicketMessageView:
    """One message of the conversation around a ticket."""

    at: datetime
    author: str
    author_name: Optional[str]
    text: str


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
    assignee: Optional[str] = None
    resolved_at: Optional[datetime] = None
    messages: tuple[TicketMessageView, ...] = ()
    # State of the ticket's latest live handoff: "waiting", "live", "ended", or None (never handed off).
    handoff_state: Optional[str] = None
    # The conversation's language when the ticket was opened ("en", "es").
    language: str = DEFAULT_LANGUAGE

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_TICKET_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (timestamps in ISO 8601)."""
        data = asdict(self)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat()
        data["resolved_at"] = self.resolved_at.isoformat() if self.resolved_at else None
        data["events"] = [{**asdict(e), "at": e.at.isoformat()} for e in self.events]
        data["messages"] = [{**asdict(m), "at": m.at.isoformat()} for m in self.messages]
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
    language: Optional[str] = None,
) -> tuple[TicketView, bool]:
    """Open a ticket, or return the one already open for this conversation and kind.

    `language` is the conversation's (the `language` slot): one of LANGUAGES, else the default "en".

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
        created_at=now, updated_at=now, language=ticket_language(language),
    )
    ticket.events.append(TicketEvent(at=now, actor=actor, from_status=None, to_status="open", note="opened"))
    try:
        with session.begin_nested():
            session.add(ticket)
            session.flush()
            # Same transaction: the external help desk hears of every new ticket (see portal.outbox), and
            # the conversation counts as one that needed a ticket (deflection statistics).
            outbox.forward_ticket(session, ticket, outbox.TICKET_CREATED)
            conversations.mark_ticket_opened(session, conversation_id, ticket.channel)
    except IntegrityError:
        existing = _find_active(session, conversation_id, kind)
        if existing is None:
            raise
        return _view(existing), False
    log.info("opened ticket %s (%s) for school %s, verified=%s", ticket.id, kind, school_id, bool(verified))
    return _view(ticket), True


def ticket_language(value: Any) -> str:
    """A known language code ("es", "ES", " es " -> "es"); anything else is the default, English."""
    code = str(value or "").strip().lower()
    if code in LANGUAGES:
        return code
    if code:
        log.warning("unknown conversation language %r; the ticket is recorded as %s", code[:20], DEFAULT_LANGUAGE)
    return DEFAULT_LANGUAGE


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise TicketError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")


def _find_active(session: Session, conversation_id: str, kind: str) -> Optional[Ticket]:
    return session.execute(
        select(Ticket)
        .options(*_LOAD_OPTIONS)
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
    statuses: Optional[tuple[str, ...]] = None,
    language: Optional[str] = None,
) -> list[TicketView]:
    """Tickets, newest first, optionally filtered by status (or any of `statuses`), school, kind and language."""
    statement = select(Ticket)
    if language is not None:
        _check_language(language)
        statement = statement.where(Ticket.language == language)
    if status is not None:
        _check_status(status)
        statement = statement.where(Ticket.status == status)
    if statuses is not None:
        for value in statuses:
            _check_status(value)
        statement = statement.where(Ticket.status.in_(tuple(statuses)))
    if kind is not None:
        if kind not in TICKET_KINDS:
            raise TicketError(f"unknown ticket kind {kind!r}; expected one of {', '.join(TICKET_KINDS)}")
        statement = statement.where(Ticket.kind == kind)
    if school_id is not None:
        statement = statement.where(Ticket.school_id == school_id)
    if limit is not None:
        statement = statement.limit(limit)
    return _query(session, statement)


# Which schools' tickets the caller may touch (the help desk's token scope); a ticket outside it is reported
# exactly like a missing one, so its existence stays hidden.
Visible = Optional[Callable[[Optional[str]], bool]]


def change_status(session: Session, ticket_id: int, to_status: str, actor: str, note: str = "",
                  visible: Visible = None) -> TicketView:
    """Move a ticket along open -> in_progress -> resolved | closed (or straight from open) and log it.

    Side effects in the same transaction: the change is queued for the external help desk; a ticket
    that is resolved or closed ends its live handoff, and the parent's conversation is told the
    assistant is back (`EXTERNAL_handoff_ended`) unless `resolve_ticket` sends a message instead.
    """
    ticket = _load_for_update(session, ticket_id, visible)
    return _view(_change_status(session, ticket, to_status, actor, note, notify_handoff_end=True))


def _change_status(session: Session, ticket: Ticket, to_status: str, actor: str, note: str,
                   notify_handoff_end: bool) -> Ticket:
    _check_status(to_status)
    ticket_id = ticket.id
    if to_status not in TRANSITIONS[ticket.status]:
        raise TicketConflict(f"ticket {ticket_id} is {ticket.status}; it cannot become {to_status}")
    now = utcnow()
    from_status = ticket.status
    ticket.events.append(
        TicketEvent(at=now, actor=actor or "unknown", from_status=from_status, to_status=to_status, note=note or "")
    )
    log.info("ticket %s: %s -> %s by %s", ticket_id, from_status, to_status, actor)
    ticket.status = to_status
    ticket.updated_at = now
    if to_status == "resolved":
        ticket.resolved_at = now
    session.flush()
    if to_status not in ACTIVE_TICKET_STATUSES and handoff.is_active(session, ticket.conversation_id) == ticket.id:
        handoff.end(session, ticket.conversation_id, actor)
        if notify_handoff_end:
            outbox.notify_parent(
                session, conversation_id=ticket.conversation_id, ticket_id=ticket.id,
                intent=outbox.HANDOFF_ENDED, entities={"ticket_id": str(ticket.id)},
            )
    outbox.forward_ticket(
        session, ticket, outbox.STATUS_CHANGED,
        {"from": from_status, "to": to_status, "actor": actor or "unknown", "note": note or "", "at": now.isoformat()},
    )
    session.expire(ticket, ["handoffs"])
    return ticket


def resolve_ticket(
    session: Session, ticket_id: int, note: str, actor: str, message_to_parent: Optional[str] = None,
    visible: Visible = None,
) -> TicketView:
    """Mark a ticket resolved, with a note for the audit trail.

    With `message_to_parent`, the message is added to the ticket's conversation and queued for the
    parent (`EXTERNAL_ticket_resolved` with entities staff_message and ticket_id) in the same transaction.
    """
    ticket = _load_for_update(session, ticket_id, visible)
    message = _clean_text(message_to_parent, "message to the parent") if message_to_parent is not None else None
    _change_status(session, ticket, "resolved", actor, note, notify_handoff_end=message is None)
    if message is not None:
        _add_message(session, ticket, "staff", message, actor)
        outbox.notify_parent(
            session, conversation_id=ticket.conversation_id, ticket_id=ticket.id, intent=outbox.TICKET_RESOLVED,
            entities={"staff_message": message, "ticket_id": str(ticket.id)},
        )
    return _reload(session, ticket)


def claim_ticket(session: Session, ticket_id: int, assignee: str, actor: Optional[str] = None,
                 visible: Visible = None) -> TicketView:
    """Take a ticket: open -> in_progress with `assignee`; an in-progress ticket changes hands (logged)."""
    ticket = _load_for_update(session, ticket_id, visible)
    assignee = _clean_name(assignee, "assignee")
    actor = actor or assignee
    if ticket.status not in ACTIVE_TICKET_STATUSES:
        raise TicketConflict(f"ticket {ticket_id} is {ticket.status}; it cannot be claimed")
    previous = ticket.assignee
    ticket.assignee = assignee
    if ticket.status == "open":
        _change_status(session, ticket, "in_progress", actor, f"claimed by {assignee}", notify_handoff_end=True)
    else:
        _log_note(ticket, actor, f"claimed by {assignee}" + (f" (was {previous})" if previous else ""))
        ticket.updated_at = utcnow()
    session.flush()
    return _reload(session, ticket)


def add_note(session: Session, ticket_id: int, note: str, actor: str, visible: Visible = None) -> TicketView:
    """Add a staff note to the audit trail (the status stays as it is); any status allows notes."""
    ticket = _load_for_update(session, ticket_id, visible)
    note = _clean_text(note, "note")
    _log_note(ticket, actor, note)
    ticket.updated_at = utcnow()
    session.flush()
    return _reload(session, ticket)


def add_message(
    session: Session, ticket_id: int, author: str, text: str, author_name: Optional[str] = None
) -> TicketMessageView:
    """Add a message to the ticket's conversation (author "parent", "staff" or "assistant").

    Only stores it: staff replies that must reach the parent go through `reply_to_parent`.
    """
    if author not in MESSAGE_AUTHORS:
        raise TicketError(f"unknown message author {author!r}; expected one of {', '.join(MESSAGE_AUTHORS)}")
    text = _clean_text(text, "message")
    ticket = _load(session, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"no ticket with id {ticket_id}")
    return _add_message(session, ticket, author, text, author_name)


def reply_to_parent(session: Session, ticket_id: int, text: str, staff_name: str,
                    visible: Visible = None) -> TicketView:
    """A staff reply in the parent's conversation (live handoff), queued for Rasa as `EXTERNAL_staff_reply`.

    The ticket must be open or in progress; an open ticket is claimed by the replying staff member,
    and a waiting handoff becomes live.
    """
    ticket = _load_for_update(session, ticket_id, visible)
    text = _clean_text(text, "reply")
    staff_name = _clean_name(staff_name, "staff name")
    if ticket.status not in ACTIVE_TICKET_STATUSES:
        raise TicketConflict(f"ticket {ticket_id} is {ticket.status}; reopen it before replying")
    if ticket.status == "open":
        ticket.assignee = ticket.assignee or staff_name
        _change_status(session, ticket, "in_progress", staff_name, f"claimed by {staff_name} (reply)",
                       notify_handoff_end=True)
    if handoff.is_active(session, ticket.conversation_id) == ticket.id:
        handoff.mark_live(session, ticket.conversation_id)
    _add_message(session, ticket, "staff", text, staff_name)
    outbox.notify_parent(
        session, conversation_id=ticket.conversation_id, ticket_id=ticket.id, intent=outbox.STAFF_REPLY,
        entities={"staff_message": text, "ticket_id": str(ticket.id)},
    )
    return _reload(session, ticket)


def hand_back(session: Session, ticket_id: int, actor: str, note: str = "", visible: Visible = None) -> TicketView:
    """Staff hand the conversation back to the assistant: end the handoff, queue `EXTERNAL_handoff_ended`."""
    ticket = _load_for_update(session, ticket_id, visible)
    if handoff.is_active(session, ticket.conversation_id) != ticket.id:
        raise TicketConflict(f"ticket {ticket_id} has no live handoff to hand back")
    handoff.end(session, ticket.conversation_id, actor)
    _log_note(ticket, actor, "handed the conversation back to the assistant" + (f": {note}" if note else ""))
    ticket.updated_at = utcnow()
    outbox.notify_parent(
        session, conversation_id=ticket.conversation_id, ticket_id=ticket.id, intent=outbox.HANDOFF_ENDED,
        entities={"ticket_id": str(ticket.id)},
    )
    session.flush()
    return _reload(session, ticket)


def _log_note(ticket: Ticket, actor: str, note: str) -> None:
    ticket.events.append(
        TicketEvent(at=utcnow(), actor=actor or "unknown", from_status=ticket.status, to_status=ticket.status,
                    note=note)
    )


def _add_message(session: Session, ticket: Ticket, author: str, text: str,
                 author_name: Optional[str]) -> TicketMessageView:
    now = utcnow()
    message = TicketMessage(ticket_id=ticket.id, at=now, author=author, text=text,
                            author_name=(author_name or None) and author_name[:NAME_MAX_CHARS])
    session.add(message)
    ticket.updated_at = now
    session.flush()
    session.expire(ticket, ["messages"])
    return TicketMessageView(message.at, message.author, message.author_name, message.text)


def _clean_text(text: Optional[str], what: str) -> str:
    value = (text or "").strip()
    if not value:
        raise TicketError(f"the {what} is empty")
    if len(value) > MESSAGE_MAX_CHARS:
        raise TicketError(f"the {what} is longer than {MESSAGE_MAX_CHARS} characters")
    return value


def _clean_name(name: Optional[str], what: str) -> str:
    value = " ".join((name or "").split())
    if not value:
        raise TicketError(f"the {what} is empty")
    if len(value) > NAME_MAX_CHARS:
        raise TicketError(f"the {what} is longer than {NAME_MAX_CHARS} characters")
    return value


def _reload(session: Session, ticket: Ticket) -> TicketView:
    """The changed ticket as a view: its collections read again, the ticket itself not."""
    session.flush()
    session.expire(ticket, ["events", "messages", "handoffs"])
    return _view(ticket)


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


def _load_for_update(session: Session, ticket_id: int, visible: Visible = None) -> Ticket:
    """The ticket, locked for this unit of work; TicketNotFound when missing or not `visible`."""
    ticket = _load(session, ticket_id, for_update=True)
    if ticket is None or (visible is not None and not visible(ticket.school_id)):
        raise TicketNotFound(f"no ticket with id {ticket_id}")
    return ticket


def _load(session: Session, ticket_id: int, for_update: bool = False) -> Optional[Ticket]:
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        raise TicketNotFound(f"no ticket with id {ticket_id!r}") from None
    statement = select(Ticket).options(*_LOAD_OPTIONS).where(Ticket.id == ticket_id)
    if for_update:
        statement = statement.with_for_update(of=Ticket)
    return session.execute(statement).scalar_one_or_none()


def _query(session: Session, statement) -> list[TicketView]:
    statement = statement.options(*_LOAD_OPTIONS).order_by(Ticket.created_at.desc(), Ticket.id.desc())
    return [_view(t) for t in session.execute(statement).scalars()]


_LOAD_OPTIONS = (selectinload(Ticket.events), selectinload(Ticket.messages), selectinload(Ticket.handoffs))


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
        assignee=ticket.assignee,
        resolved_at=ticket.resolved_at,
        messages=tuple(
            TicketMessageView(m.at, m.author, m.author_name, m.text)
            for m in sorted(ticket.messages, key=lambda m: (m.at, m.id or 0))
        ),
        handoff_state=max(ticket.handoffs, key=lambda h: h.id).state if ticket.handoffs else None,
        language=ticket.language or DEFAULT_LANGUAGE,
    )
