"""The portal knowledge base (`knowledge.yml`): answers to portal questions beyond the account steps.

District staff edit the file: answers, links, which topics offer a request to the school, per-school
overrides, and the short titles of the topic buttons, each in English and Spanish (`answer_es`, `labels_es`;
a missing Spanish text falls back to the English one). The NLU only names the topic (`faq/<topic>`), so an
edited answer needs no retraining; the file is read again whenever it changes.
"""
from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from portal.db import PROJECT_ROOT
from portal.models import LANGUAGES

DEFAULT_KNOWLEDGE_FILE = PROJECT_ROOT / "knowledge.yml"
NEXT_STEPS = ("link", "phone", "person")
TICKET_KINDS = ("household_fix", "other")
# What an answer may show: the district's and the contact's values (the parent's school, else the district).
PLACEHOLDERS = frozenset({
    "portal_url", "website_url", "district_name", "district_short_name", "district_phone", "district_hours",
    "contact_name", "contact_phone", "contact_hours",
})
_PLACEHOLDER = re.compile(r"{([^{}]*)}")
_TOPIC_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class KnowledgeConfigError(ValueError):
    """`knowledge.yml` is missing a value, has one of the wrong shape, or names an unknown placeholder."""


@dataclass(frozen=True)
class Answer:
    """One topic's answer, as written in the file (placeholders not yet filled)."""

    topic: str
    text: str
    next: str
    offer_ticket: Optional[str] = None
    text_es: Optional[str] = None

    def in_language(self, language: str = "en") -> "Answer":
        """This answer with `text` in `language` (the English text when there is no Spanish one)."""
        if language == "es" and self.text_es:
            return replace(self, text=self.text_es)
        return self

    def fill(self, values: Mapping[str, Any]) -> str:
        """The answer with every placeholder replaced by its value ('' for a missing one)."""
        return _PLACEHOLDER.sub(lambda match: str(values.get(match.group(1)) or ""), self.text)


@dataclass(frozen=True)
class Knowledge:
    """Every topic's answer, the per-school overrides and the topic buttons' titles."""

    topics: Mapping[str, Answer]
    school_overrides: Mapping[str, Mapping[str, Answer]]
    labels: Mapping[str, str]
    labels_es: Mapping[str, str] = field(default_factory=dict)

    def answer(self, topic: Optional[str], school_id: Optional[str] = None,
               language: str = "en") -> Optional[Answer]:
        """The answer for `topic` at the parent's school (the district's when the school has no override), with
        its text in `language` ("es": the Spanish text, else the English one)."""
        if not topic:
            return None
        override = self.school_overrides.get(school_id or "", {}).get(topic)
        answer = override or self.topics.get(topic)
        return answer.in_language(language) if answer else None

    def label(self, key: str, language: str = "en") -> Optional[str]:
        """Short button title for an intent or a `faq/<topic>` key, when the file gives one (in Spanish when
        `language` is "es" and the file has one; a topic without an English title is never offered)."""
        title = self.labels.get(key)
        if title and language == "es":
            return self.labels_es.get(key) or title
        return title


def knowledge_topic_payload(topic: str) -> str:
    """What a button for a knowledge topic sends (the channels let exactly these through)."""
    return f'/faq{{"kb_topic":"{topic}"}}'


def topic_of(intent_response_key: Optional[str]) -> Optional[str]:
    """'faq/grades' -> 'grades'; anything else -> None."""
    prefix, _, topic = str(intent_response_key or "").partition("/")
    return topic if prefix == "faq" and topic else None


def _check_placeholders(text: str, where: str) -> None:
    unknown = sorted(set(_PLACEHOLDER.findall(text)) - PLACEHOLDERS)
    if unknown:
        raise KnowledgeConfigError(f"{where}: unknown placeholder(s) {', '.join(unknown)}; "
                                   f"known: {', '.join(sorted(PLACEHOLDERS))}")


def _parse_answer(topic: str, raw: Any, where: str, base: Optional[Answer] = None) -> Answer:
    if not isinstance(raw, Mapping):
        raise KnowledgeConfigError(f"{where}: expected a mapping with 'answer', got {type(raw).__name__}")
    text = str(raw.get("answer") or (base.text if base else "")).strip()
    if not text:
        raise KnowledgeConfigError(f"{where}: missing 'answer'")
    _check_placeholders(text, f"{where}.answer")
    # A school's own English answer is not followed by the district's Spanish one (it says something else):
    # without its own answer_es it falls back to its English answer.
    inherited_es = base.text_es if base and not raw.get("answer") else None
    text_es = raw.get("answer_es", inherited_es)
    if text_es is not None and not isinstance(text_es, str):
        raise KnowledgeConfigError(f"{where}.answer_es: expected text, got {type(text_es).__name__}")
    text_es = (text_es or "").strip() or None
    if text_es:
        _check_placeholders(text_es, f"{where}.answer_es")
    next_step = str(raw.get("next") or (base.next if base else "")).strip()
    if next_step not in NEXT_STEPS:
        raise KnowledgeConfigError(f"{where}.next: expected one of {', '.join(NEXT_STEPS)}, got {next_step!r}")
    ticket = raw.get("offer_ticket", base.offer_ticket if base else None)
    if ticket is not None and ticket not in TICKET_KINDS:
        raise KnowledgeConfigError(f"{where}.offer_ticket: expected one of {', '.join(TICKET_KINDS)} or null")
    return Answer(topic=topic, text=text, next=next_step, offer_ticket=ticket, text_es=text_es)


def parse_knowledge(raw: Any) -> Knowledge:
    """Build the knowledge base from the parsed YAML mapping, with clear errors."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("topics"), Mapping) or not raw["topics"]:
        raise KnowledgeConfigError("knowledge.yml needs a 'topics' mapping with at least one topic")
    topics: dict[str, Answer] = {}
    for topic, entry in raw["topics"].items():
        if not _TOPIC_KEY.match(str(topic)):
            raise KnowledgeConfigError(f"topics: {topic!r} is not a topic key (lower case, digits, '_')")
        topics[str(topic)] = _parse_answer(str(topic), entry, f"topics.{topic}")
    overrides: dict[str, dict[str, Answer]] = {}
    for school_id, entries in (raw.get("schools") or {}).items():
        if not isinstance(entries, Mapping):
            raise KnowledgeConfigError(f"schools.{school_id}: expected a mapping of topics")
        for topic, entry in entries.items():
            if topic not in topics:
                raise KnowledgeConfigError(f"schools.{school_id}.{topic}: no such topic in 'topics'")
            answer = _parse_answer(str(topic), entry, f"schools.{school_id}.{topic}", base=topics[topic])
            overrides.setdefault(str(school_id), {})[str(topic)] = answer
    labels = {str(key): str(title).strip() for key, title in (raw.get("labels") or {}).items() if title}
    labels_es = {str(key): str(title).strip() for key, title in (raw.get("labels_es") or {}).items() if title}
    unknown = sorted(set(labels_es) - set(labels))
    if unknown:
        raise KnowledgeConfigError(f"labels_es: {', '.join(unknown)} not in 'labels' (a Spanish title needs the "
                                   "English one)")
    return Knowledge(topics=topics, school_overrides=overrides, labels=labels, labels_es=labels_es)


def knowledge_file() -> Path:
    """`KNOWLEDGE_FILE` from the environment, else the project's knowledge.yml."""
    return Path(os.environ.get("KNOWLEDGE_FILE") or DEFAULT_KNOWLEDGE_FILE)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> Knowledge:
    with open(path, encoding="utf-8") as handle:
        return parse_knowledge(yaml.safe_load(handle))


def load_knowledge(path: Optional[Path] = None) -> Knowledge:
    """Load (and cache until the file changes) the knowledge base."""
    target = Path(path or knowledge_file())
    return _load_cached(str(target), target.stat().st_mtime)
