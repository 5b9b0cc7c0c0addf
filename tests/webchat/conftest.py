"""Fixtures for the web chat widget's browser tests: Debian's Chromium driven by Playwright, a static server that
serves webchat/ the way the help-desk service will (/chat/ -> demo page, /chat/<file> -> webchat/<file>), and a
fake Rasa server that runs Rasa's real socketio channel (fake_rasa.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Optional
from urllib.parse import parse_qs, urlsplit

import pytest

from testing_support.processes import Server, free_port, project_env, start
from tests.services import service_missing

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WEBCHAT = PROJECT_ROOT / "webchat"
CHROMIUM = os.environ.get("WEBCHAT_CHROMIUM", "/usr/bin/chromium")
AXE_JS = WEBCHAT / "node_modules" / "axe-core" / "axe.min.js"
INSTALL_SCRIPT = PROJECT_ROOT / "scripts" / "install-browser.sh"
CHROMIUM_ARGS = [
    # Debian's Chromium in a container: no sandbox, no GPU, and no traffic of its own to the outside.
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]
# Files of webchat/ the page may load (the help-desk service serves the same set): nothing else leaks out.
SERVED = {"widget.js", "widget.css", "vendor/socket.io.min.js", "vendor/socket.io.min.js.map",
          "vendor/socket.io-client.LICENSE"}
CONTENT_TYPES = {".js": "application/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".map": "application/json", ".html": "text/html; charset=utf-8", ".LICENSE": "text/plain"}


def _missing_browser_parts(chromium: str = CHROMIUM) -> list[str]:
    missing = []
    if not Path(chromium).exists():
        missing.append(f"Chromium ({chromium}, Debian package `chromium`)")
    if not AXE_JS.exists():
        missing.append("axe-core (webchat/node_modules, `npm ci` in webchat/)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (`pip install playwright`, no browser download)")
    return missing


def require_browser_parts(chromium: str = CHROMIUM, install: bool = True) -> None:
    """Chromium, axe-core and Playwright are there (installed once by scripts/install-browser.sh if not);
    otherwise the test skips, or fails in CI (tests/services.py)."""
    missing = _missing_browser_parts(chromium)
    if missing and install and os.environ.get("WEBCHAT_NO_INSTALL") != "1" and INSTALL_SCRIPT.exists():
        subprocess.run(["bash", str(INSTALL_SCRIPT)], cwd=PROJECT_ROOT, check=False, timeout=600)
        missing = _missing_browser_parts(chromium)
    if missing:
        service_missing("Browser test needs " + "; ".join(missing) +
                        ". Run scripts/install-browser.sh (as root, or with sudo) to install them.")


def start_playwright() -> Any:
    """Playwright's driver, started; one that can't start skips the test, or fails it in CI."""
    from playwright.sync_api import sync_playwright

    try:
        return sync_playwright().start()
    except Exception as error:  # noqa: BLE001 (the driver's failures are not one type)
        service_missing(f"Playwright's driver could not start: {_first_line(error)}")


def launch_chromium(playwright: Any, executable: str = CHROMIUM) -> Any:
    """Headless Chromium at `executable`; one that can't start skips the test, or fails it in CI."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        # launch() gives every run a fresh temporary --user-data-dir of its own.
        return playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
    except PlaywrightError as error:
        service_missing(f"Chromium ({executable}) could not be started by Playwright: {_first_line(error)}")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    require_browser_parts()


@pytest.fixture(scope="session")
def browser(chromium_ready: None) -> Iterator[Any]:
    playwright = start_playwright()
    try:
        chromium = launch_chromium(playwright)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


# ------------------------------------------------------------------------------------------------------
# Fake Rasa (Rasa's socketio channel with a scripted bot), one process per instance
# ------------------------------------------------------------------------------------------------------
@dataclass
class FakeRasa:
    port: int
    log_path: Path
    server: Optional[Server] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> "FakeRasa":
        self.server = start([sys.executable, str(Path(__file__).with_name("fake_rasa.py")), "--port", str(self.port)],
                            name="fake Rasa", log_path=self.log_path, env=project_env(),
                            ready_url=f"{self.url}/test/health", timeout=timeout)
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(timeout=10)
        self.server = None

    def kill(self) -> None:
        """Stop at once, as a crashed or unreachable server would."""
        if self.server is not None:
            self.server.kill()
        self.server = None

    def push(self, session_id: str, text: str, buttons: Optional[list[dict[str, str]]] = None) -> None:
        body = json.dumps({"session_id": session_id, "text": text, "buttons": buttons or []}).encode()
        request = urllib.request.Request(f"{self.url}/test/push", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200

    def received(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/test/log", timeout=10) as response:
            return json.loads(response.read())


def make_fake_rasa(tmp_path_factory: pytest.TempPathFactory, name: str) -> FakeRasa:
    return FakeRasa(port=free_port(), log_path=tmp_path_factory.mktemp("fake_rasa") / f"{name}.log")


@pytest.fixture(scope="session")
def fake_rasa(tmp_path_factory: pytest.TempPathFactory, chromium_ready: None) -> Iterator[FakeRasa]:
    server = make_fake_rasa(tmp_path_factory, "main").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def spare_fake_rasa(tmp_path_factory: pytest.TempPathFactory, chromium_ready: None) -> Iterator[FakeRasa]:
    """A fake Rasa of the test's own, to stop and start (not started yet)."""
    server = make_fake_rasa(tmp_path_factory, "spare")
    try:
        yield server
    finally:
        server.stop()


# ------------------------------------------------------------------------------------------------------
# Static server: the mapping the help-desk service serves
# ------------------------------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, content_type: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/chat":
            self.send_response(301)
            self.send_header("Location", "/chat/")
            self.end_headers()
            return
        if path in ("/chat/", "/chat/index.html"):
            self._send(200, self._demo_page(query).encode(), CONTENT_TYPES[".html"])
            return
        if path.startswith("/chat/") and path[len("/chat/"):] in SERVED:
            file = WEBCHAT / path[len("/chat/"):]
            suffix = file.suffix if file.suffix in CONTENT_TYPES else ".LICENSE"
            self._send(200, file.read_bytes(), CONTENT_TYPES[suffix])
            return
        # /chat/history is the help-desk service's endpoint; this server has none (the widget falls back).
        self._send(404, b"not found")

    def _demo_page(self, query: dict[str, list[str]]) -> str:
        """The demo page, pointed at the test's fake Rasa: ?rasa=PORT&history=URL|none&attempts=N."""
        html = (WEBCHAT / "demo" / "index.html").read_text()
        rasa_port = query.get("rasa", [""])[0]
        if rasa_port:
            html = html.replace('data-server-url="http://localhost:5005"',
                                f'data-server-url="http://127.0.0.1:{int(rasa_port)}"')
        history = query.get("history", [""])[0]
        if history == "none":
            html = html.replace('data-history-url="/chat/history"', "")
        elif history:
            html = html.replace('data-history-url="/chat/history"', f'data-history-url="{history}"')
        attempts = query.get("attempts", [""])[0]
        if attempts:
            html = html.replace('data-lang="en"', f'data-lang="en" data-reconnect-attempts="{int(attempts)}"')
        lang = query.get("lang", [""])[0]
        if lang in ("en", "es"):
            html = html.replace('data-lang="en"', f'data-lang="{lang}"')
        return html


@dataclass
class StaticServer:
    port: int
    server: ThreadingHTTPServer = field(repr=False)

    def page(self, rasa: FakeRasa | int, **params: Any) -> str:
        port = rasa.port if isinstance(rasa, FakeRasa) else rasa
        query = "&".join(f"{k}={v}" for k, v in {"rasa": port, **params}.items())
        return f"http://127.0.0.1:{self.port}/chat/?{query}"


@pytest.fixture(scope="session")
def static_server(chromium_ready: None) -> Iterator[StaticServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StaticServer(port=server.server_address[1], server=server)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context (empty localStorage) per test."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 860})
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    page = context.new_page()
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda error: page.errors.append(str(error)))  # type: ignore[attr-defined]
    return page
