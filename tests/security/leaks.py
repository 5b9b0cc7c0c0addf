"""Finding personal data and secrets in text (process logs): activation keys, email addresses, phone numbers."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from sqlalchemy import select

from portal.db import session_scope
from portal.models import GUARDIAN_ROLES, ActivationKey, Person, PortalAccount

# Any full email address: a masked one ("b********r@example.com") has "*" before the "@" part and never matches.
EMAIL = re.compile(r"(?<![\w.+*%-])[A-Za-z0-9][\w.+%-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Addresses that are not personal data and may appear in logs (package metadata and the like).
ALLOWED_EMAILS = frozenset()


@dataclass
class Secrets:
    """What must never appear in a log: every activation key, persona email and phone number of the store."""

    keys: set[str] = field(default_factory=set)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)  # the last ten digits

    @classmethod
    def from_store(cls, url: str) -> "Secrets":
        found = cls()
        with session_scope(url) as session:
            found.keys = set(session.execute(select(ActivationKey.key)).scalars())
            for person in session.execute(select(Person).where(Person.role.in_(GUARDIAN_ROLES))).scalars():
                if person.email:
                    found.emails.add(person.email.lower())
                for number in (person.sms, person.phone):
                    digits = re.sub(r"\D", "", number or "")
                    if len(digits) >= 10:
                        found.phones.add(digits[-10:])
            for email in session.execute(select(PortalAccount.security_email)).scalars():
                if email:
                    found.emails.add(email.lower())
        return found


def _key_pattern(key: str) -> re.Pattern:
    """A 32-hex-digit key in any format a parent may paste: dashes, spaces, braces between its digits, any case."""
    return re.compile(r"[\s\-{}]?".join(re.escape(ch) for ch in key), re.IGNORECASE)


def _phone_pattern(digits: str) -> re.Pattern:
    """A ten-digit number in any spelling: +1 555-010-2002, (555) 010-2002, 555.010.2002, 5550102002."""
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return re.compile(rf"(?<!\d)(?:\+?1[\s.\-]*)?\(?{area}\)?[\s.\-]*{exchange}[\s.\-]*{line}(?!\d)")


def find_leaks(text: str, secrets: Secrets) -> list[str]:
    """Every leak in `text`, each described without repeating the secret in full."""
    leaks: list[str] = []
    for key in secrets.keys:
        if _key_pattern(key).search(text):
            leaks.append(f"activation key {key[:4]}…")
    for match in EMAIL.finditer(text):
        address = match.group(0).lower()
        if address not in ALLOWED_EMAILS:
            leaks.append(f"email address {address[:2]}…@{address.partition('@')[2]}")
    for email in secrets.emails:
        if email in text.lower():
            leaks.append(f"persona email {email[:2]}…")
    for digits in secrets.phones:
        if _phone_pattern(digits).search(text):
            leaks.append(f"phone number …{digits[-4:]}")
    return sorted(set(leaks))


def leaks_in_files(paths: Iterable[Path], secrets: Secrets) -> dict[str, list[str]]:
    found = {}
    for path in paths:
        leaks = find_leaks(path.read_text(errors="replace"), secrets)
        if leaks:
            found[str(path)] = leaks
    return found
