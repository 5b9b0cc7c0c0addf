"""Configuration of the help-desk service, from the environment (nothing secret lives in the repository)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Optional

from helpdesk.auth import TokenRegistry
from portal.db import PROJECT_ROOT
from portal.district import load_district
from portal.settings import SettingError, env_float, env_int

RASA_TOKEN_FILE = PROJECT_ROOT / "var" / "rasa_auth_token"
EXTERNAL_KINDS = ("webhook", "zendesk", "freshdesk", "osticket")


# A configuration value is missing or malformed (messages never contain secrets): the same error as a malformed
# number in the environment (portal.settings), so one `except ConfigError` covers both.
ConfigError = SettingError


@dataclass(frozen=True)
class ExternalConfig:
    """The external help desk that new tickets and status changes are forwarded to."""

    kind: str
    url: str
    email: Optional[str] = None          # zendesk: agent email (with /token auth)
    api_token: Optional[str] = None      # zendesk: API token
    api_key: Optional[str] = None        # freshdesk: API key; osticket: X-API-Key
    secret: Optional[str] = None         # webhook: HMAC-SHA256 signing secret (optional)
    requester_email: Optional[str] = None  # freshdesk/osticket: who the ticket is "from"
    requester_name: str = "Parent portal assistant"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Optional["ExternalConfig"]:
        kind = environ.get("HELPDESK_EXTERNAL_KIND", "").strip().lower()
        if not kind:
            return None
        if kind not in EXTERNAL_KINDS:
            raise ConfigError(f"HELPDESK_EXTERNAL_KIND must be one of {', '.join(EXTERNAL_KINDS)}, not {kind!r}")
        url = environ.get("HELPDESK_EXTERNAL_URL", "").strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError("HELPDESK_EXTERNAL_URL must be an http(s) URL")
        config = cls(
            kind=kind,
            url=url,
            email=_get(environ, "HELPDESK_EXTERNAL_EMAIL"),
            api_token=_get(environ, "HELPDESK_EXTERNAL_API_TOKEN"),
            api_key=_get(environ, "HELPDESK_EXTERNAL_API_KEY"),
            secret=_get(environ, "HELPDESK_EXTERNAL_SECRET"),
            requester_email=_get(environ, "HELPDESK_EXTERNAL_REQUESTER_EMAIL"),
            requester_name=_get(environ, "HELPDESK_EXTERNAL_REQUESTER_NAME") or "Parent portal assistant",
        )
        needed = {
            "zendesk": [("HELPDESK_EXTERNAL_EMAIL", config.email), ("HELPDESK_EXTERNAL_API_TOKEN", config.api_token)],
            "freshdesk": [("HELPDESK_EXTERNAL_API_KEY", config.api_key),
                          ("HELPDESK_EXTERNAL_REQUESTER_EMAIL", config.requester_email)],
            "osticket": [("HELPDESK_EXTERNAL_API_KEY", config.api_key),
                         ("HELPDESK_EXTERNAL_REQUESTER_EMAIL", config.requester_email)],
            "webhook": [],
        }[kind]
        missing = [name for name, value in needed if not value]
        if missing:
            raise ConfigError(f"HELPDESK_EXTERNAL_KIND={kind} needs {', '.join(missing)}")
        return config


@dataclass(frozen=True)
class HelpdeskConfig:
    """Everything the service needs; `from_env()` reads it, tests build it directly."""

    tokens: TokenRegistry
    host: str = "127.0.0.1"
    port: int = 8000
    database_url: Optional[str] = None       # None: DATABASE_URL / the project's SQLite file (portal.db)
    rasa_url: str = "http://localhost:5005"
    rasa_token: Optional[str] = field(default=None, repr=False)
    external: Optional[ExternalConfig] = field(default=None, repr=False)
    outbox_worker: bool = True               # run the delivery worker inside the service
    outbox_poll_seconds: float = 5.0
    outbox_lease_seconds: float = 120.0
    backoff_base_seconds: float = 5.0
    backoff_cap_seconds: float = 30 * 60.0
    connect_timeout: float = 3.05
    read_timeout: float = 15.0
    http_retries: int = 2                    # urllib3 retries of connection errors / 503 inside one attempt
    http_backoff_factor: float = 0.5
    access_log: bool = False

    def with_(self, **changes) -> "HelpdeskConfig":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, require_tokens: bool = True) -> "HelpdeskConfig":
        """Read the environment; `require_tokens=False` for commands that serve no requests (outbox CLI)."""
        if require_tokens:
            district = load_district(Path(environ["DISTRICT_FILE"]) if environ.get("DISTRICT_FILE") else None)
            tokens = TokenRegistry.from_env(environ, school_ids=[s.id for s in district.schools])
        else:
            tokens = TokenRegistry({})
        return cls(
            tokens=tokens,
            host=environ.get("HELPDESK_HOST", "").strip() or "127.0.0.1",
            port=env_int(environ, "HELPDESK_PORT", 8000, low=1, high=65535, meaning="a TCP port (1-65535)"),
            database_url=_get(environ, "DATABASE_URL"),
            rasa_url=(_get(environ, "RASA_URL") or "http://localhost:5005").rstrip("/"),
            rasa_token=_get(environ, "RASA_AUTH_TOKEN") or _read_token_file(RASA_TOKEN_FILE),
            external=ExternalConfig.from_env(environ),
            outbox_worker=environ.get("HELPDESK_OUTBOX_WORKER", "1").strip().lower() not in ("0", "false", "no"),
            outbox_poll_seconds=env_float(environ, "HELPDESK_OUTBOX_POLL_SECONDS", 5.0),
            backoff_base_seconds=env_float(environ, "HELPDESK_OUTBOX_BACKOFF_SECONDS", 5.0),
            backoff_cap_seconds=env_float(environ, "HELPDESK_OUTBOX_BACKOFF_CAP_SECONDS", 1800.0),
            connect_timeout=env_float(environ, "HELPDESK_HTTP_CONNECT_TIMEOUT", 3.05),
            read_timeout=env_float(environ, "HELPDESK_HTTP_READ_TIMEOUT", 15.0),
            access_log=environ.get("HELPDESK_ACCESS_LOG", "").strip().lower() in ("1", "true", "yes"),
        )


def _get(environ: Mapping[str, str], name: str) -> Optional[str]:
    value = environ.get(name, "").strip()
    return value or None


def _read_token_file(path: Path) -> Optional[str]:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
