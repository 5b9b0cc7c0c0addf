"""The sentences every parent-facing channel (REST, web chat, SMS) says itself, before or instead of the assistant:
the "too long" answer, the "couldn't read that" answer, the "something went wrong" answer.

They follow the SMS channel's pattern (`channels/sms_replies.py`): an English and a Spanish default here, side by
side, replaced by a domain response of the same name when there is one. `tests/test_domain.py` holds them to the
same 320-character limit as the domain's replies.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from channels.inbound import MAX_MESSAGE_CHARS

# key -> (domain response name, default text, Spanish default text)
CHANNEL_SENTENCES: dict[str, tuple[str, str, str]] = {
    "too_long": ("utter_message_too_long",
                 "That message is too long for me. Please tell me in a sentence or two what you need "
                 f"(at most {MAX_MESSAGE_CHARS:,} characters).",
                 "Ese mensaje es muy largo para mí. Dígame en una o dos frases qué necesita "
                 f"(máximo {MAX_MESSAGE_CHARS:,} letras)."),
    "unreadable": ("utter_message_unreadable",
                   "Sorry, I couldn't read that message. Please type your question again.",
                   "Perdón, no pude leer ese mensaje. Escriba su pregunta otra vez."),
    "failed": ("utter_channel_failed",
               "Sorry, something went wrong on my side. Please try again in a minute.",
               "Perdón, algo falló de mi lado. Intente otra vez en un minuto."),
}


def channel_sentence(key: str, domain: Any = None, language: Optional[str] = None) -> str:
    """One of the channel's own sentences in `language` (Spanish for "es", else English); a domain response of
    the same name wins (its variation conditioned on `language: es` for Spanish)."""
    response, default, spanish = CHANNEL_SENTENCES[key]
    variations = (getattr(domain, "responses", None) or {}).get(response) or []
    for variation in variations:
        if isinstance(variation, Mapping) and variation.get("text") and _in_language(variation, language):
            return str(variation["text"])
    return spanish if language == "es" else default


def _in_language(variation: Mapping, language: Optional[str]) -> bool:
    """A variation for this language: Spanish ones name `language: es`; English ones have no condition."""
    conditions = variation.get("condition") or []
    if language == "es":
        return any(c.get("name") == "language" and c.get("value") == "es" for c in conditions)
    return not conditions
