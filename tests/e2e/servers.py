"""Start the real action server and Rasa server once per test session, against a fresh database
(processes through testing_support/processes.py)."""
from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from channels.response_variations import NLG_ENDPOINT_YAML
from testing_support.processes import (PROJECT_ROOT, VENV_BIN, Server, ServerSet, action_server_command,
                                       free_port, helpdesk_command, project_env, rasa_server_command)

__all__ = ["PROJECT_ROOT", "VENV_BIN", "Servers", "free_port", "http_json", "latest_model", "server_env",
           "start_action_server", "start_helpdesk", "start_rasa_server", "write_endpoints"]

START_TIMEOUT_S = 600  # Rasa loads its model slowly on a busy 2-core machine (testing_support/processes.py)
# The SMS channel's webhook secret on the session's Rasa server (credentials.yml has the SMS channel, without
# public_url: requests are signed for the URL they arrive at).
SMS_AUTH_TOKEN = "e2e-sms-auth-token-0123456789abcdef"


def latest_model() -> Optional[Path]:
    """The newest trained model in models/, if any."""
    models = sorted((PROJECT_ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def http_json(url: str, payload: Optional[dict[str, Any]] = None, timeout: float = 60) -> Any:
    """GET (or POST `payload` as JSON) and decode the JSON answer."""
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


@dataclass
class Servers:
    """A running action server and Rasa server, and how to talk to them."""

    workdir: Path
    database_url: str
    district_file: str
    rasa_url: str
    action_url: str
    token: str
    processes: ServerSet = field(default_factory=ServerSet)
    helpdesk_url: str = ""
    staff_tokens: dict[str, str] = field(default_factory=dict)
    rasa_process: Optional[Server] = None
    rasa_args: tuple = ()
    action_process: Optional[Server] = None

    def say(self, sender: str, message: str) -> list[dict[str, Any]]:
        """Send one parent message over the REST channel; the assistant's replies."""
        return http_json(f"{self.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": message})

    def texts(self, sender: str, message: str) -> list[str]:
        """Only the texts of the replies."""
        return [m.get("text", "") for m in self.say(sender, message) if m.get("text")]

    def trigger(self, sender: str, intent: str, **entities: str) -> Any:
        """What the help-desk service does to push a message: trigger an intent through the HTTP API."""
        url = f"{self.rasa_url}/conversations/{sender}/trigger_intent?output_channel=latest&token={self.token}"
        return http_json(url, {"name": intent, "entities": entities})

    def tracker(self, sender: str) -> dict[str, Any]:
        """The conversation as Rasa stores it (HTTP API, with the token)."""
        return http_json(f"{self.rasa_url}/conversations/{sender}/tracker?token={self.token}")

    def restart_rasa(self) -> None:
        """Stop the Rasa server and start it again with the same model, endpoints and tracker store."""
        self.rasa_process.stop(timeout=60)
        start_rasa_server(self, *self.rasa_args)

    def stop_action_server(self) -> None:
        """Stop the action server (fault tests); `start_action_server_again` brings it back on the same port."""
        self.action_process.stop(timeout=60)

    def start_action_server_again(self, **env: str) -> None:
        """Start the action server on its port again; `env` overrides its environment (e.g. DATABASE_URL)."""
        start_action_server(self, int(self.action_url.rsplit(":", 1)[1]), **env)

    def stop(self) -> None:
        self.processes.stop_all(timeout=20)


def write_endpoints(workdir: Path, action_port: int) -> Path:
    """An endpoints file for this test session: its own action server and tracker database."""
    path = workdir / "endpoints.yml"
    path.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        # The shipped tracker store (endpoints.yml): only the recent turns of a session are loaded.
        'tracker_store:\n  type: channels.tracker_store.RecentTurnsSQLTrackerStore\n'
        f'  url: "sqlite:///{workdir / "tracker.db"}"\n  recent_turns: 4\n  transcript_events: 60\n'
        'lock_store:\n  type: "in_memory"\n' + NLG_ENDPOINT_YAML
    )
    return path


def server_env(servers: "Servers") -> dict[str, str]:
    """The environment of the session's servers: its store and district file."""
    return project_env(DATABASE_URL=servers.database_url, DISTRICT_FILE=servers.district_file)


def start_action_server(servers: Servers, port: int, **env: str) -> None:
    servers.action_process = servers.processes.start(
        action_server_command(port), name="action server", log_path=servers.workdir / "action_server.log",
        env={**server_env(servers), **env}, ready_url=f"{servers.action_url}/health", timeout=START_TIMEOUT_S)


def start_helpdesk(servers: Servers, port: int) -> None:
    """The staff help-desk service, delivering to this session's Rasa server."""
    env = server_env(servers)
    env.update({"RASA_URL": servers.rasa_url, "RASA_AUTH_TOKEN": servers.token,
                "HELPDESK_TOKENS": json.dumps({token: scope for scope, token in servers.staff_tokens.items()})})
    servers.helpdesk_url = f"http://127.0.0.1:{port}"
    servers.processes.start(helpdesk_command(port), name="help desk", log_path=servers.workdir / "helpdesk.log",
                            env=env, ready_url=f"{servers.helpdesk_url}/api/health", timeout=START_TIMEOUT_S)


def start_rasa_server(servers: Servers, port: int, model: Path, endpoints: Path) -> Server:
    servers.rasa_args = (port, model, endpoints)
    servers.rasa_process = servers.processes.start(
        rasa_server_command(port, model, endpoints, auth_token=servers.token), name="Rasa server",
        log_path=servers.workdir / "rasa_server.log", cwd=servers.workdir,
        env={**server_env(servers), "TWILIO_AUTH_TOKEN": SMS_AUTH_TOKEN}, ready_url=f"{servers.rasa_url}/version",
        timeout=START_TIMEOUT_S)
    return servers.rasa_process
