"""The SMS gateway's REST API: send one message through Twilio's Messages resource (or a compatible gateway).

    POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json   (HTTP basic auth: AccountSid, AuthToken)
    form fields: From, To, Body   ->  201 {"sid": "SM...", "status": "queued", ...}

Blocking (requests): callers run it in a worker thread. One attempt per `send`; inside it urllib3 re-sends only
when the connection could not be made (the gateway saw nothing), with backoff. Every other failure is
reported, classified, for the outbox to retry later (`retry`) or give up (`permanent`): a POST that timed
out may already have been sent, so it is retried by the outbox, not here (at-least-once; a rare duplicate
is better than a lost staff reply).
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from typing import Optional

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from portal.identity import mask_phone

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.twilio.com"
USER_AGENT = "parent-portal-sms/0.1"
# Twilio error 21610: the recipient replied STOP to the gateway itself; it refuses to send until START.
UNSUBSCRIBED_CODE = 21610
# Worth retrying: rate limited, server errors, and credentials/account errors an operator can fix.
RETRY_STATUSES = frozenset({401, 403, 404, 408, 409, 425, 429})
_PHONE_LIKE = re.compile(r"\+?\d[\d ().-]{5,}\d")
_EXCERPT_CHARS = 200


def redact(text: str) -> str:
    """Error text safe for logs and the outbox: phone numbers masked (gateways quote the To number)."""
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), text or "")


@dataclass(frozen=True)
class SendResult:
    """What one send attempt came to."""

    ok: bool
    provider_sid: Optional[str] = None
    error: Optional[str] = None
    permanent: bool = False  # the gateway refused this message for good: do not retry it
    unsubscribed: bool = False  # the gateway says the number opted out (error 21610)
    retry_after: Optional[float] = None  # seconds the gateway asked us to wait (Retry-After)


class GatewayClient:
    """Twilio-compatible Messages API client; thread-safe (one requests Session per thread)."""

    def __init__(self, account_sid: Optional[str], auth_token: Optional[str], from_number: Optional[str],
                 base_url: Optional[str] = None, timeout: tuple[float, float] = (3.05, 10.0),
                 connect_retries: int = 2, backoff_factor: float = 0.3) -> None:
        self.account_sid = (account_sid or "").strip()
        self.auth_token = auth_token or ""
        self.from_number = (from_number or "").strip()
        self.base_url = (base_url or DEFAULT_API_BASE_URL).rstrip("/")
        self.timeout = timeout
        self.connect_retries = connect_retries
        self.backoff_factor = backoff_factor
        self._local = threading.local()

    @property
    def missing(self) -> list[str]:
        """What is not configured (names of the environment variables to set)."""
        return [name for name, value in (("TWILIO_ACCOUNT_SID", self.account_sid),
                                         ("TWILIO_AUTH_TOKEN", self.auth_token),
                                         ("TWILIO_FROM_NUMBER", self.from_number)) if not value]

    @property
    def configured(self) -> bool:
        return not self.missing

    @property
    def messages_url(self) -> str:
        return f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json"

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            retry = Retry(total=self.connect_retries, connect=self.connect_retries, read=False, status=0, other=0,
                          allowed_methods=frozenset({"POST"}), backoff_factor=self.backoff_factor,
                          raise_on_status=False)
            session = requests.Session()
            adapter = HTTPAdapter(max_retries=retry)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = USER_AGENT
            self._local.session = session
        return session

    def send(self, to: str, body: str) -> SendResult:
        """One attempt to hand one message to the gateway."""
        if not self.configured:
            return SendResult(False, error=f"SMS sending not configured: set {', '.join(self.missing)}")
        try:
            response = self._session().post(
                self.messages_url,
                data={"From": self.from_number, "To": to, "Body": body},
                auth=(self.account_sid, self.auth_token),
                timeout=self.timeout,
            )
        except requests.Timeout:
            return SendResult(False, error="gateway timed out (the message may or may not have gone)")
        except requests.RequestException as error:
            return SendResult(False, error=f"gateway unreachable: {type(error).__name__}")
        return self._result(response, to)

    def _result(self, response: requests.Response, to: str) -> SendResult:
        try:
            data = response.json()
        except ValueError:
            data = None
        data = data if isinstance(data, dict) else {}
        if 200 <= response.status_code < 300:
            return SendResult(True, provider_sid=str(data.get("sid") or "") or None)
        code = data.get("code")
        detail = str(data.get("message") or response.text or "")[:_EXCERPT_CHARS]
        error = redact(f"gateway answered {response.status_code}" + (f" (error {code})" if code else "")
                       + (f": {detail}" if detail else ""))
        retry_after = _seconds(response.headers.get("Retry-After"))
        if response.status_code in RETRY_STATUSES or response.status_code >= 500:
            if response.status_code in (401, 403, 404):
                log.error("SMS gateway refused our credentials or account (%s): check TWILIO_ACCOUNT_SID, "
                          "TWILIO_AUTH_TOKEN and the API base URL; messages stay queued", response.status_code)
            return SendResult(False, error=error, retry_after=retry_after)
        unsubscribed = _as_int(code) == UNSUBSCRIBED_CODE
        log.warning("SMS gateway refused a message to %s for good: %s", mask_phone(to), error)
        return SendResult(False, error=error, permanent=True, unsubscribed=unsubscribed)


def _as_int(value) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _seconds(value: Optional[str]) -> Optional[float]:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None
