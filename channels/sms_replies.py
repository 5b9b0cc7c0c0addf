"""The SMS channel's own sentences: every text the channel itself sends a parent (keyword answers, the choice line).

They are answered before NLU, so they are not dialogue responses. Each has an English and a Spanish default
here, side by side; a domain response of the same name (`utter_sms_opted_out`, ...) replaces them: its
variation without a condition for English, the one with `condition: [{type: slot, name: language, value: es}]`
for Spanish (one whose `channel` is `sms` first). The language is the number's (the keyword's own for AYUDA,
PARAR, ...; see channels/sms.py). Placeholders are filled from district.yml: {district_name},
{district_short_name}, {district_phone}, {district_hours} (in Spanish: `spanish_hours`).

Note: `rasa data validate --fail-on-warnings` warns about domain responses that no story or rule uses, so
add them to domain.yml only together with a way to keep the validator quiet.
"""
from __future__ import annotations

import re
from typing import Any, Mapping, Optional

from portal.district import load_district
from portal.models import DEFAULT_LANGUAGE, LANGUAGES

# key -> (domain response name, English default, Spanish default). Spanish: plain words for US families, "usted";
# START stays the opt-in word (the gateway knows it), PARAR is offered as the Spanish opt-out.
SMS_REPLIES: dict[str, tuple[str, str, str]] = {
    "opted_out": (
        "utter_sms_opted_out",
        "You're unsubscribed from {district_short_name} parent portal help and won't get more texts. "
        "Reply START to subscribe again.",
        "Ya no recibirá mensajes de ayuda del portal para padres de {district_short_name}. "
        "Para recibirlos otra vez, responda START.",
    ),
    "opted_in": (
        "utter_sms_opted_in",
        "You're subscribed again to {district_short_name} parent portal help. What can I help you with? "
        "Reply STOP to unsubscribe.",
        "Otra vez recibirá ayuda del portal para padres de {district_short_name}. ¿En qué le puedo ayudar? "
        "Para no recibir más, responda PARAR.",
    ),
    "help": (
        "utter_sms_help",
        "{district_short_name} parent portal help: call the district office at {district_phone}, {district_hours}. "
        "Reply STOP to unsubscribe. Msg & data rates may apply.",
        "Portal para padres de {district_short_name}: llame al {district_phone}, {district_hours}. "
        "Responda PARAR para no recibir más. Pueden aplicarse cargos.",
    ),
    # The answer to ESPAÑOL / ENGLISH when the assistant itself said nothing.
    "language_set": (
        "utter_sms_language_set",
        "OK, I'll text you in English. Reply ESPAÑOL for Spanish.",
        "Listo, le escribiré en español. Responda ENGLISH para inglés.",
    ),
    # The numbered choices that replace buttons: "Reply 1 for Yes, please, 2 for No, thanks".
    "choices": ("utter_sms_choices", "Reply {choices}", "Responda {choices}"),
    "choice": ("utter_sms_choice", "{number} for {title}", "{number} para {title}"),
}

_SPANISH_DAYS = {"mon": "lunes", "tue": "martes", "wed": "miércoles", "thu": "jueves", "fri": "viernes",
                 "sat": "sábado", "sun": "domingo"}
_DAY = r"(mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday|s|r|rs)?\.?"


def spanish_hours(hours: str) -> str:
    """District office hours written the English way ("Mon-Fri 8am-4:30pm") in Spanish ("de lunes a viernes,
    8am-4:30pm"); day names anywhere else are translated one by one, the rest is kept as written."""
    text = (hours or "").strip()
    span = re.match(rf"^{_DAY}\s*(?:-|–|to)\s*{_DAY}[,:]?\s+(.+)$", text, re.IGNORECASE)
    if span:
        first, last, rest = span.group(1).lower(), span.group(2).lower(), span.group(3)
        return f"de {_SPANISH_DAYS[first]} a {_SPANISH_DAYS[last]}, {rest}"
    return re.sub(rf"\b{_DAY}(?=\W|$)", lambda m: _SPANISH_DAYS[m.group(1).lower()], text, flags=re.IGNORECASE)


def district_values(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """The district's name, phone and hours for the placeholders (district.yml, or DISTRICT_FILE).

    In Spanish the hours are `office_hours_es` when the district file has it, else translated (`spanish_hours`).
    """
    district = load_district()
    hours = district.office_hours
    if language == "es":
        hours = getattr(district, "office_hours_es", None) or spanish_hours(hours)
    return {"district_name": district.name, "district_short_name": district.short_name,
            "district_phone": district.phone, "district_hours": hours}


def _language_condition(variation: Mapping[str, Any]) -> Optional[str]:
    """The language a variation is for: None without a condition, the value of a `language` slot condition,
    "" for any other condition (not usable here: the channel answers before the dialogue)."""
    conditions = variation.get("condition")
    if not conditions:
        return None
    if (isinstance(conditions, list) and len(conditions) == 1 and isinstance(conditions[0], Mapping)
            and conditions[0].get("type") == "slot" and conditions[0].get("name") == "language"):
        return str(conditions[0].get("value") or "")
    return ""


def _domain_text(domain: Any, response: str, language: str = DEFAULT_LANGUAGE) -> Optional[str]:
    """The domain's text for this response in `language`: English is the variation without a condition, another
    language the one conditioned on the `language` slot (`channel: sms` preferred, as Rasa does)."""
    variations = (getattr(domain, "responses", None) or {}).get(response) or []
    wanted = None if language == DEFAULT_LANGUAGE else language
    usable = [v for v in variations if isinstance(v, Mapping) and v.get("text") and _language_condition(v) == wanted]
    for variation in sorted(usable, key=lambda v: v.get("channel") != "sms"):
        if variation.get("channel") in (None, "sms"):
            return str(variation["text"])
    return None


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def reply_language(language: Optional[str]) -> str:
    """A language the channel has sentences in ("es", "en"); anything else is English."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def reply_templates(domain: Any = None, language: Optional[str] = DEFAULT_LANGUAGE) -> dict[str, str]:
    """Every channel sentence as a template in `language`, the domain's text first."""
    language = reply_language(language)
    index = 2 if language == "es" else 1
    return {key: _domain_text(domain, entry[0], language) or entry[index] for key, entry in SMS_REPLIES.items()}


def reply_text(key: str, domain: Any = None, language: Optional[str] = DEFAULT_LANGUAGE) -> str:
    """One channel sentence in `language` ("en", "es"), its district placeholders filled."""
    language = reply_language(language)
    template = reply_templates(domain, language)[key]
    return template.format_map(_Blank(district_values(language)))
