"""Start the real action server and Rasa server once per test session, against a fresh database."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from channels.response_variations import NLG_ENDPOINT_YAML

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
START_TIMEOUT_S = 240
# The SMS channel's webhook secret on the session's Rasa server (credentials.yml has the SMS channel, without
# public_url: requests are signed for the URL they arrive at).
SMS_AUTH_TOKEN = "e2e-sms-auth-token-0123456789abcdef"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
    processes: list[subprocess.Popen] = field(default_factory=list)
    helpdesk_url: str = ""
    staff_tokens: dict[str, str] = field(default_factory=dict)
    rasa_process: Optional[subprocess.Popen] = None
    rasa_args: tuple = ()
    action_process: Optional[subprocess.Popen] = None

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
        process = self.rasa_process
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        start_rasa_server(self, *self.rasa_args)

    def stop_action_server(self) -> None:
        """Stop the action server (fault tests); `start_action_server_again` brings it back on the same port."""
        process = self.action_process
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    def start_action_server_again(self, **env: str) -> None:
        """Start the action server on its port again; `env` overrides its environment (e.g. DATABASE_URL)."""
        start_action_server(self, int(self.action_url.rsplit(":", 1)[1]), **env)

    def stop(self) -> None:
        stop_processes(self.processes, timeout=20)


def stop_processes(processes: list[subprocess.Popen], timeout: float) -> None:
    """SIGTERM them all, then wait for each; kill one that does not stop in time."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()


def write_endpoints(workdir: Path, action_port: int) -> Path:
    """An endpoints file for this test session: its own action server and tracker database."""
    path = workdir / "endpoints.yml"
    path.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        f'tracker_store:\n  type: SQL\n  dialect: "sqlite"\n  db: "{workdir / "tracker.db"}"\n'
        'lock_store:\n  type: "in_memory"\n' + NLG_ENDPOINT_YAML
    )
    return path


def server_env(servers: "Servers") -> dict[str, str]:
    env = dict(os.environ)
    env.update({"DATABASE_URL": servers.database_url, "DISTRICT_FILE": servers.district_file, "PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false",
                "TF_CPP_MIN_LOG_LEVEL": "3", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    return env


def wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT_S) -> None:
    """Poll `url` until it answers; fail with the log's tail when the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early; log:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(1)
    raise RuntimeError(f"server not up after {timeout:.0f}s; log:\n{log.read_text()[-3000:]}")


def start_action_server(servers: Servers, port: int, **env: str) -> None:
    log = servers.workdir / f"action_server_{len(servers.processes)}.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)],
        cwd=PROJECT_ROOT, env={**server_env(servers), **env}, stdout=log.open("w"), stderr=subprocess.STDOUT)
    servers.processes.append(process)
    servers.action_process = process
    wait_until_up(f"{servers.action_url}/health", process, log)


def start_helpdesk(servers: Servers, port: int) -> None:
    """The staff help-desk service, delivering to this session's Rasa server."""
    log = servers.workdir / "helpdesk.log"
    env = server_env(servers)
    env.update({"RASA_URL": servers.rasa_url, "RASA_AUTH_TOKEN": servers.token,
                "HELPDESK_TOKENS": json.dumps({token: scope for scope, token in servers.staff_tokens.items()})})
    process = subprocess.Popen([sys.executable, "-m", "helpdesk", "serve", "--port", str(port)], cwd=PROJECT_ROOT,
                               env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    servers.processes.append(process)
    servers.helpdesk_url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{servers.helpdesk_url}/api/health", process, log)


def start_rasa_server(servers: Servers, port: int, model: Path, endpoints: Path) -> subprocess.Popen:
    log = servers.workdir / f"rasa_server_{len(servers.processes)}.log"
    process = subprocess.Popen(
        [str(VENV_BIN / "rasa"), "run", "--enable-api", f"--auth-token={servers.token}", "--port", str(port),
         "--model", str(model), "--endpoints", str(endpoints), "--credentials", str(PROJECT_ROOT / "credentials.yml")],
        cwd=servers.workdir, env={**server_env(servers), "TWILIO_AUTH_TOKEN": SMS_AUTH_TOKEN}, stdout=log.open("w"),
        stderr=subprocess.STDOUT)
    servers.processes.append(process)
    servers.rasa_process, servers.rasa_args = process, (port, model, endpoints)
    wait_until_up(f"{servers.rasa_url}/version", process, log)
    return process
