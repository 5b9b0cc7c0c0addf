"""Start the project's servers (Rasa, the action server, the help desk, test doubles) as subprocesses, wait until
they answer, and stop them again; used by the tests and by bench/.

    server = start(rasa_server_command(port, model, endpoints), name="rasa", log_path=tmp / "rasa.log",
                   env=project_env(DATABASE_URL=url), ready_url=f"http://127.0.0.1:{port}/version")
    ...
    server.stop()

Every server runs in its own process group (Sanic workers and other children are stopped with it) and writes
stdout and stderr to its log file; a server that exits or does not answer in time raises ServerFailed with the
log's tail. Servers still running when the interpreter exits are stopped then, and on Linux a server gets SIGTERM
when the process that started it dies, however it dies (a killed test run leaves no server behind; start servers
from the main thread, as the parent is the starting thread there).
"""
from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# Generous: Rasa loads its model in about a minute on an idle 2-core machine, several times that on a busy one;
# a server that exits fails at once, whatever the allowance.
DEFAULT_START_TIMEOUT_S = 600.0
DEFAULT_STOP_TIMEOUT_S = 30.0
LOG_TAIL_CHARS = 3000
_POLL_INTERVAL_S = 0.2
_SECRET_ARGUMENT = re.compile(r"(--auth-token[= ])\S+")


_PR_SET_PDEATHSIG = 1
try:
    _LIBC: Optional[ctypes.CDLL] = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
except OSError:
    _LIBC = None


def _die_with_parent() -> None:
    """Run in the child before exec: SIGTERM when the parent dies (Linux prctl; nothing elsewhere)."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ServerFailed(RuntimeError):
    """A server exited during start-up or did not answer in time; the message carries its log's tail."""


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_env(base: Optional[Mapping[str, str]] = None, **extra: str) -> dict[str, str]:
    """The environment the project's servers run with: `base` (default: this process's), the project on
    PYTHONPATH, telemetry and noisy warnings off, then `extra`."""
    env = dict(os.environ if base is None else base)
    env.update({"PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1"})
    env.update(extra)
    return env


def action_server_command(port: int) -> list[str]:
    return [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions", "--port", str(port)]


def rasa_server_command(port: int, model: Path, endpoints: Path, credentials: Optional[Path] = None,
                        auth_token: Optional[str] = None) -> list[str]:
    """`rasa run` with the HTTP API enabled when `auth_token` is given."""
    command = [str(VENV_BIN / "rasa"), "run", "--port", str(port), "--model", str(model), "--endpoints", str(endpoints),
               "--credentials", str(credentials or PROJECT_ROOT / "credentials.yml")]
    if auth_token is not None:
        command[2:2] = ["--enable-api", f"--auth-token={auth_token}"]
    return command


def helpdesk_command(port: int) -> list[str]:
    return [sys.executable, "-m", "helpdesk", "serve", "--port", str(port)]


@dataclass(eq=False)
class Server:
    """One started server process, its log, and the URL that tells whether it is ready."""

    name: str
    command: list[str]
    log_path: Path
    process: subprocess.Popen
    ready_url: Optional[str] = None
    port: Optional[int] = None
    stopped: bool = field(default=False, init=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = LOG_TAIL_CHARS) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def failure(self, what: str) -> ServerFailed:
        command = _SECRET_ARGUMENT.sub(r"\1<token>", " ".join(self.command))
        return ServerFailed(f"{self.name} {what}\n  command: {command}\n  log {self.log_path}:\n{self.log_tail()}")

    def check_running(self) -> None:
        """Raise ServerFailed (with the log) when the process has exited."""
        if not self.running:
            raise self.failure(f"exited with code {self.process.returncode}")

    def wait_until_ready(self, timeout: float = DEFAULT_START_TIMEOUT_S) -> "Server":
        """Poll the ready URL (any HTTP answer below 500) or the port until the server answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            if self._answers():
                return self
            time.sleep(_POLL_INTERVAL_S)
        raise self.failure(f"did not answer {self.ready_url or self.port} within {timeout:.0f} s")

    def _answers(self) -> bool:
        if self.ready_url:
            return _http_answers(self.ready_url)
        if self.port is not None:
            return _port_open(self.port)
        return True

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT_S) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after `timeout` seconds (once: a stopped
        server's group id may belong to someone else later)."""
        if not self.stopped:
            stop_group(self.process, timeout)
            self.stopped = True
        _RUNNING.discard(self)

    def kill(self) -> None:
        """Stop at once, as a crash would."""
        self.stop(timeout=0)


def start(command: Sequence[str], *, name: str, log_path: Path, env: Optional[Mapping[str, str]] = None,
          cwd: Path = PROJECT_ROOT, ready_url: Optional[str] = None, port: Optional[int] = None,
          timeout: float = DEFAULT_START_TIMEOUT_S, wait: bool = True) -> Server:
    """Start `command` in its own process group, output appended to `log_path`; unless `wait` is False, wait
    until `ready_url` (or `port`) answers. Raises ServerFailed, after stopping the process, when it does not."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(list(command), cwd=cwd, env=dict(env) if env is not None else project_env(),
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, preexec_fn=_die_with_parent)
    server = Server(name, list(command), log_path, process, ready_url, port)
    _RUNNING.add(server)
    if wait:
        try:
            server.wait_until_ready(timeout)
        except BaseException:
            server.stop(timeout=10)
            raise
    return server


def wait_all_ready(servers: Sequence[Server], timeout: float = DEFAULT_START_TIMEOUT_S) -> None:
    """Wait for servers started with wait=False, together (each within `timeout`)."""
    errors: list[BaseException] = []

    def wait(server: Server) -> None:
        try:
            server.wait_until_ready(timeout)
        except BaseException as error:  # noqa: BLE001 (re-raised below)
            errors.append(error)

    threads = [threading.Thread(target=wait, args=(server,), daemon=True) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


@dataclass
class ServerSet:
    """Servers started together and stopped together, last started first."""

    servers: list[Server] = field(default_factory=list)

    def start(self, command: Sequence[str], *, wait: bool = True, timeout: float = DEFAULT_START_TIMEOUT_S,
              **options) -> Server:
        """Like the module's `start`; the server is stopped by stop_all, also when it never became ready."""
        server = start(command, wait=False, **options)
        self.servers.append(server)
        if wait:
            server.wait_until_ready(timeout)
        return server

    def stop_all(self, timeout: float = DEFAULT_STOP_TIMEOUT_S) -> None:
        """SIGTERM every group at once, then wait for each (SIGKILL after `timeout`)."""
        for server in reversed(self.servers):
            if not server.stopped:
                _signal_group(server.process, signal.SIGTERM)
        for server in reversed(self.servers):
            server.stop(timeout)
        self.servers.clear()

    def __iter__(self) -> Iterator[Server]:
        return iter(self.servers)

    def __enter__(self) -> "ServerSet":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_all()


def stop_group(process: subprocess.Popen, timeout: float = DEFAULT_STOP_TIMEOUT_S) -> None:
    """SIGTERM the process's group, wait up to `timeout` s, then SIGKILL the group (workers left behind too)."""
    if timeout > 0:
        _signal_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    _signal_group(process, signal.SIGKILL)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    _wait_for_group_gone(process.pid, timeout=5)


def _wait_for_group_gone(group: int, timeout: float) -> None:
    """Signals arrive asynchronously: wait until no live process of the group is left (its ports are free)."""
    deadline = time.monotonic() + timeout
    while _group_alive(group) and time.monotonic() < deadline:
        time.sleep(0.02)


def _group_alive(group: int) -> bool:
    """Whether a process of `group` still runs (zombies waiting for a reaper do not count; needs /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return False
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _parent, process_group = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(process_group) == group and state != "Z":
            return True
    return False


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _http_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return False


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


_RUNNING: set[Server] = set()


@atexit.register
def _stop_leftovers() -> None:
    for server in list(_RUNNING):
        server.stop(timeout=5)
