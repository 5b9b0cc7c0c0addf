"""Identity before disclosure: match a parent to ONE guardian record by two independent facts.

Nothing here says which fact failed; callers only learn "verified as <id>" or "not verified".
The mask helpers make contact details and usernames safe for logs.
"""
from __future__ import annotations

import logging
import re
from datetime import date
from typing import Optional, Union

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.households import linked_children
from portal.models import GUARDIAN_ROLES, Person
from portal.normalise import PHONE_DIGITS, normalise_email, normalise_name, phone_key

log = logging.getLogger(__name__)


def verify_guardian(
    session: Session, contact: str, child_first_name: str, child_birth_date: Union[date, str, None]
) -> Optional[str]:
    """The guardian's person id when exactly one active guardian record matches both facts, else None.

    Fact (a): `contact` is the record's email (case and spaces ignored) or its mobile (sms) number
    (last ten digits compared, any punctuation). Fact (b): one active student linked to that record
    has this first name (case, spaces and accents ignored) and this birth date.
    """
    birth_date = child_birth_date if isinstance(child_birth_date, date) else parse_birth_date(child_birth_date)
    child = normalise_name(child_first_name)
    candidates = _guardians_by_contact(session, contact)
    if birth_date is None or not child or not candidates:
        log.info("verification failed for %s", mask_contact(contact))
        return None
    matches = [g for g in candidates if _has_child(session, g, child, birth_date)]
    if len(matches) != 1:
        # The same line as for an unknown contact: the logs must not tell which contacts exist either.
        log.info("verification failed for %s", mask_contact(contact))
        return None
    log.info("verified %s as guardian %s", mask_contact(contact), matches[0])
    return matches[0]


def _guardians_by_contact(session: Session, contact: Optional[str]) -> list[str]:
    if contact and "@" in contact:
        email = normalise_email(contact)
        condition = Person.email_norm == email if email else None
    else:
        digits = re.sub(r"\D", "", contact or "")
        condition = Person.sms_digits == phone_key(digits) if len(digits) >= PHONE_DIGITS else None
    if condition is None:
        return []
    return list(
        session.execute(
            select(Person.id).where(condition, Person.role.in_(GUARDIAN_ROLES), Person.active.is_(True))
        ).scalars()
    )


def _has_child(session: Session, guardian_id: str, child: str, birth_date: date) -> bool:
    return any(
        c.birth_date == birth_date and child in _first_name_forms(c.first_name, c.family_name)
        for c in linked_children(session, guardian_id)
    )


def _first_name_forms(first_name: str, family_name: str) -> set[str]:
    """What a parent may type for a child's first name: "Mateo" or the full "Mateo Rivera"."""
    return {normalise_name(first_name), normalise_name(f"{first_name} {family_name}")}


def parse_birth_date(text: Union[date, str, None]) -> Optional[date]:
    """A birth date from what a parent types; None when unreadable, impossible, before 1900 or in the future.

    Accepts 4/12/2016, 04-12-2016, 4.12.16 (month first, as in the US; day first only when the first
    number cannot be a month), 2016-04-12, April 12 2016, Apr 12, 2016, April 12th, 2016, 12 April 2016,
    12 de abril de 2016, also inside a sentence ("she was born on 4/12/2016"); the year must be stated.
    """
    if isinstance(text, date):
        return text
    # Imported here: the channels import this module for the mask helpers and need no date parser.
    from portal.facts import find_birth_date

    return find_birth_date(text)


def mask_username(username: Optional[str]) -> str:
    """First and last character only: "bcarter77" -> "b*******7"."""
    value = username or ""
    if len(value) <= 2:
        return "*" * len(value)
    return f"{value[0]}{'*' * (len(value) - 2)}{value[-1]}"


def mask_email(email: Optional[str]) -> str:
    """Mask the mailbox, keep the domain: "ana.rivera@example.com" -> "a********a@example.com"."""
    value = (email or "").strip()
    if "@" not in value:
        return mask_username(value)
    local, _, domain = value.rpartition("@")
    return f"{mask_username(local) or '*'}@{domain}"


def mask_phone(phone: Optional[str]) -> str:
    """Only the last four digits: "+1 555-010-2001" -> "***-***-2001"."""
    digits = re.sub(r"\D", "", phone or "")
    return f"***-***-{digits[-4:]}" if len(digits) >= 4 else "***"


def mask_contact(contact: Optional[str]) -> str:
    """Mask an email or a phone number, whichever `contact` looks like."""
    return mask_email(contact) if contact and "@" in contact else mask_phone(contact)
