"""Fault: the Rasa server restarts in the middle of a form (SQL tracker store). The conversation continues at
the question it was on: nothing is asked again, no message is processed twice, the ticket is opened once.

(Moved here from tests/e2e/test_restart.py, which restarted during the school question; this restarts during
the identity check, after the school and the contact were given.)"""
from __future__ import annotations

import pytest

from tests.faults.support import ask, bot_texts, tickets, user_texts

pytestmark = pytest.mark.e2e

ASK_CONTACT = "What email or mobile number does the school have for you?"
ASK_CHILD = "What is the first name of one of your children in our schools?"
ASK_BIRTH_DATE = "And what is that child's birth date?"


def test_the_identity_check_continues_after_a_restart(servers, sender):
    assert "check it's really you" in ask(servers, sender, "it says my activation key has already been used")
    assert "Which school" in ask(servers, sender, "yes")
    assert ASK_CONTACT in ask(servers, sender, "willow creek")
    assert ASK_CHILD in ask(servers, sender, "ben.carter@example.com")
    before = servers.tracker(sender)
    assert before["active_loop"]["name"] == "lookup_form" and before["slots"]["requested_slot"] == "child_first_name"

    servers.restart_rasa()

    after = servers.tracker(sender)
    assert after["events"] == before["events"]  # nothing lost, nothing added by the restart
    text = ask(servers, sender, "Lily")
    assert ASK_BIRTH_DATE in text and ASK_CONTACT not in text and "Which school" not in text
    text = ask(servers, sender, "9/3/2012")
    assert "b*******7" in text and "reset your account" in text
    text = ask(servers, sender, "yes please")
    [ticket] = tickets(servers.database_url, sender)
    assert f"#{ticket.id}" in text and (ticket.kind, ticket.guardian_id) == ("account_reset", "g-ben-carter")

    tracker = servers.tracker(sender)
    assert user_texts(tracker) == ["it says my activation key has already been used", "yes", "willow creek",
                                   "ben.carter@example.com", "Lily", "9/3/2012", "yes please"]
    replies = bot_texts(tracker)
    for question in (ASK_CONTACT, ASK_CHILD, ASK_BIRTH_DATE, "Which school"):
        assert sum(question in r for r in replies) == 1, question
