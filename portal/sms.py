"""SMS channel store: numbers (conversation id, opt-out, pending choices), answered MessageSids, queued texts.

Every function takes the caller's Session (the caller opens one short unit of work, `portal.db.session_scope`,
and commits it) and returns plain frozen dataclasses: no ORM object leaves this module and no session is
opened here. Callers in the Rasa server run their unit of work with `asyncio.to_thread`, never holding a
session across awaits.

- Numbers: the first message from a number creates its row with a random conversation id; STOP/START set
  `opted_out`; the buttons last offered to the number are kept as its pending choices; `language` is the
  language the number reads ("en", "es"; None until it chose one or its conversation switched).
- Inbound: `claim_inbound` inserts the MessageSid (primary key): of two deliveries of one message only one
  wins and processes it; the other gets the TwiML the winner stored with `finish_inbound` (or waits for it).
  A claim older than `stale_after` (its process died) can be taken over.
- Outbox: `enqueue` queues pushed messages in the one outbox (`portal.outbox`, target "sms", ordering key
  "sms:<phone>"; never for an opted-out number); the SMS channel's outbox worker sends them in order.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Optional, Sequence, Union

from sqlalchemy import delete, null, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import outbox as deliveries
from portal.models import NO_SYNC as _NO_SYNC, SmsContact, SmsInbound, utcnow

CONVERSATION_PREFIX = "sms-"
DEFAULT_STALE_CLAIM = timedelta(minutes=2)
# Bulk UPDATE/DELETE: the rows are not loaded in the session, nothing to synchronise.


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
    """One queued text (an outbox row of target "sms"), as plain data."""

    id: int
    phone: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: Optional[datetime]
    provider_sid: Optional[str]
    last_error: Optional[str]


def _contact_view(row: SmsContact) -> Contact:
    choices = tuple(
        Choice(str(c.get("title", "")), str(c.get("payload", "")))
        for c in (row.choices or []) if isinstance(c, dict)
    )
    return Contact(row.phone, row.conversation_id, bool(row.opted_out), choices, row.choices_at, row.language)


def _outbound_view(row: deliveries.OutboxView) -> Outbound:
    return Outbound(row.id, row.phone or "", str(row.payload.get("body", "")), row.status, row.attempts,
                    row.next_attempt_at, row.created_at, row.delivered_at, row.provider_ref, row.last_error)


def _choices_json(choices: Iterable[Choice]) -> list[dict[str, str]]:
    return [{"title": c.title, "payload": c.payload} for c in choices]


def new_conversation_id() -> str:
    return f"{CONVERSATION_PREFIX}{secrets.token_hex(8)}"


# --- Numbers ----------------------------------------------------------------------------------------------

def contact(session: Session, phone: str, now: Optional[datetime] = None) -> Contact:
    """The number's row, created (with a new random conversation id) on first contact."""
    row = session.get(SmsContact, phone)
    if row is None:
        row = _create_contact(session, phone, now or utcnow())
    return _contact_view(row)


def _create_contact(session: Session, phone: str, now: datetime) -> SmsContact:
    """Insert the number's row in a savepoint: when a concurrent first message created it, read that one."""
    try:
        with session.begin_nested():
            row = SmsContact(phone=phone, conversation_id=new_conversation_id(), opted_out=False,
                             created_at=now, updated_at=now)
            session.add(row)
        return row
    except IntegrityError:
        return session.execute(select(SmsContact).where(SmsContact.phone == phone)).scalar_one()


def contact_by_conversation(session: Session, conversation_id: str) -> Optional[Contact]:
    """The number behind a conversation id, or None (not an SMS conversation)."""
    row = session.execute(select(SmsContact).where(SmsContact.conversation_id == conversation_id)).scalar_one_or_none()
    return _contact_view(row) if row is not None else None


def set_opted_out(session: Session, phone: str, opted_out: bool, now: Optional[datetime] = None) -> bool:
    """Opt the number out (True) or back in (False); True when that changed its state.

    Opting out also cancels what is still queued for it and forgets its pending choices.
    """
    now = now or utcnow()
    contact(session, phone, now)
    row = session.get(SmsContact, phone)
    changed = bool(row.opted_out) != opted_out
    row.opted_out = opted_out
    row.updated_at = now
    if opted_out:
        row.choices, row.choices_at = null(), None  # SQL NULL, not JSON 'null'
        if changed:
            row.opted_out_at = now
        deliveries.cancel_pending(session, deliveries.sms_key(phone), "opted out")
    elif changed:
        row.opted_in_at = now
    session.flush()
    return changed


def set_language(session: Session, phone: str, language: Optional[str], now: Optional[datetime] = None) -> bool:
    """Remember the language the number reads ("en", "es"; None forgets it); True when that changed it."""
    now = now or utcnow()
    contact(session, phone, now)
    return session.execute(
        update(SmsContact)
        .where(SmsContact.phone == phone,
               SmsContact.language.isnot(None) if language is None else
               or_(SmsContact.language.is_(None), SmsContact.language != language))
        .values(language=language, updated_at=now),
        execution_options=_NO_SYNC,
    ).rowcount == 1


def set_choices(session: Session, phone: str, choices: Sequence[Choice], now: Optional[datetime] = None) -> None:
    """Remember the numbered choices just offered to the number (an empty list forgets them)."""
    now = now or utcnow()
    session.execute(
        update(SmsContact)
        .where(SmsContact.phone == phone)
        .values(choices=_choices_json(choices) if choices else null(), choices_at=now if choices else None,
                updated_at=now),
        execution_options=_NO_SYNC,
    )


# --- Inbound messages -------------------------------------------------------------------------------------

def claim_inbound(session: Session, message_sid: str, stale_after: timedelta = DEFAULT_STALE_CLAIM,
                  now: Optional[datetime] = None) -> ClaimResult:
    """Claim a MessageSid for processing; or the TwiML it was answered with; or InProgress.

    The claim counts once the caller commits (commit before processing, so a duplicate sees it)."""
    now = now or utcnow()
    token = secrets.token_hex(8)
    for _attempt in range(2):
        try:
            with session.begin_nested():
                session.add(SmsInbound(message_sid=message_sid, status="processing", claim=token, claimed_at=now))
            return Claimed(token)
        except IntegrityError:
            pass
        row = session.execute(select(SmsInbound).where(SmsInbound.message_sid == message_sid)).scalar_one_or_none()
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


def finish_inbound(session: Session, message_sid: str, token: str, twiml: str, phone: Optional[str] = None,
                   choices: Optional[Sequence[Choice]] = None, now: Optional[datetime] = None) -> bool:
    """Store the TwiML answered for the MessageSid and, with `phone`, the choices it offered (one transaction).

    False when the claim was lost (taken over as stale): the TwiML and choices are then not stored.
    """
    now = now or utcnow()
    done = session.execute(
        update(SmsInbound)
        .where(SmsInbound.message_sid == message_sid, SmsInbound.claim == token, SmsInbound.status == "processing")
        .values(status="done", twiml=twiml, completed_at=now),
        execution_options=_NO_SYNC,
    ).rowcount
    if done == 1 and phone is not None and choices is not None:
        set_choices(session, phone, choices, now)
    return done == 1


def release_inbound(session: Session, message_sid: str, token: str) -> None:
    """Give up a claim (processing failed): a retry of the same message may process it."""
    session.execute(
        delete(SmsInbound).where(SmsInbound.message_sid == message_sid, SmsInbound.claim == token,
                                 SmsInbound.status == "processing"),
        execution_options=_NO_SYNC,
    )


def answered_twiml(session: Session, message_sid: str) -> Optional[str]:
    """The TwiML a finished MessageSid was answered with, else None."""
    row = session.execute(select(SmsInbound).where(SmsInbound.message_sid == message_sid)).scalar_one_or_none()
    return row.twiml if row is not None and row.status == "done" else None


# --- Queued texts (the outbox) --------------------------------------------------------------------------------

def enqueue(session: Session, phone: str, bodies: Sequence[str], choices: Optional[Sequence[Choice]] = None,
            now: Optional[datetime] = None) -> list[int]:
    """Queue texts for the number (and replace its pending choices when `choices` is given); their outbox ids.

    Nothing is queued for an opted-out or unknown number: the result is then empty.
    """
    now = now or utcnow()
    row = session.get(SmsContact, phone)
    if row is None or row.opted_out:
        return []
    ids = [deliveries.queue_text(session, phone, body, now).id for body in bodies if body]
    if choices is not None:
        set_choices(session, phone, choices, now)
    return ids


def is_opted_out(session: Session, phone: str) -> bool:
    """Whether the number opted out (an unknown number has not)."""
    return bool(session.execute(select(SmsContact.opted_out).where(SmsContact.phone == phone)).scalar())


def outbox(session: Session, phone: Optional[str] = None, status: Optional[str] = None) -> list[Outbound]:
    """Queued texts in id order (for operators and tests)."""
    rows = deliveries.list_messages(session, target=deliveries.SMS, phone=phone, status=status)
    return [_outbound_view(row) for row in rows]


def prune(session: Session, now: Optional[datetime] = None, inbound_after: timedelta = timedelta(days=2),
          outbox_after: timedelta = timedelta(days=7)) -> dict[str, Any]:
    """Forget answered MessageSids and finished texts older than the given ages."""
    now = now or utcnow()
    inbound = session.execute(
        delete(SmsInbound).where(SmsInbound.status == "done", SmsInbound.claimed_at < now - inbound_after),
        execution_options=_NO_SYNC,
    ).rowcount
    finished = deliveries.prune(session, deliveries.SMS, now - outbox_after)
    return {"inbound": inbound, "outbox": finished}
