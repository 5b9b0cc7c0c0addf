"""The help desk's units of work: scope checks plus the store's ticket workflow, as plain dicts.

Every function takes a Session (one short unit of work, opened by the caller) and the caller's
`Scope`. A ticket outside the scope is reported exactly like a missing one (`TicketNotFound`), so a
school's staff cannot even learn that another school's ticket exists.
"""
from __future__ import annotations

from typing import Any, Optional

from sqlalchemy.orm import Session

from helpdesk import stats
from helpdesk.auth import Scope
from portal import handoff, outbox, tickets
from portal.district import District
from portal.models import ACTIVE_TICKET_STATUSES, LANGUAGES, TICKET_KINDS, TICKET_STATUSES
from portal.tickets import TicketError, TicketNotFound, TicketView

DEFAULT_LIMIT = 200
ACTIVE = "active"  # pseudo-status of the queue filter: open or in progress
MAX_LIMIT = 1000


class ScopeError(PermissionError):
    """The token's scope forbids the request (asking for another school's queue)."""


def school_filter(scope: Scope, school: Optional[str]) -> tuple[Optional[str], bool]:
    """(school_id, district_wide) for a query: a school token is pinned to its school."""
    if scope.is_district:
        return (school, False) if school else (None, True)
    if school and school != scope.school_id:
        raise ScopeError(f"this token covers {scope.school_id} only")
    return scope.school_id, False


def list_queue(session: Session, scope: Scope, district: District, *, status: Optional[str] = None,
               kind: Optional[str] = None, school: Optional[str] = None,
               limit: int = DEFAULT_LIMIT, language: Optional[str] = None) -> dict[str, Any]:
    """The queue in scope (newest first) with counts by status and by kind; status "active" = open or in progress.

    `language` ("en", "es") keeps only the tickets of conversations in that language (the counts stay whole)."""
    if status is not None and status not in (*TICKET_STATUSES, ACTIVE):
        raise TicketError(f"unknown status {status!r}; expected one of {', '.join((*TICKET_STATUSES, ACTIVE))}")
    if kind is not None and kind not in TICKET_KINDS:
        raise TicketError(f"unknown kind {kind!r}; expected one of {', '.join(TICKET_KINDS)}")
    if language is not None and language not in LANGUAGES:
        raise TicketError(f"unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    school_id, district_wide = school_filter(scope, school)
    views = tickets.list_tickets(
        session, status=None if status == ACTIVE else status, kind=kind,
        school_id=None if district_wide else school_id, limit=limit,
        statuses=ACTIVE_TICKET_STATUSES if status == ACTIVE else None, language=language,
    )
    return {
        "scope": scope.to_dict(),
        "school_id": None if district_wide else school_id,
        "tickets": [summary(view, district) for view in views],
        "counts": stats.queue_counts(session, school_id, district_wide),
    }


def dashboard(session: Session, scope: Scope, school: Optional[str] = None, days: int = stats.WINDOW_DAYS) -> dict:
    school_id, district_wide = school_filter(scope, school)
    data = stats.dashboard(session, school_id, district_wide, days)
    data["school_id"] = None if district_wide else school_id
    return data


def summary(view: TicketView, district: District) -> dict[str, Any]:
    """A ticket for the queue: no transcript, messages or audit trail."""
    data = view.to_dict()
    for name in ("transcript", "events", "messages"):
        data.pop(name)
    data["message_count"] = len(view.messages)
    data["school_name"] = _school_name(district, view.school_id)
    return data


def detail(session: Session, scope: Scope, district: District, ticket_id: int) -> dict[str, Any]:
    """One ticket with transcript, messages, audit trail, handoff and deliveries."""
    view = tickets.get_ticket(session, ticket_id)
    if view is None or not scope.allows(view.school_id):
        raise TicketNotFound(f"no ticket with id {ticket_id}")
    return _detail(session, district, view)


def _detail(session: Session, district: District, view: TicketView) -> dict[str, Any]:
    data = view.to_dict()
    data["school_name"] = _school_name(district, view.school_id)
    current = handoff.for_ticket(session, view.id)
    data["handoff"] = None if current is None else {
        "state": current.state,
        "started_at": current.started_at.isoformat(),
        "live_at": current.live_at.isoformat() if current.live_at else None,
        "ended_at": current.ended_at.isoformat() if current.ended_at else None,
    }
    data["deliveries"] = [
        {**message.to_dict(with_payload=False), "staff_message": message.payload.get("entities", {}).get("staff_message")}
        for message in outbox.list_messages(session, ticket_id=view.id, target=outbox.RASA)
    ]
    return data


# Staff actions: the store loads the ticket once, checks the scope (`visible`) and returns the changed ticket,
# which the answer shows as it is.
def claim(session, scope, district, ticket_id, assignee, actor) -> dict:
    return _detail(session, district, tickets.claim_ticket(session, ticket_id, assignee, actor, visible=scope.allows))


def note(session, scope, district, ticket_id, text, actor) -> dict:
    return _detail(session, district, tickets.add_note(session, ticket_id, text, actor, visible=scope.allows))


def reply(session, scope, district, ticket_id, text, actor) -> dict:
    return _detail(session, district, tickets.reply_to_parent(session, ticket_id, text, actor, visible=scope.allows))


def hand_back(session, scope, district, ticket_id, note_text, actor) -> dict:
    return _detail(session, district, tickets.hand_back(session, ticket_id, actor, note_text or "",
                                                        visible=scope.allows))


def resolve(session, scope, district, ticket_id, message, note_text, actor) -> dict:
    view = tickets.resolve_ticket(session, ticket_id, note=note_text or "resolved with a message to the parent",
                                  actor=actor, message_to_parent=message, visible=scope.allows)
    return _detail(session, district, view)


def change_status(session, scope, district, ticket_id, status, note_text, message, actor) -> dict:
    if status not in TICKET_STATUSES:
        raise TicketError(f"unknown status {status!r}; expected one of {', '.join(TICKET_STATUSES)}")
    if status == "resolved":
        if not message:
            raise TicketError("resolving needs a 'message' for the parent (or use /resolve)")
        return resolve(session, scope, district, ticket_id, message, note_text, actor)
    view = tickets.change_status(session, ticket_id, status, actor, note_text or "", visible=scope.allows)
    return _detail(session, district, view)


def _school_name(district: District, school_id: Optional[str]) -> Optional[str]:
    school = district.school_by_id(school_id)
    return school.name if school else None
