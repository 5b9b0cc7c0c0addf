"""The widget's own words exist in both languages (no browser needed)."""
from __future__ import annotations

import re

from tests.webchat.conftest import WEBCHAT

WIDGET = (WEBCHAT / "widget.js").read_text()


def strings(language: str) -> set[str]:
    """The keys of STRINGS.<language> in widget.js."""
    block = re.search(r"\n    " + language + r": \{\n(.*?)\n    \}", WIDGET, re.DOTALL)
    assert block, f"STRINGS.{language} not found"
    return set(re.findall(r"^      (\w+):", block.group(1), re.MULTILINE))


def test_english_and_spanish_have_the_same_words():
    english, spanish = strings("en"), strings("es")
    assert len(english) >= 20
    assert english == spanish, (english ^ spanish)


def test_every_word_the_widget_uses_is_in_both_languages():
    used = set(re.findall(r"\bT\.(\w+)", WIDGET)) | set(re.findall(r'setStatus\("(\w+)"\)', WIDGET))
    assert used <= strings("en"), used - strings("en")
    assert used <= strings("es"), used - strings("es")


def test_the_toggle_offers_the_other_language_in_that_language():
    assert re.search(r'toggle: "Español"', WIDGET) and re.search(r'toggle: "English"', WIDGET)
    assert 'langBtn.setAttribute("lang", otherLanguage(lang))' in WIDGET
