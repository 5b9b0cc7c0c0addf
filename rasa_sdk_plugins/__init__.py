"""The action server's start-up, through rasa_sdk's own plugin hook.

`rasa run actions` (rasa_sdk/plugin.py) imports this top-level package and calls `init_hooks`; once the Sanic app
exists, `attach_sanic_app_extensions` requires the action server token and raises the keep-alive timeout on it.
Nothing happens at import: importing `actions` (in tests, in the Rasa server) changes no app.
"""
from __future__ import annotations

import sys
from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")


@hookimpl
def attach_sanic_app_extensions(app: Any) -> None:
    """Called by rasa_sdk with the action server's app, before it starts serving."""
    from actions.server_auth import protect_action_server
    from actions.server_timeouts import keep_new_connections_open

    protect_action_server(app=app)
    keep_new_connections_open(app=app)


def init_hooks(manager: pluggy.PluginManager) -> None:
    """rasa_sdk's entry point: register this module's hook implementations."""
    manager.register(sys.modules[__name__])
