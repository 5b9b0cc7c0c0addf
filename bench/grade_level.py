"""Flesch-Kincaid grade level, the readability measure of every reply (bench/readability.py, tests)."""
from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z']+")
URL = re.compile(r"https?://\S+")


def syllables(word: str) -> int:
    """A common heuristic: vowel groups, minus a silent final e, at least one."""
    word = word.lower().strip("'")
    groups = re.findall(r"[aeiouy]+", word)
    count = len(groups) - (1 if word.endswith("e") and len(groups) > 1 and not word.endswith("le") else 0)
    return max(1, count)


def fk_grade(text: str) -> float:
    """Flesch-Kincaid grade level of `text` (URLs, phone numbers and codes left out)."""
    text = URL.sub("", text)
    sentences = max(1, len(re.findall(r"[.!?](\s|$)", text)))
    words = WORD.findall(text)
    if not words:
        return 0.0
    syllable_count = sum(syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * syllable_count / len(words) - 15.59
