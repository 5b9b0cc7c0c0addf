"""Sending the SMS outbox (`portal.sms`): pushed messages go out through the gateway, in order, retried, never lost.

Blocking (database and HTTP); the connector runs it in a worker thread, right after a push and every few
seconds for what is due. One worker at a time per number (the number's send lease), so one parent's messages
go out in the order they were queued, also with several Rasa replicas:

- accepted by the gateway: `sent`;
- failed but worth retrying (unreachable, timeout, 429, 5xx, credentials): stays `pending`, next attempt after
  an exponential backoff (or the gateway's Retry-After); later messages to that number wait behind it;
- refused for good (invalid number, ...): `failed`, and the next message goes;
- the gateway says the number opted out (error 21610): the number is marked opted out, its queue cancelled;
- still not sent after `max_age` (24 h): `failed`, logged as an error.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Optional

from portal import sms as store
from portal.identity import mask_phone
from portal.models import utcnow

from channels.sms_gateway import GatewayClient

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    """What one `deliver` or `flush` did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    busy: int = 0  # numbers another worker was sending


class Deliverer:
    """Sends due outbox messages of one store through one gateway client."""

    def __init__(self, client: GatewayClient, database_url: Optional[str] = None, worker_id: Optional[str] = None,
                 lease_seconds: float = 60.0, max_age: timedelta = timedelta(hours=24),
                 backoff_base_seconds: float = 5.0, backoff_cap_seconds: float = 600.0) -> None:
        self.client = client
        self.database_url = database_url
        self.worker_id = worker_id or f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.lease_seconds = lease_seconds
        self.max_age = max_age
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_cap_seconds = backoff_cap_seconds

    def backoff(self, attempts: int, retry_after: Optional[float] = None) -> timedelta:
        """Wait before attempt `attempts + 1`: base * 2^(attempts-1), capped; at least the gateway's Retry-After."""
        seconds = min(self.backoff_base_seconds * 2 ** max(attempts - 1, 0), self.backoff_cap_seconds)
        return timedelta(seconds=max(seconds, retry_after or 0.0))

    def flush(self, limit: int = 100) -> DeliveryReport:
        """Deliver what is due for every number."""
        total = DeliveryReport()
        for phone in store.due_phones(self.database_url, limit=limit):
            report = self.deliver(phone)
            total.sent += report.sent
            total.retried += report.retried
            total.failed += report.failed
            total.busy += report.busy
        return total

    def deliver(self, phone: str) -> DeliveryReport:
        """Send this number's due messages in order, until one has to wait."""
        report = DeliveryReport()
        url = self.database_url
        # One lease owner per call: two calls in this process (a push and the retry loop) exclude each other too.
        owner = f"{self.worker_id}:{uuid.uuid4().hex[:8]}"
        if not store.take_send_lease(phone, owner, self.lease_seconds, url):
            report.busy += 1
            return report
        try:
            while True:
                message = store.next_outbound(phone, url)
                now = utcnow()
                if message is None or message.next_attempt_at > now:
                    break
                if message.opted_out:
                    store.set_opted_out(phone, True, url)  # cancels what is still queued
                    break
                if message.created_at < now - self.max_age:
                    store.mark_failed(message.id, f"not sent within {self.max_age}", url)
                    log.error("SMS to %s given up after %d attempts: %s", mask_phone(phone), message.attempts,
                              message.last_error or "not sent in time")
                    report.failed += 1
                    continue
                store.take_send_lease(phone, owner, self.lease_seconds, url)  # renew
                result = self.client.send(phone, message.body)
                if result.ok:
                    store.mark_sent(message.id, result.provider_sid, url)
                    log.info("SMS %d sent to %s", message.id, mask_phone(phone))
                    report.sent += 1
                elif result.unsubscribed:
                    store.set_opted_out(phone, True, url)
                    log.info("SMS to %s not sent: the gateway says the number opted out; recorded", mask_phone(phone))
                    report.failed += 1
                    break
                elif result.permanent:
                    store.mark_failed(message.id, result.error or "refused", url)
                    report.failed += 1
                else:
                    wait = self.backoff(message.attempts + 1, result.retry_after)
                    store.mark_retry(message.id, result.error or "failed", utcnow() + wait, url)
                    log.warning("SMS %d to %s not sent (attempt %d): %s; retry in %ds", message.id,
                                mask_phone(phone), message.attempts + 1, result.error, wait.total_seconds())
                    report.retried += 1
                    break
        finally:
            store.release_send_lease(phone, owner, url)
        return report
