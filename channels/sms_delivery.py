"""The SMS channel's outbox sender: queued texts (`portal.sms.enqueue`) go out through the gateway's API.

The claiming, leasing, ordering, backoff and recording are `portal.outbox_worker`'s, the same as for the help
desk's deliveries; the texts to one number (ordering key "sms:<phone>") go out in the order they were queued,
also with several Rasa replicas. What a send comes to:

- accepted by the gateway: delivered, with the gateway's message sid;
- failed but worth retrying (unreachable, timeout, 429, 5xx, credentials): stays pending, next attempt after
  an exponential backoff with jitter (or the gateway's Retry-After); later texts to that number wait behind it;
- refused for good (invalid number, ...): failed, and the next text goes;
- the number opted out (here, or the gateway says so: error 21610): the number is marked opted out and its
  queue cancelled;
- still not sent after `max_age` (24 h): failed, logged as an error.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

from sqlalchemy.orm import Session

from channels.sms_gateway import GatewayClient
from portal import db, outbox
from portal import sms as store
from portal.identity import mask_phone
from portal.models import utcnow
from portal.outbox_worker import Outcome, OutboxWorker, Sender

DEFAULT_MAX_AGE = timedelta(hours=24)


class SmsSender(Sender):
    """Sends one queued text through the gateway client."""

    target = outbox.SMS

    def __init__(self, client: GatewayClient, database_url: Optional[str] = None,
                 max_age: timedelta = DEFAULT_MAX_AGE) -> None:
        self.client = client
        self.database_url = database_url
        self.max_age = max_age

    def send(self, message: outbox.OutboxView) -> Outcome:
        phone = message.phone or ""
        with db.session_scope(self.database_url) as session:
            opted_out = store.is_opted_out(session, phone)
        if opted_out:  # opted out after the text was claimed
            return Outcome.cancelled("opted out", opt_out=True)
        result = self.client.send(phone, str(message.payload.get("body", "")))
        if result.ok:
            return Outcome.delivered(result.provider_sid)
        if result.unsubscribed:
            return Outcome.cancelled("the gateway says the number opted out", opt_out=True)
        if result.permanent:
            return Outcome.failed(result.error or "refused")
        retry_at = None
        if result.retry_after:
            retry_at = utcnow() + timedelta(seconds=result.retry_after)
        return Outcome.retry(result.error or "failed", retry_at)

    def settle(self, session: Session, message: outbox.OutboxView, outcome: Outcome) -> None:
        if outcome.detail.get("opt_out") and message.phone:
            store.set_opted_out(session, message.phone, True)  # cancels what is still queued for it

    def describe(self, message: outbox.OutboxView) -> str:
        return f"SMS to {mask_phone(message.phone or '')}"


def make_worker(client: GatewayClient, database_url: Optional[str] = None, worker_id: Optional[str] = None,
                lease_seconds: float = 60.0, max_age: timedelta = DEFAULT_MAX_AGE,
                backoff_base_seconds: float = 5.0, backoff_cap_seconds: float = 600.0) -> OutboxWorker:
    """The SMS channel's one outbox worker (target "sms")."""
    return OutboxWorker([SmsSender(client, database_url, max_age)], database_url, worker_id=worker_id,
                        lease_seconds=lease_seconds, backoff_base_seconds=backoff_base_seconds,
                        backoff_cap_seconds=backoff_cap_seconds)
