"""The outbox worker: claims due deliveries, sends them (Rasa, external help desk), records the outcome.

No database transaction is open while a request is in flight: claim (short transaction), send, then
record (short transaction). A delivery is marked delivered only after a 2xx answer; a failure keeps it
queued with its attempt count and next attempt time. `flush()` is synchronous (threads, CLI, tests);
`run_worker()` is the asyncio loop the Sanic app runs in the background, calling `flush()` in a thread.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Optional

from sqlalchemy.exc import SQLAlchemyError

from helpdesk.config import HelpdeskConfig
from helpdesk.external import HelpDeskAdapter, make_adapter
from helpdesk.http import DeliveryError, make_session
from helpdesk.rasa import RasaNotifier
from portal import db, outbox
from portal.models import Ticket, utcnow
from portal.tickets import TicketNotFound, set_external_id

log = logging.getLogger(__name__)

POSTPONE_SECONDS = 30.0


@dataclass
class FlushReport:
    """What one flush did."""

    delivered: int = 0
    failed: int = 0
    postponed: int = 0
    lost_lease: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.delivered + self.failed + self.postponed

    def summary(self) -> str:
        return f"delivered {self.delivered}, failed {self.failed} (queued for retry), postponed {self.postponed}"


@dataclass(frozen=True)
class _Outcome:
    delivered: bool
    error: Optional[str] = None
    retry_at: object = None
    external_id: Optional[str] = None
    postpone_reason: Optional[str] = None


class Deliverer:
    """Delivers the outbox for one store, with one HTTP session; safe to use from one thread at a time."""

    def __init__(self, config: HelpdeskConfig, worker_id: Optional[str] = None,
                 http=None, adapter: Optional[HelpDeskAdapter] = None) -> None:
        self.config = config
        self.worker_id = worker_id or f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.http = http or make_session(config.http_retries, config.http_backoff_factor)
        timeout = (config.connect_timeout, config.read_timeout)
        self.rasa = RasaNotifier(config.rasa_url, config.rasa_token, self.http, timeout)
        self.adapter = adapter if adapter is not None else make_adapter(config.external, self.http, timeout)

    @property
    def targets(self) -> tuple[str, ...]:
        """Rasa always; the external help desk only when one is configured (else its rows wait)."""
        return (outbox.RASA, outbox.EXTERNAL) if self.adapter is not None else (outbox.RASA,)

    def flush(self, max_batches: int = 50, batch_size: int = 20, targets: Optional[tuple[str, ...]] = None) -> FlushReport:
        """Deliver everything due now (several batches, so ordered rows of one key follow each other)."""
        report = FlushReport()
        wanted = tuple(t for t in (targets or self.targets) if t in self.targets)
        # "Due" is judged at the start of the flush: a row that fails now is not retried in this flush.
        started = utcnow()
        for _ in range(max_batches):
            with db.session_scope(self.config.database_url) as session:
                batch = outbox.claim_due(session, worker=self.worker_id, targets=wanted, now=started,
                                         lease_seconds=self.config.outbox_lease_seconds, limit=batch_size)
            if not batch:
                break
            for message in batch:
                self._deliver_one(message, report)
        return report

    def _deliver_one(self, message: outbox.OutboxView, report: FlushReport) -> None:
        try:
            outcome = self._send(message)
        except DeliveryError as error:
            outcome = _Outcome(False, error=str(error), retry_at=error.retry_at)
        except Exception as error:  # a bug must not stop the queue; the row is retried with backoff
            log.error("outbox %s: unexpected %s while delivering", message.id, type(error).__name__)
            outcome = _Outcome(False, error=f"internal error ({type(error).__name__})")
        self._record(message, outcome, report)

    def _send(self, message: outbox.OutboxView) -> _Outcome:
        if message.target == outbox.RASA:
            self.rasa.trigger(message.conversation_id or "", message.payload)
            return _Outcome(True)
        return self._send_external(message)

    def _send_external(self, message: outbox.OutboxView) -> _Outcome:
        adapter = self.adapter
        ticket = message.payload.get("ticket") or {}
        delivery_id = f"parent-portal-outbox-{message.id}"
        external_id = self._external_id(message.ticket_id)
        if message.event == outbox.TICKET_CREATED:
            if external_id:  # already there (an earlier delivery stored it): never create twice
                return _Outcome(True)
            return _Outcome(True, external_id=adapter.create(ticket, delivery_id))
        # A status change. The help desk must know the ticket first: rows of one ticket go out in
        # order, so its creation came first; a ticket from before forwarding was set up is created now.
        if external_id is None and adapter.needs_external_id:
            return _Outcome(True, external_id=adapter.create(ticket, delivery_id))
        if not adapter.supports_updates:
            return _Outcome(True)
        adapter.update(external_id, ticket, message.payload.get("change") or {}, delivery_id)
        return _Outcome(True)

    def _external_id(self, ticket_id: Optional[int]) -> Optional[str]:
        if ticket_id is None:
            return None
        with db.session_scope(self.config.database_url) as session:
            ticket = session.get(Ticket, ticket_id)
            return ticket.external_id if ticket is not None else None

    def _record(self, message: outbox.OutboxView, outcome: _Outcome, report: FlushReport) -> None:
        with db.session_scope(self.config.database_url) as session:
            if outcome.delivered:
                if outcome.external_id and message.ticket_id is not None:
                    try:
                        set_external_id(session, message.ticket_id, outcome.external_id)
                    except TicketNotFound:
                        pass
                if outbox.mark_delivered(session, message.id, self.worker_id):
                    report.delivered += 1
                    log.info("outbox %s delivered (%s %s, attempt %d)", message.id, message.target, message.event,
                             message.attempts + 1)
                else:
                    report.lost_lease += 1
                    log.warning("outbox %s: lease lost before it was marked delivered", message.id)
            elif outcome.postpone_reason:
                outbox.postpone(session, message.id, self.worker_id,
                                utcnow() + timedelta(seconds=POSTPONE_SECONDS), outcome.postpone_reason)
                report.postponed += 1
            else:
                retry_at = outbox.mark_failed(
                    session, message.id, self.worker_id, outcome.error or "failed", retry_at=outcome.retry_at,
                    base_seconds=self.config.backoff_base_seconds, cap_seconds=self.config.backoff_cap_seconds,
                )
                report.failed += 1
                report.errors.append(outcome.error or "failed")
                log.warning("outbox %s (%s %s) failed, attempt %d: %s; next attempt %s", message.id, message.target,
                            message.event, message.attempts + 1, _loggable(outcome.error),
                            retry_at.isoformat(timespec="seconds") if retry_at else "-")


def _loggable(error: Optional[str]) -> str:
    """Only the first clause of an error (its status or exception type), never a response body."""
    return (error or "failed").split(":")[0][:120]


async def run_worker(deliverer: Deliverer, wakeup: asyncio.Event, poll_seconds: float) -> None:
    """Flush the outbox now, when woken (a new delivery was queued), and every `poll_seconds`."""
    while True:
        wakeup.clear()
        try:
            await asyncio.to_thread(deliverer.flush)
        except SQLAlchemyError as error:
            log.warning("outbox worker: store unavailable (%s); retrying", type(error).__name__)
        except Exception as error:  # keep the worker alive whatever happens
            log.error("outbox worker: unexpected %s", type(error).__name__)
        try:
            await asyncio.wait_for(wakeup.wait(), timeout=poll_seconds)
        except asyncio.TimeoutError:
            pass
