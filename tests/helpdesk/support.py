"""Test helpers: a loopback HTTP server that records requests and fails on demand, and a Sanic app
running in a thread on a free port (sanic-testing is not installed; this also tests the real server)."""
from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Any, Callable, Optional
from urllib.parse import parse_qs, urlsplit

import requests

from portal.models import Conversation


def stored_conversation(session, conversation_id: str):
    """A copy of the conversation's row as stored now (the store updates it with plain UPDATE statements), or
    None."""
    row = session.get(Conversation, conversation_id)
    if row is None:
        return None
    session.refresh(row)
    return SimpleNamespace(**{column.name: getattr(row, column.name) for column in Conversation.__table__.columns})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Recorded:
    """One request the loopback server received, and what it answered ("timeout" when it stalled)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    answered: Any = None

    @property
    def json(self) -> Any:
        return json.loads(self.body or b"null")


Responder = Callable[[Recorded], tuple[int, dict[str, str], bytes]]


@dataclass
class Loopback:
    """An HTTP server on 127.0.0.1: records every request; the next N can fail (status) or stall (timeout)."""

    responder: Optional[Responder] = None
    requests: list[Recorded] = field(default_factory=list)
    _script: list[tuple[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> "Loopback":
        handler = self._handler_class()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def reset(self, responder: Optional[Responder] = None) -> None:
        with self._lock:
            self.requests.clear()
            self._script.clear()
            self.responder = responder

    def fail_next(self, count: int, status: int = 500, headers: Optional[dict[str, str]] = None) -> None:
        with self._lock:
            self._script.extend([("status", (status, headers or {}))] * count)

    def stall_next(self, count: int, seconds: float = 1.0) -> None:
        with self._lock:
            self._script.extend([("stall", seconds)] * count)

    def answered_ok(self) -> list[Recorded]:
        return [r for r in self.requests if isinstance(r.answered, int) and 200 <= r.answered < 300]

    def wait_for(self, count: int, timeout: float = 10.0, ok: bool = True) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.answered_ok() if ok else list(self.requests)
            if len(got) >= count:
                return got
            time.sleep(0.02)
        raise AssertionError(f"expected {count} requests, got {len(self.answered_ok() if ok else self.requests)}")

    def _next_action(self) -> Optional[tuple[str, Any]]:
        with self._lock:
            return self._script.pop(0) if self._script else None

    def _handler_class(self):
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def log_message(self, *args):  # quiet
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                record = Recorded(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body)
                with loopback._lock:
                    loopback.requests.append(record)
                action = loopback._next_action()
                if action and action[0] == "stall":
                    record.answered = "timeout"
                    time.sleep(action[1])
                    status, headers, payload = 500, {}, b'{"error": "too late"}'
                elif action and action[0] == "status":
                    status, headers = action[1]
                    payload = b'{"error": "failing on demand"}'
                    record.answered = status
                else:
                    responder = loopback.responder or (lambda r: (200, {}, b'{"ok": true}'))
                    status, headers, payload = responder(record)
                    record.answered = status
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = _handle

        return Handler


class RunningApp:
    """A Sanic app served from its own event loop in a daemon thread."""

    def __init__(self, app) -> None:
        self.app = app
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "RunningApp":
        self.thread.start()
        if not self._ready.wait(15):
            raise RuntimeError("the help-desk app did not start")
        if self._error:
            raise self._error
        return self

    def _run(self) -> None:
        loop = self.loop
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(self.app.create_server(
                host="127.0.0.1", port=self.port, return_asyncio_server=True, access_log=False))
            loop.run_until_complete(server.startup())
            loop.run_until_complete(server.before_start())
            loop.run_until_complete(server.after_start())
        except BaseException as error:  # surfaced by start()
            self._error = error
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(server.before_stop())
        server.close()
        for connection in list(server.connections):
            connection.close_if_idle()
        deadline = time.monotonic() + 2
        while server.connections and time.monotonic() < deadline:
            loop.run_until_complete(asyncio.sleep(0.02))
        loop.run_until_complete(server.after_stop())
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


class Client:
    """requests against a running app, with a bearer token."""

    def __init__(self, base_url: str, token: Optional[str] = None) -> None:
        self.base_url = base_url
        self.token = token
        self.http = requests.Session()

    def as_(self, token: Optional[str]) -> "Client":
        client = Client(self.base_url, token)
        client.http = self.http
        return client

    def _headers(self, extra: Optional[dict[str, str]] = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, headers=self._headers(kwargs.pop("headers", None)), timeout=10,
                             **kwargs)

    def post(self, path: str, body: Any = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", None)
        if body is not None and "data" not in kwargs:
            kwargs["json"] = body
        return self.http.post(self.base_url + path, headers=self._headers(headers), timeout=10, **kwargs)

    def close(self) -> None:
        self.http.close()
