"""Personal data of families: delete one family's data on request, and purge old conversation data.

`portal-admin forget-family` (`find_family`, `family_conversations`, `forget_in_tracker`, `forget_in_store`) deletes, for the guardian records picked by id or by an email
or mobile number on file:

- the guardian records, their portal accounts and activation keys, their guardian links, and every student
  linked to no guardian outside the family (a student shared with another household stays);
- the family's conversations: every conversation id found in tickets of a family guardian, the SMS contacts
  of the family's numbers, and the Rasa tracker store (conversations where a family guardian was verified,
  where a family email or number was given as the contact, or texted from a family number). For those ids:
  the Rasa tracker events, our `conversations` rows, SMS contacts with their outbox, the per-sender failed
  checks of the family's numbers;
- tickets are **kept anonymised** for the statistics (kind, school, status, dates, verified flag): guardian,
  summary, transcript, details, conversation id, messages and audit-trail notes are removed; tickets still
  open are closed; deliveries still waiting in the outbox are dropped. External help-desk ids are listed so
  the district can delete the copies there.

It is a dry run unless `apply=True`: the same queries run and the counts are reported, and nothing changes.
The tracker store is changed first, then the portal store in one transaction, so a failure half-way can be
retried: the portal store still knows the family until its own transaction commits.

`portal-admin purge --older-than DAYS` (`purge_cutoff`, `purge_tracker`, `purge_store`) removes conversation data older than DAYS: idle tracker
conversations, our `conversations` rows, SMS contacts that did not opt out and their finished outbox,
answered SMS webhook records, expired failed checks, and it anonymises tickets resolved or closed that long ago.

Store convention: every function that touches the portal store takes the caller's Session (one short unit of work
each, opened by the caller: `portal/cli.py`) and returns frozen dataclasses; the tracker store is reached
through an Engine, outside those units of work (on SQLite a unit of work holds the write lock).
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, or_, select, update
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from portal import db
from portal.identity import mask_email, mask_phone
from portal.models import (NO_SYNC as _NO_SYNC, ACTIVE_TICKET_STATUSES, GUARDIAN_ROLES, ActivationKey, Conversation,
                           GuardianLink, OutboxMessage, Person, PortalAccount, SmsContact, SmsInbound, Ticket,
                           TicketEvent, TicketMessage, VerificationFailure, utcnow)
from portal.normalise import normalise_email, phone_key
from portal.verification_limits import Limits, prune as prune_failures, sms_sender_key

ACTOR = "privacy"
REMOVED = "[removed: family data deleted]"
EXPIRED = "[removed: retention period]"
FORGOTTEN_PREFIX = "forgotten-"
DEFAULT_TRACKER_DB = db.PROJECT_ROOT / "var" / "rasa_tracker.db"
NO_TRACKER = "no Rasa tracker store found (--tracker-url / TRACKER_STORE_URL)"

# Rasa's SQL tracker store (rasa.core.tracker_store.SQLTrackerStore.SQLEvent): one row per event.
tracker_metadata = MetaData()
tracker_events = Table(
    "events", tracker_metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


class PrivacyError(ValueError):
    """A request that cannot be done (no such family, no tracker store where one was named)."""


def tracker_url(explicit: Optional[str] = None) -> str:
    """`--tracker-url`, else `TRACKER_STORE_URL` (what endpoints.yml reads), else var/rasa_tracker.db."""
    return (explicit or os.environ.get("TRACKER_STORE_URL", "").strip() or f"sqlite:///{DEFAULT_TRACKER_DB}")


def tracker_engine(url: Optional[str]) -> Optional[Engine]:
    """An engine on the tracker store, or None when there is none (a SQLite file that does not exist,
    or a database without Rasa's `events` table). Never creates a database."""
    url = tracker_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or not Path(parsed.database).is_file():
            return None
    engine = db.get_engine(url)
    return engine if inspect(engine).has_table("events") else None


@dataclass(frozen=True)
class Family:
    """Who the request is about, found in the portal store, with the conversations the portal store ties to it
    (tickets of a family guardian, SMS contacts of a family number)."""

    guardian_ids: tuple[str, ...]
    emails: frozenset[str] = frozenset()
    phone_keys: frozenset[str] = frozenset()
    student_ids: tuple[str, ...] = ()
    kept_student_ids: tuple[str, ...] = ()
    conversation_ids: frozenset[str] = frozenset()

    def masked_contacts(self) -> tuple[str, ...]:
        return tuple(sorted(mask_email(e) for e in self.emails) + sorted(mask_phone(p) for p in self.phone_keys))


@dataclass(frozen=True)
class Report:
    """What was (or, in a dry run, would be) deleted: counts only, contacts masked."""

    applied: bool
    counts: Mapping[str, int] = field(default_factory=dict)
    contacts: tuple[str, ...] = ()
    external_ticket_ids: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def and_then(self, later: "Report") -> "Report":
        """This report followed by `later` (counts of the same name added up, in first-seen order)."""
        counts = dict(self.counts)
        for what, number in later.counts.items():
            counts[what] = counts.get(what, 0) + number
        return Report(self.applied, counts, self.contacts + later.contacts,
                      self.external_ticket_ids + later.external_ticket_ids, self.notes + later.notes)

    def summary(self) -> str:
        verb = "Deleted" if self.applied else "Dry run (nothing changed; add --yes to delete). Would delete"
        lines = [f"{verb}:"]
        lines += [f"  {what:<34} {number}" for what, number in self.counts.items()]
        if self.contacts:
            lines.append(f"  contacts: {', '.join(self.contacts)}")
        if self.external_ticket_ids:
            lines.append("  delete these tickets in the external help desk too: " + ", ".join(self.external_ticket_ids))
        lines += [f"  note: {note}" for note in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------- finding
def find_family(session: Session, guardian_ids: Iterable[str] = (), contacts: Iterable[str] = ()) -> Family:
    """The guardian records named by id or reached by an email or mobile number on file (duplicates included)."""
    conditions = []
    ids = [g.strip() for g in guardian_ids if g and g.strip()]
    if ids:
        conditions.append(Person.id.in_(ids))
    for contact in contacts:
        if "@" in (contact or ""):
            email = normalise_email(contact)
            if not email:
                raise PrivacyError("not an email address or phone number: the contact given")
            conditions.append(Person.email_norm == email)
        else:
            key = phone_key(contact)
            if not key:
                raise PrivacyError("not an email address or phone number: the contact given")
            conditions.append(Person.sms_digits == key)
    if not conditions:
        raise PrivacyError("name the family: --guardian ID or --contact EMAIL|PHONE")
    guardians = session.execute(
        select(Person).where(or_(*conditions), Person.role.in_(GUARDIAN_ROLES)).order_by(Person.id)
    ).scalars().all()
    if not guardians:
        raise PrivacyError("no guardian record matches")
    guardian_ids = [g.id for g in guardians]
    accounts = session.execute(select(PortalAccount).where(PortalAccount.person_id.in_(guardian_ids))).scalars()
    emails = {normalise_email(e) for e in [*(g.email for g in guardians), *(a.security_email for a in accounts)]}
    phone_keys = {phone_key(n) for g in guardians for n in (g.sms, g.phone)}
    emails, phone_keys = {e for e in emails if e}, {k for k in phone_keys if k}
    linked = set(session.execute(
        select(GuardianLink.student_id).where(GuardianLink.guardian_id.in_(guardian_ids))).scalars())
    shared = set(session.execute(
        select(GuardianLink.student_id).where(GuardianLink.student_id.in_(linked),
                                              GuardianLink.guardian_id.not_in(guardian_ids))).scalars())
    conversation_ids = set(session.execute(
        select(Ticket.conversation_id).where(Ticket.guardian_id.in_(guardian_ids))).scalars())
    conversation_ids |= {c.conversation_id for c in _sms_contacts(session, phone_keys)}
    return Family(guardian_ids=tuple(guardian_ids), emails=frozenset(emails), phone_keys=frozenset(phone_keys),
                  student_ids=tuple(sorted(linked - shared)), kept_student_ids=tuple(sorted(shared)),
                  conversation_ids=frozenset(conversation_ids))


def family_conversations(family: Family, engine: Optional[Engine]) -> frozenset[str]:
    """Every conversation id of the family: the portal store's, and the tracker store's when there is one
    (call it outside a unit of work: on SQLite that holds the write lock). Already forgotten ids are left out."""
    found = set(family.conversation_ids)
    if engine is not None:
        found |= tracker_conversations(engine, family)
    return frozenset(c for c in found if not c.startswith(FORGOTTEN_PREFIX))


def _sms_contacts(session: Session, phone_keys: Iterable[str]) -> list[SmsContact]:
    if not phone_keys:
        return []
    rows = session.execute(select(SmsContact).where(or_(*(SmsContact.phone.like(f"%{k}") for k in phone_keys))))
    return [c for c in rows.scalars() if phone_key(c.phone) in phone_keys]


def tracker_conversations(engine: Engine, family: Family) -> set[str]:
    """Conversation ids in the tracker store where the family was verified, gave a family contact, or texted."""
    needles = [tracker_events.c.data.like('%"verified_guardian_id"%'), tracker_events.c.data.like('%"contact"%'),
               tracker_events.c.data.like('%sms_from%')]
    needles += [func.lower(tracker_events.c.data).like(f"%{email}%") for email in family.emails]
    needles += [tracker_events.c.data.like(f"%{key[-4:]}%") for key in family.phone_keys]
    query = select(tracker_events.c.sender_id, tracker_events.c.type_name, tracker_events.c.data).where(
        tracker_events.c.type_name.in_(("slot", "user")), or_(*needles))
    found: set[str] = set()
    with engine.connect() as connection:
        for sender_id, type_name, raw in connection.execute(query):
            if sender_id not in found and _mentions_family(type_name, raw, family):
                found.add(sender_id)
    return found


def _mentions_family(type_name: str, raw: Optional[str], family: Family) -> bool:
    try:
        event = json.loads(raw or "{}")
    except ValueError:
        return False
    if type_name == "slot":
        name, value = event.get("name"), event.get("value")
        if name == "verified_guardian_id":
            return value in family.guardian_ids
        if name == "contact" and isinstance(value, str):
            return _is_family_contact(value, family)
        return False
    metadata = event.get("metadata") or {}
    if isinstance(metadata, dict) and phone_key(str(metadata.get("sms_from") or "")) in family.phone_keys:
        return True
    text = str(event.get("text") or "")
    lowered = text.lower()
    if any(email in lowered for email in family.emails):
        return True
    digits = re.sub(r"\D", "", text)
    return any(key in digits for key in family.phone_keys)


def _is_family_contact(value: str, family: Family) -> bool:
    if "@" in value:
        return normalise_email(value) in family.emails
    return phone_key(value) in family.phone_keys


# --------------------------------------------------------------------------------------------- deleting
def forget_in_tracker(engine: Optional[Engine], conversation_ids: Iterable[str], apply: bool = False) -> Report:
    """Delete the family's conversations from the tracker store (first: until the portal store commits, a retry
    finds the family again); a dry run unless `apply`."""
    if engine is None:
        return Report(applied=apply, notes=(f"{NO_TRACKER}: conversations there were not searched",))
    ids = set(conversation_ids)
    if not ids:
        return Report(applied=apply)
    return Report(applied=apply, counts={"tracker conversations": len(_tracker_senders(engine, ids)),
                                         "tracker events": _delete_tracker(engine, ids, apply)})


def forget_in_store(session: Session, family: Family, conversation_ids: Iterable[str], apply: bool = False) -> Report:
    """Delete the family's personal data from the portal store in the caller's unit of work (see the module
    docstring); a dry run unless `apply`."""
    conversation_ids = sorted(conversation_ids)
    sms = _sms_contacts(session, family.phone_keys)
    sms_phones = [c.phone for c in sms]
    people = [*family.guardian_ids, *family.student_ids]
    tickets = session.execute(select(Ticket).where(or_(Ticket.guardian_id.in_(family.guardian_ids),
                                                       Ticket.conversation_id.in_(conversation_ids)))).scalars().all()
    failure_keys = [sms_sender_key(k) for k in family.phone_keys]
    links = or_(GuardianLink.guardian_id.in_(people), GuardianLink.student_id.in_(people))
    counts = {
        "guardian records": len(family.guardian_ids),
        "students (linked to this family only)": len(family.student_ids),
        "portal accounts": _count(session, PortalAccount, PortalAccount.person_id.in_(people)),
        "activation keys": _count(session, ActivationKey, ActivationKey.person_id.in_(people)),
        "guardian links": _count(session, GuardianLink, links),
        "tickets anonymised": len(tickets),
        "ticket messages": _count(session, TicketMessage, TicketMessage.ticket_id.in_([t.id for t in tickets])),
        "conversation records": _count(session, Conversation, Conversation.id.in_(conversation_ids)),
        "SMS numbers": len(sms),
        "SMS outbox messages": _count(session, OutboxMessage, OutboxMessage.phone.in_(sms_phones)),
        "failed-check records": _count(session, VerificationFailure, VerificationFailure.sender_key.in_(failure_keys)),
    }
    notes = ((f"{len(family.kept_student_ids)} student(s) kept: also linked to another guardian",)
             if family.kept_student_ids else ())
    report = Report(applied=apply, counts=counts, contacts=family.masked_contacts(), notes=notes,
                    external_ticket_ids=tuple(sorted(t.external_id for t in tickets if t.external_id)))
    if not apply:
        return report
    for ticket in tickets:
        anonymise_ticket(session, ticket, REMOVED)
    for statement in (
        delete(Conversation).where(Conversation.id.in_(conversation_ids)),
        delete(OutboxMessage).where(OutboxMessage.phone.in_(sms_phones)),
        delete(SmsContact).where(SmsContact.phone.in_(sms_phones)),
        delete(VerificationFailure).where(VerificationFailure.sender_key.in_(failure_keys)),
        delete(ActivationKey).where(ActivationKey.person_id.in_(people)),
        delete(PortalAccount).where(PortalAccount.person_id.in_(people)),
        delete(GuardianLink).where(links),
        update(Ticket).where(Ticket.guardian_id.in_(people)).values(guardian_id=None),
        delete(Person).where(Person.id.in_(people)),
    ):
        session.execute(statement, execution_options=_NO_SYNC)
    return report




def anonymise_ticket(session: Session, ticket: Ticket, marker: str) -> None:
    """Keep what statistics need (kind, school, status, dates, verified), remove everything personal.
    An open ticket is closed (nobody can answer a family that asked to be forgotten); pending deliveries go."""
    now = utcnow()
    if ticket.status in ACTIVE_TICKET_STATUSES:
        ticket.events.append(TicketEvent(at=now, actor=ACTOR, from_status=ticket.status, to_status="closed",
                                         note=marker))
        ticket.status = "closed"
    for event in ticket.events:
        if event.note and event.note != marker and event.note != "opened":
            event.note = marker
    ticket.messages.clear()
    ticket.guardian_id = None
    ticket.summary = marker
    ticket.transcript = ""
    ticket.details = {}
    ticket.conversation_id = f"{FORGOTTEN_PREFIX}{ticket.id}"
    ticket.updated_at = now
    for handoff in ticket.handoffs:
        handoff.conversation_id = ticket.conversation_id
        if handoff.state != "ended":
            handoff.state, handoff.ended_at, handoff.ended_by = "ended", now, ACTOR
    session.execute(delete(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id), execution_options=_NO_SYNC)
    session.flush()


def _count(session: Session, model, condition) -> int:
    return session.execute(select(func.count()).select_from(model).where(condition)).scalar_one()


def _tracker_senders(engine: Engine, conversation_ids: set[str]) -> set[str]:
    with engine.connect() as connection:
        return set(connection.execute(select(tracker_events.c.sender_id).distinct().where(
            tracker_events.c.sender_id.in_(sorted(conversation_ids)))).scalars())


def _delete_tracker(engine: Engine, conversation_ids: set[str], apply: bool) -> int:
    ids = sorted(conversation_ids)
    if not apply:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(tracker_events).where(
                tracker_events.c.sender_id.in_(ids))).scalar_one()
    with engine.begin() as connection:
        return connection.execute(delete(tracker_events).where(tracker_events.c.sender_id.in_(ids))).rowcount


# --------------------------------------------------------------------------------------------- retention
def purge_cutoff(older_than: timedelta, now: datetime) -> datetime:
    """The moment before which conversation data goes; at least one day back."""
    if older_than < timedelta(days=1):
        raise PrivacyError("--older-than must be at least 1 day")
    return now - older_than


def purge_tracker(engine: Optional[Engine], cutoff: datetime, apply: bool = False) -> Report:
    """Remove tracker conversations idle since before `cutoff`; a dry run unless `apply`."""
    if engine is None:
        return Report(applied=apply, notes=(f"{NO_TRACKER}: not purged",))
    with engine.connect() as connection:
        idle = [row[0] for row in connection.execute(
            select(tracker_events.c.sender_id).group_by(tracker_events.c.sender_id).having(
                func.max(tracker_events.c.timestamp) < cutoff.timestamp()))]
    counts = {"tracker conversations": len(idle)}
    if idle:
        counts["tracker events"] = sum(_delete_tracker(engine, set(idle[start:start + 500]), apply)
                                       for start in range(0, len(idle), 500))
    return Report(applied=apply, counts=counts)


def purge_store(session: Session, cutoff: datetime, now: datetime, apply: bool = False) -> Report:
    """Remove the portal store's conversation data older than `cutoff` in the caller's unit of work (see the
    module docstring); a dry run unless `apply`."""
    old_conversations = Conversation.started_at < cutoff
    idle_sms = (SmsContact.updated_at < cutoff) & SmsContact.opted_out.is_(False)
    idle_phones = list(session.execute(select(SmsContact.phone).where(idle_sms)).scalars())
    old_outbox = OutboxMessage.phone.in_(idle_phones) | (OutboxMessage.phone.isnot(None)
                                                         & (OutboxMessage.status != "pending")
                                                         & (OutboxMessage.created_at < cutoff))
    answered_webhooks = SmsInbound.claimed_at < cutoff
    finished = session.execute(select(Ticket).where(
        Ticket.status.in_(("resolved", "closed")), Ticket.updated_at < cutoff,
        Ticket.conversation_id.not_like(f"{FORGOTTEN_PREFIX}%"))).scalars().all()
    counts = {
        "conversation records": _count(session, Conversation, old_conversations),
        "SMS numbers (not opted out)": len(idle_phones),
        "SMS outbox messages": _count(session, OutboxMessage, old_outbox),
        "SMS webhook records": _count(session, SmsInbound, answered_webhooks),
        "tickets anonymised": len(finished),
    }
    if not apply:
        expired = VerificationFailure.failed_at < now - Limits.from_env().window
        return Report(applied=apply, counts={**counts,
                                             "expired failed-check records": _count(session, VerificationFailure,
                                                                                    expired)})
    for statement in (delete(Conversation).where(old_conversations), delete(OutboxMessage).where(old_outbox),
                      delete(SmsContact).where(SmsContact.phone.in_(idle_phones)),
                      delete(SmsInbound).where(answered_webhooks)):
        session.execute(statement, execution_options=_NO_SYNC)
    for ticket in finished:
        anonymise_ticket(session, ticket, EXPIRED)
    return Report(applied=apply, counts={**counts, "expired failed-check records": prune_failures(session, now)})


def describe(report: Report) -> dict[str, Any]:
    """The report as JSON-friendly data."""
    return {"applied": report.applied, "counts": dict(report.counts), "contacts": list(report.contacts),
            "external_ticket_ids": list(report.external_ticket_ids), "notes": list(report.notes)}
