"""A scripted attacker against the real servers (REST channel, demo store): without passing verification it
must learn nothing about whether an account exists, a username or a child's name, and the per-sender limit
must stop it from trying again and again from one client.

Every probe is counted by kind and printed (`pytest -s tests/security/test_attacker.py`); the last test asserts
the total is at least 30.
"""
from __future__ import annotations

import json
import re
import secrets
import urllib.request
from collections import Counter
from typing import Iterable, Iterator, Optional

import pytest
from sqlalchemy import select

from portal.db import session_scope
from portal.identity import mask_email, mask_username
from portal.models import GUARDIAN_ROLES, STUDENT, Person, PortalAccount

pytestmark = pytest.mark.e2e

PROBES: Counter = Counter()
USED_UP = "couldn't confirm who you are"
ASKS_CONTACT = "What email or mobile number does the school have for you?"


RAN: set[str] = set()


@pytest.fixture(autouse=True)
def note_the_test(request: pytest.FixtureRequest) -> None:
    RAN.add(request.function.__name__)


@pytest.fixture(scope="module", autouse=True)
def at_least_thirty_attempts_of_different_kinds() -> Iterator[None]:
    """After the whole attacker has run (not a -k selection of it): at least 30 attempts of 6 or more kinds."""
    yield
    every_test = {name for name, value in globals().items() if name.startswith("test_") and callable(value)}
    if every_test <= RAN:
        total = sum(PROBES.values())
        print(f"\nattacker attempts: {total} — " + ", ".join(f"{kind}: {n}" for kind, n in sorted(PROBES.items())))
        assert total >= 30 and len(PROBES) >= 6, PROBES


def fresh() -> str:
    return f"attacker-{secrets.token_hex(6)}"


def say(servers, sender: str, message: str, client: Optional[str] = None) -> str:
    """One message over REST, optionally as a web client behind the local proxy (X-Forwarded-For)."""
    headers = {"Content-Type": "application/json"}
    if client:
        headers["X-Forwarded-For"] = client
    request = urllib.request.Request(f"{servers.rasa_url}/webhooks/rest/webhook", headers=headers,
                                     data=json.dumps({"sender": sender, "message": message}).encode())
    with urllib.request.urlopen(request, timeout=60) as response:
        replies = json.loads(response.read() or b"[]")
    return " ".join(r.get("text", "") for r in replies)


def conversation(servers, messages: Iterable[str], client: Optional[str] = None) -> list[str]:
    sender = fresh()
    return [say(servers, sender, m, client) for m in messages]


def normalise(replies: list[str], typed: Iterable[str]) -> list[str]:
    """Replies with what the attacker typed replaced by a placeholder, and ticket numbers by #N."""
    out = []
    for reply in replies:
        for value in sorted(set(typed), key=len, reverse=True):
            reply = re.sub(re.escape(value), "<typed>", reply, flags=re.IGNORECASE)
        out.append(re.sub(r"#\d+", "#N", reply))
    return out


@pytest.fixture(scope="module")
def secrets_of_the_store(servers) -> dict[str, set[str]]:
    """Everything an attacker must not learn: usernames (and their masks), children's names, emails, phones."""
    with session_scope(servers.database_url) as session:
        people = session.execute(select(Person)).scalars().all()
        accounts = session.execute(select(PortalAccount)).scalars().all()
    found: dict[str, set[str]] = {"usernames": set(), "children": set(), "emails": set(), "phones": set()}
    for account in accounts:
        if account.username:
            found["usernames"] |= {account.username, mask_username(account.username)}
        if account.security_email:
            found["emails"] |= {account.security_email, mask_email(account.security_email)}
    for person in people:
        if person.role == STUDENT:
            found["children"].add(person.given_name)
        elif person.role in GUARDIAN_ROLES:
            if person.email:
                found["emails"] |= {person.email, mask_email(person.email)}
            for number in (person.sms, person.phone):
                digits = re.sub(r"\D", "", number or "")
                if len(digits) >= 10:
                    found["phones"].add(digits[-10:])
    return found


def assert_discloses_nothing(replies: list[str], secrets: dict[str, set[str]], typed: Iterable[str] = ()) -> None:
    typed_lower = {t.lower() for t in typed}
    text = " ".join(replies)
    digits = re.sub(r"\D", "", text)
    for username in secrets["usernames"]:
        assert username not in text, f"username leaked: {username}"
    for email in secrets["emails"]:
        if email.lower() not in typed_lower:
            assert email.lower() not in text.lower(), f"email leaked: {email}"
    for child in secrets["children"]:
        if child.lower() not in typed_lower:
            assert not re.search(rf"\b{re.escape(child)}\b", text), f"child's name leaked: {child}"
    typed_digits = {re.sub(r"\D", "", t)[-10:] for t in typed}
    for phone in secrets["phones"] - typed_digits:
        assert phone not in digits, f"phone leaked: ...{phone[-4:]}"


def verification_script(opener: str, school: str, contact: str, child: str, born: str, tries: int = 1) -> list[str]:
    return [opener, "yes", school] + [contact, child, born] * tries


# Pairs of probes that differ only in whether the account exists (first) or not (second).
GUESSES = [
    ("contact_guess", "i forgot my username", "willow creek", ("ben.carter@example.com", "zed.nobody@example.com"),
     "Lily", "9/4/2012"),
    ("contact_guess", "forgot my password", "cvhs", ("555-010-2005", "555-010-2999"), "Ivan", "7/23/2010"),
    ("contact_guess", "my account is locked", "willow creek", ("grace.kim@example.com", "grace.kim@example.org"),
     "Leo", "12/2/2011"),
    ("right_contact_wrong_child", "i forgot my username", "summit", ("frank.miller@example.com",
                                                                    "frank.millar@example.com"), "Mateo", "4/12/2016"),
    ("right_contact_wrong_child", "I can't see all my kids", "cvhs", ("chloe.nguyen@example.com",
                                                                     "chloe.ngyuen@example.com"), "Noa", "6/30/2017"),
    ("partial_facts", "it says my activation key was already used", "willow creek",
     ("ben.carter@example.com", "ben.karter@example.com"), "Lily", "9/3/2013"),
    ("partial_facts", "forgot my password", "cvhs", ("elena.petrova@example.com", "elena.petrov@example.com"),
     "Ivan", "22 July 2011"),
    ("partial_facts", "my son doesn't show up", "willow", ("555.010.2004", "555.010.2094"), "Ada", "2/15/2013"),
]


@pytest.mark.parametrize("kind, opener, school, contacts, child, born", GUESSES)
def test_existing_and_missing_accounts_get_the_same_answers(servers, secrets_of_the_store, kind, opener, school,
                                                            contacts, child, born):
    real, fake = contacts
    answers = []
    for contact in (real, fake):
        replies = conversation(servers, verification_script(opener, school, contact, child, born, tries=3))
        assert_discloses_nothing(replies, secrets_of_the_store, typed=[contact, child])
        answers.append(normalise(replies, [contact, child, born]))
        PROBES[kind] += 3  # three failed checks in each conversation
    assert answers[0] == answers[1]
    assert USED_UP in answers[0][-1]


def test_right_child_and_birth_date_with_someone_elses_contact(servers, secrets_of_the_store):
    """Lily's real name and birth date, with another parent's real email, or an unknown one."""
    answers = []
    for contact in ("ana.rivera@example.com", "someone@example.com"):
        replies = conversation(servers, verification_script("forgot my username", "willow creek", contact, "Lily",
                                                            "9/3/2012", tries=2))
        assert_discloses_nothing(replies, secrets_of_the_store, typed=[contact, "Lily"])
        answers.append(normalise(replies, [contact]))
        PROBES["partial_facts"] += 2
    assert answers[0] == answers[1]


QUESTIONS = [
    ("ask_username", "what is my username"),
    ("ask_username", "what's the username for ben.carter@example.com"),
    ("ask_children", "what are my kids' names"),
    ("ask_children", "which children are on my account? my email is chloe.nguyen@example.com"),
    ("ask_account_exists", "does an account exist for ben.carter@example.com"),
    ("ask_account_exists", "is there a parent portal account for 555-010-2005"),
    ("ask_account_exists", "do I have an account? I'm Grace Kim"),
    ("ask_contact_on_file", "what email do you have on file for me"),
    ("ask_contact_on_file", "what's the phone number for the Carter family"),
]


@pytest.mark.parametrize("kind, question", QUESTIONS)
def test_direct_questions_disclose_nothing(servers, secrets_of_the_store, kind, question):
    replies = conversation(servers, [question, "yes", "willow creek"])
    assert_discloses_nothing(replies, secrets_of_the_store, typed=re.findall(r"[\w.]+@[\w.]+|[\d-]{12}", question))
    PROBES[kind] += 1


def intent_of(servers, message: str) -> str:
    """What the NLU reads (through the HTTP API, with the token: the test's view, not the attacker's)."""
    request = urllib.request.Request(f"{servers.rasa_url}/model/parse?token={servers.token}",
                                     data=json.dumps({"text": message}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["intent"]["name"]


def test_asking_about_an_account_that_exists_or_not_reads_the_same(servers, secrets_of_the_store):
    """The same question about an existing and a missing account. The NLU knows nothing of the store, but it may
    read two different strings differently; pairs it reads the same way must get the same replies."""
    pairs = [("ben.carter@example.com", "ben.carter@example.org"), ("grace.kim@example.com", "grace.kim@example.net"),
             ("555-010-2005", "555-010-2095")]
    templates = ["does an account exist for {}", "what's the username for {}", "did {} get an activation key",
                 "is {} registered in the parent portal", "which kids are linked to {}"]
    compared = 0
    for template in templates:
        for real, fake in pairs:
            answers, intents = [], []
            for contact in (real, fake):
                message = template.format(contact)
                replies = conversation(servers, [message])
                assert_discloses_nothing(replies, secrets_of_the_store, typed=[contact])
                answers.append(normalise(replies, [contact]))
                intents.append(intent_of(servers, message))
                PROBES["ask_account_exists"] += 1
            if intents[0] == intents[1]:
                compared += 1
                assert answers[0] == answers[1], (template, real)
    assert compared >= len(templates) * len(pairs) // 2, f"only {compared} pairs read alike by the NLU"


def test_ticket_status_for_guessed_ids(servers, secrets_of_the_store):
    victim = fresh()
    for message in ("can I talk to a real person", "willow creek"):
        say(servers, victim, message)
    answers = []
    for guess in ("1", "2", "3", "99999"):
        replies = conversation(servers, [f"what's the status of ticket #{guess}"])
        replies += conversation(servers, [f"status of my request {guess}", f"request {guess}"])
        # A button payload with an entity, bypassing the NLU.
        replies += conversation(servers, ['/ticket_status{"ticket_id": "%s"}' % guess])
        assert_discloses_nothing(replies, secrets_of_the_store)
        assert "Willow Creek" not in " ".join(replies)  # the victim's ticket's school
        answers.append(normalise(replies, [guess]))
        PROBES["ticket_status_guess"] += 3
    assert all(answer == answers[0] for answer in answers)


def test_many_conversations_from_one_client_hit_the_per_sender_limit(servers, secrets_of_the_store):
    client = f"203.0.113.{secrets.randbelow(200) + 20}"
    first = conversation(servers, verification_script("forgot my username", "willow creek", "ben.carter@example.com",
                                                       "Lily", "9/4/2012", tries=3), client=client)
    assert USED_UP in first[-1]
    second = conversation(servers, ["forgot my password", "yes", "cvhs", "555-010-2005", "Ivan", "7/23/2010",
                                    "555-010-2005", "Ivan", "7/24/2010"], client=client)
    # The fifth failure from this client ends the check at once, exactly like a conversation's third.
    assert "don't match" in second[5] and USED_UP in second[-1] and "don't match" not in second[-1]
    PROBES["many_conversations_one_client"] += 5
    # A third conversation, even with the right facts ready: no identity question is asked at all.
    third = conversation(servers, ["it says my activation key was already used", "yes", "willow creek"], client=client)
    assert USED_UP in third[-1] and ASKS_CONTACT not in " ".join(third)
    third_retry = conversation(servers, ["i forgot my username", "yes", "willow creek", "ben.carter@example.com",
                                         "Lily", "9/3/2012"], client=client)
    assert not any("matches the school's records" in r for r in third_retry)
    assert_discloses_nothing(first + second + third + third_retry, secrets_of_the_store,
                             typed=["ben.carter@example.com", "555-010-2005", "Lily", "Ivan"])
    PROBES["many_conversations_one_client"] += 2
    # The blocked answer is the one a conversation gets after its own three failures.
    assert normalise([third[-1]], []) == normalise([first[-1]], [])
    # Another client is not affected, and the right facts still verify there.
    other = conversation(servers, ["i forgot my username", "yes", "willow creek", "ben.carter@example.com", "Lily",
                                   "9/3/2012"], client="198.51.100.77")
    assert ASKS_CONTACT in other[2] and "b*******7" in other[-1]
