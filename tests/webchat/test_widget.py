"""The web chat widget in a real headless Chromium (Debian's, driven by Playwright) against Rasa's socketio channel.

The fake Rasa server (fake_rasa.py) runs Rasa 3.6's own SocketIOInput with session persistence; only the
dialogue is scripted. Nothing here needs the help-desk service: history comes from the widget's localStorage
fallback, except in the test of the history endpoint's contract.
"""
from __future__ import annotations

import filecmp
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.services import service_missing
from tests.webchat.conftest import AXE_JS, WEBCHAT, FakeRasa, StaticServer
from tests.webchat.fake_rasa import ASK_SCHOOL, GREETING, GREETING_ES, LANGUAGE_SET, STEP_1, STEP_2

OFFLINE_TEXT = "We can't reach the help assistant right now"
RAW_ERROR = re.compile(r"error|exception|traceback|websocket|xhr|econn|socket\.io|undefined|null", re.I)


EXPECT_TIMEOUT_MS = 15_000  # the CI machine is shared with the Rasa servers: allow for a slow moment


def expect():  # imported lazily: the module must import (and skip) where Playwright is absent
    from playwright.sync_api import expect as _expect
    _expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    return _expect


def messages(page: Any) -> list[tuple[str, str]]:
    """(sender, text) of every message shown, in order."""
    return [tuple(item) for item in page.evaluate("""() => {
        const root = document.querySelector('#ppchat-host').shadowRoot;
        return [...root.querySelectorAll('.message')].map(li => [
            li.classList.contains('parent') ? 'parent' : 'assistant',
            li.querySelector('.bubble').textContent]);
    }""")]


def session_id(page: Any) -> str:
    return page.evaluate("() => localStorage.getItem('ppchat.session_id')")


def focused(page: Any) -> dict[str, str]:
    """The element that has the keyboard focus, looking inside the widget's shadow root."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return el ? {tag: el.tagName.toLowerCase(), cls: el.className || '', text: (el.innerText || '').trim(),
                     type: el.getAttribute('type') || ''} : {};
    }""")


def wait_online(page: Any) -> None:
    page.wait_for_selector("#ppchat-host[data-state='online']", state="attached")


def open_widget(page: Any) -> None:
    page.get_by_role("button", name="Chat with us").click()
    expect()(page.get_by_role("dialog", name="Parent Portal help")).to_be_visible()


def assistant_says(page: Any, text: str) -> None:
    expect()(page.locator(".message.assistant .bubble", has_text=text).last).to_be_visible()


def run_axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations'],
                                          runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}));
    }""")
    return result


def serious(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in ("serious", "critical")]


# ------------------------------------------------------------------------------------------------------
def test_vendored_socketio_client_is_the_locked_version() -> None:
    """webchat/vendor/ holds the official client at the version package-lock.json pins, with its license."""
    vendored = WEBCHAT / "vendor" / "socket.io.min.js"
    assert vendored.exists() and (WEBCHAT / "vendor" / "socket.io-client.LICENSE").exists()
    head = vendored.read_text()[:200]
    assert "Socket.IO v4." in head, "socket.io-client v4 speaks Engine.IO v4, as Rasa 3.6's python-socketio 5 does"
    locked = json.loads((WEBCHAT / "package-lock.json").read_text())["packages"]["node_modules/socket.io-client"]
    assert f"Socket.IO v{locked['version']}" in head


def test_vendored_socketio_client_is_the_npm_package_copy() -> None:
    """The vendored file is the installed package's dist file, unchanged (scripts/vendor.sh)."""
    package = WEBCHAT / "node_modules" / "socket.io-client"
    if not package.exists():
        service_missing("webchat/node_modules not installed (make browser runs scripts/install-browser.sh)")
    assert filecmp.cmp(WEBCHAT / "vendor" / "socket.io.min.js", package / "dist" / "socket.io.min.js", shallow=False), \
        "vendor/socket.io.min.js differs from the installed package: run `npm run vendor` in webchat/"


def test_account_question_buttons_reload_history_and_push(page: Any, fake_rasa: FakeRasa,
                                                         static_server: StaticServer) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(static_server.page(fake_rasa))
    expect()(page).to_have_title(re.compile("Cedar Valley School District"))

    open_widget(page)
    assistant_says(page, GREETING)                       # the chat opens with the assistant's greeting
    expect()(page.get_by_role("button", name="Get an account")).to_be_visible()

    box = page.get_by_role("textbox", name="Type your question")
    box.fill("how do I get a parent portal account?")
    box.press("Enter")
    assistant_says(page, ASK_SCHOOL)
    expect()(box).to_have_value("")
    # Buttons of earlier messages are gone once the parent answered; the new ones are real buttons.
    expect()(page.get_by_role("button", name="Get an account")).to_have_count(0)
    page.get_by_role("button", name="Maple Ridge Elementary").click()
    expect()(page.locator(".message.parent .bubble", has_text="Maple Ridge Elementary")).to_be_visible()
    assistant_says(page, "Step 1 of 7")

    link = page.get_by_role("link", name=re.compile(r"maple\.cedarvalley\.example\.org"))
    expect()(link).to_have_attribute("href", "https://maple.cedarvalley.example.org/parents/portal")
    expect()(link).to_have_attribute("target", "_blank")
    expect()(link).to_have_attribute("rel", re.compile("noopener"))

    page.get_by_role("button", name="Done, what's next?").click()
    assistant_says(page, "Step 2 of 7")

    # What Rasa received: the payloads (not the titles), with the persistent session id.
    sid = session_id(page)
    assert re.fullmatch(r"[0-9a-f]{32}", sid)
    mine = [m for m in fake_rasa.received() if m["session_id"] == sid]
    assert [m["message"] for m in mine] == [
        "/greet", "how do I get a parent portal account?", '/inform{"school":"org-maple-ridge-es"}', "/next_step"]
    assert mine[1]["metadata"] == {"language": "en"}

    # Typing indicator while waiting for an answer.
    box.fill("slow please")
    box.press("Enter")
    expect()(page.locator(".typing")).to_be_visible()
    expect()(page.locator(".typing")).to_contain_text("The assistant is typing")

    before = messages(page)
    assert before == [
        ("assistant", GREETING), ("parent", "how do I get a parent portal account?"), ("assistant", ASK_SCHOOL),
        ("parent", "Maple Ridge Elementary"),
        ("assistant", "Good to know: one account shows all your kids, even at different schools."),
        ("assistant", STEP_1 + " (opens in a new tab)"), ("parent", "Done, what's next?"), ("assistant", STEP_2),
        ("parent", "slow please")]

    # Reload: same conversation, history shown (localStorage fallback: /chat/history is a 404 here), still open.
    page.reload()
    expect()(page.get_by_role("dialog", name="Parent Portal help")).to_be_visible()
    expect()(page.locator(".message")).to_have_count(len(before))
    assert messages(page) == before
    assert session_id(page) == sid

    # A message pushed later (a staff reply) appears while the page is open, and is announced politely.
    wait_online(page)  # session_confirmed: this socket is in the session's room
    fake_rasa.push(sid, "Good news: Maple Ridge Elementary resolved your request (ticket T-1042).")
    assistant_says(page, "resolved your request (ticket T-1042)")
    expect()(page.locator("[aria-live='polite']").last).to_contain_text("resolved your request")
    expect()(page.locator(".typing")).to_be_hidden()   # an answer ends the wait

    # Pushed while the chat is closed: the launcher shows it.
    box.focus()
    page.keyboard.press("Escape")
    expect()(page.get_by_role("dialog")).to_be_hidden()
    fake_rasa.push(sid, "A staff member replied: we linked Noah to your account.",
                   [{"title": "Thanks!", "payload": "/thank"}])
    expect()(page.get_by_role("button", name=re.compile(r"Chat with us \(1 new message\)"))).to_be_visible()
    page.get_by_role("button", name=re.compile("Chat with us")).click()
    assistant_says(page, "we linked Noah")
    page.get_by_role("button", name="Thanks!").click()
    expect()(page.locator(".message.parent .bubble", has_text="Thanks!")).to_be_visible()
    assert [m["message"] for m in fake_rasa.received() if m["session_id"] == sid][-1] == "/thank"

    # Nothing came from anywhere but the page's server and the assistant: no CDN.
    hosts = {urlsplit(url).hostname for url in requests if not url.startswith("data:")}
    assert hosts <= {"127.0.0.1"}, hosts
    assert page.errors == []


def test_history_endpoint_contract(page: Any, fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    """With data-history-url, the server's history wins: it has what was pushed while the page was closed."""
    history_url = f"{fake_rasa.url}/test/history"
    page.goto(static_server.page(fake_rasa, history=history_url))
    open_widget(page)
    assistant_says(page, GREETING)
    page.get_by_role("button", name="Get an account").click()
    assistant_says(page, ASK_SCHOOL)
    page.get_by_role("button", name="Maple Ridge Elementary").click()
    assistant_says(page, "Step 1 of 7")
    sid = session_id(page)

    page.goto("about:blank")                               # the parent left the page ...
    fake_rasa.push(sid, "Your ticket T-7 was resolved while you were away.")
    page.goto(static_server.page(fake_rasa, history=history_url))
    # ... and sees it on coming back, though the widget never received it. Payloads show as button titles;
    # the "/greet" that opened the chat is not shown.
    assistant_says(page, "resolved while you were away")
    shown = messages(page)
    assert shown[0] == ("assistant", GREETING)
    assert ("parent", "Get an account") in shown and ("parent", "Maple Ridge Elementary") in shown
    assert not any(text.startswith("/") for _, text in shown)
    assert shown[-1] == ("assistant", "Your ticket T-7 was resolved while you were away.")
    assert page.errors == []


def test_message_text_is_never_markup(page: Any, fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    page.goto(static_server.page(fake_rasa))
    open_widget(page)
    assistant_says(page, GREETING)
    box = page.get_by_role("textbox", name="Type your question")
    box.fill("<b>my</b> key <img src=y onerror=window.__pwned=2> https://example.org/x")
    box.press("Enter")
    box.fill("html please")
    box.press("Enter")
    assistant_says(page, "Look:")
    root = "document.querySelector('#ppchat-host').shadowRoot"
    assert page.evaluate(f"() => {root}.querySelectorAll('.bubble img, .bubble b').length") == 0
    assert page.evaluate("() => window.__pwned === undefined")
    hrefs = page.evaluate(f"() => [...{root}.querySelectorAll('.bubble a')].map(a => a.href)")
    # Only http(s) links; a trailing full stop stays outside; no javascript: link.
    assert hrefs == ["https://example.org/x", "https://example.org/a_(b)"]
    assert "<img src=x onerror=" in messages(page)[-1][1]


def test_offline_notice_and_retry(page: Any, spare_fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    server = spare_fake_rasa
    # The server can't be reached when the page loads (connect_error) ...
    page.goto(static_server.page(server, attempts=0))
    open_widget(page)
    notice = page.get_by_role("alert")
    expect()(notice).to_contain_text(OFFLINE_TEXT)
    retry = page.get_by_role("button", name="Try again")
    expect()(retry).to_be_visible()
    assert not RAW_ERROR.search(page.get_by_role("dialog").inner_text().replace("Try again", ""))

    # ... comes up: Retry connects and the chat starts.
    server.start()
    retry.click()
    expect()(notice).to_be_hidden()
    assistant_says(page, GREETING)
    sid = session_id(page)

    # Goes away in the middle of the chat (disconnect): the notice again, nothing sent, the text kept.
    server.kill()
    expect()(notice).to_contain_text(OFFLINE_TEXT)
    box = page.get_by_role("textbox", name="Type your question")
    box.fill("my activation key is invalid")
    box.press("Enter")
    expect()(page.get_by_role("status").filter(has_text="wasn't sent")).to_be_visible()
    expect()(box).to_have_value("my activation key is invalid")
    assert not RAW_ERROR.search(page.get_by_role("dialog").inner_text().replace("Try again", ""))

    # Back: Retry reconnects to the same conversation, and the kept text goes through.
    server.start()
    page.get_by_role("button", name="Try again").click()
    expect()(notice).to_be_hidden()
    expect()(page.get_by_role("status").filter(has_text="Connected again")).to_be_visible()
    box.fill("how do I get an account?")
    box.press("Enter")
    assistant_says(page, ASK_SCHOOL)
    assert session_id(page) == sid
    assert [m["session_id"] for m in server.received()] == [sid]
    assert page.errors == []


def test_reconnects_by_itself_and_gets_pushes_again(page: Any, spare_fake_rasa: FakeRasa,
                                                    static_server: StaticServer) -> None:
    """A server restart needs no click: Socket.IO retries, the widget rejoins its session's room."""
    server = spare_fake_rasa.start()
    page.goto(static_server.page(server))
    open_widget(page)
    assistant_says(page, GREETING)
    sid = session_id(page)
    server.kill()
    expect()(page.get_by_role("alert")).to_contain_text(OFFLINE_TEXT)
    server.start()
    expect()(page.get_by_role("alert")).to_be_hidden(timeout=15_000)
    wait_online(page)
    server.push(sid, "Your ticket T-9 was resolved.")
    assistant_says(page, "Your ticket T-9 was resolved.")
    assert page.errors == []


def test_two_tabs_share_the_conversation(context: Any, fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    """Both tabs get the answers; the stored transcript has each message once; a real repeat stays."""
    first, second = context.new_page(), context.new_page()
    first.goto(static_server.page(fake_rasa))
    open_widget(first)
    assistant_says(first, GREETING)
    second.goto(static_server.page(fake_rasa))
    open_widget(second)
    assistant_says(second, GREETING)                     # the conversation so far, not a second greeting
    wait_online(second)
    box = first.get_by_role("textbox", name="Type your question")
    box.fill("twice please")
    box.press("Enter")
    expected = [("assistant", GREETING), ("parent", "twice please"),
                ("assistant", "Which school?"), ("assistant", "Which school?")]
    for page in (first, second):
        expect()(page.locator(".message")).to_have_count(4)
        assert messages(page) == expected
    stored = first.evaluate("() => JSON.parse(localStorage.getItem('ppchat.transcript'))")
    assert [(m["sender"], m["text"]) for m in stored] == expected


def test_keyboard_only(page: Any, fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    page.goto(static_server.page(fake_rasa))
    page.wait_for_function("() => !!window.ParentPortalChat")
    # Tab from the top of the page to the launcher.
    for _ in range(30):
        page.keyboard.press("Tab")
        if focused(page)["cls"].startswith("launcher"):
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    expect()(page.get_by_role("dialog", name="Parent Portal help")).to_be_visible()
    assert focused(page)["tag"] == "input"                # focus goes to the question box
    assistant_says(page, GREETING)

    page.keyboard.type("how do I get an account?")
    page.keyboard.press("Enter")
    assistant_says(page, ASK_SCHOOL)
    # Shift+Tab from the box reaches the suggested replies, above it.
    for _ in range(6):
        page.keyboard.press("Shift+Tab")
        if focused(page)["text"] == "Maple Ridge Elementary":
            break
    else:
        pytest.fail("the suggested replies are not reachable with Shift+Tab")
    assert focused(page)["cls"] == "quick-reply"
    page.keyboard.press("Enter")
    assistant_says(page, "Step 1 of 7")
    assert focused(page)["tag"] == "input"                # the clicked button is gone; focus stays in the chat
    page.keyboard.press("Shift+Tab")
    assert focused(page)["text"] == "I'm stuck"
    page.keyboard.press("Shift+Tab")
    assert focused(page)["text"] == "Done, what's next?"
    page.keyboard.press("Space")
    assistant_says(page, "Step 2 of 7")

    # Tab order from the top of the panel: close controls, links, replies, box, Send.
    page.keyboard.press("Escape")
    expect()(page.get_by_role("dialog")).to_be_hidden()
    assert focused(page)["cls"].startswith("launcher")    # focus returns to the launcher
    page.keyboard.press("Enter")
    expect()(page.get_by_role("dialog")).to_be_visible()
    page.keyboard.press("Tab")
    assert focused(page) == {"tag": "button", "cls": "send", "text": "Send", "type": "submit"}
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    assert focused(page)["cls"] == "quick-reply"
    assert page.errors == []


def test_axe_no_serious_or_critical_violations(page: Any, fake_rasa: FakeRasa, static_server: StaticServer,
                                               spare_fake_rasa: FakeRasa) -> None:
    page.goto(static_server.page(fake_rasa))
    page.wait_for_function("() => !!window.ParentPortalChat")
    report: dict[str, list[dict[str, Any]]] = {"closed": run_axe(page)}

    open_widget(page)
    assistant_says(page, GREETING)
    box = page.get_by_role("textbox", name="Type your question")
    box.fill("how do I get an account?")
    box.press("Enter")
    page.get_by_role("button", name="Maple Ridge Elementary").click()
    assistant_says(page, "Step 1 of 7")                  # text, a link, and buttons on screen
    report["conversation"] = run_axe(page)
    box.fill("slow please")
    box.press("Enter")
    expect()(page.locator(".typing")).to_be_visible()
    report["typing"] = run_axe(page)

    page.goto(static_server.page(spare_fake_rasa, attempts=0))   # nobody listens there: the offline notice
    expect()(page.get_by_role("dialog", name="Parent Portal help")).to_be_visible()  # reopens with its history
    expect()(page.get_by_role("alert")).to_contain_text(OFFLINE_TEXT)
    report["offline"] = run_axe(page)

    for state, violations in report.items():
        for violation in violations:
            print(f"axe [{state}] {violation['impact']}: {violation['id']} {violation['help']} {violation['nodes']}")
    assert {state: serious(v) for state, v in report.items()} == {state: [] for state in report}


def test_phone_width_360(browser: Any, fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(static_server.page(fake_rasa))
        launcher = page.get_by_role("button", name="Chat with us")
        expect()(launcher).to_be_visible()
        box = launcher.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360
        launcher.tap()
        dialog = page.get_by_role("dialog", name="Parent Portal help")
        expect()(dialog).to_be_visible()
        assistant_says(page, GREETING)
        text = page.get_by_role("textbox", name="Type your question")
        text.fill("long link please")
        page.get_by_role("button", name="Send").tap()
        assistant_says(page, "to continue")

        # The open chat fills the screen, and nothing scrolls sideways.
        panel = dialog.bounding_box()
        assert panel and panel["x"] >= 0 and panel["x"] + panel["width"] <= 360 and panel["height"] <= 740
        widths = page.evaluate("""() => {
            const root = document.querySelector('#ppchat-host').shadowRoot;
            const s = root.querySelector('.scroller');
            return {doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,
                    scroller: s.scrollWidth, scrollerClient: s.clientWidth};
        }""")
        assert widths["doc"] <= 360 and widths["body"] <= 360, widths
        assert widths["scroller"] <= widths["scrollerClient"], widths
        for name in ("Send", "Close chat"):
            b = page.get_by_role("button", name=name).bounding_box()
            assert b and b["x"] >= 0 and b["x"] + b["width"] <= 360 and b["y"] + b["height"] <= 740
            assert b["height"] >= 44, f"{name}: touch target {b['height']}px"
        violations = run_axe(page)
        assert serious(violations) == [], violations
    finally:
        context.close()


def lang_attributes(page: Any) -> dict[str, Any]:
    """The `lang` of the widget's root, its panel, its toggle, and of each message shown."""
    return page.evaluate("""() => {
        const root = document.querySelector('#ppchat-host').shadowRoot;
        return {root: root.querySelector('.ppchat').getAttribute('lang'),
                panel: root.querySelector('.panel').getAttribute('lang'),
                toggle: root.querySelector('.lang-toggle').getAttribute('lang'),
                messages: [...root.querySelectorAll('.message')].map(li => li.getAttribute('lang'))};
    }""")


def test_spanish_interface(page: Any, fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    """data-lang="es": the widget's own words in Spanish, and the conversation opens in Spanish (the greeting
    carries the entity `language`, so the assistant's slot is Spanish from the first reply)."""
    page.goto(static_server.page(fake_rasa, lang="es"))
    page.get_by_role("button", name="Chatee con nosotros").click()
    expect()(page.get_by_role("textbox", name="Escriba su pregunta")).to_be_focused()
    expect()(page.get_by_role("button", name="Enviar")).to_be_visible()
    expect()(page.get_by_role("button", name="English")).to_have_attribute("title", "Switch the chat to English")
    assistant_says(page, GREETING_ES)
    assert lang_attributes(page) == {"root": "es", "panel": "es", "toggle": "en", "messages": ["es"]}
    sid = session_id(page)
    assert [(m["message"], m["metadata"]) for m in fake_rasa.received() if m["session_id"] == sid] == [
        ('/greet{"language":"es"}', {"language": "es"})]


def test_language_toggle(page: Any, fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    """The EN/ES button tells the assistant (/set_language) and switches every word of the widget's own."""
    page.goto(static_server.page(fake_rasa))
    open_widget(page)
    assistant_says(page, GREETING)
    toggle = page.get_by_role("button", name="Español", exact=True)
    expect()(toggle).to_have_attribute("title", "Cambiar el chat a español")
    toggle.click()

    assistant_says(page, LANGUAGE_SET["es"])
    expect()(page.get_by_role("dialog", name="Parent Portal help")).to_be_visible()
    expect()(page.get_by_role("textbox", name="Escriba su pregunta")).to_have_attribute("placeholder",
                                                                                       "Escriba su pregunta…")
    expect()(page.get_by_role("button", name="Enviar")).to_be_visible()
    expect()(page.get_by_role("button", name="Cerrar el chat")).to_be_visible()
    expect()(page.get_by_role("button", name="Empezar un chat nuevo y borrar esta conversación de este dispositivo")
             ).to_have_text("Chat nuevo")
    expect()(page.get_by_role("list", name="Conversación")).to_be_visible()
    expect()(page.get_by_role("button", name="English", exact=True)).to_have_attribute("lang", "en")
    # The payload is not shown as the parent's message; each message keeps the language it was written in.
    assert messages(page) == [("assistant", GREETING), ("assistant", LANGUAGE_SET["es"])]
    assert lang_attributes(page) == {"root": "es", "panel": "es", "toggle": "en", "messages": ["en", "es"]}
    sid = session_id(page)
    mine = [m for m in fake_rasa.received() if m["session_id"] == sid]
    assert [(m["message"], m["metadata"]) for m in mine] == [
        ("/greet", {"language": "en"}), ('/set_language{"language":"es"}', {"language": "es"})]
    assert serious(run_axe(page)) == []

    # The choice stays on this device: after a reload the widget is still in Spanish.
    page.reload()
    expect()(page.get_by_role("textbox", name="Escriba su pregunta")).to_be_visible()
    assert lang_attributes(page)["messages"] == ["en", "es"]
    wait_online(page)

    page.get_by_role("button", name="English", exact=True).click()
    assistant_says(page, LANGUAGE_SET["en"])
    expect()(page.get_by_role("textbox", name="Type your question")).to_be_visible()
    expect()(page.get_by_role("button", name="Español", exact=True)).to_be_visible()
    assert lang_attributes(page) == {"root": "en", "panel": "en", "toggle": "es", "messages": ["en", "es", "en"]}
    assert [m["message"] for m in fake_rasa.received() if m["session_id"] == sid][-1] == '/set_language{"language":"en"}'
    assert page.errors == []


def test_language_toggle_while_offline(page: Any, spare_fake_rasa: FakeRasa, static_server: StaticServer) -> None:
    """Pressed while the assistant can't be reached: the words switch at once, and the offline notice with
    them; the assistant is told once the chat is connected (here: the conversation opens in Spanish)."""
    page.goto(static_server.page(spare_fake_rasa, attempts=0))   # nobody listens yet
    open_widget(page)
    expect()(page.get_by_role("alert")).to_contain_text(OFFLINE_TEXT)
    page.get_by_role("button", name="Español", exact=True).click()
    expect()(page.get_by_role("alert")).to_contain_text("No podemos conectar con el asistente")
    expect()(page.get_by_role("button", name="Intentar de nuevo")).to_be_visible()
    spare_fake_rasa.start()
    page.get_by_role("button", name="Intentar de nuevo").click()
    assistant_says(page, GREETING_ES)
    sid = session_id(page)
    assert [m["message"] for m in spare_fake_rasa.received() if m["session_id"] == sid] == ['/greet{"language":"es"}']


def test_new_chat_forgets_the_conversation_on_this_device(page: Any, fake_rasa: FakeRasa,
                                                          static_server: StaticServer) -> None:
    """A parent on a shared computer can clear the conversation: new session, nothing left in localStorage."""
    page.goto(static_server.page(fake_rasa))
    open_widget(page)
    assistant_says(page, GREETING)
    box = page.get_by_role("textbox", name="Type your question")
    box.fill("my email is ana.rivera@example.com")
    box.press("Enter")
    assistant_says(page, "Sorry, I didn't get that")
    old = session_id(page)
    page.get_by_role("button", name="Start a new chat and clear this conversation from this device").click()
    expect()(page.locator(".message")).to_have_count(1)             # only the new greeting
    assistant_says(page, GREETING)
    wait_online(page)
    new = session_id(page)
    assert new and new != old
    assert "ana.rivera" not in page.evaluate("() => JSON.stringify(localStorage)")
    page.reload()
    expect()(page.locator(".message")).to_have_count(1)
