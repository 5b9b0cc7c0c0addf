"""Container health check: `python scripts/healthcheck.py rasa|actions|helpdesk`.

Asks the local server its health route and exits 0 when it answers as expected, 1 otherwise, with one line
either way (no stack trace). Standard library only: it runs in the image's HEALTHCHECK and compose's
`healthcheck`, where nothing else is guaranteed.

    rasa      GET /            on RASA_PORT (5005): "Hello from Rasa", served only once the model is loaded
    actions   GET /health      on ACTION_PORT (5055): rasa_sdk's {"status": "ok"}
    helpdesk  GET /api/health  on HELPDESK_PORT (8000): the help desk's {"status": "ok"}

Without an argument the target is `HEALTHCHECK_TARGET` (the image sets `rasa`). The host is
`HEALTHCHECK_HOST` (default 127.0.0.1); the timeout `HEALTHCHECK_TIMEOUT` seconds (default 3).
"""
from __future__ import annotations

import http.client
import os
import socket
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

EXIT_HEALTHY, EXIT_UNHEALTHY = 0, 1
DEFAULT_TIMEOUT_SECONDS = 3.0
# Straight to the server: an HTTP(S)_PROXY in the environment must not answer for it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Target:
    """One server: where it listens and what its health route says when it is up."""

    port_env: str
    default_port: int
    path: str
    expected: str


TARGETS = {
    "rasa": Target("RASA_PORT", 5005, "/", "Hello from Rasa"),
    "actions": Target("ACTION_PORT", 5055, "/health", '"ok"'),
    "helpdesk": Target("HELPDESK_PORT", 8000, "/api/health", '"ok"'),
}


def target_url(name: str, environ: Mapping[str, str]) -> str:
    """The health URL of target `name`, ports and host from the environment."""
    target = TARGETS[name]
    host = environ.get("HEALTHCHECK_HOST", "").strip() or "127.0.0.1"
    port = environ.get(target.port_env, "").strip() or str(target.default_port)
    return f"http://{host}:{port}{target.path}"


def timeout_seconds(environ: Mapping[str, str]) -> float:
    """`HEALTHCHECK_TIMEOUT`, or the default when unset or not a positive number."""
    try:
        value = float(environ.get("HEALTHCHECK_TIMEOUT", "") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS
    return value if value > 0 else DEFAULT_TIMEOUT_SECONDS


def probe(url: str, expected: str, timeout: float) -> Optional[str]:
    """None when `url` answers 200 with `expected` in the body, else why not (one line)."""
    try:
        with _OPENER.open(url, timeout=timeout) as answer:
            status, body = answer.status, answer.read(4096).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except urllib.error.URLError as error:
        return _reason(error.reason)
    except (OSError, ValueError, http.client.HTTPException) as error:  # timeouts, resets, not HTTP, a bad URL
        return _reason(error)
    if status != 200:
        return f"HTTP {status}"
    if expected not in body:
        return f"unexpected answer {body[:60]!r}"
    return None


def _reason(error: object) -> str:
    if isinstance(error, (socket.timeout, TimeoutError)):
        return "no answer in time"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def main(argv: Optional[Sequence[str]] = None, environ: Mapping[str, str] = os.environ) -> int:
    """Check one target; print one line; 0 healthy, 1 unhealthy or unusable arguments."""
    args = list(sys.argv[1:] if argv is None else argv)
    name = (args[0] if args else environ.get("HEALTHCHECK_TARGET", "")).strip().lower()
    if len(args) > 1 or name not in TARGETS:
        print(f"usage: healthcheck.py {'|'.join(TARGETS)} (got {' '.join(args) or 'nothing'})", file=sys.stderr)
        return EXIT_UNHEALTHY
    url = target_url(name, environ)
    problem = probe(url, TARGETS[name].expected, timeout_seconds(environ))
    if problem:
        print(f"{name}: unhealthy: {url}: {problem}", file=sys.stderr)
        return EXIT_UNHEALTHY
    print(f"{name}: healthy: {url}")
    return EXIT_HEALTHY


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(EXIT_UNHEALTHY)
