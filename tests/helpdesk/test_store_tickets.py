"""The store's staff workflow (portal.tickets): claim, notes, messages, live replies, hand back, resolve;
every parent notification and help-desk forward is written to the outbox in the same transaction."""
from __future__ import annotations

import json

import pytest

from portal import db, handoff, outbox
from portal.tickets import (
    TicketConflict,
    TicketError,
    TicketNotFound,
    add_message,
    add_note,
    change_status,
    claim_ticket,
    get_ticket,
    hand_back,
    list_tickets,
    open_ticket,
    reply_to_parent,
    resolve_ticket,
)
from tests.helpdesk.support import stored_conversation

MAPLE = "org-maple-ridge-es"


def _open(session, conversation_id="conv-1", kind="handoff", **extra):
    values = dict(kind=kind, school_id=MAPLE, conversation_id=conversation_id, channel="rest", verified=False,
                  summary="Parent asked for a person", transcript="parent: can I talk to someone?")
    values.update(extra)
    ticket, _ = open_ticket(session, **values)
    return ticket


def _rows(session, **filters):
    return outbox.list_messages(session, **filters)


def test_opening_queues_the_ticket_for_the_external_help_desk_once(session):
    ticket = _open(session)
    _open(session)  # idempotent: same conversation and kind
    rows = _rows(session, target=outbox.EXTERNAL)
    assert [(r.event, r.ticket_id, r.ordering_key) for r in rows] == [
        (outbox.TICKET_CREATED, ticket.id, f"external:{ticket.id}")
    ]
    snapshot = rows[0].payload["ticket"]
    assert (snapshot["id"], snapshot["kind"], snapshot["status"], snapshot["school_id"]) == (
        ticket.id, "handoff", "open", MAPLE)
    assert snapshot["transcript"] == "parent: can I talk to someone?"
    assert _rows(session, target=outbox.RASA) == []


def test_opening_marks_the_conversation_as_one_that_needed_a_ticket(session):
    _open(session, conversation_id="conv-t")
    conversation = stored_conversation(session, "conv-t")
    assert conversation.ticket_opened_at is not None
    assert conversation.channel == "rest"
    assert conversation.answered_at is None


def test_claim_moves_open_to_in_progress_with_an_assignee(session):
    ticket = _open(session)
    claimed = claim_ticket(session, ticket.id, "Ms. Jones")
    assert (claimed.status, claimed.assignee) == ("in_progress", "Ms. Jones")
    assert [(e.actor, e.from_status, e.to_status, e.note) for e in claimed.events][-1] == (
        "Ms. Jones", "open", "in_progress", "claimed by Ms. Jones")
    again = claim_ticket(session, ticket.id, "Mr. Lee", actor="Mr. Lee")
    assert (again.status, again.assignee) == ("in_progress", "Mr. Lee")
    assert again.events[-1].note == "claimed by Mr. Lee (was Ms. Jones)"
    assert again.events[-1].from_status == again.events[-1].to_status == "in_progress"
    change = [r for r in _rows(session, target=outbox.EXTERNAL) if r.event == outbox.STATUS_CHANGED]
    assert [(r.payload["change"]["from"], r.payload["change"]["to"]) for r in change] == [("open", "in_progress")]
    assert change[0].payload["ticket"]["assignee"] == "Ms. Jones"


@pytest.mark.parametrize("final", ["resolved", "closed"])
def test_finished_tickets_cannot_be_claimed(session, final):
    ticket = _open(session)
    change_status(session, ticket.id, final, "staff", "done")
    with pytest.raises(TicketConflict):
        claim_ticket(session, ticket.id, "Ms. Jones")


def test_claim_validates_the_assignee_and_the_id(session):
    ticket = _open(session)
    with pytest.raises(TicketError):
        claim_ticket(session, ticket.id, "   ")
    with pytest.raises(TicketNotFound):
        claim_ticket(session, 999, "Ms. Jones")


def test_notes_go_to_the_audit_trail_without_a_status_change(session):
    ticket = _open(session)
    noted = add_note(session, ticket.id, "  called the parent, no answer  ", "Ms. Jones")
    event = noted.events[-1]
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        "Ms. Jones", "open", "open", "called the parent, no answer")
    assert noted.status == "open"
    with pytest.raises(TicketError):
        add_note(session, ticket.id, "", "Ms. Jones")
    with pytest.raises(TicketError):
        add_note(session, ticket.id, "x" * 4001, "Ms. Jones")
    with pytest.raises(TicketNotFound):
        add_note(session, 999, "hello", "Ms. Jones")
    assert _rows(session, target=outbox.RASA) == []


def test_messages_are_part_of_the_ticket_view_in_order(session):
    ticket = _open(session)
    add_message(session, ticket.id, "parent", "Is anyone there?")
    add_message(session, ticket.id, "assistant", "Someone from the school will reply here.")
    view = get_ticket(session, ticket.id)
    assert [(m.author, m.text) for m in view.messages] == [
        ("parent", "Is anyone there?"), ("assistant", "Someone from the school will reply here.")]
    data = view.to_dict()
    json.dumps(data)
    assert data["messages"][0]["author"] == "parent" and data["messages"][0]["at"].endswith("+00:00")
    with pytest.raises(TicketError):
        add_message(session, ticket.id, "robot", "hi")
    with pytest.raises(TicketError):
        add_message(session, ticket.id, "parent", "  ")
    with pytest.raises(TicketNotFound):
        add_message(session, 999, "parent", "hi")
    assert _rows(session, target=outbox.RASA) == []  # storing a message sends nothing


def test_reply_claims_goes_live_and_queues_the_staff_reply(session):
    ticket = _open(session, conversation_id="conv-live")
    handoff.start(session, "conv-live", ticket.id)
    replied = reply_to_parent(session, ticket.id, "Hi, this is Ms. Jones from Maple Ridge.", "Ms. Jones")
    assert (replied.status, replied.assignee, replied.handoff_state) == ("in_progress", "Ms. Jones", "live")
    assert [(m.author, m.author_name, m.text) for m in replied.messages] == [
        ("staff", "Ms. Jones", "Hi, this is Ms. Jones from Maple Ridge.")]
    (row,) = _rows(session, target=outbox.RASA)
    assert (row.event, row.conversation_id, row.ticket_id, row.ordering_key, row.status, row.attempts) == (
        outbox.STAFF_REPLY, "conv-live", ticket.id, "rasa:conv-live", "pending", 0)
    assert row.payload == {"name": "EXTERNAL_staff_reply",
                           "entities": {"staff_message": "Hi, this is Ms. Jones from Maple Ridge.",
                                        "ticket_id": str(ticket.id)}}
    assert handoff.is_active(session, "conv-live") == ticket.id


def test_reply_to_a_finished_ticket_is_refused(session):
    ticket = _open(session)
    resolve_ticket(session, ticket.id, note="done", actor="staff")
    with pytest.raises(TicketConflict):
        reply_to_parent(session, ticket.id, "hello?", "Ms. Jones")
    with pytest.raises(TicketError):
        reply_to_parent(session, ticket.id, " ", "Ms. Jones")


def test_hand_back_ends_the_handoff_and_tells_the_assistant(session):
    ticket = _open(session, conversation_id="conv-hb")
    handoff.start(session, "conv-hb", ticket.id)
    back = hand_back(session, ticket.id, "Ms. Jones", "parent is all set")
    assert back.handoff_state == "ended"
    assert back.status == "open"  # handing back does not close the ticket
    assert back.events[-1].note == "handed the conversation back to the assistant: parent is all set"
    assert handoff.is_active(session, "conv-hb") is None
    (row,) = _rows(session, target=outbox.RASA)
    assert row.payload == {"name": "EXTERNAL_handoff_ended", "entities": {"ticket_id": str(ticket.id)}}
    with pytest.raises(TicketConflict):
        hand_back(session, ticket.id, "Ms. Jones")


def test_hand_back_needs_this_tickets_handoff(session):
    first = _open(session, conversation_id="conv-x")
    second = _open(session, conversation_id="conv-x", kind="account_reset")
    handoff.start(session, "conv-x", first.id)
    with pytest.raises(TicketConflict):
        hand_back(session, second.id, "Ms. Jones")
    with pytest.raises(TicketNotFound):
        hand_back(session, 999, "Ms. Jones")


def test_resolve_with_a_message_queues_it_for_the_parent_and_ends_the_handoff(session):
    ticket = _open(session, conversation_id="conv-r")
    handoff.start(session, "conv-r", ticket.id)
    resolved = resolve_ticket(session, ticket.id, note="reset the account", actor="Ms. Jones",
                              message_to_parent="Your account is reset; use Forgot Password.")
    assert resolved.status == "resolved"
    assert resolved.resolved_at is not None and resolved.resolved_at >= resolved.created_at
    assert resolved.handoff_state == "ended"
    assert resolved.messages[-1].text == "Your account is reset; use Forgot Password."
    rows = _rows(session, target=outbox.RASA)
    assert [r.payload for r in rows] == [{
        "name": "EXTERNAL_ticket_resolved",
        "entities": {"staff_message": "Your account is reset; use Forgot Password.", "ticket_id": str(ticket.id)},
    }]  # and no separate "handoff ended": the resolution message covers it
    assert handoff.is_active(session, "conv-r") is None


def test_resolve_without_a_message_still_resumes_the_assistant(session):
    ticket = _open(session, conversation_id="conv-q")
    handoff.start(session, "conv-q", ticket.id)
    resolve_ticket(session, ticket.id, note="done", actor="staff")
    assert [r.event for r in _rows(session, target=outbox.RASA)] == [outbox.HANDOFF_ENDED]


def test_closing_ends_the_handoff_and_resumes_the_assistant(session):
    ticket = _open(session, conversation_id="conv-c")
    handoff.start(session, "conv-c", ticket.id)
    closed = change_status(session, ticket.id, "closed", "Ms. Jones", "duplicate")
    assert (closed.status, closed.handoff_state, closed.resolved_at) == ("closed", "ended", None)
    assert [r.event for r in _rows(session, target=outbox.RASA)] == [outbox.HANDOFF_ENDED]


def test_resolve_rejects_an_empty_message(session):
    ticket = _open(session)
    with pytest.raises(TicketError):
        resolve_ticket(session, ticket.id, note="x", actor="staff", message_to_parent="  ")
    assert get_ticket(session, ticket.id).status == "open"


def test_every_status_change_is_forwarded_in_order(session):
    ticket = _open(session)
    change_status(session, ticket.id, "in_progress", "Ms. Jones", "looking")
    resolve_ticket(session, ticket.id, note="fixed", actor="Ms. Jones", message_to_parent="Fixed!")
    rows = _rows(session, target=outbox.EXTERNAL)
    assert [r.event for r in rows] == [outbox.TICKET_CREATED, outbox.STATUS_CHANGED, outbox.STATUS_CHANGED]
    assert [r.payload["change"].get("to") for r in rows] == [None, "in_progress", "resolved"]
    assert rows[2].payload["change"]["note"] == "fixed"
    assert [r.id for r in rows] == sorted(r.id for r in rows)


def test_notification_and_change_commit_or_roll_back_together(db_url):
    with db.session_scope(db_url) as session:
        ticket = _open(session, conversation_id="conv-atomic")
    with pytest.raises(RuntimeError):
        with db.session_scope(db_url) as session:
            reply_to_parent(session, ticket.id, "Hello from the office", "Ms. Jones")
            raise RuntimeError("the unit of work fails after the reply")
    with db.session_scope(db_url) as session:
        view = get_ticket(session, ticket.id)
        assert (view.status, view.messages) == ("open", ())
        assert _rows(session, target=outbox.RASA) == []
        reply_to_parent(session, ticket.id, "Hello from the office", "Ms. Jones")
    with db.session_scope(db_url) as session:
        assert len(_rows(session, target=outbox.RASA)) == 1
        assert len(get_ticket(session, ticket.id).messages) == 1


def test_list_tickets_accepts_several_statuses(session):
    first = _open(session, conversation_id="a")
    second = _open(session, conversation_id="b")
    third = _open(session, conversation_id="c")
    change_status(session, second.id, "in_progress", "staff")
    change_status(session, third.id, "closed", "staff")
    assert {t.id for t in list_tickets(session, statuses=("open", "in_progress"))} == {first.id, second.id}
    with pytest.raises(TicketError):
        list_tickets(session, statuses=("open", "waiting"))
