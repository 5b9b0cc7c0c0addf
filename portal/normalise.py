"""Normalised forms of names, emails and phone numbers, shared by the importer and the lookups."""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

PHONE_DIGITS = 10  # North American numbers: compare the last ten digits, ignoring "+1"
_MIN_PHONE_DIGITS = 7


def normalise_name(text: Optional[str]) -> str:
    """Case-, accent- and space-insensitive form of a name: " Zoë  ann" -> "zoe ann"."""
    text = text or ""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("\u2019", "'")
    return " ".join(text.casefold().split())


def name_key(given_name: Optional[str], family_name: Optional[str]) -> Optional[str]:
    """Key that finds the same person entered twice: "ana|rivera"; None without both names."""
    given, family = normalise_name(given_name), normalise_name(family_name)
    return f"{given}|{family}" if given and family else None


def normalise_email(text: Optional[str]) -> Optional[str]:
    """Lower-case email without any whitespace, or None when it does not look like an email."""
    email = re.sub(r"\s+", "", text or "").lower().strip("<>.,;")
    if email.startswith("mailto:"):
        email = email[len("mailto:"):]
    return email if "@" in email and not email.startswith("@") and not email.endswith("@") else None


def phone_key(text: Optional[str]) -> Optional[str]:
    """The last ten digits of a phone number ("+1 (555) 010-2001" -> "5550102001"), None if too short."""
    digits = re.sub(r"\D", "", text or "")
    if len(digits) < _MIN_PHONE_DIGITS:
        return None
    return digits[-PHONE_DIGITS:]
