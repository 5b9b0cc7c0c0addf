"""The OpenAPI 3 description of the help-desk API, written by hand (served at /api/openapi.json).

A test checks that every route of the app is described here and that nothing described is missing.
"""
from __future__ import annotations

import copy
from typing import Any

from portal.models import LANGUAGES, MESSAGE_AUTHORS, TICKET_KINDS, TICKET_STATUSES

_ERROR = {"$ref": "#/components/schemas/Error"}
_TICKET_ID = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
_STAFF = {"type": "string", "maxLength": 4000,
          "description": "Name of the staff member acting (audit trail); defaults to the token's label."}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed JSON, a missing or invalid field, or an unknown status/kind/language.",
        401: "Missing, malformed or unknown bearer token.",
        403: "The token's school scope does not cover the requested school.",
        404: "No such ticket (or it belongs to a school outside the token's scope).",
        409: "The ticket's state forbids this (e.g. resolving a closed ticket, handing back without a handoff).",
        415: "The body is not `application/json`.",
        503: "The ticket store is unavailable.",
    }
    return {str(code): {"description": text[code], "content": {"application/json": {"schema": _ERROR}}}
            for code in codes}


def _ok(description: str, schema_ref: str, status: int = 200) -> dict[str, Any]:
    return {str(status): {"description": description,
                          "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}}}


def _body(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"required": bool(required), "content": {"application/json": {"schema": {
        "type": "object", "properties": properties, "required": required, "additionalProperties": True}}}}


def _action(summary: str, description: str, properties: dict[str, Any], required: list[str],
            status: int = 200, extra_errors: tuple[int, ...] = (409,)) -> dict[str, Any]:
    return {"post": {
        "summary": summary,
        "description": description,
        "parameters": [_TICKET_ID],
        "requestBody": _body({**properties, "staff": _STAFF}, required),
        "responses": {**_ok("The ticket after the change.", "TicketDetail", status),
                      **_errors(400, 401, 404, *extra_errors, 415, 503)},
    }}


_DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {
        "title": "Parent portal help desk",
        "version": "1.0.0",
        "description": (
            "Staff API of the parent-portal assistant's help desk. Every call except /api/health and "
            "/api/openapi.json needs `Authorization: Bearer <token>`; a token covers the whole district or "
            "one school, and tickets of other schools answer 404. Errors are `{\"error\": \"...\"}`. Replies "
            "to the parent and resolutions are delivered through Rasa by the notification outbox; "
            "`deliveries` on a ticket shows their state."
        ),
    },
    "servers": [{"url": "/"}],
    "security": [{"bearer": []}],
    "paths": {
        "/api/health": {"get": {
            "summary": "Liveness check", "security": [],
            "responses": {"200": {"description": "The service runs.", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}}}}}},
        }},
        "/api/openapi.json": {"get": {
            "summary": "This document", "security": [],
            "responses": {"200": {"description": "OpenAPI 3 document.",
                                  "content": {"application/json": {"schema": {"type": "object"}}}}},
        }},
        "/api/me": {"get": {
            "summary": "The token's scope and the schools it covers",
            "responses": {**_ok("Scope.", "Me"), **_errors(401)},
        }},
        "/api/tickets": {"get": {
            "summary": "List tickets in scope, newest first, with counts by status and kind",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": [*TICKET_STATUSES, "active"]},
                 "description": "One status, or `active` for open and in progress."},
                {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(TICKET_KINDS)}},
                {"name": "language", "in": "query", "schema": {"type": "string", "enum": list(LANGUAGES)},
                 "description": "Only tickets of conversations in this language."},
                {"name": "school", "in": "query", "schema": {"type": "string"},
                 "description": "School id (district tokens); a school token may only name its own school."},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000,
                                                            "default": 200}},
            ],
            "responses": {**_ok("The queue.", "Queue"), **_errors(400, 401, 403, 503)},
        }},
        "/api/tickets/{ticket_id}": {"get": {
            "summary": "One ticket with transcript, conversation messages, audit trail, handoff and deliveries",
            "parameters": [_TICKET_ID],
            "responses": {**_ok("The ticket.", "TicketDetail"), **_errors(401, 404, 503)},
        }},
        "/api/tickets/{ticket_id}/claim": _action(
            "Claim a ticket", "open -> in_progress with an assignee; an in-progress ticket changes hands.",
            {"assignee": {"type": "string", "description": "Defaults to `staff` or the token's label."}}, [],
        ),
        "/api/tickets/{ticket_id}/notes": _action(
            "Add a staff note to the audit trail", "The status does not change; never sent to the parent.",
            {"text": {"type": "string", "minLength": 1, "maxLength": 4000}}, ["text"], status=201, extra_errors=(),
        ),
        "/api/tickets/{ticket_id}/status": _action(
            "Change the status",
            "open -> in_progress | resolved | closed; in_progress -> resolved | closed. `resolved` needs "
            "`message` (sent to the parent, like /resolve). Closing ends a live handoff and tells the "
            "assistant to resume (EXTERNAL_handoff_ended).",
            {"status": {"type": "string", "enum": list(TICKET_STATUSES)}, "note": {"type": "string"},
             "message": {"type": "string"}}, ["status"],
        ),
        "/api/tickets/{ticket_id}/messages": _action(
            "Reply to the parent (live handoff)",
            "Adds a staff message to the conversation and queues EXTERNAL_staff_reply for Rasa. Claims an "
            "open ticket; a waiting handoff becomes live.",
            {"text": {"type": "string", "minLength": 1, "maxLength": 4000}}, ["text"], status=201,
        ),
        "/api/tickets/{ticket_id}/handback": _action(
            "Hand the conversation back to the assistant",
            "Ends the live handoff and queues EXTERNAL_handoff_ended; the ticket stays as it is.",
            {"note": {"type": "string"}}, [],
        ),
        "/api/tickets/{ticket_id}/resolve": _action(
            "Resolve with a message to the parent",
            "in_progress/open -> resolved; queues EXTERNAL_ticket_resolved with the message; ends a live handoff.",
            {"message": {"type": "string", "minLength": 1, "maxLength": 4000}, "note": {"type": "string"}},
            ["message"],
        ),
        "/api/stats": {"get": {
            "summary": "Dashboard: tickets per kind, median hours to resolve, deflection rate",
            "parameters": [
                {"name": "days", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 365,
                                                           "default": 30}},
                {"name": "school", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {**_ok("Numbers over the window.", "Stats"), **_errors(400, 401, 403, 503)},
        }},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "Me": {"type": "object", "properties": {
                "scope": {"type": "string", "enum": ["district", "school"]},
                "school_id": {"type": "string", "nullable": True},
                "name": {"type": "string"},
                "district": {"type": "string"},
                "schools": {"type": "array", "items": {"type": "object", "properties": {
                    "id": {"type": "string"}, "name": {"type": "string"}}}},
            }},
            "TicketSummary": {"type": "object", "properties": {
                "id": {"type": "integer"},
                "kind": {"type": "string", "enum": list(TICKET_KINDS)},
                "status": {"type": "string", "enum": list(TICKET_STATUSES)},
                "school_id": {"type": "string", "nullable": True},
                "school_name": {"type": "string", "nullable": True},
                "conversation_id": {"type": "string"},
                "channel": {"type": "string"},
                "verified": {"type": "boolean"},
                "guardian_id": {"type": "string", "nullable": True},
                "summary": {"type": "string"},
                "details": {"type": "object"},
                "external_id": {"type": "string", "nullable": True},
                "assignee": {"type": "string", "nullable": True},
                "handoff_state": {"type": "string", "nullable": True, "enum": ["waiting", "live", "ended", None]},
                "language": {"type": "string", "enum": list(LANGUAGES),
                             "description": "The conversation's language when the ticket was opened."},
                "message_count": {"type": "integer"},
                "created_at": {"type": "string", "format": "date-time"},
                "updated_at": {"type": "string", "format": "date-time"},
                "resolved_at": {"type": "string", "format": "date-time", "nullable": True},
            }},
            "TicketDetail": {"allOf": [{"$ref": "#/components/schemas/TicketSummary"}, {"type": "object", "properties": {
                "transcript": {"type": "string"},
                "messages": {"type": "array", "items": {"type": "object", "properties": {
                    "at": {"type": "string", "format": "date-time"},
                    "author": {"type": "string", "enum": list(MESSAGE_AUTHORS)},
                    "author_name": {"type": "string", "nullable": True},
                    "text": {"type": "string"}}}},
                "events": {"type": "array", "items": {"type": "object", "properties": {
                    "at": {"type": "string", "format": "date-time"}, "actor": {"type": "string"},
                    "from_status": {"type": "string", "nullable": True}, "to_status": {"type": "string"},
                    "note": {"type": "string"}}}},
                "handoff": {"type": "object", "nullable": True, "properties": {
                    "state": {"type": "string", "enum": ["waiting", "live", "ended"]},
                    "started_at": {"type": "string", "format": "date-time"},
                    "live_at": {"type": "string", "format": "date-time", "nullable": True},
                    "ended_at": {"type": "string", "format": "date-time", "nullable": True}}},
                "deliveries": {"type": "array", "description": "Notifications to the parent (outbox rows).",
                               "items": {"$ref": "#/components/schemas/Delivery"}},
            }}]},
            "Delivery": {"type": "object", "properties": {
                "id": {"type": "integer"}, "target": {"type": "string"},
                "event": {"type": "string", "enum": ["EXTERNAL_staff_reply", "EXTERNAL_ticket_resolved",
                                                     "EXTERNAL_handoff_ended"]},
                "status": {"type": "string", "enum": ["pending", "delivered", "cancelled"]},
                "attempts": {"type": "integer"},
                "next_attempt_at": {"type": "string", "format": "date-time"},
                "last_error": {"type": "string", "nullable": True},
                "delivered_at": {"type": "string", "format": "date-time", "nullable": True},
                "staff_message": {"type": "string", "nullable": True}}},
            "Queue": {"type": "object", "properties": {
                "scope": {"type": "object"},
                "school_id": {"type": "string", "nullable": True},
                "tickets": {"type": "array", "items": {"$ref": "#/components/schemas/TicketSummary"}},
                "counts": {"type": "object", "properties": {
                    "by_status": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "open_by_kind": {"type": "object", "additionalProperties": {"type": "integer"}}}},
            }},
            "Stats": {"type": "object", "properties": {
                "window_days": {"type": "integer"},
                "since": {"type": "string", "format": "date-time"},
                "school_id": {"type": "string", "nullable": True},
                "per_kind": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                    "opened": {"type": "integer"}, "resolved": {"type": "integer"},
                    "median_hours_to_resolve": {"type": "number", "nullable": True}}}},
                "total": {"type": "object"},
                "deflection": {"type": "object", "description": "District-wide: conversations are not tied to a school.",
                               "properties": {
                                   "answered": {"type": "integer"}, "with_ticket": {"type": "integer"},
                                   "deflected": {"type": "integer"}, "rate": {"type": "number", "nullable": True},
                                   "window_days": {"type": "integer"}}},
            }},
        },
    },
}


def openapi_document() -> dict[str, Any]:
    """A copy of the document (callers may not mutate the original)."""
    return copy.deepcopy(_DOCUMENT)
