"""ORM models of the portal store: roster (schools, people, guardian links), portal accounts, tickets."""
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
ACTIVE_TICKET_STATUSES = ("open", "in_progress")
ACTIVE_TICKET_SQL = "status IN ('open', 'in_progress')"

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

    events = relationship(
        "TicketEvent",
        back_populates="ticket",
        order_by="(TicketEvent.at, TicketEvent.id)",
        cascade="all, delete-orphan",
    )


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
