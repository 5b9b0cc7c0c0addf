"""A readable transcript of the conversation for school staff."""
from __future__ import annotations

from rasa_sdk import Tracker

from portal.models import LANGUAGE_NAMES

MAX_LINES = 60


def build_transcript(tracker: Tracker) -> str:
    """The parent's and the assistant's messages, oldest first (last MAX_LINES lines)."""
    lines = []
    for event in tracker.events:
        text = (event.get("text") or "").strip()
        if not text:
            continue
        if event.get("event") == "user":
            lines.append(_parent_line(event, text))
        elif event.get("event") == "bot":
            lines.append(f"Assistant: {text}")
    return "\n".join(lines[-MAX_LINES:])


def _parent_line(event: dict, text: str) -> str:
    """The parent's message; a language switch (the widget's button, "español", ESPAÑOL by SMS) says so in words."""
    parse = event.get("parse_data") or {}
    if (parse.get("intent") or {}).get("name") == "set_language":
        chosen = next((e.get("value") for e in parse.get("entities") or [] if e.get("entity") == "language"), None)
        if text.startswith("/"):
            return f"Parent switched the chat to {LANGUAGE_NAMES.get(chosen, chosen or 'another language')}"
    return f"Parent: {text}"
