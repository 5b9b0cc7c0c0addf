"""After a full end-to-end run of the demo personas, no process log holds an activation key, a full email
address or a full phone number. The grep itself is tested on planted lines, so a leak makes this fail."""
from __future__ import annotations

import json
import secrets
import urllib.request
from pathlib import Path

import pytest

from tests.security.leaks import Secrets, find_leaks, leaks_in_files

# (opener, school, contact, child, born, follow-up): every demo persona's path from the README, as typed.
PERSONAS = [
    ("it says my activation key was already used", "willow creek", "ben.carter@example.com", "Lily", "9/3/2012", "yes"),
    ("I can't see all my kids", "cvhs", "chloe.nguyen@example.com", "Emma", "1/20/2009", "Noah"),
    ("I can't see all my kids", "willow", "david.okafor@example.com", "Ada", "2/14/2013", "Sam"),
    ("I can't see all my kids", "riverbend", "hana.suzuki@example.com", "Yuki", "5/5/2015", "Ren"),
    ("forgot my password", "cvhs", "555-010-2005", "Ivan", "7/22/2010", "thanks"),
    ("forgot my username", "summit", "frank.miller@example.com", "Zoe", "3/9/2014", "yes"),
    ("my account is locked", "willow creek", "grace.kim@example.com", "Leo", "12/1/2011", "thanks"),
    ("forgot my password", "maple ridge", "+1 (555) 010-2001", "Mateo", "4/12/2016", "yes"),
    ("forgot my username", "riverbend", "maria.lopez@example.com", "Sofia", "10/10/2014", "yes"),
]
KEY_MESSAGES = [
    "my key 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C doesn't work",
    "activation key {9B8E7D6C-5A4F-3E2D-1C0B-9A8F7E6D5C4B} says already used",
    "key 3c3c3c3c4d4d4d4d5e5e5e5e6f6f6f6f",
    "my key is 4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7",
]


def post(url: str, payload: dict, headers: dict) -> object:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read() or b"null")


def get(url: str, headers: dict) -> object:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as response:
        return json.loads(response.read() or b"null")


@pytest.mark.e2e
def test_no_personal_data_or_key_in_any_process_log(servers):
    # The whole demo: every persona verifies and follows its path, keys are pasted, facts are wrong three times,
    # a person is asked for, and staff work the tickets in the help desk (claim, reply, resolve).
    for opener, school, contact, child, born, follow_up in PERSONAS:
        sender = f"logs-{secrets.token_hex(5)}"
        for message in (opener, "yes", school, contact, child, born, follow_up, "what's the status of my request"):
            servers.say(sender, message)
    for message in KEY_MESSAGES:
        servers.say(f"logs-{secrets.token_hex(5)}", message)
    wrong = f"logs-{secrets.token_hex(5)}"
    for message in ["the activation key was already used", "yes", "willow creek"] + [
            "ben.carter@example.com", "Lily", "9/4/2012"] * 3 + ["yes"]:
        servers.say(wrong, message)
    person = f"logs-{secrets.token_hex(5)}"
    for message in ("can I talk to a real person", "maple ridge", "my email is tanya.brooks@example.com and my "
                    "number is 555-010-2011", "thanks"):
        servers.say(person, message)
    staff = {"Authorization": f"Bearer {servers.staff_tokens['district']}"}
    tickets = get(f"{servers.helpdesk_url}/api/tickets", staff)
    items = tickets["tickets"] if isinstance(tickets, dict) else tickets
    assert items, "the personas opened no ticket"
    for ticket in items[:3]:
        get(f"{servers.helpdesk_url}/api/tickets/{ticket['id']}", staff)
        post(f"{servers.helpdesk_url}/api/tickets/{ticket['id']}/resolve",
             {"note": "fixed for ben.carter@example.com (555-010-2002)", "message": "All fixed."}, staff)
    servers.say(person, "ok")

    logs = sorted(Path(servers.workdir).parent.glob("**/*.log"))
    names = {path.name.split("_")[0] for path in logs}
    assert {"action", "rasa", "helpdesk.log"} <= names | {p.name for p in logs}, logs
    assert all(path.stat().st_size > 0 for path in logs if path.parent == Path(servers.workdir))
    store_secrets = Secrets.from_store(servers.database_url)
    assert store_secrets.keys and store_secrets.emails and store_secrets.phones
    assert leaks_in_files(logs, store_secrets) == {}


@pytest.fixture(scope="module")
def demo_secrets() -> Secrets:
    return Secrets(keys={"4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C"}, emails={"ben.carter@example.com"},
                   phones={"5550102002"})


@pytest.mark.parametrize("line", [
    "INFO checking key 4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C",
    "INFO checking key 4f2a9c1e-7b3d-4a6f-8e0c-2b5d9a1f3e7c",
    "INFO checking key {4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C}",
    "INFO verification failed for ben.carter@example.com",
    "INFO verification failed for BEN.CARTER@EXAMPLE.COM",
    "INFO reply to someone.else@school.example.org",
    "INFO SMS from +15550102002",
    "INFO SMS from +1 555-010-2002",
    "INFO SMS from (555) 010-2002",
    "INFO SMS from 555.010.2002",
])
def test_the_grep_finds_a_planted_leak(line, demo_secrets):
    assert find_leaks(f"2026-01-01 00:00:00 {line}\n", demo_secrets)


@pytest.mark.parametrize("line", [
    "INFO verification failed for b********r@example.com",
    "INFO SMS from ***-***-2002",
    "INFO activation key 4F2A…3E7C: unused",
    "INFO Loading model models/20261129-002459-azure-roadster.tar.gz",
    "INFO opened ticket 12 at 1732838400.5550102",
    "INFO school phone (555) 010-1404",
])
def test_masked_values_are_not_leaks(line, demo_secrets):
    assert find_leaks(line, demo_secrets) == []
