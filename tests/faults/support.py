"""Helpers shared by the fault tests: talk over REST, read the store and the tracker."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from portal.db import session_scope
from portal.district import School, load_district
from portal.tickets import tickets_for_conversation


def ask(servers, sender: str, *messages: str) -> str:
    """Send messages in order; every one gets a non-empty answer; the texts of the last answer, joined."""
    text = ""
    for message in messages:
        replies = servers.say(sender, message)
        text = " ".join(r.get("text", "") for r in replies)
        assert text.strip(), f"no reply to {message!r} (silence)"
    return text


def tickets(database_url: str, sender: str) -> list:
    with session_scope(database_url) as session:
        return tickets_for_conversation(session, sender)


def school(servers, school_id: str) -> School:
    return load_district(Path(servers.district_file)).school_by_id(school_id)


def user_texts(tracker: dict[str, Any]) -> list[str]:
    return [e.get("text") for e in tracker["events"] if e["event"] == "user"]


def bot_texts(tracker: dict[str, Any]) -> list[str]:
    return [e.get("text") or "" for e in tracker["events"] if e["event"] == "bot"]
