"""What every parent-facing channel (REST, web chat, SMS) does to a message before the assistant sees it.

- Control characters are removed (NUL and the other C0/C1 codes except tab and line breaks, DEL): they mean
  nothing to a reader, break terminals and logs, and PostgreSQL cannot store NUL in text.
- A message longer than MAX_MESSAGE_CHARS is not sent to the assistant; the parent is asked to say it
  shorter (`channels.sentences.channel_sentence("too_long")`).
- A message starting with "/" is Rasa's way of sending an intent directly (button payloads). Parents may
  send what the buttons send: a known intent on its own, exactly one of the domain's button payloads, or one
  of the school question's buttons (`/inform{"school":"<a school id of district.yml>"}`) or of the knowledge
  topics' buttons (`/faq{"kb_topic":"<a topic of knowledge.yml>"}`), or the web chat's language payloads: the
  toggle's `/set_language{"language":"es"}` and the greeting that opens a chat in Spanish,
  `/greet{"language":"es"}` ("en" or "es", spaces inside the braces allowed; no other value or entity).
  Intents that only the help desk triggers (`EXTERNAL_*`) and payloads carrying other entities (which
  would set slots directly) are refused: an EXTERNAL_* payload becomes an empty message (the assistant's
  "didn't get that"), anything else loses its leading "/" and is read as text.

The channel's own sentences (the "too long" answer, ...) are in `channels/sentences.py`.
"""
from __future__ import annotations

import json
import re
from typing import Any, Mapping, Optional

from portal.district import load_district
from portal.external_intents import is_external_intent
from portal.knowledge import knowledge_topic_payload, load_knowledge
from portal.models import LANGUAGES

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_PAYLOAD = re.compile(r"^/+([A-Za-z0-9_\-]*)(.*)$", re.DOTALL)



def clean_text(text: Optional[str]) -> str:
    """The message without control characters (tab, CR and LF kept), stripped."""
    return _CONTROL.sub("", text or "").strip()


def is_too_long(text: str) -> bool:
    return len(text) > MAX_MESSAGE_CHARS


def _button_payloads(domain: Any) -> set[str]:
    payloads: set[str] = set()
    for variations in (getattr(domain, "responses", None) or {}).values():
        for variation in variations or []:
            for button in (variation.get("buttons") or []) if isinstance(variation, Mapping) else []:
                payload = str(button.get("payload") or "") if isinstance(button, Mapping) else ""
                if payload.startswith("/"):
                    payloads.add(payload.replace("{{", "{").replace("}}", "}").strip())
    return payloads


def _school_payloads() -> set[str]:
    """The school question's buttons (one per school of district.yml, made by actions/form_questions.py)."""
    try:
        return {school.button_payload for school in load_district().schools}
    except Exception:  # noqa: BLE001 - an unreadable district file: no school buttons, the text is read as text
        return set()


def _knowledge_payloads() -> set[str]:
    """The knowledge topics' buttons (`/faq{"kb_topic":"<topic>"}`, made by actions/clarify.py)."""
    try:
        return {knowledge_topic_payload(topic) for topic in load_knowledge().topics}
    except Exception:  # noqa: BLE001 - an unreadable knowledge file: no topic buttons, the text is read as text
        return set()


LANGUAGE_INTENT = "set_language"
# Intents webchat/widget.js sends with the entity `language` alone: the toggle, and the opening greeting.
LANGUAGE_PAYLOAD_INTENTS = (LANGUAGE_INTENT, "greet")


def language_payload(language: str, intent: str = LANGUAGE_INTENT) -> str:
    """The payload of the web chat's language toggle, or of its opening greeting (webchat/widget.js)."""
    return f'/{intent}{{"language":"{language}"}}'


def _is_language_payload(intent: str, rest: str) -> bool:
    """`/set_language{"language":"en"|"es"}` or the same with greet, and nothing else in the braces."""
    if intent not in LANGUAGE_PAYLOAD_INTENTS:
        return False
    try:
        entities = json.loads(rest)
    except ValueError:
        return False
    return isinstance(entities, dict) and list(entities) == ["language"] and entities["language"] in LANGUAGES


def guard_payload(text: str, domain: Any = None) -> str:
    """`text` itself, unless it is an intent payload a parent may not send (see the module docstring)."""
    match = _PAYLOAD.match(text)
    if not match:
        return text
    intent, rest = match.group(1), match.group(2).strip()
    if is_external_intent(intent):
        return ""
    intents = set(getattr(domain, "intents", None) or [])
    if text.startswith("/") and not text.startswith("//"):
        if not rest and intent and (domain is None or intent in intents):
            return text
        if rest and text.strip() in _school_payloads() | _knowledge_payloads():
            return text.strip()
        if rest and _is_language_payload(intent, rest):
            return language_payload(json.loads(rest)["language"], intent)
        if rest and domain is not None and text.strip() in _button_payloads(domain):
            return text.strip()
    return text.lstrip("/").strip()


def prepare(text: Optional[str], domain: Any = None) -> tuple[str, bool]:
    """(the text for the assistant, whether it is too long to send)."""
    cleaned = clean_text(text)
    if is_too_long(cleaned):
        return cleaned, True
    return guard_payload(cleaned, domain), False
