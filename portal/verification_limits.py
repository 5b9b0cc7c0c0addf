"""Failed identity checks per sender, across conversations: the per-sender rate limit of verification.

The lookup form allows three failed checks per conversation (`verify_attempts`). A sender could start
new conversations to try again, so every failed check is also recorded here under a *sender key*: the
SMS number, or a client identifier the web channels supply (a keyed hash of the client address, see
`channels/rest.py` and `channels/webchat.py`). A sender with `max_failures` failures within `window`
is blocked; the assistant then treats it exactly like a conversation that used its three attempts.

Sender keys are keyed hashes (HMAC-SHA256 with `SENDER_HASH_KEY` from the environment): the store never
holds a raw phone number or IP address. Rows older than the window are no longer counted and are removed
when the same sender fails again, and by `portal-admin purge` (`portal.privacy`).

Configuration (environment): `VERIFY_SENDER_MAX_FAILURES` (default 5) and `VERIFY_SENDER_WINDOW_MINUTES`
(default 60).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Optional

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.models import SENDER_KEY_MAX, VerificationFailure, utcnow  # noqa: F401  (SENDER_KEY_MAX: for callers)
from portal.normalise import phone_key
from portal.settings import SettingError, env_int

log = logging.getLogger(__name__)

DEFAULT_MAX_FAILURES = 5
DEFAULT_WINDOW_MINUTES = 60
# Used only when SENDER_HASH_KEY is unset (development, tests): the hash still hides the raw value from
# anyone reading the store, but only a secret key stops someone from hashing every phone number to find one.
_FALLBACK_HASH_KEY = "parent-portal-assistant/sender-key/v1"


@dataclass(frozen=True)
class Limits:
    """At most `max_failures` failed checks per sender within `window`."""

    max_failures: int = DEFAULT_MAX_FAILURES
    window: timedelta = timedelta(minutes=DEFAULT_WINDOW_MINUTES)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Limits":
        return cls(max_failures=_positive_int(environ, "VERIFY_SENDER_MAX_FAILURES", DEFAULT_MAX_FAILURES),
                   window=timedelta(minutes=_positive_int(environ, "VERIFY_SENDER_WINDOW_MINUTES",
                                                          DEFAULT_WINDOW_MINUTES)))


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    """`name` as a whole number of at least 1; a malformed value is logged and the default used (the limits are
    read at every check, where refusing would break the identity check itself)."""
    try:
        return env_int(environ, name, default, low=1)
    except SettingError as error:
        log.warning("%s; using %d", error, default)
        return default


def _hash_key(environ: Mapping[str, str] = os.environ) -> bytes:
    return (environ.get("SENDER_HASH_KEY") or _FALLBACK_HASH_KEY).encode("utf-8")


def keyed_hash(kind: str, value: str, environ: Mapping[str, str] = os.environ) -> str:
    """`<kind>:<hex>`: an HMAC-SHA256 of the value, so equal values meet and raw values are never stored."""
    digest = hmac.new(_hash_key(environ), f"{kind}:{value}".encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:48]}"


def sms_sender_key(phone: Optional[str]) -> Optional[str]:
    """The sender key of an SMS number (any spelling of one number gives one key), None when unusable."""
    digits = phone_key(phone)
    return keyed_hash("sms", digits) if digits else None


def client_sender_key(address: Optional[str]) -> Optional[str]:
    """The sender key of a web client (its address as the channel saw it), None when unknown."""
    value = (address or "").strip().lower()
    return keyed_hash("client", value) if value else None


def _since(now: Optional[datetime], limits: Limits) -> datetime:
    return (now or utcnow()) - limits.window


def failures(session: Session, sender_key: str, now: Optional[datetime] = None,
             limits: Optional[Limits] = None) -> int:
    """Failed checks of this sender within the window."""
    limits = limits or Limits.from_env()
    return session.execute(
        select(func.count()).select_from(VerificationFailure).where(
            VerificationFailure.sender_key == sender_key, VerificationFailure.failed_at > _since(now, limits))
    ).scalar_one()


def is_blocked(session: Session, sender_key: Optional[str], now: Optional[datetime] = None,
               limits: Optional[Limits] = None) -> bool:
    """Has this sender used up its failed checks for now? (False without a sender key.)"""
    if not sender_key:
        return False
    limits = limits or Limits.from_env()
    return failures(session, sender_key, now, limits) >= limits.max_failures


def record_failure(session: Session, sender_key: Optional[str], now: Optional[datetime] = None,
                   limits: Optional[Limits] = None) -> bool:
    """Record one failed check; True when the sender is blocked now. Drops this sender's expired rows."""
    if not sender_key:
        return False
    now = now or utcnow()
    limits = limits or Limits.from_env()
    session.execute(delete(VerificationFailure).where(VerificationFailure.sender_key == sender_key,
                                                      VerificationFailure.failed_at <= _since(now, limits)),
                    execution_options={"synchronize_session": False})
    session.add(VerificationFailure(sender_key=sender_key, failed_at=now))
    session.flush()
    blocked = is_blocked(session, sender_key, now, limits)
    if blocked:
        log.warning("Verification blocked for sender %s… (%d failures within %s)", sender_key[:12],
                    limits.max_failures, limits.window)
    return blocked


def prune(session: Session, now: Optional[datetime] = None, limits: Optional[Limits] = None) -> int:
    """Remove every failure older than the window; the number removed."""
    limits = limits or Limits.from_env()
    return session.execute(delete(VerificationFailure).where(VerificationFailure.failed_at <= _since(now, limits)),
                           execution_options={"synchronize_session": False}).rowcount
