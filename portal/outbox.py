"""The one transactional outbox: deliveries to the parent through Rasa, to an external help desk, and by SMS.

A change that must be reported (a staff reply, a resolved ticket, a new ticket for the external help
desk, a message Rasa pushes to a texting parent) writes an outbox row in the SAME transaction as the
change itself, so either both happen or neither does. A worker (`portal.outbox_worker`, one loop per
process over the targets it serves) later claims due rows, sends them without holding a database
transaction, and records the outcome:

- delivered: `status='delivered'`, `delivered_at` set; never claimed again, so never sent twice;
- retry: `attempts + 1`, `next_attempt_at` pushed back (exponential backoff with jitter, at least what the
  receiver asked for), `last_error` kept;
- failed: given up (refused for good, or older than the sender's limit); cancelled: an operator or an opt-out.

Claiming takes a lease (`locked_until`, `locked_by`) so two workers (two replicas, or the service and a
`python -m helpdesk outbox flush` run) never send the same row at once; a lease that expires (its worker
died) frees the row for the next claim. Rows that share an `ordering_key` ("rasa:<conversation>",
"external:<ticket>", "sms:<phone>") go out in id order: a row waits while an earlier row with its key is
still pending.

Every function takes the caller's Session and returns plain frozen dataclasses.
"""
from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from portal.external_intents import ALL as ALL_EXTERNAL_INTENTS, HANDOFF_ENDED, STAFF_REPLY, TICKET_RESOLVED
from portal.models import NO_SYNC as _NO_SYNC, OUTBOX_STATUSES, OUTBOX_TARGETS, OutboxMessage, Ticket, utcnow

RASA = "rasa"
EXTERNAL = "external"
SMS = "sms"

# Rasa intents triggered in the parent's conversation (the contract with the assistant's domain).
RASA_INTENTS = ALL_EXTERNAL_INTENTS

# Events forwarded to an external help desk.
TICKET_CREATED = "ticket.created"
STATUS_CHANGED = "ticket.status_changed"
EXTERNAL_EVENTS = (TICKET_CREATED, STATUS_CHANGED)

# A text to a phone number, payload {"body": "..."}.
SMS_TEXT = "sms.text"
EVENTS = {RASA: RASA_INTENTS, EXTERNAL: EXTERNAL_EVENTS, SMS: (SMS_TEXT,)}
ERROR_CHARS = 2000

DEFAULT_BACKOFF_BASE_SECONDS = 5.0
DEFAULT_BACKOFF_CAP_SECONDS = 30 * 60.0


class OutboxError(ValueError):
    """An outbox request that cannot be honoured (unknown target or event, empty conversation id)."""


@dataclass(frozen=True)
class OutboxView:
    """One outbox row as plain data."""

    id: int
    target: str
    event: str
    ticket_id: Optional[int]
    conversation_id: Optional[str]
    ordering_key: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: Optional[str]
    created_at: datetime
    delivered_at: Optional[datetime]
    phone: Optional[str] = None
    provider_ref: Optional[str] = None

    def to_dict(self, with_payload: bool = True) -> dict[str, Any]:
        data = asdict(self)
        for name in ("next_attempt_at", "created_at", "delivered_at"):
            value = getattr(self, name)
            data[name] = value.isoformat() if value is not None else None
        if not with_payload:
            data.pop("payload")
        return data


def enqueue(
    session: Session,
    *,
    target: str,
    event: str,
    payload: dict[str, Any],
    ordering_key: str,
    ticket_id: Optional[int] = None,
    conversation_id: Optional[str] = None,
    phone: Optional[str] = None,
    now: Optional[datetime] = None,
) -> OutboxView:
    """Add a delivery to the outbox (flushed, not committed: it commits with the caller's change)."""
    if target not in OUTBOX_TARGETS:
        raise OutboxError(f"unknown outbox target {target!r}")
    if event not in EVENTS[target]:
        raise OutboxError(f"unknown {target} event {event!r}; expected one of {', '.join(EVENTS[target])}")
    now = now or utcnow()
    row = OutboxMessage(
        target=target, event=event, payload=dict(payload), ordering_key=ordering_key, ticket_id=ticket_id,
        conversation_id=conversation_id, phone=phone, status="pending", attempts=0, next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _view(row)


def notify_parent(
    session: Session, *, conversation_id: str, ticket_id: Optional[int], intent: str, entities: dict[str, str]
) -> OutboxView:
    """Queue `POST /conversations/<id>/trigger_intent` with {"name": intent, "entities": entities}."""
    if not conversation_id:
        raise OutboxError("a parent notification needs a conversation_id")
    return enqueue(
        session, target=RASA, event=intent, payload={"name": intent, "entities": dict(entities)},
        ordering_key=f"rasa:{conversation_id}", ticket_id=ticket_id, conversation_id=conversation_id,
    )


def forward_ticket(session: Session, ticket: Ticket, event: str, change: Optional[dict[str, Any]] = None) -> OutboxView:
    """Queue a ticket event for the external help desk, with a snapshot of the ticket as it is now."""
    payload = {"ticket": ticket_snapshot(ticket), "change": dict(change or {})}
    return enqueue(
        session, target=EXTERNAL, event=event, payload=payload, ordering_key=f"external:{ticket.id}",
        ticket_id=ticket.id, conversation_id=ticket.conversation_id,
    )


def queue_text(session: Session, phone: str, body: str, now: Optional[datetime] = None) -> OutboxView:
    """Queue one SMS to `phone` (the caller checked the number may be texted: `portal.sms.enqueue`)."""
    return enqueue(session, target=SMS, event=SMS_TEXT, payload={"body": body}, ordering_key=sms_key(phone),
                   phone=phone, now=now)


def sms_key(phone: str) -> str:
    """The ordering key of one number's texts: they go out in the order they were queued."""
    return f"sms:{phone}"


def ticket_snapshot(ticket: Ticket) -> dict[str, Any]:
    """What the external help desk learns about a ticket (no contact details: the store keeps none on tickets)."""
    return {
        "id": ticket.id,
        "kind": ticket.kind,
        "status": ticket.status,
        "school_id": ticket.school_id,
        "channel": ticket.channel,
        "verified": bool(ticket.verified),
        "summary": ticket.summary or "",
        "transcript": ticket.transcript or "",
        "assignee": ticket.assignee,
        "language": ticket.language or "en",
        "created_at": ticket.created_at.isoformat() if ticket.created_at else None,
        "updated_at": ticket.updated_at.isoformat() if ticket.updated_at else None,
    }


def claim_due(
    session: Session,
    *,
    worker: str,
    targets: Iterable[str] = OUTBOX_TARGETS,
    lease_seconds: float = 120.0,
    limit: int = 20,
    now: Optional[datetime] = None,
) -> list[OutboxView]:
    """Lease up to `limit` due rows to `worker`: pending, due, not leased, and first in line for their key."""
    now = now or utcnow()
    targets = tuple(targets)
    if not targets:
        return []
    earlier = aliased(OutboxMessage)
    blocked = exists().where(
        earlier.ordering_key == OutboxMessage.ordering_key,
        earlier.id < OutboxMessage.id,
        earlier.status == "pending",
    )
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == "pending",
            OutboxMessage.target.in_(targets),
            OutboxMessage.next_attempt_at <= now,
            or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now),
            ~blocked,
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=OutboxMessage)
    rows = list(session.execute(statement).scalars())
    until = max(now, utcnow()) + timedelta(seconds=lease_seconds)
    for row in rows:
        row.locked_until = until
        row.locked_by = worker
    session.flush()
    return [_view(row) for row in rows]


def _owned(outbox_id: int, worker: str):
    return and_(OutboxMessage.id == outbox_id, OutboxMessage.status == "pending", OutboxMessage.locked_by == worker)


def mark_delivered(session: Session, outbox_id: int, worker: str, provider_ref: Optional[str] = None,
                   now: Optional[datetime] = None) -> bool:
    """Record a successful delivery; False when the row is no longer leased to `worker`."""
    result = session.execute(
        update(OutboxMessage)
        .where(_owned(outbox_id, worker))
        .values(status="delivered", delivered_at=now or utcnow(), attempts=OutboxMessage.attempts + 1,
                locked_until=None, last_error=None, provider_ref=provider_ref)
        .execution_options(**_NO_SYNC)
    )
    return result.rowcount == 1


def mark_failed(
    session: Session,
    outbox_id: int,
    worker: str,
    error: str,
    *,
    retry_at: Optional[datetime] = None,
    base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS,
    cap_seconds: float = DEFAULT_BACKOFF_CAP_SECONDS,
    now: Optional[datetime] = None,
) -> Optional[datetime]:
    """Record a failed attempt and when to try again: the exponential backoff (with jitter), or `retry_at`
    (the receiver's Retry-After) when that is later. None when the row is no longer leased to `worker`."""
    now = now or utcnow()
    row = session.execute(select(OutboxMessage).where(_owned(outbox_id, worker))).scalar_one_or_none()
    if row is None:
        return None
    row.attempts += 1
    row.next_attempt_at = max(now + backoff(row.attempts, base_seconds, cap_seconds), retry_at or now)
    row.last_error = (error or "failed")[:ERROR_CHARS]
    row.locked_until = None
    session.flush()
    return row.next_attempt_at


def give_up(session: Session, outbox_id: int, worker: str, error: str, *, attempted: bool = True) -> bool:
    """Mark a leased row failed for good (refused, or too old); False when no longer leased to `worker`.
    `attempted`: whether this attempt reached the receiver (it then counts)."""
    result = session.execute(
        update(OutboxMessage)
        .where(_owned(outbox_id, worker))
        .values(status="failed", attempts=OutboxMessage.attempts + (1 if attempted else 0), locked_until=None,
                last_error=(error or "failed")[:ERROR_CHARS])
        .execution_options(**_NO_SYNC)
    )
    return result.rowcount == 1


def mark_cancelled(session: Session, outbox_id: int, worker: str, reason: str) -> bool:
    """Cancel a leased row (nothing was sent); False when it is no longer leased to `worker`."""
    result = session.execute(
        update(OutboxMessage)
        .where(_owned(outbox_id, worker))
        .values(status="cancelled", locked_until=None, last_error=(reason or "cancelled")[:ERROR_CHARS])
        .execution_options(**_NO_SYNC)
    )
    return result.rowcount == 1


def cancel_pending(session: Session, ordering_key: str, reason: str) -> int:
    """Cancel every pending row of one key (a number that opted out); how many. A row leased right now is
    cancelled too: its worker then finds its lease lost."""
    return session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.ordering_key == ordering_key, OutboxMessage.status == "pending")
        .values(status="cancelled", locked_until=None, last_error=reason[:ERROR_CHARS])
        .execution_options(**_NO_SYNC)
    ).rowcount


def backoff(attempts: int, base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS,
            cap_seconds: float = DEFAULT_BACKOFF_CAP_SECONDS) -> timedelta:
    """Delay before attempt `attempts + 1`: base * 2^(attempts-1), capped, with +-10% jitter (so rows that
    failed together, e.g. while a receiver was down, do not all come back at the same moment)."""
    delay = min(cap_seconds, base_seconds * (2 ** max(0, min(attempts - 1, 30))))
    return timedelta(seconds=delay * random.uniform(0.9, 1.1))


def retry_now(session: Session, outbox_id: int) -> Optional[OutboxView]:
    """Make a pending row due immediately (an operator's "try again now")."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None or row.status != "pending":
        return None
    row.next_attempt_at = utcnow()
    row.locked_until = None
    session.flush()
    return _view(row)


def cancel(session: Session, outbox_id: int) -> Optional[OutboxView]:
    """Give up on a pending row (it stays in the table, marked cancelled); None when not pending."""
    row = session.get(OutboxMessage, outbox_id)
    if row is None or row.status != "pending":
        return None
    row.status = "cancelled"
    row.locked_until = None
    session.flush()
    return _view(row)


def get_message(session: Session, outbox_id: int) -> Optional[OutboxView]:
    row = session.get(OutboxMessage, outbox_id)
    return _view(row) if row is not None else None


def list_messages(
    session: Session,
    *,
    status: Optional[str] = None,
    target: Optional[str] = None,
    ticket_id: Optional[int] = None,
    phone: Optional[str] = None,
    limit: Optional[int] = None,
) -> list[OutboxView]:
    """Outbox rows in id order, optionally filtered."""
    statement = select(OutboxMessage).order_by(OutboxMessage.id)
    if status is not None:
        if status not in OUTBOX_STATUSES:
            raise OutboxError(f"unknown outbox status {status!r}")
        statement = statement.where(OutboxMessage.status == status)
    if target is not None:
        statement = statement.where(OutboxMessage.target == target)
    if ticket_id is not None:
        statement = statement.where(OutboxMessage.ticket_id == ticket_id)
    if phone is not None:
        statement = statement.where(OutboxMessage.phone == phone)
    if limit is not None:
        statement = statement.limit(limit)
    return [_view(row) for row in session.execute(statement).scalars()]


def counts(session: Session) -> dict[str, dict[str, int]]:
    """{target: {status: count}} over the whole outbox."""
    result: dict[str, dict[str, int]] = {t: {s: 0 for s in OUTBOX_STATUSES} for t in OUTBOX_TARGETS}
    rows = session.execute(
        select(OutboxMessage.target, OutboxMessage.status, func.count()).group_by(
            OutboxMessage.target, OutboxMessage.status
        )
    )
    for target, status, count in rows:
        result.setdefault(target, {})[status] = count
    return result


def prune(session: Session, target: str, before: datetime) -> int:
    """Forget finished (not pending) rows of `target` created before `before`; how many."""
    return session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.target == target, OutboxMessage.status != "pending", OutboxMessage.created_at < before)
        .execution_options(**_NO_SYNC)
    ).rowcount


def _view(row: OutboxMessage) -> OutboxView:
    return OutboxView(
        id=row.id, target=row.target, event=row.event, ticket_id=row.ticket_id, conversation_id=row.conversation_id,
        ordering_key=row.ordering_key, payload=dict(row.payload or {}), status=row.status, attempts=row.attempts,
        next_attempt_at=row.next_attempt_at, last_error=row.last_error, created_at=row.created_at,
        delivered_at=row.delivered_at, phone=row.phone, provider_ref=row.provider_ref,
    )
