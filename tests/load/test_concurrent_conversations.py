"""Load: 50 parents talk at once, 20 messages each, through the REST channel of the session's servers (SQL
tracker store, in-memory lock store, the action server, the portal store). Paths that verify identity and open
tickets are mixed with steps, key checks and small talk; some parents ask for the same ticket twice.

Asserted: no HTTP error, every message answered (no silence), exactly the expected tickets in the store (one per
conversation and kind: no duplicate, none missing), each ticket shown to its parent. And a burst of messages in
one conversation is processed one turn at a time in the order it was sent (the lock store)."""
from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
import requests

from tests.faults.support import tickets, user_texts

pytestmark = pytest.mark.e2e

CONVERSATIONS = 50
MESSAGES = 20
WILLOW, MAPLE = "org-willow-creek-ms", "org-maple-ridge-es"

# (messages that open a ticket, the ticket they open, messages that ask for it again)
TICKET_PATHS = [
    (["my account is locked out", "yes", "willow creek", "grace.kim@example.com", "Leo", "12/01/2011"],
     ("account_reset", WILLOW), []),
    (["it says my activation key has already been used", "yes", "willow creek", "ben.carter@example.com", "Lily",
      "9/3/2012", "yes please"], ("account_reset", WILLOW), ["the key was already used", "yes", "yes"]),
    (["I can't see all my kids in the portal", "yes", "cvhs", "chloe.nguyen@example.com", "Emma",
      "January 20, 2009", "Noah"], ("household_fix", MAPLE), []),
    (["only one of my children shows up", "yes", "riverbend", "hana.suzuki@example.com", "Yuki", "5/5/2015", "Ren"],
     ("household_fix", WILLOW), []),
    (["can I talk to a real person", "willow creek"], ("handoff", WILLOW), ["I need to speak with someone at the school"]),
]
# Answered by actions too (steps, key checks, school answers, ticket status) or by rules; no ticket.
OTHER = ["what's the status of my request", "how do I get a parent portal account?", "maple ridge",
         "ok done, what's next?", "/next_step", "I'm stuck on the new user page", "my key is 4F2A9C1E7B3D4A6F",
         "where is attendance in the portal", "are you a bot?", "thanks", "hi", "what's the status of my request",
         "key: HX7P-L29Q-WKT4-M8RZ-22QQ", "what is the security email?", "/next_step", "thank you"]


def script(index: int) -> tuple[list[str], tuple[str, str]]:
    opening, ticket, again = TICKET_PATHS[index % len(TICKET_PATHS)]
    messages = [*opening, *again, *OTHER]
    return messages[:MESSAGES - 1] + ["what's the status of my request"], ticket


@dataclass
class Result:
    sender: str
    expected: tuple[str, str]
    replies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def converse(rasa_url: str, index: int, run: str) -> Result:
    messages, expected = script(index)
    result = Result(f"load-{run}-{index:02d}", expected)
    with requests.Session() as http:
        for message in messages:
            try:
                answer = http.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": result.sender,
                                                                            "message": message}, timeout=300)
                answer.raise_for_status()
                result.replies.append(" ".join(m.get("text", "") for m in answer.json()))
            except (requests.RequestException, ValueError) as error:
                result.errors.append(f"{message!r}: {type(error).__name__}: {error}")
                result.replies.append("")
    return result


def test_fifty_concurrent_conversations(servers):
    run = secrets.token_hex(3)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=CONVERSATIONS) as pool:
        results = list(pool.map(lambda i: converse(servers.rasa_url, i, run), range(CONVERSATIONS)))
    wall = time.monotonic() - started

    errors = [e for r in results for e in r.errors]
    silent = [(r.sender, i) for r in results for i, text in enumerate(r.replies) if not text.strip()]
    stored = {r.sender: tickets(servers.database_url, r.sender) for r in results}
    messages = sum(len(r.replies) for r in results)
    ticket_count = sum(len(t) for t in stored.values())
    print(f"\nload: {len(results)} conversations, {messages} messages, {ticket_count} tickets, {len(errors)} errors, "
          f"{len(silent)} unanswered, wall time {wall:.1f} s ({messages / wall:.1f} messages/s)")

    assert errors == []
    assert messages == CONVERSATIONS * MESSAGES
    assert silent == []
    for result in results:
        kinds = [(t.kind, t.school_id) for t in stored[result.sender]]
        assert kinds == [result.expected], f"{result.sender}: {kinds}"  # one ticket, the right one: no duplicate
        [ticket] = stored[result.sender]
        assert f"#{ticket.id}" in result.replies[-1], f"{result.sender}: {result.replies[-1]}"
    assert len({t.id for ts in stored.values() for t in ts}) == CONVERSATIONS


def test_a_burst_in_one_conversation_is_processed_in_order_one_turn_at_a_time(servers, sender):
    """Ten messages fired 50 ms apart without waiting for answers. The lock store lets one turn run at a time, in
    the order the messages arrived: each "/next_step" sees the step the previous one left, so the i-th message sent
    is answered with step i+2. Without the lock two turns would read the same step (a repeated step number)."""
    servers.say(sender, "how do I get a parent portal account?")
    assert any("Step 1 of 7" in m.get("text", "") for m in servers.say(sender, "maple ridge"))
    burst = 10
    replies: list[str] = [""] * burst
    errors: list[str] = []

    def send(i: int) -> None:
        try:
            answer = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook",
                                   json={"sender": sender, "message": "/next_step"}, timeout=300)
            answer.raise_for_status()
            replies[i] = " ".join(m.get("text", "") for m in answer.json())
        except (requests.RequestException, ValueError) as error:
            errors.append(f"{i}: {error}")

    threads = []
    for i in range(burst):
        thread = threading.Thread(target=send, args=(i,))
        thread.start()
        threads.append(thread)
        time.sleep(0.05)
    for thread in threads:
        thread.join(300)

    assert errors == []
    expected = [f"Step {n} of 7" for n in range(2, 8)] + ["That's it"] + ["What would you like help with"] * 3
    assert [e in r for e, r in zip(expected, replies)] == [True] * burst, replies
    # The tracker holds each message once, and each turn is complete before the next begins.
    events = servers.tracker(sender)["events"]
    assert user_texts({"events": events})[-burst:] == ["/next_step"] * burst
    assert len(user_texts({"events": events})) == 2 + burst
    last_user = [i for i, e in enumerate(events) if e["event"] == "user"][-burst:]
    for start, end in zip(last_user, last_user[1:] + [len(events)]):
        turn = [e.get("name") for e in events[start:end] if e["event"] == "action"]
        assert turn[-1] == "action_listen" and turn.count("action_listen") == 1, turn
