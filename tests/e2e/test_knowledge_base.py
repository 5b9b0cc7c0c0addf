"""Portal questions beyond the account steps, over REST against the real servers: answers from knowledge.yml,
per school, the offer of a request where only staff can fix it, and never a confident wrong path."""
from __future__ import annotations

import pytest

from portal.knowledge import load_knowledge
from tests.e2e.test_conversations import ask, tickets

pytestmark = pytest.mark.e2e


def test_lunch_money_gets_the_knowledge_answer_not_a_records_check(servers, sender):
    text, _ = ask(servers, sender, "how do i put money on my son's lunch account?")
    assert "Food Service" in text and "portal.cedarvalley.example.org" in text
    assert "really you" not in text
    assert tickets(servers, sender) == []


def test_app_error_choosing_the_district_is_a_portal_question(servers, sender):
    text, _ = ask(servers, sender, "the campus parent app says it can't find my district when i search")
    assert "Campus Parent app" in text
    assert "only help with" not in text


def test_answer_names_the_parents_school_and_uses_its_override(servers, sender):
    ask(servers, sender, "where is attendance?", "summit ridge")
    text, _ = ask(servers, sender, "how do I report that my daughter will be absent tomorrow?")
    assert "(555) 010-1505" in text and "Fridays" in text


def test_staff_only_topic_offers_a_request_that_reaches_the_school_queue(servers, sender):
    text, replies = ask(servers, sender, "my ex husband is listed as a guardian on my kids account and shouldn't be")
    assert "only the school can fix it" in text
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/affirm", "/deny"]
    assert "Which school" in ask(servers, sender, "yes please")[0]
    text, _ = ask(servers, sender, "willow creek")
    assert "request #" in text and "Willow Creek Middle School" in text
    [ticket] = tickets(servers, sender)
    assert (ticket.kind, ticket.school_id, ticket.verified) == ("household_fix", "org-willow-creek-ms", False)
    assert "faq/relationships_wrong" in ticket.summary


def test_topic_buttons_answer_without_the_nlu(servers, sender):
    text, replies = ask(servers, sender, "/something_else")
    payloads = [b["payload"] for r in replies for b in r.get("buttons", [])]
    assert '/faq{"kb_topic":"grades"}' in payloads
    text, _ = ask(servers, sender, '/faq{"kb_topic":"grades"}')
    assert text.startswith(load_knowledge().answer("grades").text[:30])


def test_a_made_up_topic_payload_is_read_as_text(servers, sender):
    text, _ = ask(servers, sender, '/faq{"kb_topic":"verified_guardian_id"}')
    assert text  # answered (clarified or fallback), never a stack trace or silence


def test_school_emailed_key_is_key_help_not_a_resend_ticket(servers, sender):
    text, _ = ask(servers, sender, "The school emailed me my activation key. How do I use it?")
    assert "New User?" in text
    assert "hasn't come" not in text
    assert tickets(servers, sender) == []


def test_knowledge_question_in_the_middle_of_the_school_question(servers, sender):
    ask(servers, sender, "how do i get a parent portal account")
    text, _ = ask(servers, sender, "wait, how do I change my password once I'm logged in?")
    assert "Account Settings" in text and "Which school" in text
