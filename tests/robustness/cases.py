"""Hostile input shared by every entry point's bad-input tests, and the checks every answer must pass."""
from __future__ import annotations

import re
from typing import Iterable

# Messages a parent (or an attacker posing as one) can type. Ids are the test ids.
EMPTYISH = {
    "empty": "",
    "space": " ",
    "whitespace": " \t \n \r\n ",
    "nbsp": "\u00a0\u2003\u200b",
    "newlines": "\n\n\n",
}
LONG = {
    "long-10000": "my account is locked " * 476 + "please",  # 10,002 characters, words
    "long-one-word": "a" * 10_000,
    "long-emoji": "🔒" * 10_000,
}
UNICODE = {
    "emoji-only": "😀😀🙏",
    "emoji-zwj": "👨‍👩‍👧‍👦 forgot my password 🔑",
    "rtl-arabic": "نسيت كلمة المرور الخاصة بي",
    "rtl-hebrew": "שכחתי את הסיסמה שלי",
    "rtl-override": "my key is \u202eCBA-4F2A9C1E\u202c",
    "combining": "Z̸̢̛a̵̡͝l̷̛͜g̶̨̛o̸̡͘ ̴̢̛f̸̢̛o̵̢͝r̷̢̛g̸̡̛o̵̢̕t̸̢͝",
    "cjk": "我忘记了密码",
    "astral": "𝕗𝕠𝕣𝕘𝕠𝕥 𝕡𝕒𝕤𝕤𝕨𝕠𝕣𝕕",
    "lone-surrogate-escaped": "forgot \\ud800 password",
}
CONTROL = {
    "nul": "hi\x00there",
    "c0-controls": "\x01\x02\x03\x07\x08\x1b[31mred\x1b[0m",
    "del-c1": "\x7f\x85\x9b forgot password",
    "bell-only": "\x07\x07",
    "form-feed": "\x0c\x0b",
}
INJECTION = {
    "sql-or": "' OR '1'='1' --",
    "sql-drop": "Robert'); DROP TABLE persons;--",
    "sql-union": "1 UNION SELECT username, security_email FROM portal_accounts --",
    "html-script": "<script>alert('x')</script>",
    "html-img": '<img src=x onerror="alert(1)">',
    "html-svg": "<svg/onload=alert(document.cookie)>",
    "html-iframe": '<iframe src="javascript:alert(1)"></iframe>',
    "js-url": "javascript:alert(1)",
    "template": "{{7*7}} ${7*7} {% raw %}{{ config }}{% endraw %} #{7*7}",
    "format-string": "%s%s%s%n {0} {__class__}",
    "xml-entity": '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    "cdata": "]]><Message>forged</Message><![CDATA[",
    "path": "../../../../etc/passwd",
    "crlf-header": "hello\r\nSet-Cookie: evil=1\r\n\r\n<h1>x</h1>",
    "rasa-intent": "/EXTERNAL_ticket_resolved",
    "rasa-intent-entities": '/inform{"verified_guardian_id": "g-ben-carter"}',
    "rasa-unknown-intent": "/nlu_fallback{\"x\":\"<script>\"}",
    "json-in-text": '{"sender": "other", "message": "hi"}',
}
# Slot values: hostile strings typed where the assistant asks for a school, an email, a name, a birth date.
SLOT_VALUES = {
    "sql": "' OR 1=1; --",
    "html": "<script>alert(1)</script>",
    "img": '"><img src=x onerror=alert(1)>',
    "template": "{{7*7}}",
    "long": "x" * 5000,
    "control": "\x00\x1b[2J",
    "rtl": "\u202emoc.elpmaxe@nehc",
}

PARENT_MESSAGES = {**EMPTYISH, **LONG, **UNICODE, **CONTROL, **INJECTION}

# What must never reach a parent or a response body.
LEAKS = ("Traceback", "Exception", 'File "', "Error:", "sqlalchemy", "SQLAlchemy", "psycopg", "sqlite3",
         "rasa.", "sanic", "KeyError", "TypeError", "ValueError", "AttributeError", "/work/", "site-packages",
         "action_", "utter_", "EXTERNAL_", "verified_guardian_id", "nlu_fallback")
# Markup that must never come back unescaped (the hostile text echoed into HTML).
RAW_MARKUP = re.compile(r"<\s*(script|img|svg|iframe)\b|onerror\s*=|onload\s*=", re.IGNORECASE)
# In an HTML page escaped text may still read "onerror=": only a real tag is a hole there.
RAW_TAG = re.compile(r"<\s*(script|img|svg|iframe)\b", re.IGNORECASE)


def leaks(text: str) -> list[str]:
    """Internal names or stack-trace fragments in `text`."""
    return [marker for marker in LEAKS if marker in text]


def check_replies(texts: Iterable[str], sent: str = "") -> None:
    """At least one non-empty reply, none leaking internals, none echoing hostile markup."""
    texts = list(texts)
    assert texts and any(t.strip() for t in texts), f"silence: no reply to {sent[:80]!r}"
    for text in texts:
        assert not leaks(text), f"reply leaks {leaks(text)}: {text[:300]!r}"
        assert not RAW_MARKUP.search(text), f"hostile markup echoed back: {text[:300]!r}"
        assert len(text) <= 2000, f"a reply of {len(text)} characters (echoing the input?)"


def check_error_body(body: str, limit: int = 300) -> None:
    """A short error message, no stack trace or internal names."""
    assert body.strip(), "an error answer without any message"
    assert len(body) <= limit, f"error body of {len(body)} characters: {body[:200]!r}"
    assert not leaks(body), f"error body leaks {leaks(body)}: {body[:300]!r}"
