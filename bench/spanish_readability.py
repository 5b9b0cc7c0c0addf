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


# A cross-check of the syllable count. textstat counts Spanish syllables with pyphen's hyphenation dictionary,
# which never splits off a single letter ("o-fi-ci-na" counts 3, "co-rre-o" 2), so its scores read a few points
# high. This count takes vowel groups, splits two strong vowels (a, e, o) and an accented í or ú apart, and drops
# the silent u of que, qui, gue, gui; bench/readability.py reports both.
_VOWELS = re.compile(r"[aeiouáéíóúü]+")
_SILENT_U = re.compile(r"(?<=[qg])u(?=[eiéí])")
_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ]+")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")


def vowel_group_syllables(word: str) -> int:
    """Syllables of a Spanish word by its vowel groups (hiatus between strong or accented weak vowels)."""
    word = _SILENT_U.sub("", word.lower())
    count = 0
    for group in _VOWELS.findall(word):
        count += 1 + sum(1 for a, b in zip(group, group[1:])
                         if (a in "aeoáéó" and b in "aeoáéó") or a in "íú" or b in "íú")
    return max(1, count)


def fernandez_huerta_vowel_groups(text: str) -> float:
    """The same formula with vowel_group_syllables (URLs and phone numbers left out)."""
    text = _PHONE.sub("", _URL.sub("", text))
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len(_SENTENCE_END.findall(text)))
    syllables = sum(vowel_group_syllables(w) for w in words)
    return 206.84 - 60 * syllables / len(words) - 1.02 * len(words) / sentences
