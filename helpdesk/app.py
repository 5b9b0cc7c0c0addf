"""The help-desk Sanic app: JSON API (/api/), staff page (/staff/), and the outbox worker in the background."""
from __future__ import annotations

import asyncio
import itertools
import logging
import traceback
from typing import Optional

from sanic import Request, Sanic
from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.response import HTTPResponse, json as json_response

from helpdesk import chat
from helpdesk.api import ApiError, api
from helpdesk.config import HelpdeskConfig
from helpdesk.delivery import make_worker
from helpdesk.http import install_log_redaction
from helpdesk.staff import staff
from portal.district import District, load_district

log = logging.getLogger(__name__)

_app_numbers = itertools.count(1)
REQUEST_MAX_BYTES = 64 * 1024
STAFF_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
REASONS = {400: "bad request", 404: "not found", 405: "method not allowed", 413: "request body too large",
           408: "request timed out", 503: "service unavailable"}


class JsonErrorHandler(ErrorHandler):
    """Every error is {"error": "..."}: our ApiErrors as they are, Sanic's by status, bugs as a bare 500."""

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, ApiError):
            return json_response({"error": exception.message}, status=exception.status, headers=exception.headers)
        if isinstance(exception, SanicException):
            status = getattr(exception, "status_code", 500) or 500
            if status == 400 and "json" in str(exception).lower():
                message = "malformed JSON body"
            else:
                message = REASONS.get(status, "request failed")
            return json_response({"error": message}, status=status)
        # A bug: log where it happened (frames only: exception messages may quote request data).
        frames = "".join(traceback.format_tb(exception.__traceback__)[-5:])
        log.error("unhandled %s on %s %s\n%s", type(exception).__name__, getattr(request, "method", "?"),
                  getattr(request, "path", "?"), frames)
        return json_response({"error": "internal error"}, status=500)


def create_app(config: Optional[HelpdeskConfig] = None, district: Optional[District] = None,
               name: Optional[str] = None) -> Sanic:
    """Build the app. `config` defaults to `HelpdeskConfig.from_env()`; `district` to district.yml."""
    config = config or HelpdeskConfig.from_env()
    install_log_redaction()
    app = Sanic(name or f"helpdesk_{next(_app_numbers)}", error_handler=JsonErrorHandler())
    app.config.REQUEST_MAX_SIZE = REQUEST_MAX_BYTES
    app.config.MOTD = False
    app.config.ACCESS_LOG = config.access_log
    app.ctx.config = config
    app.ctx.tokens = config.tokens
    app.ctx.district = district or load_district()
    app.ctx.outbox_wakeup = None
    app.blueprint(api)
    app.blueprint(staff)
    chat.register(app)

    @app.middleware("response")
    async def security_headers(request: Request, response: HTTPResponse) -> None:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith("/api/") or request.path.startswith("/staff/fragments/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if request.path.startswith("/staff"):
            response.headers.setdefault("Content-Security-Policy", STAFF_CSP)

    if config.outbox_worker:

        @app.after_server_start
        async def start_outbox_worker(app: Sanic, _loop) -> None:
            app.ctx.outbox_wakeup = asyncio.Event()
            worker = make_worker(config)
            app.ctx.outbox_task = asyncio.get_running_loop().create_task(
                worker.run(app.ctx.outbox_wakeup, config.outbox_poll_seconds)
            )

        @app.before_server_stop
        async def stop_outbox_worker(app: Sanic, _loop) -> None:
            task = getattr(app.ctx, "outbox_task", None)
            if task is not None:
                task.cancel()
                try:
                    await task
                except (asyncio.CancelledError, Exception):
                    pass

    return app
