"""portal.handoff: the assistant pauses while a conversation is handed to staff."""
from __future__ import annotations

import threading

import pytest

from portal import db, handoff
from portal.handoff import HandoffError
from portal.tickets import open_ticket


def _ticket(session, conversation_id="conv-1", kind="handoff"):
    ticket, _ = open_ticket(session, kind=kind, school_id="org-maple-ridge-es", conversation_id=conversation_id,
                            channel="rest", verified=False, summary="", transcript="")
    return ticket


def test_start_is_active_end(session):
    ticket = _ticket(session)
    assert handoff.is_active(session, "conv-1") is None
    assert handoff.start(session, "conv-1", ticket.id) == ticket.id
    assert handoff.is_active(session, "conv-1") == ticket.id
    current = handoff.get(session, "conv-1")
    assert (current.state, current.ticket_id, current.is_active, current.live_at) == ("waiting", ticket.id, True, None)
    assert handoff.mark_live(session, "conv-1") == ticket.id
    assert handoff.get(session, "conv-1").state == "live"
    assert handoff.end(session, "conv-1", "Ms. Jones") == ticket.id
    assert handoff.is_active(session, "conv-1") is None
    assert handoff.get(session, "conv-1") is None
    ended = handoff.for_ticket(session, ticket.id)
    assert (ended.state, ended.is_active) == ("ended", False)
    assert ended.ended_at is not None
    assert handoff.end(session, "conv-1") is None
    assert handoff.mark_live(session, "conv-1") is None


def test_start_is_idempotent_and_keeps_the_first_ticket(session):
    first = _ticket(session)
    second = _ticket(session, kind="other")
    assert handoff.start(session, "conv-1", first.id) == first.id
    assert handoff.start(session, "conv-1", second.id) == first.id
    assert handoff.is_active(session, "conv-1") == first.id


def test_a_new_handoff_can_follow_an_ended_one(session):
    ticket = _ticket(session)
    handoff.start(session, "conv-1", ticket.id)
    handoff.end(session, "conv-1")
    assert handoff.start(session, "conv-1", ticket.id) == ticket.id
    assert handoff.get(session, "conv-1").state == "waiting"


def test_conversations_are_independent(session):
    a = _ticket(session, "conv-a")
    _ticket(session, "conv-b")
    handoff.start(session, "conv-a", a.id)
    assert handoff.is_active(session, "conv-b") is None


def test_bad_requests(session):
    with pytest.raises(HandoffError):
        handoff.start(session, "conv-1", 999)
    with pytest.raises(HandoffError):
        handoff.start(session, "", 1)


def test_concurrent_starts_leave_one_active_handoff(db_url):
    with db.session_scope(db_url) as session:
        first = _ticket(session, "conv-race")
        second = _ticket(session, "conv-race", kind="other")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def start(ticket_id):
        try:
            barrier.wait(5)
            with db.session_scope(db_url) as session:
                results.append(handoff.start(session, "conv-race", ticket_id))
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(t.id,)) for t in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert len(set(results)) == 1
    with db.session_scope(db_url) as session:
        assert handoff.is_active(session, "conv-race") == results[0]
