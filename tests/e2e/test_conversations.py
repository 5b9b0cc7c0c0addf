"""Whole conversations over the REST channel against the real Rasa and action servers (demo personas)."""
from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from portal.db import session_scope
from portal.tickets import tickets_for_conversation

pytestmark = pytest.mark.e2e


def ask(servers, sender, *messages, check=None):
    """Send messages in order; the replies to the last one, joined into one text. Every reply fits 320
    characters, and passes `check(message, text)` when one is given."""
    replies = []
    for message in messages:
        replies = servers.say(sender, message)
        assert replies, f"no reply to {message!r}"
        for reply in replies:
            assert len(reply.get("text", "")) <= 320
            if check:
                check(message, reply.get("text", ""))
    return " ".join(r.get("text", "") for r in replies), replies


def verify(servers, sender, opener, school, contact, child, born):
    """Ask about a records problem, accept the check, and give the identity facts."""
    text, _ = ask(servers, sender, opener)
    assert "check it's really you" in text
    ask(servers, sender, "yes", school, contact, child)
    return ask(servers, sender, born)


def tickets(servers, sender):
    with session_scope(servers.database_url) as session:
        return tickets_for_conversation(session, sender)


def test_getting_an_account_step_by_step(servers, sender):
    text, replies = ask(servers, sender, "how do I get a parent portal account?")
    assert "Which school" in text
    assert any(b["title"] == "Maple Ridge Elementary" for r in replies for b in r.get("buttons", []))
    text, replies = ask(servers, sender, "mapel ridge")
    assert "one account shows all your kids" in text
    assert "Step 1 of 7" in text and "https://maple.cedarvalley.example.org/parents/portal" in text
    assert [b["payload"] for b in replies[-1]["buttons"]] == ["/next_step", "/stuck"]
    assert "Step 2 of 7" in ask(servers, sender, "ok done, what's next?")[0]
    assert "Step 3 of 7" in ask(servers, sender, "/next_step")[0]
    text, _ = ask(servers, sender, "I'm stuck on the new user page")
    assert "web browser" in text and "portal.cedarvalley.example.org" in text


def test_school_that_makes_accounts_itself(servers, sender):
    text, _ = ask(servers, sender, "how do i sign up for the parent portal", "riverbend")
    assert "makes parent accounts for you" in text and "(555) 010-1404" in text


def test_unknown_school_twice_gives_a_way_out(servers, sender):
    ask(servers, sender, "where is the request form")
    assert "couldn't find that school" in ask(servers, sender, "hogwarts")[0]
    text, replies = ask(servers, sender, "narnia academy")
    assert "district office" in text and "(555) 010-1000" in text
    assert any(b["payload"] == "/cancel" for b in replies[-1].get("buttons", []))


def test_unused_key_continues_at_the_key_step(servers, sender):
    text, _ = ask(servers, sender, "my activation key 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C doesn't work")
    assert "valid and not used yet" in text and "Step 4 of 7" in text


def test_malformed_keys_get_specific_answers(servers, sender):
    assert "has 16 letters and numbers" in ask(servers, sender, "my key is 4F2A9C1E7B3D4A6F")[0]
    assert "still isn't a Campus key" in ask(servers, sender, "key: HX7P-L29Q-WKT4-M8RZ-22QQ")[0]


def test_key_from_another_district(servers, sender):
    text, _ = ask(servers, sender, "the activation key HX7P-L29Q-WKT4-M8RZ-22QQ is invalid")
    assert "doesn't look like a Campus key" in text


def test_key_already_used_leads_to_a_reset_ticket(servers, sender):
    text, _ = verify(servers, sender, "it says my activation key has already been used", "willow creek",
                     "ben.carter@example.com", "Lily", "9/3/2012")
    assert "b*******7" in text and "reset your account" in text
    text, _ = ask(servers, sender, "yes please")
    [ticket] = tickets(servers, sender)
    assert f"#{ticket.id}" in text and "Willow Creek Middle School" in text
    assert (ticket.kind, ticket.school_id, ticket.verified, ticket.guardian_id) == (
        "account_reset", "org-willow-creek-ms", True, "g-ben-carter")
    assert "Parent: it says my activation key has already been used" in ticket.transcript
    # Asking again never makes a second ticket.
    ask(servers, sender, "the key was already used")
    ask(servers, sender, "yes")
    assert "already have request" in ask(servers, sender, "yes")[0]
    assert len(tickets(servers, sender)) == 1


def test_children_split_over_duplicate_records(servers, sender):
    verify(servers, sender, "I can't see all my kids in the portal", "cvhs", "chloe.nguyen@example.com", "Emma",
           "January 20, 2009")
    text, _ = ask(servers, sender, "Noah")
    assert "second copy of your name" in text
    [ticket] = tickets(servers, sender)
    assert (ticket.kind, ticket.school_id) == ("household_fix", "org-maple-ridge-es")
    assert set(ticket.details["guardian_record_ids"]) == {"g-chloe-nguyen", "g-chloe-nguyen-dup"}
    assert "Maple Ridge Elementary" in text


def test_all_children_linked(servers, sender):
    verify(servers, sender, "my son doesn't show up on my account", "willow", "david.okafor@example.com", "Ada",
           "2/14/2013")
    text, _ = ask(servers, sender, "Sam")
    assert "Ada" in text and "Sam" in text and "Campus Parent app" in text
    assert tickets(servers, sender) == []


def test_child_not_linked_to_the_parent(servers, sender):
    verify(servers, sender, "only one of my children shows up", "riverbend", "hana.suzuki@example.com", "Yuki",
           "5/5/2015")
    text, _ = ask(servers, sender, "Ren")
    assert "isn't linked to you" in text
    [ticket] = tickets(servers, sender)
    assert (ticket.kind, ticket.school_id) == ("household_fix", "org-willow-creek-ms")


def test_forgot_password_with_a_security_email(servers, sender):
    text, _ = verify(servers, sender, "I forgot my password", "cvhs", "(555) 010-2005", "ivan", "7/22/2010")
    assert "e******a" in text and "reset the password yourself" in text


def test_forgot_username_without_a_security_email(servers, sender):
    text, _ = verify(servers, sender, "i forgot my username", "summit", "frank.miller@example.com", "Zoe", "3/9/2014")
    assert "no security email" in text
    ask(servers, sender, "yes")
    assert [t.kind for t in tickets(servers, sender)] == ["account_reset"]


def test_locked_account_opens_a_reset_ticket(servers, sender):
    text, _ = verify(servers, sender, "my account is locked out", "willow creek", "grace.kim@example.com", "Leo",
                     "12/01/2011")
    assert "locked or turned off" in text
    [ticket] = tickets(servers, sender)
    assert ticket.kind == "account_reset" and f"#{ticket.id}" in text


def test_wrong_facts_three_times_disclose_nothing(servers, sender):
    ask(servers, sender, "the activation key was already used", "yes", "willow creek")
    for attempt in range(3):
        text, _ = ask(servers, sender, "ben.carter@example.com", "Lily", "9/4/2012")  # wrong birth date
        assert "bcarter" not in text and "b*******7" not in text
        if attempt < 2:
            assert "don't match" in text
    assert "couldn't confirm who you are" in text
    ask(servers, sender, "yes")
    [ticket] = tickets(servers, sender)
    assert ticket.verified is False and ticket.guardian_id is None
    # Starting over does not give more tries.
    ask(servers, sender, "start over")
    text, _ = ask(servers, sender, "forgot my password", "yes", "willow creek")
    assert "couldn't confirm who you are" in text


def test_attendance_depends_on_the_school(servers, sender):
    text, _ = ask(servers, sender, "where is attendance in the portal", "maple ridge")
    assert "turned off" in text and "14 days" in text
    text, _ = ask(servers, sender, "I changed schools, my kid is at summit ridge now")
    text, _ = ask(servers, sender, "where can I see attendance")
    assert "Summit Ridge Academy shows attendance" in text


def test_talk_to_a_person_opens_a_handoff(servers, sender):
    text, _ = ask(servers, sender, "can I talk to a real person", "willow creek")  # office closed: no live chat
    [ticket] = tickets(servers, sender)
    assert ticket.kind == "handoff" and f"#{ticket.id}" in text
    assert f"#{ticket.id}" in ask(servers, sender, "what's the status of my request")[0]


def test_question_in_the_middle_of_a_form_then_back(servers, sender):
    ask(servers, sender, "how do I get a parent account")
    text, _ = ask(servers, sender, "what is the security email?")
    assert "security email" in text and "Which school" in text
    assert "Step 1 of 7" in ask(servers, sender, "willow creek")[0]


def test_off_topic_and_small_talk(servers, sender):
    assert "(555) 010-1000" in ask(servers, sender, "what's for lunch today?")[0]
    assert "automated helper" in ask(servers, sender, "are you a bot?")[0]
    assert ask(servers, sender, "hi")[0].startswith("Hi!")


@pytest.mark.parametrize("message", ["", "   ", "🙂🙂🙂", "x" * 5000, "<script>alert(1)</script>", "'; DROP TABLE person;--"])
def test_odd_messages_still_get_an_answer(servers, sender, message):
    text, _ = ask(servers, sender, message)
    assert text.strip()


def test_http_api_needs_the_token(servers, sender):
    ask(servers, sender, "hi")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{servers.rasa_url}/conversations/{sender}/tracker", timeout=10)
    assert refused.value.code == 401
    assert servers.tracker(sender)["sender_id"] == sender


def test_asking_why_in_the_middle_of_the_identity_check(servers, sender):
    ask(servers, sender, "i forgot my username", "yes", "summit")
    text, _ = ask(servers, sender, "wait, why do you need this?")
    assert "only share account details with you" in text
    assert "What email or mobile number" in text  # the same question again, the school is kept
    text, _ = ask(servers, sender, "frank.miller@example.com", "Zoe", "3/9/2014")
    assert "no security email" in text


def test_facts_in_whole_sentences_fill_every_question_once(servers, sender):
    text, _ = ask(servers, sender, "I can't see my son Noah in the portal")
    assert "check it's really you" in text
    text, _ = ask(servers, sender, "yes", "cvhs")
    assert "email or mobile number" in text
    text, _ = ask(servers, sender, "sure, my email is chloe.nguyen@example.com and my daughter Emma was born "
                                   "January 20, 2009")
    assert "second copy of your name" in text  # verified, and Noah was not asked for again
    [ticket] = tickets(servers, sender)
    assert ticket.kind == "household_fix"


def test_a_correction_replaces_the_last_answer(servers, sender):
    ask(servers, sender, "forgot my password", "yes", "cvhs")
    ask(servers, sender, "you can reach me at (555) 010-2005")
    ask(servers, sender, "his name is Ivan")
    text, _ = ask(servers, sender, "he was born 7/22/2011")
    assert "don't match" in text
    text, _ = ask(servers, sender, "sorry, I meant 7/22/2010")
    assert "security email" in text  # Elena is verified with the corrected date; nothing else asked again
