"""helpdesk.service: a staff action loads its ticket once (scope check, change and answer from one load)."""
from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from helpdesk import service
from helpdesk.auth import Scope
from portal.district import load_district
from portal.tickets import TicketNotFound, get_ticket, open_ticket

MAPLE = "org-maple-ridge-es"
DISTRICT_STAFF = Scope(None, "district staff")
OTHER_SCHOOL = Scope("org-willow-creek-ms", "Willow Creek staff")
TICKET_LOAD = re.compile(r"\bFROM tickets\b")


@contextmanager
def statements(session):
    seen: list[str] = []
    engine = session.get_bind()

    def record(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def ticket(session) -> int:
    opened, _ = open_ticket(session, kind="handoff", school_id=MAPLE, conversation_id="conv-s", channel="rest",
                            verified=False, summary="talk to a person", transcript="parent: hello?")
    return opened.id


@pytest.mark.parametrize("action, args", [
    (service.claim, ("Ms Office", "Ms Office")),
    (service.note, ("called the parent", "Ms Office")),
    (service.reply, ("We are on it.", "Ms Office")),
    (service.resolve, ("Fixed.", None, "Ms Office")),
    (service.change_status, ("closed", "duplicate", None, "Ms Office")),
])
def test_a_staff_action_loads_its_ticket_once(session, action, args):
    ticket_id = ticket(session)
    with statements(session) as seen:
        data = action(session, DISTRICT_STAFF, load_district(), ticket_id, *args)
    assert len([s for s in seen if TICKET_LOAD.search(s)]) == 1, [s for s in seen if TICKET_LOAD.search(s)]
    assert data["id"] == ticket_id and data["school_name"] == "Maple Ridge Elementary"
    assert data == service.detail(session, DISTRICT_STAFF, load_district(), ticket_id)


def test_a_ticket_outside_the_scope_is_not_found_and_unchanged(session):
    ticket_id = ticket(session)
    before = get_ticket(session, ticket_id)
    with pytest.raises(TicketNotFound, match=f"no ticket with id {ticket_id}"):
        service.claim(session, OTHER_SCHOOL, load_district(), ticket_id, "Mr Other", "Mr Other")
    with pytest.raises(TicketNotFound, match="no ticket with id 999999"):
        service.note(session, DISTRICT_STAFF, load_district(), 999999, "note", "Ms Office")
    assert get_ticket(session, ticket_id) == before
