"""Keep a new connection from Rasa open until its request arrives, however busy Rasa is.

Rasa 3.6 opens a new connection for every action call. Under load its event loop can be busy with predictions
for several seconds between opening the connection and writing the request. Sanic 21.12 counts that time against
KEEP_ALIVE_TIMEOUT (default 5 s: a new connection is "idle" until its first byte) and closes the connection; Rasa
then logs "Can not write request body", drops the action's events, and the parent gets the service-trouble reply
(tests/load found a third of the action calls failing this way with 50 concurrent conversations on 2 cores).

rasa_sdk builds its Sanic app ("rasa_sdk") before it imports the actions package, so `actions/__init__.py` can
raise the timeout on the app before the server starts. An explicit SANIC_KEEP_ALIVE_TIMEOUT in the environment
wins. Anywhere else (tests, the Rasa process) this does nothing.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

APP_NAME = "rasa_sdk"
KEEP_ALIVE_SECONDS = 120  # longer than any stall worth waiting for; Rasa closes each connection after its call


def keep_new_connections_open(environ: Mapping[str, str] = os.environ, app_name: str = APP_NAME,
                              app: Any = None) -> bool:
    """Raise the action server's keep-alive timeout (on `app`, else the running one named `app_name`); True when
    it was changed. Called at start-up by rasa_sdk_plugins."""
    if environ.get("SANIC_KEEP_ALIVE_TIMEOUT"):
        return False
    if app is None:
        try:
            from sanic import Sanic

            app = Sanic.get_app(app_name)
        except Exception:  # noqa: BLE001 - no action server app in this process
            return False
    if app.config.KEEP_ALIVE_TIMEOUT >= KEEP_ALIVE_SECONDS:
        return False
    app.config.KEEP_ALIVE_TIMEOUT = KEEP_ALIVE_SECONDS
    return True
