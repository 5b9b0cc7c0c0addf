"""The portal store's schema, every table in this one module: roster (schools, people, guardian links), portal
accounts, tickets, the help desk's tables (conversation messages, live handoffs, conversations), the SMS
channel's numbers and answered webhooks, failed identity checks, and the one delivery outbox.

Nothing here imports another project module, so anything may import it (stores, migrations, tests)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import declarative_base, relationship
from sqlalchemy.types import TypeDecorator

STUDENT = "student"
GUARDIAN_ROLES = ("guardian", "parent", "relative")
PERSON_ROLES = (STUDENT, *GUARDIAN_ROLES)
ACCOUNT_STATUSES = ("none", "active", "disabled", "locked")
TICKET_KINDS = ("account_reset", "household_fix", "key_not_received", "handoff", "other")
TICKET_STATUSES = ("open", "in_progress", "resolved", "closed")
# The languages the assistant speaks (the `language` slot's values); tickets and SMS numbers record one.
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES = {"en": "English", "es": "Spanish"}  # for staff (help desk, portal-admin)
ACTIVE_TICKET_STATUSES = ("open", "in_progress")
ACTIVE_TICKET_SQL = "status IN ('open', 'in_progress')"
MESSAGE_AUTHORS = ("parent", "staff", "assistant")
HANDOFF_STATES = ("waiting", "live", "ended")
ACTIVE_HANDOFF_STATES = ("waiting", "live")
ACTIVE_HANDOFF_SQL = "state IN ('waiting', 'live')"
# Where an outbox row goes: Rasa (the parent, through trigger_intent), an external help desk, an SMS gateway.
OUTBOX_TARGETS = ("rasa", "external", "sms")
# Bulk UPDATE/DELETE options: the session's objects are not synchronised (each unit of work is short).
NO_SYNC = {"synchronize_session": False}
# pending until sent; delivered; failed (given up: refused for good, or too old); cancelled (an operator, an opt-out).
OUTBOX_STATUSES = ("pending", "delivered", "failed", "cancelled")
SMS_INBOUND_STATUSES = ("processing", "done")
SENDER_KEY_MAX = 80

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use a timezone-aware value")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class School(Base):
    """An org from `orgs.csv` (schools and the district itself), keyed by its sourcedId."""

    __tablename__ = "schools"

    id = Column(String(255), primary_key=True)
    name = Column(String(255), nullable=False)
    org_type = Column(String(32), nullable=False, default="school")
    identifier = Column(String(255))
    parent_id = Column(String(255))
    active = Column(Boolean, nullable=False, default=True)
    date_last_modified = Column(UTCDateTime)


class Person(Base):
    """A student or a guardian (roles guardian, parent, relative) from `users.csv`."""

    __tablename__ = "persons"
    __table_args__ = (CheckConstraint(f"role IN ({_in_list(PERSON_ROLES)})", name="role"),)

    id = Column(String(255), primary_key=True)
    role = Column(String(16), nullable=False)
    given_name = Column(String(255), nullable=False)
    family_name = Column(String(255), nullable=False)
    middle_name = Column(String(255))
    identifier = Column(String(255))
    email = Column(String(320))
    sms = Column(String(64))
    phone = Column(String(64))
    # Normalised copies, indexed, for identity checks and duplicate detection.
    email_norm = Column(String(320), index=True)
    sms_digits = Column(String(16), index=True)
    name_key = Column(String(512), index=True)
    birth_date = Column(Date)
    school_id = Column(String(255), ForeignKey("schools.id"), index=True)
    org_ids = Column(JSON, nullable=False, default=list)
    enabled_user = Column(Boolean, nullable=False, default=True)
    active = Column(Boolean, nullable=False, default=True)
    date_last_modified = Column(UTCDateTime)

    @property
    def is_guardian(self) -> bool:
        return self.role in GUARDIAN_ROLES


class GuardianLink(Base):
    """A guardian-student relationship (from a student's agentSourcedIds, or a guardian's)."""

    __tablename__ = "guardian_links"

    guardian_id = Column(String(255), ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    student_id = Column(String(255), ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True, index=True)
    active = Column(Boolean, nullable=False, default=True)

    guardian = relationship(Person, foreign_keys=[guardian_id])
    student = relationship(Person, foreign_keys=[student_id])


class PortalAccount(Base):
    """A guardian's Campus Parent account (one per guardian record)."""

    __tablename__ = "portal_accounts"
    __table_args__ = (CheckConstraint(f"account_status IN ({_in_list(ACCOUNT_STATUSES)})", name="account_status"),)

    person_id = Column(String(255), ForeignKey("persons.id", ondelete="CASCADE"), primary_key=True)
    username = Column(String(255))
    account_status = Column(String(16), nullable=False, default="none")
    security_email = Column(String(320))
    active = Column(Boolean, nullable=False, default=True)

    person = relationship(Person)


class ActivationKey(Base):
    """A 32-hex-digit activation key (GUID) issued to a guardian."""

    __tablename__ = "activation_keys"

    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(32), nullable=False, unique=True)
    person_id = Column(String(255), ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True)
    redeemed = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True)

    person = relationship(Person)


class Ticket(Base):
    """A request for staff. At most one open/in-progress ticket per (conversation, kind)."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_in_list(TICKET_KINDS)})", name="kind"),
        CheckConstraint(f"status IN ({_in_list(TICKET_STATUSES)})", name="status"),
        Index(
            "uq_tickets_active_conversation_kind",
            "conversation_id",
            "kind",
            unique=True,
            sqlite_where=text(ACTIVE_TICKET_SQL),
            postgresql_where=text(ACTIVE_TICKET_SQL),
        ),
        Index("ix_tickets_status_school_id", "status", "school_id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    kind = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default="open")
    school_id = Column(String(255))
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(64), nullable=False, default="unknown")
    verified = Column(Boolean, nullable=False, default=False)
    guardian_id = Column(String(255), ForeignKey("persons.id", ondelete="SET NULL"))
    summary = Column(Text, nullable=False, default="")
    transcript = Column(Text, nullable=False, default="")
    details = Column(JSON, nullable=False, default=dict)
    external_id = Column(String(255))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)
    # Added by revision 0002: who claimed the ticket, and when it was resolved (time-to-resolve statistics).
    assignee = Column(String(255))
    resolved_at = Column(UTCDateTime)
    # Added by revision 0005: the conversation's language ("en", "es") when the ticket was opened.
    language = Column(String(8), nullable=False, default=DEFAULT_LANGUAGE, server_default=text("'en'"), index=True)

    events = relationship(
        "TicketEvent",
        back_populates="ticket",
        order_by="(TicketEvent.at, TicketEvent.id)",
        cascade="all, delete-orphan",
    )
    messages = relationship(
        "TicketMessage",
        back_populates="ticket",
        order_by="(TicketMessage.at, TicketMessage.id)",
        cascade="all, delete-orphan",
    )
    handoffs = relationship("Handoff", back_populates="ticket", cascade="all, delete-orphan")


class TicketEvent(Base):
    """Audit trail of a ticket: who changed its status, when, and why."""

    __tablename__ = "ticket_events"

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow)
    actor = Column(String(255), nullable=False)
    from_status = Column(String(16))
    to_status = Column(String(16), nullable=False)
    note = Column(Text, nullable=False, default="")

    ticket = relationship(Ticket, back_populates="events")


class TicketMessage(Base):
    """One message of the conversation around a ticket: the parent, staff (live handoff) or the assistant."""

    __tablename__ = "ticket_messages"
    __table_args__ = (CheckConstraint(f"author IN ({_in_list(MESSAGE_AUTHORS)})", name="author"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow)
    author = Column(String(16), nullable=False)
    # Who wrote it, for staff messages (the name staff gave); empty for the parent and the assistant.
    author_name = Column(String(255))
    text = Column(Text, nullable=False)

    ticket = relationship(Ticket, back_populates="messages")


class Handoff(Base):
    """A live handoff of one conversation to staff: the assistant pauses while it is waiting or live.

    At most one active (waiting or live) handoff per conversation; ended ones are kept as history.
    """

    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint(f"state IN ({_in_list(HANDOFF_STATES)})", name="state"),
        Index(
            "uq_handoffs_active_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text(ACTIVE_HANDOFF_SQL),
            postgresql_where=text(ACTIVE_HANDOFF_SQL),
        ),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=False, index=True)
    state = Column(String(16), nullable=False, default="waiting")
    started_at = Column(UTCDateTime, nullable=False, default=utcnow)
    live_at = Column(UTCDateTime)
    ended_at = Column(UTCDateTime)
    ended_by = Column(String(255))

    ticket = relationship(Ticket, back_populates="handoffs")


class OutboxMessage(Base):
    """A delivery waiting to go out (transactional outbox), revision 0006: to Rasa (the parent), an external help
    desk, or an SMS gateway (`target`).

    Written in the same transaction as the change it reports. A worker claims due rows with a lease
    (`locked_until`, `locked_by`), sends them with no transaction open, and records the outcome: delivered
    exactly once; a failure stays pending with `attempts` and `next_attempt_at` pushed back (exponential backoff
    with jitter); `failed` when given up. Rows with the same `ordering_key` ("rasa:<conversation>",
    "external:<ticket>", "sms:<phone>") go out in id order: a later one waits while an earlier one is pending.
    `phone`: the number of an SMS row (its contact row's deletion removes it); `provider_ref`: the id the
    receiver gave the delivery (the gateway's message sid).
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(f"target IN ({_in_list(OUTBOX_TARGETS)})", name="target"),
        CheckConstraint(f"status IN ({_in_list(OUTBOX_STATUSES)})", name="status"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_messages_ordering_key_status", "ordering_key", "status"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    target = Column(String(16), nullable=False)
    event = Column(String(64), nullable=False)
    ordering_key = Column(String(320), nullable=False)
    payload = Column(JSON, nullable=False, default=dict)
    ticket_id = Column(Integer, ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    conversation_id = Column(String(255))
    phone = Column(String(32), ForeignKey("sms_contacts.phone", ondelete="CASCADE"), index=True)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=False, default=utcnow)
    locked_until = Column(UTCDateTime)
    locked_by = Column(String(64))
    last_error = Column(Text)
    provider_ref = Column(String(255))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    delivered_at = Column(UTCDateTime)


class Conversation(Base):
    """Per conversation: its channel, whether the parent got an answer, and whether a ticket was opened."""

    __tablename__ = "conversations"

    id = Column(String(255), primary_key=True)
    channel = Column(String(64), nullable=False, default="unknown")
    started_at = Column(UTCDateTime, nullable=False, default=utcnow)
    answered_at = Column(UTCDateTime, index=True)
    last_answer_at = Column(UTCDateTime)
    answers = Column(Integer, nullable=False, default=0)
    last_topic = Column(String(255))
    ticket_opened_at = Column(UTCDateTime)



class SmsContact(Base):
    """A phone number that texted the assistant (revision 0003_sms): its conversation, opt-out state, pending
    choices and language.

    `conversation_id` is a random id ("sms-" + 16 hex digits), not the number, so Rasa's tracker ids, logs
    and tickets never show the number. `choices` are the numbered buttons last offered to this number
    ([{"title", "payload"}, ...]), so a reply of "1" maps back even after a restart or on another replica.
    `language` (revision 0005): the language the number chose ("en", "es"), or NULL. Its queued texts are
    outbox rows (`OutboxMessage.phone`).
    """

    __tablename__ = "sms_contacts"

    phone = Column(String(32), primary_key=True)
    conversation_id = Column(String(64), nullable=False, unique=True)
    opted_out = Column(Boolean, nullable=False, default=False)
    opted_out_at = Column(UTCDateTime)
    opted_in_at = Column(UTCDateTime)
    choices = Column(JSON)
    choices_at = Column(UTCDateTime)
    language = Column(String(8))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)


class SmsInbound(Base):
    """An inbound webhook call, by the gateway's MessageSid: claimed while processing, then the TwiML answered.

    The primary key makes two concurrent deliveries of one message meet: only one insert wins.
    """

    __tablename__ = "sms_inbound"
    __table_args__ = (CheckConstraint(f"status IN ({_in_list(SMS_INBOUND_STATUSES)})", name="status"),)

    message_sid = Column(String(64), primary_key=True)
    status = Column(String(16), nullable=False, default="processing")
    claim = Column(String(32), nullable=False)
    claimed_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    completed_at = Column(UTCDateTime)
    twiml = Column(Text)


class VerificationFailure(Base):
    """One failed identity check by one sender (revision 0004): a keyed hash, never the number or address itself
    (see `portal.verification_limits`)."""

    __tablename__ = "verification_failures"

    id = Column(Integer, primary_key=True, autoincrement=True)
    sender_key = Column(String(SENDER_KEY_MAX), nullable=False, index=True)
    failed_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
