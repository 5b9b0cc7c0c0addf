"""Outgoing HTTP for the help desk: one `requests` session with timeouts, bounded retries, status checks.

Two layers of retry:
- inside one delivery attempt, urllib3's `Retry` re-sends when the connection could not be made, or on
  503 (the server says it did not process the request), with exponential backoff; never after a read
  timeout or another error status, where the server may already have acted (a resend could duplicate);
- across attempts, the outbox (`portal.outbox`) retries failed deliveries with exponential backoff.
"""
from __future__ import annotations

import email.utils
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

USER_AGENT = "parent-portal-helpdesk/0.1"
RETRY_STATUSES = (503,)
_BODY_EXCERPT_CHARS = 200


class DeliveryError(Exception):
    """A delivery failed; retried later (at `retry_at` when the server asked for a time)."""

    def __init__(self, message: str, retry_at: Optional[datetime] = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class _RedactUrls(logging.Filter):
    """urllib3 logs request lines at DEBUG: hide Rasa's `token=` and conversation ids (maybe phone numbers)."""

    _PATTERNS = (
        (re.compile(r"([?&]token=)[^&\s\"']+"), r"\1***"),
        (re.compile(r"(/conversations/)[^/\s\"']+"), r"\1***"),
    )

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken record is left alone
            return True
        for pattern, replacement in self._PATTERNS:
            message = pattern.sub(replacement, message)
        record.msg, record.args = message, None
        return True


_REDACTED_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


def install_log_redaction() -> None:
    """Hide tokens and conversation ids in urllib3's request logs (once per process; called at start-up and by
    make_session, never at import)."""
    for name in _REDACTED_LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(f, _RedactUrls) for f in log.filters):
            log.addFilter(_RedactUrls())


def make_session(retries: int = 2, backoff_factor: float = 0.5) -> requests.Session:
    """A requests Session that retries connection failures and 503s (POST and PUT included)."""
    install_log_redaction()
    retry = Retry(
        total=retries,
        connect=retries,
        read=False,  # never resend after a read timeout (the server may have acted); re-raise it as is
        status=retries,
        other=0,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "POST", "PUT", "PATCH"}),
        backoff_factor=backoff_factor,
        respect_retry_after_header=False,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def check_response(response: requests.Response, what: str, secrets: Iterable[Optional[str]] = (),
                   expected: Iterable[int] = ()) -> requests.Response:
    """Raise DeliveryError unless the status is 2xx (or one of `expected`)."""
    expected = tuple(expected)
    if (expected and response.status_code in expected) or (not expected and 200 <= response.status_code < 300):
        return response
    raise DeliveryError(
        redact(f"{what} answered HTTP {response.status_code}: {excerpt(response)}", secrets),
        retry_at=retry_after(response),
    )


def describe_exception(error: Exception, what: str, secrets: Iterable[Optional[str]] = ()) -> str:
    """A short, secret-free description of a transport error (requests' messages contain the URL)."""
    kind = type(error).__name__
    if isinstance(error, requests.Timeout):
        return f"{what} timed out ({kind})"
    if isinstance(error, requests.ConnectionError):
        return f"{what} unreachable ({kind})"
    return redact(f"{what} request failed ({kind})", secrets)


def excerpt(response: requests.Response) -> str:
    text = " ".join((response.text or "").split())
    return text[:_BODY_EXCERPT_CHARS] or "(empty body)"


def retry_after(response: requests.Response, cap_seconds: float = 3600.0) -> Optional[datetime]:
    """When a 429/503 response says to come back (Retry-After seconds or HTTP date), capped."""
    if response.status_code not in (429, 503):
        return None
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    now = datetime.now(timezone.utc)
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - now).total_seconds()
    return now + timedelta(seconds=min(max(seconds, 0.0), cap_seconds))


def redact(text: str, secrets: Iterable[Optional[str]]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
