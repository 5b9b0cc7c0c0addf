"""The process helper the tests and bench/ start their servers with: ready on an answer, failures with the log,
the whole process group stopped."""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from testing_support.processes import (ServerFailed, ServerSet, free_port, project_env, rasa_server_command,
                                       start)

# A server that answers /ready after `delay` seconds, and a child of its own (as Sanic's workers are).
SERVER = """
import http.server, subprocess, sys, time
port, delay = int(sys.argv[1]), float(sys.argv[2])
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
print("child", child.pid, flush=True)
time.sleep(delay)
class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ready" else 404)
        self.end_headers()
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie waiting for its parent counts as gone
        return stat.read().split(")")[-1].split()[0] != "Z"


def child_pid(log: Path) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in log.read_text().splitlines():
            if line.startswith("child "):
                return int(line.split()[1])
        time.sleep(0.05)
    raise AssertionError("the server never started its child")


def serve(tmp_path: Path, delay: float = 0.0, **options):
    port = free_port()
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    return start([sys.executable, str(script), str(port), str(delay)], name="test server",
                 log_path=tmp_path / "server.log", cwd=tmp_path, **options), port


def test_waits_until_the_ready_url_answers_and_stops_the_whole_group(tmp_path):
    server, port = serve(tmp_path, delay=0.5, ready_url=None, port=None, wait=False)
    server.ready_url = f"http://127.0.0.1:{free_port()}/ready"  # nobody there: not ready
    with pytest.raises(ServerFailed, match="did not answer"):
        server.wait_until_ready(timeout=1)
    server.ready_url = f"http://127.0.0.1:{port}/ready"
    assert server.wait_until_ready(timeout=30) is server
    child = child_pid(server.log_path)
    assert alive(server.pid) and alive(child)
    server.stop(timeout=5)
    assert not server.running and not alive(child)
    server.stop()  # a second stop does nothing


def test_an_http_error_below_500_counts_as_an_answer(tmp_path):
    server, port = serve(tmp_path, ready_url=None)
    try:
        server.ready_url = f"http://127.0.0.1:{port}/not-here"   # 404: the server is up
        server.wait_until_ready(timeout=30)
    finally:
        server.stop()


def test_ready_when_the_port_accepts_connections(tmp_path):
    server, port = serve(tmp_path, delay=0.3, port=None, wait=False)
    server.port = port
    try:
        server.wait_until_ready(timeout=30)
        assert server.running
    finally:
        server.stop()


def test_a_server_that_exits_fails_with_its_log(tmp_path):
    with pytest.raises(ServerFailed) as failed:
        start([sys.executable, "-c", "import sys; print('bad config: no model'); sys.exit(3)", "--auth-token=s3cret"],
              name="broken", log_path=tmp_path / "broken.log", ready_url=f"http://127.0.0.1:{free_port()}/")
    message = str(failed.value)
    assert "broken exited with code 3" in message and "bad config: no model" in message
    assert "s3cret" not in message and "--auth-token=<token>" in message


def test_a_server_that_never_answers_is_stopped_and_fails(tmp_path):
    with pytest.raises(ServerFailed, match="did not answer .* within 1 s") as failed:
        serve(tmp_path, delay=60, port=free_port(), timeout=1)
    assert "child " in str(failed.value)  # the log's tail
    assert not alive(child_pid(tmp_path / "server.log"))


def test_a_server_set_stops_every_server(tmp_path):
    servers = ServerSet()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        script = tmp_path / "server.py"
        script.write_text(SERVER)
        port = free_port()
        servers.start([sys.executable, str(script), str(port), "0"], name=name, log_path=tmp_path / name / "log",
                      ready_url=f"http://127.0.0.1:{port}/ready", timeout=30)
    started = list(servers)
    children = [child_pid(server.log_path) for server in started]
    servers.stop_all(timeout=5)
    assert not any(server.running for server in started)
    assert not any(alive(child) for child in children)
    assert list(servers) == []


def test_the_project_environment_and_rasa_command():
    env = project_env({"PATH": "/usr/bin", "DATABASE_URL": "x"}, DATABASE_URL="sqlite:///y.db")
    assert env["DATABASE_URL"] == "sqlite:///y.db" and env["PATH"] == "/usr/bin"
    assert env["RASA_TELEMETRY_ENABLED"] == "false" and Path(env["PYTHONPATH"]).joinpath("actions").is_dir()
    with_api = rasa_server_command(5005, Path("m.tar.gz"), Path("e.yml"), auth_token="t")
    assert with_api[1:5] == ["run", "--enable-api", "--auth-token=t", "--port"]
    assert "--enable-api" not in rasa_server_command(5005, Path("m.tar.gz"), Path("e.yml"))


def test_a_server_dies_with_the_process_that_started_it(tmp_path):
    """A test run killed outright (SIGKILL, no clean-up) leaves no server behind."""
    port = free_port()
    starter = (f"import sys, time; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
               "from pathlib import Path\nfrom testing_support.processes import start\n"
               f"server = start([sys.executable, '-m', 'http.server', '{port}', '--bind', '127.0.0.1'], name='orphan', "
               f"log_path=Path({str(tmp_path / 'server.log')!r}), ready_url='http://127.0.0.1:{port}/')\n"
               "print('ready', server.pid, flush=True)\ntime.sleep(600)\n")
    import subprocess

    parent = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    try:
        word, server_pid = parent.stdout.readline().split()
        assert word == "ready" and alive(int(server_pid))
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _port_answers(port):
        time.sleep(0.1)
    assert not _port_answers(port), "the server outlived the process that started it"


def _port_answers(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
