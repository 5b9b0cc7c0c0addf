"""ORM models of the SMS channel (revision 0003_sms): one row per phone number, the inbound messages already
answered, and the outbound messages waiting for the gateway.

They live on `portal.models.Base`: `Base.metadata` knows them once this module is imported. The SMS store
(`portal.sms`) imports it, and so should `portal.models` at its end, so that anything comparing
`Base.metadata` with the migrated database (tests, Alembic autogenerate) sees the whole schema.
"""
from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Column, ForeignKey, Index, Integer, JSON, String, Text

from portal.models import Base, UTCDateTime, utcnow

INBOUND_STATUSES = ("processing", "done")
OUTBOX_STATUSES = ("pending", "sent", "failed", "cancelled")


def _in_list(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class SmsContact(Base):
    """A phone number that texted the assistant: its conversation, opt-out state, and pending choices.

    `conversation_id` is a random id ("sms-" + 16 hex digits), not the number, so Rasa's tracker ids, logs
    and tickets never show the number. `choices` are the numbered buttons last offered to this number
    ([{"title", "payload"}, ...]), so a reply of "1" maps back even after a restart or on another replica.
    `send_lease_until`/`send_lease_by`: the worker sending this number's outbox right now (one at a time,
    so the messages to one number go out in order). `language`: see revision 0005.
    """

    __tablename__ = "sms_contacts"

    phone = Column(String(32), primary_key=True)
    conversation_id = Column(String(64), nullable=False, unique=True)
    opted_out = Column(Boolean, nullable=False, default=False)
    opted_out_at = Column(UTCDateTime)
    opted_in_at = Column(UTCDateTime)
    choices = Column(JSON)
    choices_at = Column(UTCDateTime)
    send_lease_until = Column(UTCDateTime)
    send_lease_by = Column(String(64))
    # Revision 0005: the language the number chose ("en", "es"; keywords ESPAÑOL, ENGLISH, AYUDA, ...), or NULL.
    language = Column(String(8))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)


class SmsInbound(Base):
    """An inbound webhook call, by the gateway's MessageSid: claimed while processing, then the TwiML answered.

    The primary key makes two concurrent deliveries of one message meet: only one insert wins.
    """

    __tablename__ = "sms_inbound"
    __table_args__ = (CheckConstraint(f"status IN ({_in_list(INBOUND_STATUSES)})", name="status"),)

    message_sid = Column(String(64), primary_key=True)
    status = Column(String(16), nullable=False, default="processing")
    claim = Column(String(32), nullable=False)
    claimed_at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    completed_at = Column(UTCDateTime)
    twiml = Column(Text)


class SmsOutbound(Base):
    """A message pushed outside a webhook call (staff reply, resolved ticket), sent through the gateway's API.

    `pending` until the gateway accepted it (`sent`, with its `provider_sid`); a failed attempt stays pending
    with `attempts` and `next_attempt_at` pushed back; `failed` when the gateway refused it for good or it
    grew too old; `cancelled` when the number opted out before it went.
    """

    __tablename__ = "sms_outbox"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in_list(OUTBOX_STATUSES)})", name="status"),
        Index("ix_sms_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_sms_outbox_phone_status", "phone", "status"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    phone = Column(String(32), ForeignKey("sms_contacts.phone", ondelete="CASCADE"), nullable=False)
    body = Column(Text, nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_error = Column(Text)
    provider_sid = Column(String(64))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = Column(UTCDateTime)
