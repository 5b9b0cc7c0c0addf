"""Fernández-Huerta readability of Spanish replies (bench/readability.py, tests/test_spanish_replies.py).

textstat's `fernandez_huerta` with Spanish syllables (pyphen's Spanish hyphenation):
206.84 - 0.60 * syllables per 100 words - 1.02 * words per sentence. 70 or more reads as easy
("bastante fácil"); 60-70 as normal. URLs, e-mail addresses and phone numbers are left out before scoring,
as bench/grade_level.py does for English, since they are copied, not read.
"""
from __future__ import annotations

import re

import textstat

MIN_SCORE = 70
_URL = re.compile(r"https?://\S+|\S+@\S+")
_PHONE = re.compile(r"\(\d{3}\) \d{3}-\d{4}")


def fernandez_huerta(text: str) -> float:
    """Fernández-Huerta score of Spanish `text` (higher is easier; URLs and phone numbers left out)."""
    text = _PHONE.sub("", _URL.sub("", text))
    textstat.set_lang("es")
    return float(textstat.fernandez_huerta(text))
