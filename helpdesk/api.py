"""JSON API under /api/ (bearer token; described by /api/openapi.json, see helpdesk/openapi.py).

Handlers never touch the database on the event loop: each request is one unit of work run in a
worker thread (`in_store`). Every error is `{"error": "..."}` with a 4xx status (5xx only when the
store itself is down or on a bug), never a stack trace.
"""
from __future__ import annotations

import json
import logging
from functools import wraps
from typing import Any, Callable, Optional

from sanic import Blueprint, Request
from sanic.response import HTTPResponse, json as json_response
from sqlalchemy.exc import SQLAlchemyError

from helpdesk import service
from helpdesk.auth import Scope, bearer_token
from helpdesk.openapi import openapi_document
from helpdesk.stats import WINDOW_DAYS
from portal import db
from portal.handoff import HandoffError
from portal.outbox import OutboxError
from portal.tickets import MESSAGE_MAX_CHARS, TicketConflict, TicketError, TicketNotFound

log = logging.getLogger(__name__)

api = Blueprint("api", url_prefix="/api")
MAX_FIELD_CHARS = MESSAGE_MAX_CHARS  # what the store accepts
MAX_TICKET_ID = 2**63 - 1


class ApiError(Exception):
    """An error answer: HTTP status and a message safe to show."""

    def __init__(self, status: int, message: str, headers: Optional[dict[str, str]] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="helpdesk"'}


def authenticate(request: Request) -> Scope:
    """The scope of the request's bearer token; ApiError 401 when missing, malformed or unknown."""
    header = request.headers.get("authorization")
    if header is None:
        raise ApiError(401, "missing bearer token (send 'Authorization: Bearer <token>')", UNAUTHORIZED_HEADERS)
    token = bearer_token(header)
    if token is None:
        raise ApiError(401, "malformed Authorization header; expected 'Bearer <token>'", UNAUTHORIZED_HEADERS)
    scope = request.app.ctx.tokens.authenticate(token)
    if scope is None:
        raise ApiError(401, "invalid token", UNAUTHORIZED_HEADERS)
    return scope


def authorized(handler: Callable) -> Callable:
    """Decorator: authenticate, then call `handler(request, scope, ...)`."""

    @wraps(handler)
    async def wrapper(request: Request, *args, **kwargs):
        scope = authenticate(request)
        ticket_id = kwargs.get("ticket_id")
        if isinstance(ticket_id, int) and not 0 < ticket_id <= MAX_TICKET_ID:  # no such row; the store would overflow
            raise ApiError(404, f"ticket {ticket_id} not found")
        return await handler(request, scope, *args, **kwargs)

    return wrapper


async def in_store(request: Request, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `work(session, *args, **kwargs)` as one unit of work in a worker thread; map store errors."""
    try:
        return await db.in_worker_thread(request.app.ctx.config.database_url, work, *args, **kwargs)
    except TicketNotFound as error:
        raise ApiError(404, _clean(error)) from None
    except TicketConflict as error:
        raise ApiError(409, _clean(error)) from None
    except (TicketError, HandoffError, OutboxError) as error:
        raise ApiError(400, _clean(error)) from None
    except service.ScopeError as error:
        raise ApiError(403, _clean(error)) from None
    except SQLAlchemyError as error:
        log.error("store error on %s %s: %s", request.method, request.path, type(error).__name__)
        raise ApiError(503, "the ticket store is unavailable; try again shortly") from None


def wake_outbox(request: Request) -> None:
    """A delivery was queued: let the background worker send it now rather than at its next poll."""
    wake = getattr(request.app.ctx, "outbox_wakeup", None)
    if wake is not None:
        wake.set()


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (an empty body counts as {}); 415/400 for anything else."""
    if not request.body:
        return {}
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "send a JSON body with 'Content-Type: application/json'")
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "malformed JSON body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the JSON body must be an object")
    return data


def text_field(body: dict[str, Any], name: str, required: bool = False) -> Optional[str]:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"'{name}' is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"'{name}' must be a string")
    value = value.strip()
    if required and not value:
        raise ApiError(400, f"'{name}' must not be empty")
    if len(value) > MAX_FIELD_CHARS:
        raise ApiError(400, f"'{name}' is longer than {MAX_FIELD_CHARS} characters")
    return value or None


def actor_of(body: dict[str, Any], scope: Scope) -> str:
    """Who acts, for the audit trail: the staff name sent with the request, else the token's label."""
    name = text_field(body, "staff")
    return " ".join(name.split())[:255] if name else scope.name


def query_arg(request: Request, name: str) -> Optional[str]:
    value = request.args.get(name)
    if not isinstance(value, str):
        return None
    return value.strip() or None


def int_arg(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = query_arg(request, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"'{name}' must be a whole number") from None
    if not low <= value <= high:
        raise ApiError(400, f"'{name}' must be between {low} and {high}")
    return value


def _clean(error: Exception) -> str:
    return str(error).strip("'\"")


# ---------------------------------------------------------------------------------------------------------
@api.get("/health")
async def health(request: Request) -> HTTPResponse:
    """Liveness (no token, no data)."""
    return json_response({"status": "ok"})


@api.get("/openapi.json")
async def openapi(request: Request) -> HTTPResponse:
    return json_response(openapi_document())


@api.get("/me")
@authorized
async def me(request: Request, scope: Scope) -> HTTPResponse:
    district = request.app.ctx.district
    schools = district.schools if scope.is_district else [s for s in district.schools if s.id == scope.school_id]
    return json_response({**scope.to_dict(), "district": district.name,
                          "schools": [{"id": s.id, "name": s.name} for s in schools]})


@api.get("/tickets")
@authorized
async def list_tickets(request: Request, scope: Scope) -> HTTPResponse:
    data = await in_store(
        request, service.list_queue, scope, request.app.ctx.district,
        status=query_arg(request, "status"), kind=query_arg(request, "kind"), school=query_arg(request, "school"),
        language=query_arg(request, "language"),
        limit=int_arg(request, "limit", service.DEFAULT_LIMIT, 1, service.MAX_LIMIT),
    )
    return json_response(data)


@api.get("/tickets/<ticket_id:int>")
@authorized
async def show_ticket(request: Request, scope: Scope, ticket_id: int) -> HTTPResponse:
    return json_response(await in_store(request, service.detail, scope, request.app.ctx.district, ticket_id))


@api.post("/tickets/<ticket_id:int>/claim")
@authorized
async def claim(request: Request, scope: Scope, ticket_id: int) -> HTTPResponse:
    body = json_body(request)
    assignee = text_field(body, "assignee")
    staff_name = text_field(body, "staff")
    actor = " ".join((staff_name or assignee or scope.name).split())[:255]
    assignee = assignee or actor
    data = await in_store(request, service.claim, scope, request.app.ctx.district, ticket_id, assignee, actor)
    wake_outbox(request)
    return json_response(data)


@api.post("/tickets/<ticket_id:int>/notes")
@authorized
async def add_note(request: Request, scope: Scope, ticket_id: int) -> HTTPResponse:
    body = json_body(request)
    text = text_field(body, "text", required=True)
    data = await in_store(request, service.note, scope, request.app.ctx.district, ticket_id, text,
                          actor_of(body, scope))
    return json_response(data, status=201)


@api.post("/tickets/<ticket_id:int>/status")
@authorized
async def change_status(request: Request, scope: Scope, ticket_id: int) -> HTTPResponse:
    body = json_body(request)
    status = text_field(body, "status", required=True)
    data = await in_store(
        request, service.change_status, scope, request.app.ctx.district, ticket_id, status,
        text_field(body, "note"), text_field(body, "message"), actor_of(body, scope),
    )
    wake_outbox(request)
    return json_response(data)


@api.post("/tickets/<ticket_id:int>/messages")
@authorized
async def reply(request: Request, scope: Scope, ticket_id: int) -> HTTPResponse:
    body = json_body(request)
    text = text_field(body, "text", required=True)
    data = await in_store(request, service.reply, scope, request.app.ctx.district, ticket_id, text,
                          actor_of(body, scope))
    wake_outbox(request)
    return json_response(data, status=201)


@api.post("/tickets/<ticket_id:int>/handback")
@authorized
async def hand_back(request: Request, scope: Scope, ticket_id: int) -> HTTPResponse:
    body = json_body(request)
    data = await in_store(request, service.hand_back, scope, request.app.ctx.district, ticket_id,
                          text_field(body, "note"), actor_of(body, scope))
    wake_outbox(request)
    return json_response(data)


@api.post("/tickets/<ticket_id:int>/resolve")
@authorized
async def resolve(request: Request, scope: Scope, ticket_id: int) -> HTTPResponse:
    body = json_body(request)
    message = text_field(body, "message", required=True)
    data = await in_store(request, service.resolve, scope, request.app.ctx.district, ticket_id, message,
                          text_field(body, "note"), actor_of(body, scope))
    wake_outbox(request)
    return json_response(data)


@api.get("/stats")
@authorized
async def stats(request: Request, scope: Scope) -> HTTPResponse:
    days = int_arg(request, "days", WINDOW_DAYS, 1, 365)
    data = await in_store(request, service.dashboard, scope, query_arg(request, "school"), days)
    return json_response(data)
