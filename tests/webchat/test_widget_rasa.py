"""The widget against the real assistant (the shared end-to-end Rasa and action servers, whose credentials.yml
has the socketio channel with session persistence), in headless Chromium. Marked e2e."""
from __future__ import annotations

import re
from typing import Any

import pytest

from portal.db import session_scope
from portal.tickets import tickets_for_conversation
from tests.e2e.test_spanish import SPANISH_PATHS, check_ending
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


def open_in_spanish(page: Any, servers: Any, static_server: StaticServer) -> Any:
    """Open the widget on the demo page, press its Español button; the Spanish text box."""
    port = int(servers.rasa_url.rsplit(":", 1)[1])
    page.goto(static_server.page(port))
    page.get_by_role("button", name="Chat with us").click()
    expect()(page.locator(".message.assistant").first).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Español", exact=True).click()
    box = page.get_by_role("textbox", name="Escriba su pregunta")
    expect()(box).to_be_visible(timeout=30_000)
    return box


def say(page: Any, box: Any, text: str, answer: str = "") -> None:
    """Send `text`; wait until an assistant message after it holds `answer` (any reply when empty)."""
    before = len(messages(page))
    box.fill(text)
    box.press("Enter")
    page.wait_for_function(
        """([before, answer]) => [...document.querySelector('#ppchat-host').shadowRoot.querySelectorAll('.message')]
               .slice(before).some(li => li.classList.contains('assistant') && li.textContent.includes(answer))""",
        arg=[before, answer], timeout=30_000)


def assert_all_spanish(page: Any, servers: Any) -> str:
    """Every assistant message after the English greeting is Spanish; the widget's session id."""
    from tests.e2e.test_spanish import ENGLISH_WORDS

    sid = session_id(page)
    assert servers.tracker(sid)["slots"]["language"] == "es"
    assistant = [text for who, text in messages(page) if who == "assistant"][1:]
    assert assistant and not any(word in text for word in ENGLISH_WORDS for text in assistant), assistant
    assert page.errors == []
    return sid


def test_a_spanish_persona_path_in_the_widget(page: Any, servers: Any, static_server: StaticServer,
                                              chromium_ready: None) -> None:
    """Ben, in Spanish from the toggle on: the identity check, the two-way date tapped as a button, and the reset
    request opened in Spanish (issue 12)."""
    box = open_in_spanish(page, servers, static_server)
    say(page, box, "me dice que mi clave de activación ya fue usada", "confirmar que es usted")
    say(page, box, "sí", "escuela")
    say(page, box, "willow creek", "correo")
    say(page, box, "ben.carter@example.com", "nombre")
    say(page, box, "Lily", "fecha")
    say(page, box, "3/9/2012", "dos formas")
    page.get_by_role("button", name="3 de septiembre de 2012").click()
    expect()(page.locator(".message.assistant .bubble", has_text="b*******7")).to_be_visible(timeout=30_000)
    say(page, box, "sí, por favor", "Mandé el pedido #")
    assert_all_spanish(page, servers)


@pytest.mark.parametrize("path", SPANISH_PATHS[1:], ids=lambda p: p.persona)  # Ben's is the test above
def test_every_other_persona_path_in_spanish_in_the_widget(page: Any, servers: Any, static_server: StaticServer,
                                                           chromium_ready: None, path: Any) -> None:
    """The same paths as over REST and SMS (tests/e2e/test_spanish.py), typed into the widget after its toggle."""
    box = open_in_spanish(page, servers, static_server)
    say(page, box, path.opener, "confirmar que es usted")
    *middle, last = ("sí", path.school, path.contact, path.child, path.born, *path.after)
    for message in middle:
        say(page, box, message)
    before = len(messages(page))
    say(page, box, last, path.reply)
    sid = assert_all_spanish(page, servers)
    replies = " ".join(text for who, text in messages(page)[before:] if who == "assistant")
    with session_scope(servers.database_url) as session:
        check_ending(path, replies, tickets_for_conversation(session, sid))
