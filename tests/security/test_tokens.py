"""Every staff and API endpoint needs a token: each help-desk route (enumerated from the Sanic app, except the
documented public ones) refuses no token and a forged one, and Rasa's HTTP API on the real server refuses both.
The public web chat history serves only web chat conversations."""
from __future__ import annotations

import json
import re
import secrets
import urllib.error
import urllib.request
from typing import Optional

import pytest
from sanic import Sanic

pytestmark = pytest.mark.e2e

# Documented as public (docs/privacy.md, docs/helpdesk.md): liveness, the API description, the staff page shell and
# its static files (no data: the page fetches everything with the token), and the chat widget's files and history.
PUBLIC = {"api/health", "api/openapi.json", "staff", "staff/", "staff/static/<name:str>", "chat/<name:path>",
          "chat/history"}


def helpdesk_routes(monkeypatch) -> list[tuple[str, str]]:
    from helpdesk.app import create_app

    Sanic.test_mode = True
    monkeypatch.setenv("HELPDESK_TOKENS", json.dumps({"x" * 20: "district"}))
    app = create_app(name=f"routes_{secrets.token_hex(4)}")
    return sorted((route.path, method) for route in app.router.routes for method in route.methods
                  if method not in ("HEAD", "OPTIONS"))


def concrete(path: str) -> str:
    return "/" + re.sub(r"<ticket_id:int>", "1", re.sub(r"<name:\w+>", "x", path))


def status_of(url: str, method: str = "GET", headers: Optional[dict] = None, body: Optional[dict] = None) -> int:
    data = json.dumps(body or {}).encode() if method == "POST" else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_every_private_helpdesk_route_needs_a_valid_token(servers, monkeypatch):
    routes = helpdesk_routes(monkeypatch)
    private = [(path, method) for path, method in routes if path not in PUBLIC]
    assert len(private) >= 12, private  # the API and the staff fragments
    assert {p for p, _ in routes} >= PUBLIC, "a public route was renamed: update PUBLIC and docs/privacy.md"
    forged = [{}, {"Authorization": f"Bearer {secrets.token_hex(16)}"}, {"Authorization": "Bearer "},
              {"Authorization": f"Basic {secrets.token_hex(8)}"},
              {"Authorization": f"Bearer {servers.staff_tokens['district'][:-1]}"}]
    for path, method in private:
        for headers in forged:
            status = status_of(servers.helpdesk_url + concrete(path), method, headers, {"note": "x", "text": "x"})
            assert status in (401, 403), (method, path, headers, status)
        # ... and the token in the query string is not a way in either.
        status = status_of(f"{servers.helpdesk_url}{concrete(path)}?token={servers.staff_tokens['district']}", method)
        assert status in (401, 403), (method, path, "query token", status)
    # The real token works (so the refusals above were about the token).
    ok = status_of(servers.helpdesk_url + "/api/me", headers={"Authorization": f"Bearer {servers.staff_tokens['district']}"})
    assert ok == 200


def test_rasa_http_api_refuses_without_or_with_a_forged_token(servers):
    sender = f"tokens-{secrets.token_hex(5)}"
    servers.say(sender, "hi")
    endpoints = [("GET", "/status"), ("GET", f"/conversations/{sender}/tracker"), ("POST", "/model/parse"),
                 ("POST", f"/conversations/{sender}/trigger_intent"), ("GET", f"/conversations/{sender}/story"),
                 ("POST", f"/conversations/{sender}/messages"), ("PUT", "/model")]
    bodies = {"/model/parse": {"text": "hi"}}
    for method, path in endpoints:
        body = bodies.get(path, {"name": "greet", "text": "hi", "sender": "user"})
        for suffix, headers in (("", {}), (f"?token={secrets.token_hex(16)}", {}),
                                ("", {"Authorization": f"Bearer {secrets.token_hex(16)}"}),
                                (f"?token={servers.token[:-1]}", {})):
            status = status_of(f"{servers.rasa_url}{path}{suffix}", method, headers, body)
            assert status in (401, 403), (method, path, suffix, headers, status)
    assert status_of(f"{servers.rasa_url}/status?token={servers.token}") == 200
    assert status_of(f"{servers.rasa_url}/model/parse?token={servers.token}", "POST", body={"text": "hi"}) == 200


def test_web_chat_history_serves_only_web_chat_conversations(servers):
    """/chat/history is public (the widget's random session id is the key): a REST conversation, whose sender
    id a site may choose, is never shown there."""
    sender = f"tokens-{secrets.token_hex(5)}"
    for message in ("forgot my username", "yes", "summit", "frank.miller@example.com", "Zoe", "3/9/2014"):
        servers.say(sender, message)
    assert status_of(f"{servers.helpdesk_url}/chat/history?session_id={sender}") == 404
    assert status_of(f"{servers.helpdesk_url}/chat/history?session_id={secrets.token_hex(16)}") == 200  # new, empty


def test_action_server_requires_its_token_when_one_is_set(servers, tmp_path):
    """rasa_sdk 3.6 has no token: with ACTION_SERVER_TOKEN set, actions/server_auth.py adds one."""
    from testing_support.processes import action_server_command, free_port, start
    from tests.e2e.servers import server_env

    token, port = secrets.token_hex(16), free_port()
    url = f"http://127.0.0.1:{port}"
    action_server = start(action_server_command(port), name="action server (token)",
                          log_path=tmp_path / "action_server_token.log",
                          env={**server_env(servers), "ACTION_SERVER_TOKEN": token}, ready_url=f"{url}/health")
    try:
        call = {"next_action": "action_ticket_status", "sender_id": "x", "version": "3.6.21",
                "tracker": {"sender_id": "x", "slots": {"verified_guardian_id": "g-ben-carter"}, "events": [],
                            "latest_message": {}}, "domain": {}}
        for suffix, headers in (("", {}), (f"?token={secrets.token_hex(16)}", {}),
                                ("", {"Authorization": f"Bearer {token[:-1]}"})):
            assert status_of(f"{url}/webhook{suffix}", "POST", headers, call) == 401
            assert status_of(f"{url}/actions{suffix}", headers=headers) == 401
        assert status_of(f"{url}/actions?token={token}") == 200
        assert status_of(f"{url}/actions", headers={"Authorization": f"Bearer {token}"}) == 200
    finally:
        action_server.stop()


def test_token_check():
    from actions.server_auth import protect_action_server, token_accepted

    assert token_accepted("s3cret-token", "s3cret-token", None)
    assert token_accepted("s3cret-token", None, "Bearer s3cret-token")
    assert not token_accepted("s3cret-token", None, None)
    assert not token_accepted("s3cret-token", "s3cret-tokeN", None)
    assert not token_accepted("s3cret-token", None, "Basic s3cret-token")
    assert protect_action_server({}) is False  # unset: nothing to do
    assert protect_action_server({"ACTION_SERVER_TOKEN": "x" * 20}) is False  # no action server app here
