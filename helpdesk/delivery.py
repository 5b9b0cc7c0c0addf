"""The help-desk process's outbox senders: Rasa (notify the parent) and the external help desk (forward tickets).

The claiming, leasing, backoff and recording are `portal.outbox_worker`'s, the same for every target; this
module only says how one row is sent. `make_worker(config)` is the help-desk process's one worker: Rasa
always, the external help desk when one is configured (else its rows wait in the outbox). A delivery is
delivered only after a 2xx answer; any other answer, a timeout or an unreachable receiver is retried.
"""
from __future__ import annotations

from typing import Optional

import requests
from sqlalchemy.orm import Session

from helpdesk.config import HelpdeskConfig
from helpdesk.external import HelpDeskAdapter, make_adapter
from helpdesk.http import DeliveryError, make_session
from helpdesk.rasa import RasaNotifier
from portal import db, outbox
from portal.models import Ticket
from portal.outbox_worker import Outcome, OutboxWorker, Sender
from portal.tickets import TicketNotFound, set_external_id


class RasaSender(Sender):
    """`trigger_intent` in the parent's conversation (see `helpdesk.rasa`)."""

    target = outbox.RASA

    def __init__(self, notifier: RasaNotifier) -> None:
        self.notifier = notifier

    def send(self, message: outbox.OutboxView) -> Outcome:
        try:
            self.notifier.trigger(message.conversation_id or "", message.payload)
        except DeliveryError as error:
            return Outcome.retry(str(error), error.retry_at)
        return Outcome.delivered()


class ExternalSender(Sender):
    """New tickets and status changes to the external help desk; its ticket id is kept on our ticket."""

    target = outbox.EXTERNAL

    def __init__(self, adapter: HelpDeskAdapter, database_url: Optional[str]) -> None:
        self.adapter = adapter
        self.database_url = database_url

    def send(self, message: outbox.OutboxView) -> Outcome:
        try:
            return Outcome.delivered(external_id=self._forward(message))
        except DeliveryError as error:
            return Outcome.retry(str(error), error.retry_at)

    def _forward(self, message: outbox.OutboxView) -> Optional[str]:
        """The external ticket id when this delivery created the ticket there, else None."""
        adapter = self.adapter
        ticket = message.payload.get("ticket") or {}
        delivery_id = f"parent-portal-outbox-{message.id}"
        external_id = self._external_id(message.ticket_id)
        if message.event == outbox.TICKET_CREATED:
            if external_id:  # already there (an earlier delivery stored it): never create twice
                return None
            return adapter.create(ticket, delivery_id)
        # A status change. The help desk must know the ticket first: rows of one ticket go out in
        # order, so its creation came first; a ticket from before forwarding was set up is created now.
        if external_id is None and adapter.needs_external_id:
            return adapter.create(ticket, delivery_id)
        if adapter.supports_updates:
            adapter.update(external_id, ticket, message.payload.get("change") or {}, delivery_id)
        return None

    def _external_id(self, ticket_id: Optional[int]) -> Optional[str]:
        if ticket_id is None:
            return None
        with db.session_scope(self.database_url) as session:
            ticket = session.get(Ticket, ticket_id)
            return ticket.external_id if ticket is not None else None

    def settle(self, session: Session, message: outbox.OutboxView, outcome: Outcome) -> None:
        external_id = outcome.detail.get("external_id")
        if external_id and message.ticket_id is not None:
            try:
                set_external_id(session, message.ticket_id, external_id)
            except TicketNotFound:
                pass


def make_worker(config: HelpdeskConfig, worker_id: Optional[str] = None, http: Optional[requests.Session] = None,
                adapter: Optional[HelpDeskAdapter] = None) -> OutboxWorker:
    """The help-desk process's worker (one HTTP session): Rasa, and the external help desk when configured."""
    http = http or make_session(config.http_retries, config.http_backoff_factor)
    timeout = (config.connect_timeout, config.read_timeout)
    senders: list[Sender] = [RasaSender(RasaNotifier(config.rasa_url, config.rasa_token, http, timeout))]
    adapter = adapter if adapter is not None else make_adapter(config.external, http, timeout)
    if adapter is not None:
        senders.append(ExternalSender(adapter, config.database_url))
    return OutboxWorker(senders, config.database_url, worker_id=worker_id, lease_seconds=config.outbox_lease_seconds,
                        backoff_base_seconds=config.backoff_base_seconds,
                        backoff_cap_seconds=config.backoff_cap_seconds)
