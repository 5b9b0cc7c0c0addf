"""An optional token for the action server: rasa_sdk 3.6 has none, and whoever reaches `/webhook` can run any
action with any slots (for example a `verified_guardian_id` it made up).

When `ACTION_SERVER_TOKEN` is set, every request but `/health` must carry it, as Rasa sends it when
endpoints.yml says `action_endpoint: {url: ..., token: <the same token>}` (a `?token=` query parameter), or as
`Authorization: Bearer <token>`. Unset, nothing changes (one machine, action server on localhost).

rasa_sdk builds its Sanic app ("rasa_sdk") before it imports the actions package, so importing this module from
`actions/__init__.py` finds the app and adds the check; anywhere else (tests, the Rasa process) it does nothing.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Mapping, Optional

from actions.server_timeouts import APP_NAME
from portal.tokens import same_token, token_digest

logger = logging.getLogger(__name__)

TOKEN_ENV = "ACTION_SERVER_TOKEN"
PUBLIC_PATHS = frozenset({"/health"})


def token_accepted(expected: str, query_token: Optional[str], authorization: Optional[str]) -> bool:
    """Does the request carry the token (query or bearer)? Compared as digests in constant time."""
    presented = query_token
    if not presented and authorization:
        scheme, _, value = authorization.strip().partition(" ")
        presented = value.strip() if scheme.lower() == "bearer" else None
    return same_token(presented, token_digest(expected))


def protect_action_server(environ: Mapping[str, str] = os.environ, app: Any = None) -> bool:
    """Require the token on the action server's app (`app`, else the running one); True when the check is in
    place. Called at start-up by rasa_sdk_plugins."""
    token = (environ.get(TOKEN_ENV) or "").strip()
    if not token:
        return False
    from sanic import Sanic, response

    if app is None:
        try:
            app = Sanic.get_app(APP_NAME)
        except Exception:  # noqa: BLE001 - no action server app in this process (tests, the Rasa server)
            return False
    if getattr(app.ctx, "token_required", False):
        return True
    app.ctx.token_required = True

    @app.on_request
    async def require_token(request):  # pragma: no cover - exercised by tests/security/test_tokens.py
        if request.path in PUBLIC_PATHS:
            return None
        if token_accepted(token, request.args.get("token"), request.headers.get("authorization")):
            return None
        return response.json({"error": "unauthorized"}, status=401)

    logger.info("Action server: requests need the token from %s", TOKEN_ENV)
    return True
