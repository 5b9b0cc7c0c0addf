"""The SMS channel's own sentences: every text the channel itself sends a parent (keyword answers, the choice line).

They are answered before NLU, so they are not dialogue responses. Each has a default here; a domain response
of the same name (`utter_sms_opted_out`, ...) replaces it, so a second language can be added in domain.yml.
The first variation without a condition is used (or one whose `channel` is `sms`). Placeholders are filled
from district.yml: {district_name}, {district_short_name}, {district_phone}, {district_hours}.

Note: `rasa data validate --fail-on-warnings` warns about domain responses that no story or rule uses, so
add them to domain.yml only together with a way to keep the validator quiet.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from portal.district import load_district

# key -> (domain response name, default text)
SMS_REPLIES: dict[str, tuple[str, str]] = {
    "opted_out": (
        "utter_sms_opted_out",
        "You're unsubscribed from {district_short_name} parent portal help and won't get more texts. "
        "Reply START to subscribe again.",
    ),
    "opted_in": (
        "utter_sms_opted_in",
        "You're subscribed again to {district_short_name} parent portal help. What can I help you with? "
        "Reply STOP to unsubscribe.",
    ),
    "help": (
        "utter_sms_help",
        "{district_short_name} parent portal help: call the district office at {district_phone}, {district_hours}. "
        "Reply STOP to unsubscribe. Msg & data rates may apply.",
    ),
    # The numbered choices that replace buttons: "Reply 1 for Yes, please, 2 for No, thanks".
    "choices": ("utter_sms_choices", "Reply {choices}"),
    "choice": ("utter_sms_choice", "{number} for {title}"),
}


def district_values() -> dict[str, str]:
    """The district's name, phone and hours for the placeholders (district.yml, or DISTRICT_FILE)."""
    district = load_district()
    return {"district_name": district.name, "district_short_name": district.short_name,
            "district_phone": district.phone, "district_hours": district.office_hours}


def _domain_text(domain: Any, response: str) -> Optional[str]:
    variations = (getattr(domain, "responses", None) or {}).get(response) or []
    usable = [v for v in variations if isinstance(v, Mapping) and v.get("text") and not v.get("condition")]
    for variation in sorted(usable, key=lambda v: v.get("channel") != "sms"):
        if variation.get("channel") in (None, "sms"):
            return str(variation["text"])
    return None


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def reply_templates(domain: Any = None) -> dict[str, str]:
    """Every channel sentence as a template, the domain's text first."""
    return {key: _domain_text(domain, response) or default for key, (response, default) in SMS_REPLIES.items()}


def reply_text(key: str, domain: Any = None) -> str:
    """One channel sentence, its district placeholders filled."""
    template = reply_templates(domain)[key]
    return template.format_map(_Blank(district_values()))
