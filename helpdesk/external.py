"""Adapters for external help desks: a generic JSON webhook, Zendesk, Freshdesk and osTicket.

Each adapter turns the outbox's ticket snapshot into the help desk's documented request shape:

- webhook:   POST <url> {"event", "delivery_id", "ticket", "change", "external_id"}; optional HMAC-SHA256
             signature header `X-Helpdesk-Signature: sha256=<hex>`; the receiver may answer {"id": ...}.
- zendesk:   POST <url>/api/v2/tickets.json {"ticket": {"subject", "comment": {"body", "public": false}, ...}},
             basic auth "<email>/token:<api token>", `Idempotency-Key` header; answer {"ticket": {"id"}}.
             Status changes: PUT <url>/api/v2/tickets/<id>.json {"ticket": {"status", "comment"}}.
- freshdesk: POST <url>/api/v2/tickets {"subject", "description", "email", "priority", "status", "source",
             "tags"}, basic auth "<api key>:X"; answer {"id"}. Status changes: PUT <url>/api/v2/tickets/<id>.
- osticket:  POST <url>/api/tickets.json {"alert", "autorespond", "source", "name", "email", "subject",
             "message"} with `X-API-Key`; answer 201 with the ticket number as text. osTicket's API
             only creates tickets, so status changes are not forwarded there.

Adapters raise `helpdesk.http.DeliveryError` on any failure (transport or status), never return junk.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import json
from typing import Any, Optional

import requests

from helpdesk.config import ExternalConfig
from helpdesk.http import DeliveryError, check_response, describe_exception
from portal.models import LANGUAGE_NAMES, TICKET_STATUSES

KIND_LABELS = {
    "account_reset": "Account reset",
    "household_fix": "Household fix",
    "key_not_received": "Activation key not received",
    "handoff": "Parent asked for a person",
    "other": "Other",
}


class HelpDeskAdapter:
    """Base class: subclasses build requests; this class sends them with timeouts and status checks."""

    kind = "base"
    supports_updates = True
    needs_external_id = True

    def __init__(self, config: ExternalConfig, http: requests.Session, timeout: tuple[float, float]) -> None:
        self.config = config
        self.http = http
        self.timeout = timeout

    # -- interface ---------------------------------------------------------------------------------
    def create(self, ticket: dict[str, Any], delivery_id: str) -> Optional[str]:
        """Create the ticket in the help desk; its id there (or None when the help desk gives none)."""
        raise NotImplementedError

    def update(self, external_id: Optional[str], ticket: dict[str, Any], change: dict[str, Any],
               delivery_id: str) -> None:
        """Report a status change of a ticket the help desk already has."""
        raise NotImplementedError

    # -- helpers -----------------------------------------------------------------------------------
    @property
    def secrets(self) -> tuple[Optional[str], ...]:
        return (self.config.api_token, self.config.api_key, self.config.secret)

    def send(self, method: str, url: str, *, expected: tuple[int, ...] = (), **kwargs) -> requests.Response:
        what = f"{self.kind} help desk"
        try:
            response = self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise DeliveryError(describe_exception(error, what, self.secrets)) from None
        return check_response(response, what, self.secrets, expected)

    @staticmethod
    def json_of(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise DeliveryError(f"help desk answered HTTP {response.status_code} without JSON") from None


def subject(ticket: dict[str, Any]) -> str:
    label = KIND_LABELS.get(ticket.get("kind"), ticket.get("kind") or "Ticket")
    school = ticket.get("school_id") or "no school"
    return f"[Parent portal #{ticket.get('id')}] {label} - {school}"[:250]


def description(ticket: dict[str, Any]) -> str:
    lines = [
        ticket.get("summary") or "",
        "",
        f"Portal ticket: {ticket.get('id')} ({ticket.get('kind')}, {ticket.get('status')})",
        f"School: {ticket.get('school_id') or '-'}",
        f"Channel: {ticket.get('channel') or '-'}",
        f"Language: {language_name(ticket.get('language'))}",
        f"Parent identity verified: {'yes' if ticket.get('verified') else 'no'}",
        f"Opened: {ticket.get('created_at') or '-'}",
        "",
        "Transcript:",
        ticket.get("transcript") or "-",
    ]
    return "\n".join(lines)


def language_name(code: Any) -> str:
    """"Spanish (es)" for staff; tickets from before revision 0005 are English."""
    code = str(code or "en")
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


def change_text(change: dict[str, Any]) -> str:
    text = f"Parent portal: status {change.get('from') or '?'} -> {change.get('to') or '?'}"
    if change.get("actor"):
        text += f" by {change['actor']}"
    if change.get("note"):
        text += f": {change['note']}"
    return text


class WebhookAdapter(HelpDeskAdapter):
    """Generic JSON webhook: one POST per event; ours is the only id needed."""

    kind = "webhook"
    needs_external_id = False

    def _post(self, body: dict[str, Any], delivery_id: str) -> requests.Response:
        data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode("utf-8")
        headers = {"Content-Type": "application/json", "Idempotency-Key": delivery_id}
        if self.config.secret:
            signature = hmac.new(self.config.secret.encode("utf-8"), data, hashlib.sha256).hexdigest()
            headers["X-Helpdesk-Signature"] = f"sha256={signature}"
        return self.send("POST", self.config.url, data=data, headers=headers)

    def create(self, ticket, delivery_id):
        response = self._post({"event": "ticket.created", "delivery_id": delivery_id, "ticket": ticket,
                               "change": {}, "external_id": None}, delivery_id)
        try:
            body = response.json()
        except ValueError:
            return None
        value = body.get("id") if isinstance(body, dict) else None
        return str(value) if value not in (None, "") else None

    def update(self, external_id, ticket, change, delivery_id):
        self._post({"event": "ticket.status_changed", "delivery_id": delivery_id, "ticket": ticket,
                    "change": change, "external_id": external_id}, delivery_id)


class ZendeskAdapter(HelpDeskAdapter):
    """Zendesk Support API v2 (tickets endpoint, API-token basic auth)."""

    kind = "zendesk"
    STATUS = {"open": "new", "in_progress": "open", "resolved": "solved", "closed": "solved"}
    PRIORITY = {"account_reset": "normal", "household_fix": "normal", "key_not_received": "normal",
                "handoff": "high", "other": "normal"}

    @property
    def auth(self) -> tuple[str, str]:
        return (f"{self.config.email}/token", self.config.api_token or "")

    def create(self, ticket, delivery_id):
        body = {
            "ticket": {
                "subject": subject(ticket),
                "comment": {"body": description(ticket), "public": False},
                "priority": self.PRIORITY.get(ticket.get("kind"), "normal"),
                "status": self.STATUS.get(ticket.get("status"), "new"),
                "tags": _tags(ticket),
                "external_id": f"parent-portal-{ticket.get('id')}",
            }
        }
        response = self.send("POST", f"{self.config.url}/api/v2/tickets.json", json=body, auth=self.auth,
                             headers={"Idempotency-Key": delivery_id})
        data = self.json_of(response)
        try:
            return str(data["ticket"]["id"])
        except (KeyError, TypeError):
            raise DeliveryError("Zendesk answered without a ticket id") from None

    def update(self, external_id, ticket, change, delivery_id):
        body = {"ticket": {"status": self.STATUS.get(change.get("to"), "open"),
                           "comment": {"body": change_text(change), "public": False}}}
        self.send("PUT", f"{self.config.url}/api/v2/tickets/{external_id}.json", json=body, auth=self.auth)


class FreshdeskAdapter(HelpDeskAdapter):
    """Freshdesk API v2 (API-key basic auth with password "X")."""

    kind = "freshdesk"
    # Freshdesk: 2 Open, 3 Pending, 4 Resolved, 5 Closed; priority 1 Low .. 4 Urgent; source 7 Chat.
    STATUS = {"open": 2, "in_progress": 2, "resolved": 4, "closed": 5}
    PRIORITY = {"handoff": 3}
    SOURCE_CHAT = 7

    @property
    def auth(self) -> tuple[str, str]:
        return (self.config.api_key or "", "X")

    def create(self, ticket, delivery_id):
        body = {
            "subject": subject(ticket),
            "description": html.escape(description(ticket)).replace("\n", "<br>"),
            "email": self.config.requester_email,
            "name": self.config.requester_name,
            "priority": self.PRIORITY.get(ticket.get("kind"), 2),
            "status": self.STATUS.get(ticket.get("status"), 2),
            "source": self.SOURCE_CHAT,
            "tags": _tags(ticket),
        }
        response = self.send("POST", f"{self.config.url}/api/v2/tickets", json=body, auth=self.auth)
        data = self.json_of(response)
        if not isinstance(data, dict) or data.get("id") in (None, ""):
            raise DeliveryError("Freshdesk answered without a ticket id")
        return str(data["id"])

    def update(self, external_id, ticket, change, delivery_id):
        body = {"status": self.STATUS.get(change.get("to"), 2)}
        self.send("PUT", f"{self.config.url}/api/v2/tickets/{external_id}", json=body, auth=self.auth)


class OsTicketAdapter(HelpDeskAdapter):
    """osTicket HTTP API (`api/tickets.json`, X-API-Key); creation only."""

    kind = "osticket"
    supports_updates = False

    def create(self, ticket, delivery_id):
        body = {
            "alert": True,
            "autorespond": False,
            "source": "API",
            "name": self.config.requester_name,
            "email": self.config.requester_email,
            "subject": subject(ticket),
            "message": description(ticket),
        }
        response = self.send("POST", f"{self.config.url}/api/tickets.json", json=body,
                             headers={"X-API-Key": self.config.api_key or ""}, expected=(201,))
        number = (response.text or "").strip()
        if not number or len(number) > 64:
            raise DeliveryError("osTicket answered without a ticket number")
        return number

    def update(self, external_id, ticket, change, delivery_id):  # pragma: no cover - never called
        return None


ADAPTERS = {a.kind: a for a in (WebhookAdapter, ZendeskAdapter, FreshdeskAdapter, OsTicketAdapter)}


def make_adapter(config: Optional[ExternalConfig], http: requests.Session,
                 timeout: tuple[float, float]) -> Optional[HelpDeskAdapter]:
    """The adapter for the configured help desk, or None when forwarding is off."""
    if config is None:
        return None
    return ADAPTERS[config.kind](config, http, timeout)


def _tags(ticket: dict[str, Any]) -> list[str]:
    tags = ["parent_portal", str(ticket.get("kind") or "other")]
    if ticket.get("school_id"):
        tags.append(str(ticket["school_id"]).replace(" ", "_"))
    if not ticket.get("verified"):
        tags.append("unverified")
    return tags


assert set(ZendeskAdapter.STATUS) == set(FreshdeskAdapter.STATUS) == set(TICKET_STATUSES)
