"""SMS channel store: numbers (conversation id, opt-out, pending choices), answered MessageSids, the outbox.

Every function is one short unit of work (`portal.db.session_scope`) and returns plain frozen dataclasses,
so callers in the Rasa server run them with `asyncio.to_thread` and never hold a session across awaits.

- Numbers: the first message from a number creates its row with a random conversation id; STOP/START set
  `opted_out`; the buttons last offered to the number are kept as its pending choices; `language` is the
  language the number reads ("en", "es"; None until it chose one or its conversation switched).
- Inbound: `claim_inbound` inserts the MessageSid (primary key): of two deliveries of one message only one
  wins and processes it; the other gets the TwiML the winner stored with `finish_inbound` (or waits for it).
  A claim older than `stale_after` (its process died) can be taken over.
- Outbox: `enqueue` stores pushed messages (never for an opted-out number); a worker holding the number's
  send lease sends them in id order and records `sent`, a retry time, or `failed`.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional, Sequence, Union

from sqlalchemy import delete, exists, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from portal import db
from portal.models import utcnow
from portal.sms_models import SmsContact, SmsInbound, SmsOutbound

CONVERSATION_PREFIX = "sms-"
DEFAULT_STALE_CLAIM = timedelta(minutes=2)
ERROR_CHARS = 500
# Bulk UPDATE/DELETE: the rows are not loaded in the session, nothing to synchronise.
_NO_SYNC = {"synchronize_session": False}


@dataclass(frozen=True)
class Choice:
    """One numbered choice offered by SMS: the button's title and the payload a reply maps back to."""

    title: str
    payload: str


@dataclass(frozen=True)
class Contact:
    """A phone number's row, as plain data."""

    phone: str
    conversation_id: str
    opted_out: bool
    choices: tuple[Choice, ...]
    choices_at: Optional[datetime]
    language: Optional[str] = None


@dataclass(frozen=True)
class Claimed:
    """This caller owns the MessageSid now: process it, then `finish_inbound` (or `release_inbound`)."""

    token: str


@dataclass(frozen=True)
class Answered:
    """The MessageSid was processed before: answer with the same TwiML."""

    twiml: str


@dataclass(frozen=True)
class InProgress:
    """Another request is processing this MessageSid right now."""


ClaimResult = Union[Claimed, Answered, InProgress]


@dataclass(frozen=True)
class Outbound:
    """One outbox row, as plain data (`opted_out` is the number's current state)."""

    id: int
    phone: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    sent_at: Optional[datetime]
    provider_sid: Optional[str]
    last_error: Optional[str]
    opted_out: bool = False


def _contact_view(row: SmsContact) -> Contact:
    choices = tuple(
        Choice(str(c.get("title", "")), str(c.get("payload", "")))
        for c in (row.choices or []) if isinstance(c, dict)
    )
    return Contact(row.phone, row.conversation_id, bool(row.opted_out), choices, row.choices_at, row.language)


def _outbound_view(row: SmsOutbound, opted_out: bool = False) -> Outbound:
    return Outbound(row.id, row.phone, row.body, row.status, row.attempts, row.next_attempt_at, row.created_at,
                    row.sent_at, row.provider_sid, row.last_error, opted_out)


def _choices_json(choices: Iterable[Choice]) -> list[dict[str, str]]:
    return [{"title": c.title, "payload": c.payload} for c in choices]


def new_conversation_id() -> str:
    return f"{CONVERSATION_PREFIX}{secrets.token_hex(8)}"


# --- Numbers ----------------------------------------------------------------------------------------------

def contact(phone: str, url: Optional[str] = None, now: Optional[datetime] = None) -> Contact:
    """The number's row, created (with a new random conversation id) on first contact."""
    now = now or utcnow()
    with db.session_scope(url) as session:
        row = session.get(SmsContact, phone)
        if row is not None:
            return _contact_view(row)
    try:
        with db.session_scope(url) as session:
            row = SmsContact(phone=phone, conversation_id=new_conversation_id(), opted_out=False,
                             created_at=now, updated_at=now)
            session.add(row)
            session.flush()
            return _contact_view(row)
    except IntegrityError:  # a concurrent first message from the same number created it
        with db.session_scope(url) as session:
            return _contact_view(session.get(SmsContact, phone))


def contact_by_conversation(conversation_id: str, url: Optional[str] = None) -> Optional[Contact]:
    """The number behind a conversation id, or None (not an SMS conversation)."""
    with db.session_scope(url) as session:
        row = session.execute(
            select(SmsContact).where(SmsContact.conversation_id == conversation_id)
        ).scalar_one_or_none()
        return _contact_view(row) if row is not None else None


def set_opted_out(phone: str, opted_out: bool, url: Optional[str] = None, now: Optional[datetime] = None) -> bool:
    """Opt the number out (True) or back in (False); True when that changed its state.

    Opting out also cancels what is still waiting in its outbox and forgets its pending choices.
    """
    now = now or utcnow()
    contact(phone, url, now)
    with db.session_scope(url) as session:
        row = session.get(SmsContact, phone)
        changed = bool(row.opted_out) != opted_out
        row.opted_out = opted_out
        row.updated_at = now
        if opted_out:
            row.choices, row.choices_at = null(), None  # SQL NULL, not JSON 'null'
            if changed:
                row.opted_out_at = now
            session.execute(
                update(SmsOutbound)
                .where(SmsOutbound.phone == phone, SmsOutbound.status == "pending")
                .values(status="cancelled", last_error="opted out"),
                execution_options=_NO_SYNC,
            )
        elif changed:
            row.opted_in_at = now
        return changed


def set_language(phone: str, language: Optional[str], url: Optional[str] = None,
                 now: Optional[datetime] = None) -> bool:
    """Remember the language the number reads ("en", "es"; None forgets it); True when that changed it."""
    now = now or utcnow()
    contact(phone, url, now)
    with db.session_scope(url) as session:
        return session.execute(
            update(SmsContact)
            .where(SmsContact.phone == phone,
                   SmsContact.language.isnot(None) if language is None else
                   or_(SmsContact.language.is_(None), SmsContact.language != language))
            .values(language=language, updated_at=now),
            execution_options=_NO_SYNC,
        ).rowcount == 1


def set_choices(phone: str, choices: Sequence[Choice], url: Optional[str] = None,
                now: Optional[datetime] = None) -> None:
    """Remember the numbered choices just offered to the number (an empty list forgets them)."""
    now = now or utcnow()
    with db.session_scope(url) as session:
        _store_choices(session, phone, choices, now)


def _store_choices(session, phone: str, choices: Sequence[Choice], now: datetime) -> None:
    session.execute(
        update(SmsContact)
        .where(SmsContact.phone == phone)
        .values(choices=_choices_json(choices) if choices else null(), choices_at=now if choices else None,
                updated_at=now),
        execution_options=_NO_SYNC,
    )


# --- Inbound messages -------------------------------------------------------------------------------------

def claim_inbound(message_sid: str, url: Optional[str] = None, stale_after: timedelta = DEFAULT_STALE_CLAIM,
                  now: Optional[datetime] = None) -> ClaimResult:
    """Claim a MessageSid for processing; or the TwiML it was answered with; or InProgress."""
    now = now or utcnow()
    token = secrets.token_hex(8)
    for _attempt in range(2):
        try:
            with db.session_scope(url) as session:
                session.add(SmsInbound(message_sid=message_sid, status="processing", claim=token, claimed_at=now))
            return Claimed(token)
        except IntegrityError:
            pass
        with db.session_scope(url) as session:
            row = session.get(SmsInbound, message_sid)
            if row is None:  # released in the meantime: try the insert once more
                continue
            if row.status == "done":
                return Answered(row.twiml or "")
            if row.claimed_at <= now - stale_after:
                taken = session.execute(
                    update(SmsInbound)
                    .where(SmsInbound.message_sid == message_sid, SmsInbound.status == "processing",
                           SmsInbound.claim == row.claim)
                    .values(claim=token, claimed_at=now),
                    execution_options=_NO_SYNC,
                ).rowcount
                if taken == 1:
                    return Claimed(token)
            return InProgress()
    return InProgress()


def finish_inbound(message_sid: str, token: str, twiml: str, url: Optional[str] = None,
                   phone: Optional[str] = None, choices: Optional[Sequence[Choice]] = None,
                   now: Optional[datetime] = None) -> bool:
    """Store the TwiML answered for the MessageSid and, with `phone`, the choices it offered (one transaction).

    False when the claim was lost (taken over as stale): the TwiML and choices are then not stored.
    """
    now = now or utcnow()
    with db.session_scope(url) as session:
        done = session.execute(
            update(SmsInbound)
            .where(SmsInbound.message_sid == message_sid, SmsInbound.claim == token,
                   SmsInbound.status == "processing")
            .values(status="done", twiml=twiml, completed_at=now),
            execution_options=_NO_SYNC,
        ).rowcount
        if done == 1 and phone is not None and choices is not None:
            _store_choices(session, phone, choices, now)
        return done == 1


def release_inbound(message_sid: str, token: str, url: Optional[str] = None) -> None:
    """Give up a claim (processing failed): a retry of the same message may process it."""
    with db.session_scope(url) as session:
        session.execute(
            delete(SmsInbound).where(SmsInbound.message_sid == message_sid, SmsInbound.claim == token,
                                     SmsInbound.status == "processing"),
            execution_options=_NO_SYNC,
        )


def answered_twiml(message_sid: str, url: Optional[str] = None) -> Optional[str]:
    """The TwiML a finished MessageSid was answered with, else None."""
    with db.session_scope(url) as session:
        row = session.get(SmsInbound, message_sid)
        return row.twiml if row is not None and row.status == "done" else None


# --- Outbox -------------------------------------------------------------------------------------------------

def enqueue(phone: str, bodies: Sequence[str], url: Optional[str] = None,
            choices: Optional[Sequence[Choice]] = None, now: Optional[datetime] = None) -> list[int]:
    """Queue messages for the number (and replace its pending choices when `choices` is given).

    Nothing is queued for an opted-out or unknown number: the result is then empty.
    """
    now = now or utcnow()
    with db.session_scope(url) as session:
        row = session.get(SmsContact, phone)
        if row is None or row.opted_out:
            return []
        outbound = [SmsOutbound(phone=phone, body=body, status="pending", attempts=0, next_attempt_at=now,
                                created_at=now) for body in bodies if body]
        session.add_all(outbound)
        if choices is not None:
            _store_choices(session, phone, choices, now)
        session.flush()
        return [o.id for o in outbound]


def take_send_lease(phone: str, worker: str, seconds: float, url: Optional[str] = None,
                    now: Optional[datetime] = None) -> bool:
    """Become (or stay) the one worker sending this number's outbox for `seconds`; False when another is."""
    now = now or utcnow()
    with db.session_scope(url) as session:
        return session.execute(
            update(SmsContact)
            .where(SmsContact.phone == phone,
                   or_(SmsContact.send_lease_until.is_(None), SmsContact.send_lease_until < now,
                       SmsContact.send_lease_by == worker))
            .values(send_lease_until=now + timedelta(seconds=seconds), send_lease_by=worker),
            execution_options=_NO_SYNC,
        ).rowcount == 1


def release_send_lease(phone: str, worker: str, url: Optional[str] = None) -> None:
    with db.session_scope(url) as session:
        session.execute(
            update(SmsContact)
            .where(SmsContact.phone == phone, SmsContact.send_lease_by == worker)
            .values(send_lease_until=None, send_lease_by=None),
            execution_options=_NO_SYNC,
        )


def next_outbound(phone: str, url: Optional[str] = None) -> Optional[Outbound]:
    """The number's oldest pending message (due or not: later ones wait for it), with the opt-out state."""
    with db.session_scope(url) as session:
        found = session.execute(
            select(SmsOutbound, SmsContact.opted_out)
            .join(SmsContact, SmsContact.phone == SmsOutbound.phone)
            .where(SmsOutbound.phone == phone, SmsOutbound.status == "pending")
            .order_by(SmsOutbound.id)
            .limit(1)
        ).first()
        return _outbound_view(found[0], bool(found[1])) if found else None


def due_phones(url: Optional[str] = None, now: Optional[datetime] = None, limit: int = 100) -> list[str]:
    """Numbers whose oldest pending message is due now (a later one waits behind it), longest waiting first."""
    now = now or utcnow()
    earlier = aliased(SmsOutbound)
    with db.session_scope(url) as session:
        return list(session.execute(
            select(SmsOutbound.phone)
            .where(SmsOutbound.status == "pending", SmsOutbound.next_attempt_at <= now,
                   ~exists().where(earlier.phone == SmsOutbound.phone, earlier.status == "pending",
                                   earlier.id < SmsOutbound.id))
            .order_by(SmsOutbound.next_attempt_at)
            .limit(limit)
        ).scalars())


def mark_sent(outbound_id: int, provider_sid: Optional[str], url: Optional[str] = None,
              now: Optional[datetime] = None) -> None:
    now = now or utcnow()
    with db.session_scope(url) as session:
        session.execute(
            update(SmsOutbound)
            .where(SmsOutbound.id == outbound_id)
            .values(status="sent", sent_at=now, provider_sid=provider_sid, attempts=SmsOutbound.attempts + 1,
                    last_error=None),
            execution_options=_NO_SYNC,
        )


def mark_retry(outbound_id: int, error: str, next_attempt_at: datetime, url: Optional[str] = None) -> None:
    with db.session_scope(url) as session:
        session.execute(
            update(SmsOutbound)
            .where(SmsOutbound.id == outbound_id, SmsOutbound.status == "pending")
            .values(attempts=SmsOutbound.attempts + 1, next_attempt_at=next_attempt_at,
                    last_error=error[:ERROR_CHARS]),
            execution_options=_NO_SYNC,
        )


def mark_failed(outbound_id: int, error: str, url: Optional[str] = None) -> None:
    with db.session_scope(url) as session:
        session.execute(
            update(SmsOutbound)
            .where(SmsOutbound.id == outbound_id, SmsOutbound.status == "pending")
            .values(status="failed", attempts=SmsOutbound.attempts + 1, last_error=error[:ERROR_CHARS]),
            execution_options=_NO_SYNC,
        )


def outbox(url: Optional[str] = None, phone: Optional[str] = None,
           status: Optional[str] = None) -> list[Outbound]:
    """Outbox rows in id order (for operators and tests)."""
    with db.session_scope(url) as session:
        query = select(SmsOutbound).order_by(SmsOutbound.id)
        if phone is not None:
            query = query.where(SmsOutbound.phone == phone)
        if status is not None:
            query = query.where(SmsOutbound.status == status)
        return [_outbound_view(row) for row in session.execute(query).scalars()]


def prune(url: Optional[str] = None, now: Optional[datetime] = None, inbound_after: timedelta = timedelta(days=2),
          outbox_after: timedelta = timedelta(days=7)) -> dict[str, Any]:
    """Forget answered MessageSids and finished outbox rows older than the given ages."""
    now = now or utcnow()
    with db.session_scope(url) as session:
        inbound = session.execute(
            delete(SmsInbound).where(SmsInbound.status == "done", SmsInbound.claimed_at < now - inbound_after),
            execution_options=_NO_SYNC,
        ).rowcount
        finished = session.execute(
            delete(SmsOutbound).where(SmsOutbound.status != "pending", SmsOutbound.created_at < now - outbox_after),
            execution_options=_NO_SYNC,
        ).rowcount
        return {"inbound": inbound, "outbox": finished}
