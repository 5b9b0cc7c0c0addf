"""Activation keys (the 32-hex-digit GUID a school emails to a parent): parsing, lookup and masking."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import ActivationKey, Person, PortalAccount
from portal.households import school_ids_for_guardian

log = logging.getLogger(__name__)

KEY_LENGTH = 32
HEX_DIGITS = frozenset("0123456789ABCDEF")
KEY_STATUSES = ("unknown", "unused", "redeemed")

# Leading labels parents paste along with the key: "key:", "Activation Key #", "GUID =", "my code is" ...
_LABEL = re.compile(
    r"^\s*(?:(?:my|the|your)\s+)?(?:activation\s*|access\s*|portal\s*)?(?:key|code|guid|number|#)\s*"
    r"(?:#|no\.?|number)?\s*(?:is\s*)?[:=#\-]?\s*",
    re.IGNORECASE,
)
# Characters that only decorate a key: whitespace, dashes of every kind, braces, brackets, quotes.
_DECORATION = re.compile(r"[\s\-\u2010-\u2015\u2212{}\[\]()<>\"'`\u2018\u2019\u201c\u201d]+")
_TRAILING_PUNCTUATION = ".,;:!?"
_TOKEN_SPLIT = re.compile(r"[\s:=#,;]+")
_TOKEN_STRIP = "{}[]()<>\"'`\u2018\u2019\u201c\u201d.,;:!?"
_GUID = re.compile(
    r"(?<![0-9A-Za-z])[{(]?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}[})]?(?![0-9A-Za-z])"
)
_DASHES = re.compile(r"[\-\u2010-\u2015\u2212]")


@dataclass(frozen=True)
class KeyParse:
    """What a parent typed, read as an activation key.

    `key` is the normalised key (32 upper-case hex digits) when valid; otherwise `problem` is one of
    "empty", "too_short", "too_long", "bad_characters". `length` counts the letters and digits found;
    `bad_characters` lists the distinct characters that cannot be in a key, in order of appearance.
    """

    key: Optional[str]
    problem: Optional[str]
    length: int
    bad_characters: tuple[str, ...] = ()

    @property
    def valid(self) -> bool:
        return self.key is not None


@dataclass(frozen=True)
class KeyCheck:
    """Where a key stands in the roster.

    `status`: "unknown" (not on file), "unused" (not yet redeemed) or "redeemed" (an account was created).
    `account_status`: the guardian's portal account status (none|active|disabled|locked) or None.
    `school_ids`: schools of the guardian's linked students, for routing the parent or a ticket.
    """

    status: str
    account_status: Optional[str] = None
    guardian_id: Optional[str] = None
    school_ids: tuple[str, ...] = ()


def normalise_key(text: Optional[str]) -> KeyParse:
    """Read a pasted activation key, forgiving labels, spaces, dashes, braces, quotes and case."""
    cleaned = _LABEL.sub("", text or "", count=1)
    cleaned = _DECORATION.sub("", cleaned).strip(_TRAILING_PUNCTUATION).upper()
    length = sum(1 for ch in cleaned if ch.isalnum())
    if not cleaned:
        return KeyParse(key=None, problem="empty", length=0)
    bad = tuple(dict.fromkeys(ch for ch in cleaned if ch not in HEX_DIGITS))
    if bad:
        return KeyParse(key=None, problem="bad_characters", length=length, bad_characters=bad)
    if len(cleaned) < KEY_LENGTH:
        return KeyParse(key=None, problem="too_short", length=length)
    if len(cleaned) > KEY_LENGTH:
        return KeyParse(key=None, problem="too_long", length=length)
    return KeyParse(key=cleaned, problem=None, length=length)


def find_key_in_text(text: Optional[str]) -> Optional[str]:
    """The first activation key inside a longer message, normalised, or None.

    Recognises a GUID (8-4-4-4-12, optionally in braces) and 32 hex digits written in one piece or
    split into groups by spaces or dashes. A run must contain a digit, so ordinary words made of the
    letters a-f ("a bad cafe") never count as a key.
    """
    if not text:
        return None
    guid = _GUID.search(text)
    if guid:
        return normalise_key(guid.group(0)).key
    pieces = [_clean_token(token) for token in _TOKEN_SPLIT.split(text)]
    for start in range(len(pieces)):
        joined = ""
        for piece in pieces[start:]:
            if piece is None:
                break
            joined += piece
            if len(joined) >= KEY_LENGTH:
                break
        if len(joined) == KEY_LENGTH and any(ch.isdigit() for ch in joined):
            return joined.upper()
    return None


def _clean_token(token: str) -> Optional[str]:
    """A whitespace-separated token without decoration if it is made of hex digits only, else None."""
    piece = _DASHES.sub("", token.strip(_TOKEN_STRIP))
    if piece and all(ch in HEX_DIGITS for ch in piece.upper()):
        return piece
    return None


def mask_key(key: Optional[str]) -> str:
    """A key safe for logs: the first and last four characters only, e.g. "4F2A…3E7C"."""
    letters = "".join(ch for ch in (key or "") if ch.isalnum()).upper()
    if len(letters) < 12:
        return "…"
    return f"{letters[:4]}…{letters[-4:]}"


def check_key(session: Session, key: Optional[str]) -> KeyCheck:
    """Look an activation key up: unknown, unused or redeemed, with the owner's account status and schools."""
    parsed = normalise_key(key)
    if not parsed.valid:
        return KeyCheck(status="unknown")
    row = session.execute(
        select(ActivationKey.person_id, ActivationKey.redeemed)
        .join(Person, Person.id == ActivationKey.person_id)
        .where(ActivationKey.key == parsed.key, ActivationKey.active.is_(True), Person.active.is_(True))
    ).first()
    if row is None:
        log.info("activation key %s: unknown", mask_key(parsed.key))
        return KeyCheck(status="unknown")
    account_status = session.execute(
        select(PortalAccount.account_status).where(
            PortalAccount.person_id == row.person_id, PortalAccount.active.is_(True)
        )
    ).scalar_one_or_none()
    status = "redeemed" if row.redeemed else "unused"
    log.info("activation key %s: %s", mask_key(parsed.key), status)
    return KeyCheck(
        status=status,
        account_status=account_status,
        guardian_id=row.person_id,
        school_ids=school_ids_for_guardian(session, row.person_id),
    )
