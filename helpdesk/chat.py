"""The web chat widget's files and demo page (/chat/), and a conversation's history for a reloaded page."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Optional
from urllib.parse import quote

import requests
from sanic import Blueprint, Request
from sanic.response import HTTPResponse, file, json as json_response

from channels.inbound import MAX_SENDER_CHARS
from portal.db import PROJECT_ROOT

log = logging.getLogger(__name__)

WEBCHAT_DIR = PROJECT_ROOT / "webchat"
# Only these files are served: never node_modules/, package*.json or scripts/.
SERVED_FILES = {
    "widget.js": WEBCHAT_DIR / "widget.js",
    "widget.css": WEBCHAT_DIR / "widget.css",
    "vendor/socket.io.min.js": WEBCHAT_DIR / "vendor" / "socket.io.min.js",
    "vendor/socket.io.min.js.map": WEBCHAT_DIR / "vendor" / "socket.io.min.js.map",
    "vendor/socket.io-client.LICENSE": WEBCHAT_DIR / "vendor" / "socket.io-client.LICENSE",
}
WEBCHAT_CHANNEL = "socketio"  # channels.webchat.WebChatInput.name()
RASA_TIMEOUT = (3.05, 10)

chat = Blueprint("chat", url_prefix="/chat")


def history_from_events(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The parent's and the assistant's messages, oldest first (triggered EXTERNAL_* turns left out)."""
    history: list[dict[str, Any]] = []
    for event in events:
        text = event.get("text") or ""
        if event.get("event") == "user" and not (event.get("metadata") or {}).get("is_external"):
            if text and not text.startswith("EXTERNAL: "):
                history.append({"sender": "parent", "text": text, "buttons": []})
        elif event.get("event") == "bot" and (text or (event.get("data") or {}).get("buttons")):
            buttons = (event.get("data") or {}).get("buttons") or []
            for index, part in enumerate(text.split("\n\n") if text else [""]):
                last = index == len(text.split("\n\n")) - 1 if text else True
                history.append({"sender": "assistant", "text": part, "buttons": buttons if last else []})
    return history


def from_web_chat(events: list[dict[str, Any]]) -> bool:
    """True unless a parent message came through another channel (REST, SMS). The history is public to whoever
    holds the session id: that is only safe for the widget's own random session ids, not for REST sender ids a
    site may choose, nor SMS conversations."""
    return all(e.get("input_channel") in (None, WEBCHAT_CHANNEL) for e in events if e.get("event") == "user")


def fetch_tracker(rasa_url: str, token: Optional[str], session_id: str) -> Optional[dict[str, Any]]:
    """The conversation from Rasa's HTTP API, or None when Rasa can't be reached."""
    params = {"token": token} if token else {}
    try:
        response = requests.get(f"{rasa_url}/conversations/{quote(session_id, safe='')}/tracker",
                                params=params, timeout=RASA_TIMEOUT)
    except requests.RequestException:
        return None
    return response.json() if response.status_code == 200 else None


async def demo_page() -> HTTPResponse:
    return await file(WEBCHAT_DIR / "demo" / "index.html", mime_type="text/html")


@chat.get("/history")
async def history(request: Request) -> HTTPResponse:
    session_id = (request.args.get("session_id") or "").strip()
    if not session_id or len(session_id) > MAX_SENDER_CHARS:
        return json_response({"error": "session_id is required"}, status=400)
    config = request.app.ctx.config
    tracker = await asyncio.to_thread(fetch_tracker, config.rasa_url, config.rasa_token, session_id)
    if tracker is None:
        return json_response({"error": "history is not available right now"}, status=503)
    if not from_web_chat(tracker.get("events") or []):
        return json_response({"error": "not found"}, status=404)
    return json_response(history_from_events(tracker.get("events") or []),
                         headers={"Cache-Control": "no-store", "Access-Control-Allow-Origin": "*"})


@chat.get("/<name:path>", strict_slashes=False)
async def widget_file(request: Request, name: str) -> HTTPResponse:
    if name in ("", "index.html"):
        return await demo_page()
    path: Optional[Path] = SERVED_FILES.get(name)
    if path is None or not path.is_file():
        return json_response({"error": "not found"}, status=404)
    return await file(path, headers={"Cache-Control": "no-cache"})


def register(app) -> None:
    """Mount /chat/ on the help-desk app."""
    app.blueprint(chat)
