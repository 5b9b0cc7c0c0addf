"""A readable transcript of the conversation for school staff."""
from __future__ import annotations

from rasa_sdk import Tracker

MAX_LINES = 60


def build_transcript(tracker: Tracker) -> str:
    """The parent's and the assistant's messages, oldest first (last MAX_LINES lines)."""
    lines = []
    for event in tracker.events:
        text = (event.get("text") or "").strip()
        if not text:
            continue
        if event.get("event") == "user":
            lines.append(f"Parent: {text}")
        elif event.get("event") == "bot":
            lines.append(f"Assistant: {text}")
    return "\n".join(lines[-MAX_LINES:])
