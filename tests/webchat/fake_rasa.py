"""A fake Rasa server for the widget's browser tests: Rasa's own `socketio` channel, a scripted bot.

The Socket.IO side is the channel production runs: `channels.webchat.WebChatInput`, i.e. Rasa 3.6's own
`SocketIOInput` (rasa/core/channels/socketio.py) with its session_request fix, on Sanic, mounted where `rasa run`
mounts channels, with `session_persistence: true`. Only the dialogue is faked: canned answers instead of a model.

Test-only HTTP routes:
  POST /test/push     {"session_id", "text", "buttons"?}  a message the assistant sends later (resolved ticket,
                      staff reply), through the channel's output channel, as Rasa does for the conversation API
  GET  /test/log      every message received: [{"session_id", "message", "metadata"}]
  GET  /test/history?session_id=...   the history endpoint's contract (what the help-desk service will serve),
                      with CORS, so a page on another origin can use it
  GET  /test/health   200 once up

Run: python tests/webchat/fake_rasa.py --port PORT
"""
from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from typing import Any

from sanic import Sanic, response
from sanic.request import Request

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOOutput

from channels.webchat import WebChatInput

SCHOOLS = [
    {"title": "Maple Ridge Elementary", "payload": '/inform{"school":"org-maple-ridge-es"}'},
    {"title": "Willow Creek Middle School", "payload": '/inform{"school":"org-willow-creek-ms"}'},
    {"title": "Cedar Valley High School", "payload": '/inform{"school":"org-cedar-valley-hs"}'},
]
MAIN_MENU = [
    {"title": "Get an account", "payload": "/get_account"},
    {"title": "Activation key help", "payload": "/activation_key_help"},
    {"title": "Talk to a person", "payload": "/human_handoff"},
]
STEP_BUTTONS = [
    {"title": "Done, what's next?", "payload": "/next_step"},
    {"title": "I'm stuck", "payload": "/stuck"},
]
GREETING = ("Hi! I help with the Cedar Valley Campus Parent portal: getting an account, the activation key, "
            "signing in, and seeing your kids. What do you need?")
ASK_SCHOOL = "Which school does your child go to? If you have more than one child, pick any of their schools."
STEP_1 = ("Step 1 of 7: Fill in the Parent Portal request form for Maple Ridge Elementary and submit it: "
          "https://maple.cedarvalley.example.org/parents/portal")
STEP_2 = ("Step 2 of 7: The school emails you an activation key. It's a code of 32 letters and numbers. "
          "Check your spam folder too.")
# utter_language_set (domain.yml), for the widget's language toggle.
LANGUAGE_SET = {"en": "OK, I'll answer in English.", "es": "Listo, le contesto en español. ¿En qué le puedo ayudar?"}
GREETING_ES = "¡Hola! Le ayudo con el portal Campus Parent de Cedar Valley. ¿Qué necesita?"
FALLBACK = "Sorry, I didn't get that. I can help with a portal account, the activation key, signing in, or seeing your kids."
# Text that must never be turned into markup by the widget.
HTML_PROBE = 'Look: <img src=x onerror="window.__pwned=1"> <b>bold?</b> javascript:alert(1) https://example.org/a_(b).'


def reply_for(message: str) -> list[tuple[str, list[dict[str, str]]]]:
    text = message.strip()
    lowered = text.lower()
    if text == '/greet{"language":"es"}':
        return [(GREETING_ES, [])]
    if text == "/greet" or lowered in {"hi", "hello"}:
        return [(GREETING, MAIN_MENU)]
    for code, confirmation in LANGUAGE_SET.items():
        if text == '/set_language{"language":"%s"}' % code:
            return [(confirmation, [])]
    if text == "/get_account" or "account" in lowered:
        return [(ASK_SCHOOL, SCHOOLS)]
    if text.startswith("/inform") and "org-maple-ridge-es" in text:
        return [("Good to know: one account shows all your kids, even at different schools.", []),
                (STEP_1, STEP_BUTTONS)]
    if text == "/next_step":
        return [(STEP_2, STEP_BUTTONS)]
    if lowered == "html please":
        return [(HTML_PROBE, [])]
    if lowered == "long link please":
        return [("Open https://portal.cedarvalley.example.org/campus/parents/portal/a/very/long/path/that/does/not"
                 "/break/on/its/own/because/it/has/no/spaces/at/all?with=query&and=more to continue.", [])]
    if lowered == "twice please":
        return [("Which school?", SCHOOLS), ("Which school?", SCHOOLS)]
    if lowered == "slow please":
        return []
    return [(FALLBACK, MAIN_MENU)]


def build_app(name: str = "fake_rasa") -> Sanic:
    app = Sanic(name)
    channel = WebChatInput.from_credentials({"session_persistence": True})
    log: list[dict[str, Any]] = []
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)

    async def send(output: SocketIOOutput, session_id: str, text: str, buttons: list[dict[str, str]]) -> None:
        history[session_id].append({"sender": "assistant", "text": text, "buttons": buttons})
        if buttons:
            await output.send_text_with_buttons(session_id, text, buttons)
        else:
            await output.send_text_message(session_id, text)

    async def on_new_message(message: UserMessage) -> None:
        log.append({"session_id": message.sender_id, "message": message.text, "metadata": message.metadata})
        history[message.sender_id].append({"sender": "parent", "text": message.text, "buttons": []})
        for text, buttons in reply_for(message.text or ""):
            await send(message.output_channel, message.sender_id, text, buttons)

    # Where `rasa run` mounts it (rasa.core.channels.channel.register): the blueprint under /webhooks/socketio/,
    # Socket.IO itself at /socket.io/. (register() itself needs a Rasa agent, so the bot is passed in here.)
    app.blueprint(channel.blueprint(on_new_message), url_prefix="/webhooks/socketio")

    @app.post("/test/push")
    async def push(request: Request):
        body = request.json or {}
        session_id = body.get("session_id")
        if not session_id or channel.sio is None:
            return response.json({"error": "session_id required"}, status=400)
        await send(SocketIOOutput(channel.sio, "bot_uttered"), session_id, body.get("text", ""), body.get("buttons") or [])
        return response.json({"ok": True})

    @app.get("/test/log")
    async def get_log(_: Request):
        return response.json(log)

    @app.get("/test/history")
    async def get_history(request: Request):
        session_id = request.args.get("session_id", "")
        return response.json(history.get(session_id, []), headers={"Access-Control-Allow-Origin": "*"})

    @app.get("/test/health")
    async def health(_: Request):
        return response.json({"status": "ok"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = build_app()
    app.run(host="127.0.0.1", port=args.port, access_log=False, debug=False, workers=1)


if __name__ == "__main__":
    main()
