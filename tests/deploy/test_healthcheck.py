"""scripts/healthcheck.py, run as the image runs it (a separate process): exit 0 against a server that answers
its health route, 1 with one clear line (never a stack trace) against a closed port, a wrong route, an error
status or a server that never answers."""
from __future__ import annotations

import http.server
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Iterator

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = PROJECT_ROOT / "scripts" / "healthcheck.py"
# What each server really answers on its health route (rasa/server.py, rasa_sdk/endpoint.py, helpdesk/api.py).
ANSWERS = {
    "rasa": ("/", "text/plain", b"Hello from Rasa: 3.6.21"),
    "actions": ("/health", "application/json", b'{"status": "ok"}'),
    "helpdesk": ("/api/health", "application/json", b'{"status":"ok"}'),
}
PORT_VARIABLES = {"rasa": "RASA_PORT", "actions": "ACTION_PORT", "helpdesk": "HELPDESK_PORT"}


def serve(path: str, content_type: str, body: bytes, status: int = 200) -> tuple[http.server.HTTPServer, int]:
    """A local HTTP server answering `path` only (404 elsewhere), in a daemon thread."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            code = status if self.path == path else 404
            payload = body if code == status else b"not found"
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def servers() -> Iterator[list[http.server.HTTPServer]]:
    started: list[http.server.HTTPServer] = []
    yield started
    for server in started:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": "/usr/bin:/bin", "HEALTHCHECK_TIMEOUT": "2", **env}
    return subprocess.run([sys.executable, str(SCRIPT), *args], env=environment, capture_output=True, text=True,
                          timeout=30)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    output = (result.stdout + result.stderr).strip()
    assert "Traceback" not in output
    assert len(output.splitlines()) == 1, output
    return output


@pytest.mark.parametrize("target", sorted(ANSWERS))
def test_healthy_when_the_health_route_answers(target, servers):
    server, port = serve(*ANSWERS[target])
    servers.append(server)
    result = check(target, **{PORT_VARIABLES[target]: str(port)})
    assert result.returncode == 0, result.stderr
    assert one_line(result) == f"{target}: healthy: http://127.0.0.1:{port}{ANSWERS[target][0]}"


@pytest.mark.parametrize("target", sorted(ANSWERS))
def test_unhealthy_on_a_closed_port(target):
    port = closed_port()
    result = check(target, **{PORT_VARIABLES[target]: str(port)})
    assert result.returncode == 1
    assert one_line(result) == f"{target}: unhealthy: http://127.0.0.1:{port}{ANSWERS[target][0]}: connection refused"


def test_unhealthy_when_another_route_is_the_one_answering(servers):
    """The helpdesk check asks /api/health, not /health: a server answering only /health is not the help desk."""
    server, port = serve("/health", "application/json", b'{"status": "ok"}')
    servers.append(server)
    result = check("helpdesk", HELPDESK_PORT=str(port))
    assert result.returncode == 1 and one_line(result).endswith("HTTP 404")


def test_unhealthy_on_an_error_status_or_a_foreign_answer(servers):
    failing, failing_port = serve("/health", "application/json", b'{"status": "down"}', status=503)
    other, other_port = serve("/", "text/html", b"<h1>Welcome to nginx</h1>")
    servers.extend([failing, other])
    assert one_line(check("actions", ACTION_PORT=str(failing_port))).endswith("HTTP 503")
    result = check("rasa", RASA_PORT=str(other_port))
    assert result.returncode == 1 and "unexpected answer" in one_line(result)


def test_unhealthy_when_the_server_never_answers():
    with socket.socket() as sock:  # accepts connections (backlog) but never reads or replies
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        result = check("actions", ACTION_PORT=str(sock.getsockname()[1]), HEALTHCHECK_TIMEOUT="0.5")
    assert result.returncode == 1 and one_line(result).endswith("no answer in time")


def test_the_target_comes_from_the_environment_when_not_given(servers):
    server, port = serve(*ANSWERS["helpdesk"])
    servers.append(server)
    assert check(HEALTHCHECK_TARGET="helpdesk", HELPDESK_PORT=str(port)).returncode == 0


@pytest.mark.parametrize("args", [(), ("nginx",), ("rasa", "extra")])
def test_unusable_arguments_say_how_to_call_it(args):
    result = check(*args)
    assert result.returncode == 1 and one_line(result).startswith("usage: healthcheck.py rasa|actions|helpdesk")


def test_a_proxy_in_the_environment_is_not_asked(servers):
    server, port = serve(*ANSWERS["actions"])
    servers.append(server)
    result = check("actions", ACTION_PORT=str(port), http_proxy=f"http://127.0.0.1:{closed_port()}",
                   HTTP_PROXY=f"http://127.0.0.1:{closed_port()}", no_proxy="", NO_PROXY="")
    assert result.returncode == 0, result.stderr
