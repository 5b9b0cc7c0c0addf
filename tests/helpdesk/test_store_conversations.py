"""portal.conversations: answers, tickets, and the deflection rate over 30 days."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from portal import conversations
from portal.models import Conversation, utcnow
from portal.tickets import open_ticket
from tests.helpdesk.support import stored_conversation


def test_record_answer_counts_answers_and_keeps_the_first_time(session):
    conversations.record_answer(session, "conv-1", "rest", "get_account")
    first = stored_conversation(session, "conv-1")
    conversations.record_answer(session, "conv-1", "rest", "forgot_password")
    conversations.record_answer(session, "conv-1", None, None)
    again = stored_conversation(session, "conv-1")
    assert (again.answers, again.channel, again.last_topic) == (3, "rest", "forgot_password")
    assert again.answered_at == first.answered_at
    assert again.last_answer_at >= first.last_answer_at
    assert again.ticket_opened_at is None


def test_unknown_channel_is_replaced_once_known(session):
    conversations.record_answer(session, "conv-1", None, "greet")
    assert stored_conversation(session, "conv-1").channel == "unknown"
    conversations.record_answer(session, "conv-1", "twilio", "greet")
    conversations.record_answer(session, "conv-1", "rest", "greet")
    assert stored_conversation(session, "conv-1").channel == "twilio"


def test_empty_conversation_id_is_ignored(session):
    conversations.record_answer(session, "", "rest", "x")
    conversations.mark_ticket_opened(session, "", "rest")
    assert session.query(Conversation).count() == 0


def test_deflection_rate(session):
    for n in range(4):
        conversations.record_answer(session, f"answered-{n}", "rest", "get_account")
    open_ticket(session, kind="account_reset", school_id="org-maple-ridge-es", conversation_id="answered-0",
                channel="rest", verified=True, summary="", transcript="")
    # A ticket without an answer does not count; an answer long ago is outside the window.
    open_ticket(session, kind="handoff", school_id=None, conversation_id="no-answer", channel="rest",
                verified=False, summary="", transcript="")
    conversations.record_answer(session, "old", "rest", "get_account")
    session.execute(update(Conversation).where(Conversation.id == "old")
                    .values(answered_at=utcnow() - timedelta(days=31)))
    result = conversations.deflection(session)
    assert (result.answered, result.with_ticket, result.deflected) == (4, 1, 3)
    assert result.rate == 0.75
    assert result.to_dict() == {"window_days": 30, "answered": 4, "with_ticket": 1, "deflected": 3, "rate": 0.75}
    assert conversations.deflection(session, days=60).answered == 5


def test_no_answers_means_no_rate(session):
    result = conversations.deflection(session)
    assert (result.answered, result.rate) == (0, None)
