"""Bearer tokens of the help desk: each token is scoped to the whole district or to one school.

Configuration (never in the repository): `HELPDESK_TOKENS` holds JSON such as
`{"<token>": "district", "<other token>": "org-maple-ridge-es"}`, or `HELPDESK_TOKENS_FILE` names a
file with the same JSON. A value may also be an object `{"scope": "org-maple-ridge-es", "name": "Maple
Ridge office"}`; the name labels the audit trail when staff give none. Scopes are checked against the
school ids of district.yml at startup.

Only SHA-256 digests of the tokens are kept in memory, and a presented token is compared with every
configured digest in constant time (`portal.tokens.same_token`, no early exit), so timing reveals nothing.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

from portal.tokens import same_token, token_digest

DISTRICT = "district"
MIN_TOKEN_CHARS = 16


class TokenConfigError(ValueError):
    """The token configuration is missing or malformed (the message never contains a token)."""


@dataclass(frozen=True)
class Scope:
    """What a token may see: every school (`school_id` None) or one school."""

    school_id: Optional[str]
    name: str

    @property
    def is_district(self) -> bool:
        return self.school_id is None

    def allows(self, school_id: Optional[str]) -> bool:
        """May this scope see a ticket of `school_id`? (Tickets without a school: district only.)"""
        return self.is_district or (school_id is not None and school_id == self.school_id)

    def to_dict(self) -> dict[str, Any]:
        return {"scope": DISTRICT if self.is_district else "school", "school_id": self.school_id, "name": self.name}


class TokenRegistry:
    """The configured tokens, as digests, with their scopes."""

    def __init__(self, tokens: Mapping[str, Scope]) -> None:
        self._entries: tuple[tuple[bytes, Scope], ...] = tuple((token_digest(t), s) for t, s in tokens.items())

    def __len__(self) -> int:
        return len(self._entries)

    def authenticate(self, token: Optional[str]) -> Optional[Scope]:
        """The scope of `token`, or None. Constant time with respect to the token's content."""
        if not token:
            return None
        found: Optional[Scope] = None
        for digest, scope in self._entries:
            if same_token(token, digest):
                found = scope
        return found

    @classmethod
    def from_mapping(cls, raw: Any, school_ids: Optional[Iterable[str]] = None) -> "TokenRegistry":
        """Validate `{"<token>": "district" | "<school id>" | {"scope": ..., "name": ...}}`."""
        if not isinstance(raw, dict) or not raw:
            raise TokenConfigError('help-desk tokens must be a non-empty JSON object {"<token>": "<scope>"}')
        known = set(school_ids) if school_ids is not None else None
        tokens: dict[str, Scope] = {}
        for index, (token, value) in enumerate(raw.items(), start=1):
            where = f"token #{index}"
            if not isinstance(token, str) or len(token.strip()) < MIN_TOKEN_CHARS or token != token.strip():
                raise TokenConfigError(f"{where}: a token must be at least {MIN_TOKEN_CHARS} characters, no spaces around")
            name = None
            if isinstance(value, dict):
                name = value.get("name")
                value = value.get("scope")
            if not isinstance(value, str) or not value.strip():
                raise TokenConfigError(f"{where}: the scope must be \"district\" or a school id")
            value = value.strip()
            if value == DISTRICT:
                scope = Scope(None, str(name or "district staff"))
            else:
                if known is not None and value not in known:
                    raise TokenConfigError(f"{where}: unknown school id {value!r} (not in district.yml)")
                scope = Scope(value, str(name or f"{value} staff"))
            tokens[token] = scope
        return cls(tokens)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ,
                 school_ids: Optional[Iterable[str]] = None) -> "TokenRegistry":
        """Tokens from `HELPDESK_TOKENS` (JSON) or the file named by `HELPDESK_TOKENS_FILE`."""
        text = environ.get("HELPDESK_TOKENS", "").strip()
        source = "HELPDESK_TOKENS"
        if not text and environ.get("HELPDESK_TOKENS_FILE", "").strip():
            path = Path(environ["HELPDESK_TOKENS_FILE"].strip())
            source = f"HELPDESK_TOKENS_FILE ({path})"
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as error:
                raise TokenConfigError(f"{source}: cannot read the file: {error.strerror}") from None
        if not text:
            raise TokenConfigError("no help-desk tokens: set HELPDESK_TOKENS or HELPDESK_TOKENS_FILE (see docs/helpdesk.md)")
        try:
            raw = json.loads(text)
        except ValueError as error:
            # The JSON error's position is safe to show; its message quotes no token text.
            raise TokenConfigError(f"{source}: not valid JSON (line {error.lineno}, column {error.colno})") from None
        try:
            return cls.from_mapping(raw, school_ids)
        except TokenConfigError as error:
            raise TokenConfigError(f"{source}: {error}") from None


def bearer_token(authorization: Optional[str]) -> Optional[str]:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
