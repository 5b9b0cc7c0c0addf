"""Fault: Rasa is so busy that it opens a connection to the action server and writes its request seconds later
(tests/load showed this: 50 concurrent conversations on 2 cores). The action server must wait for the request
instead of closing the connection after Sanic's default 5 s (actions/server_timeouts.py)."""
from __future__ import annotations

import socket
import time
from urllib.parse import urlsplit

import pytest
from sanic import Sanic

from actions.server_timeouts import KEEP_ALIVE_SECONDS, keep_new_connections_open

pytestmark = pytest.mark.e2e


def test_a_request_written_seconds_after_connecting_is_answered(servers):
    address = urlsplit(servers.action_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        time.sleep(6.5)  # longer than Sanic's default keep-alive timeout of 5 s
        sock.sendall(f"GET /health HTTP/1.1\r\nHost: {address.netloc}\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_the_timeout_is_raised_only_on_the_action_server_app_and_an_explicit_setting_wins():
    name = "faults-busy-rasa-action-server"
    assert keep_new_connections_open({}, name) is False  # no such app in this process: nothing to do
    app = Sanic(name)
    try:
        assert app.config.KEEP_ALIVE_TIMEOUT == 5
        assert keep_new_connections_open({"SANIC_KEEP_ALIVE_TIMEOUT": "30"}, name) is False
        assert app.config.KEEP_ALIVE_TIMEOUT == 5
        assert keep_new_connections_open({}, name) is True and app.config.KEEP_ALIVE_TIMEOUT == KEEP_ALIVE_SECONDS
        assert keep_new_connections_open({}, name) is False
    finally:
        Sanic._app_registry.pop(name, None)


def test_the_action_servers_start_up_runs_from_rasa_sdks_plugin_hook_not_at_import(monkeypatch):
    """rasa_sdk calls attach_sanic_app_extensions(app) from rasa_sdk_plugins; importing `actions` changes nothing."""
    import importlib

    import actions
    from rasa_sdk.plugin import plugin_manager

    name = "faults-plugin-hook-app"
    app = Sanic(name)
    try:
        importlib.reload(actions)
        assert app.config.KEEP_ALIVE_TIMEOUT == 5  # the import left it alone
        monkeypatch.setenv("ACTION_SERVER_TOKEN", "t" * 24)
        monkeypatch.delenv("SANIC_KEEP_ALIVE_TIMEOUT", raising=False)
        plugin_manager.cache_clear()
        plugin_manager().hook.attach_sanic_app_extensions(app=app)
        assert app.config.KEEP_ALIVE_TIMEOUT == KEEP_ALIVE_SECONDS
        assert app.ctx.token_required is True
    finally:
        Sanic._app_registry.pop(name, None)
        plugin_manager.cache_clear()
