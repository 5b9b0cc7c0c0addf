"""The outbox worker: one loop per process over the targets that process serves (`portal.outbox`).

The help-desk service serves Rasa and the external help desk (`helpdesk.delivery`), the Rasa server's SMS
channel serves SMS (`channels.sms_delivery`). Each target has a small `Sender`; the worker does the rest,
the same way for every target:

1. claim due rows of its targets (a short transaction; each row leased to this worker, first in line of
   its ordering key only);
2. send each one with no transaction open (`Sender.send` -> an `Outcome`);
3. record the outcome (a short transaction): delivered, retry later (exponential backoff with jitter, at
   least the receiver's Retry-After), failed for good, or cancelled; `Sender.settle` records what the
   outcome means beyond the row in the same transaction (a ticket's external id, a number's opt-out).

A row older than its sender's `max_age` is given up (status failed) without being sent. `flush()` is
synchronous (CLI, tests); `run()` is the asyncio loop a service runs in the background: a flush now, when
woken (something was queued), and every `poll_seconds`.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, ClassVar, Iterable, Optional

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from portal import db, outbox
from portal.models import utcnow

log = logging.getLogger(__name__)

DELIVERED = "delivered"
RETRY = "retry"
FAILED = "failed"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Outcome:
    """What one send came to."""

    kind: str
    error: Optional[str] = None
    retry_at: Optional[datetime] = None  # the receiver asked not to be called before (Retry-After)
    provider_ref: Optional[str] = None  # the receiver's id for the delivery (a gateway's message sid)
    detail: dict = field(default_factory=dict)  # for `Sender.settle` (an external ticket id, an opt-out)

    @classmethod
    def delivered(cls, provider_ref: Optional[str] = None, **detail) -> "Outcome":
        return cls(DELIVERED, provider_ref=provider_ref, detail=detail)

    @classmethod
    def retry(cls, error: str, retry_at: Optional[datetime] = None) -> "Outcome":
        return cls(RETRY, error=error, retry_at=retry_at)

    @classmethod
    def failed(cls, error: str, **detail) -> "Outcome":
        return cls(FAILED, error=error, detail=detail)

    @classmethod
    def cancelled(cls, reason: str, **detail) -> "Outcome":
        return cls(CANCELLED, error=reason, detail=detail)


class Sender:
    """Sends the outbox rows of one target; blocking (the worker runs it in a thread)."""

    target: ClassVar[str] = ""
    max_age: Optional[timedelta] = None  # give up on rows older than this; None: retry for ever

    def send(self, message: outbox.OutboxView) -> Outcome:
        raise NotImplementedError

    def settle(self, session: Session, message: outbox.OutboxView, outcome: Outcome) -> None:
        """Record what `outcome` means beyond the row, in the transaction that records it (default: nothing)."""

    def describe(self, message: outbox.OutboxView) -> str:
        """How logs name the row (never a phone number, a message or a token)."""
        return f"{message.target} {message.event}"


@dataclass
class FlushReport:
    """What one flush did."""

    delivered: int = 0
    retried: int = 0  # failed, queued for a later attempt
    failed: int = 0  # given up
    cancelled: int = 0
    lost_lease: int = 0  # sent, but the row was no longer ours when the outcome was recorded
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.retried + self.failed + self.cancelled

    def summary(self) -> str:
        text = f"delivered {self.delivered}, failed {self.retried} (queued for retry)"
        if self.failed:
            text += f", given up {self.failed}"
        return text


def default_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class OutboxWorker:
    """Delivers the outbox rows of its senders' targets for one store; one flush at a time per instance."""

    def __init__(self, senders: Iterable[Sender], database_url: Optional[str] = None,
                 worker_id: Optional[str] = None, lease_seconds: float = 120.0,
                 backoff_base_seconds: float = outbox.DEFAULT_BACKOFF_BASE_SECONDS,
                 backoff_cap_seconds: float = outbox.DEFAULT_BACKOFF_CAP_SECONDS,
                 batch_size: int = 20, max_batches: int = 50) -> None:
        self.senders = {sender.target: sender for sender in senders}
        self.database_url = database_url
        self.worker_id = worker_id or default_worker_id()
        self.lease_seconds = lease_seconds
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_cap_seconds = backoff_cap_seconds
        self.batch_size = batch_size
        self.max_batches = max_batches

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.senders)

    def flush(self, targets: Optional[Iterable[str]] = None) -> FlushReport:
        """Deliver everything due now (several batches, so the rows of one key follow each other)."""
        report = FlushReport()
        wanted = tuple(t for t in (targets or self.targets) if t in self.senders)
        # "Due" is judged at the start of the flush: a row that fails now is not retried in this flush.
        started = utcnow()
        for _ in range(self.max_batches):
            with db.session_scope(self.database_url) as session:
                batch = outbox.claim_due(session, worker=self.worker_id, targets=wanted, now=started,
                                         lease_seconds=self.lease_seconds, limit=self.batch_size)
            if not batch:
                break
            for message in batch:
                self._deliver_one(message, report)
        return report

    def _deliver_one(self, message: outbox.OutboxView, report: FlushReport) -> None:
        sender = self.senders[message.target]
        if sender.max_age is not None and message.created_at < utcnow() - sender.max_age:
            self._record(sender, message, Outcome.failed(f"not sent within {sender.max_age}", attempted=False),
                         report)
            return
        try:
            outcome = sender.send(message)
        except Exception as error:  # a bug must not stop the queue; the row is retried with backoff
            log.error("outbox %s: unexpected %s while delivering", message.id, type(error).__name__)
            outcome = Outcome.retry(f"internal error ({type(error).__name__})")
        self._record(sender, message, outcome, report)

    def _record(self, sender: Sender, message: outbox.OutboxView, outcome: Outcome, report: FlushReport) -> None:
        name = sender.describe(message)
        with db.session_scope(self.database_url) as session:
            sender.settle(session, message, outcome)
            if outcome.kind == DELIVERED:
                if outbox.mark_delivered(session, message.id, self.worker_id, outcome.provider_ref):
                    report.delivered += 1
                    log.info("outbox %s delivered (%s, attempt %d)", message.id, name, message.attempts + 1)
                else:
                    report.lost_lease += 1
                    log.warning("outbox %s (%s): lease lost before it was marked delivered", message.id, name)
            elif outcome.kind == RETRY:
                retry_at = outbox.mark_failed(
                    session, message.id, self.worker_id, outcome.error or "failed", retry_at=outcome.retry_at,
                    base_seconds=self.backoff_base_seconds, cap_seconds=self.backoff_cap_seconds)
                report.retried += 1
                report.errors.append(outcome.error or "failed")
                log.warning("outbox %s (%s) failed, attempt %d: %s; next attempt %s", message.id, name,
                            message.attempts + 1, _loggable(outcome.error),
                            retry_at.isoformat(timespec="seconds") if retry_at else "-")
            elif outcome.kind == FAILED:
                attempted = outcome.detail.get("attempted", True)
                outbox.give_up(session, message.id, self.worker_id, outcome.error or "failed", attempted=attempted)
                report.failed += 1
                report.errors.append(outcome.error or "failed")
                log.error("outbox %s (%s) given up after %d attempts: %s", message.id, name,
                          message.attempts + (1 if attempted else 0), _loggable(outcome.error))
            else:  # `settle` may have cancelled more than this row (an opt-out cancels the number's queue)
                outbox.mark_cancelled(session, message.id, self.worker_id, outcome.error or "cancelled")
                report.cancelled += 1
                log.info("outbox %s (%s) cancelled: %s", message.id, name, _loggable(outcome.error))

    async def run(self, wakeup: asyncio.Event, poll_seconds: Optional[float],
                  housekeeping: Optional[Callable[[], object]] = None, housekeeping_seconds: float = 3600.0) -> None:
        """Flush now, when woken, and every `poll_seconds` (None: only when woken); run `housekeeping` (blocking)
        after a flush, at most every `housekeeping_seconds`."""
        loop = asyncio.get_running_loop()
        last_housekeeping: Optional[float] = None
        while True:
            wakeup.clear()
            try:
                await asyncio.to_thread(self.flush)
                if housekeeping is not None and (last_housekeeping is None
                                                 or loop.time() - last_housekeeping >= housekeeping_seconds):
                    await asyncio.to_thread(housekeeping)
                    last_housekeeping = loop.time()
            except SQLAlchemyError as error:
                log.warning("outbox worker: store unavailable (%s); retrying", type(error).__name__)
            except Exception as error:  # keep the worker alive whatever happens
                log.error("outbox worker: unexpected %s", type(error).__name__)
            try:
                await asyncio.wait_for(wakeup.wait(), timeout=poll_seconds)
            except asyncio.TimeoutError:
                pass


def _loggable(error: Optional[str]) -> str:
    """Only the first clause of an error (its status or exception type), never a response body."""
    return (error or "failed").split(":")[0][:120]
