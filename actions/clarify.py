"""Clarify, don't guess: when the NLU was unsure (`nlu_fallback`, see pipeline/topic_guard.py), offer the
likely topics as buttons, plus "Something else".

The candidates are the message's own ranking: the top topics that have a button title in the knowledge
file (`labels`), a knowledge topic named by the ResponseSelector's pick, titled in the conversation's
language (`labels_es` when it is Spanish). With none, the general fallback.
"""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType

from actions.common import PortalAction, conversation_language, outcome
from actions.knowledge_base import RETRIEVAL_INTENT, selected_topic
from actions.outcomes import Outcome
from portal.knowledge import Knowledge, knowledge_topic_payload, load_knowledge

MAX_CHOICES = 2
MIN_CONFIDENCE = 0.05
NOT_CANDIDATES = frozenset({"nlu_fallback", "out_of_scope"})


def topic_payload(key: str) -> str:
    """What a choice's button sends: the intent itself, or the knowledge topic as an entity."""
    prefix, _, topic = key.partition("/")
    return knowledge_topic_payload(topic) if prefix == RETRIEVAL_INTENT and topic else f"/{key}"


def likely_topics(message: Optional[dict[str, Any]], knowledge: Knowledge,
                  language: str = "en") -> list[tuple[str, str]]:
    """Up to MAX_CHOICES (key, button title in `language`) pairs, most likely first."""
    message = message or {}
    choices: list[tuple[str, str]] = []
    for ranked in message.get("intent_ranking") or []:
        name, confidence = ranked.get("name"), ranked.get("confidence") or 0.0
        if not name or name in NOT_CANDIDATES or confidence < MIN_CONFIDENCE:
            continue
        key = name
        if name == RETRIEVAL_INTENT:
            topic = selected_topic({"response_selector": message.get("response_selector")})
            key = f"{RETRIEVAL_INTENT}/{topic}" if topic else ""
        title = knowledge.label(key, language) if key else None
        if title and key not in (k for k, _ in choices):
            choices.append((key, title))
        if len(choices) == MAX_CHOICES:
            break
    return choices


class ActionClarify(PortalAction):
    """Ask which of the likely topics the parent means; the general fallback when nothing is likely."""

    def name(self) -> str:
        return "action_clarify"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        choices = likely_topics(tracker.latest_message, load_knowledge(), conversation_language(tracker))
        if not choices:
            return outcome(Outcome.FALLBACK)
        values: dict[str, Any] = {"clarify_choices": "two" if len(choices) == 2 else "one"}
        for number, (key, title) in enumerate(choices, start=1):
            values[f"clarify_title_{number}"] = title
            values[f"clarify_payload_{number}"] = topic_payload(key)
        return outcome(Outcome.CLARIFY, **values)
