"""The widget against the real assistant (the shared end-to-end Rasa and action servers, whose credentials.yml
has the socketio channel with session persistence), in headless Chromium. Marked e2e."""
from __future__ import annotations

import re
from typing import Any

import pytest

from tests.webchat.conftest import StaticServer
from tests.webchat.test_widget import expect, messages, session_id

pytestmark = pytest.mark.e2e


def test_widget_with_the_real_assistant(page: Any, servers: Any, static_server: StaticServer,
                                        chromium_ready: None) -> None:
    port = int(servers.rasa_url.rsplit(":", 1)[1])
    page.goto(static_server.page(port))
    page.get_by_role("button", name="Chat with us").click()
    expect()(page.locator(".message.assistant").first).to_be_visible(timeout=30_000)   # the greeting

    box = page.get_by_role("textbox", name="Type your question")
    box.fill("how do I get a parent portal account?")
    box.press("Enter")
    expect()(page.locator(".message.assistant .bubble", has_text="Which school")).to_be_visible(timeout=30_000)
    box.fill("maple ridge")
    box.press("Enter")
    expect()(page.locator(".message.assistant .bubble", has_text="Step 1 of 7")).to_be_visible(timeout=30_000)
    expect()(page.get_by_role("link", name=re.compile(r"maple\.cedarvalley\.example\.org"))).to_be_visible()
    page.get_by_role("button", name="Done, what's next?").click()
    expect()(page.locator(".message.assistant .bubble", has_text="Step 2 of 7")).to_be_visible(timeout=30_000)

    # Rasa keeps the conversation under the widget's session id.
    sid = session_id(page)
    tracker = servers.tracker(sid)
    user_texts = [e.get("text") for e in tracker["events"] if e["event"] == "user"]
    assert "/next_step" in user_texts and "maple ridge" in user_texts

    before = messages(page)
    page.reload()
    expect()(page.locator(".message")).to_have_count(len(before))
    assert messages(page) == before
    page.wait_for_selector("#ppchat-host[data-state='online']", state="attached")

    # A message the help desk sends later reaches the open page through the socketio channel.
    count = len(before)
    servers.trigger(sid, "greet")
    expect()(page.locator(".message")).to_have_count(count + 1, timeout=30_000)
    assert messages(page)[-1][0] == "assistant"
    assert page.errors == []


def test_a_spanish_persona_path_in_the_widget(page: Any, servers: Any, static_server: StaticServer,
                                              chromium_ready: None) -> None:
    """Ben, in Spanish from the toggle on: the identity check, the two-way date tapped as a button, and the reset
    request opened in Spanish (issue 12)."""
    from tests.e2e.test_spanish import ENGLISH_WORDS

    port = int(servers.rasa_url.rsplit(":", 1)[1])
    page.goto(static_server.page(port))
    page.get_by_role("button", name="Chat with us").click()
    expect()(page.locator(".message.assistant").first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Español", exact=True).click()
    box = page.get_by_role("textbox", name="Escriba su pregunta")
    expect()(box).to_be_visible(timeout=30_000)

    def say(text: str, answer: str) -> None:
        """Send `text`; wait until a reply that came after it holds `answer`."""
        before = len(messages(page))
        box.fill(text)
        box.press("Enter")
        page.wait_for_function(
            """([before, answer]) => [...document.querySelector('#ppchat-host').shadowRoot
                   .querySelectorAll('.message')].slice(before).some(li => li.textContent.includes(answer))""",
            arg=[before, answer], timeout=30_000)

    say("me dice que mi clave de activación ya fue usada", "confirmar que es usted")
    say("sí", "escuela")
    say("willow creek", "correo")
    say("ben.carter@example.com", "nombre")
    say("Lily", "fecha")
    say("3/9/2012", "dos formas")
    page.get_by_role("button", name="3 de septiembre de 2012").click()
    expect()(page.locator(".message.assistant .bubble", has_text="b*******7")).to_be_visible(timeout=30_000)
    say("sí, por favor", "Mandé el pedido #")

    sid = session_id(page)
    tracker = servers.tracker(sid)
    assert tracker["slots"]["language"] == "es"
    assistant = [text for who, text in messages(page) if who == "assistant"][1:]  # after the English greeting
    assert assistant and not any(word in text for word in ENGLISH_WORDS for text in assistant), assistant
    assert page.errors == []
