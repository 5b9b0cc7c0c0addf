"""Reading level of every reply a parent can see, printed as numbers: English replies by Flesch-Kincaid grade,
Spanish replies (issue 12) by Fernández-Huerta score (bench/spanish_readability.py).

Usage: .venv/bin/python bench/readability.py [--write-docs]
Values like {school_name} are filled with the sample district's real values before measuring (Spanish replies
with the Spanish values: hours, the attendance note, the knowledge file's Spanish answers).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.grade_level import WORD as _WORD, fk_grade  # noqa: E402
from bench.report import replace_section  # noqa: E402
from bench.spanish_readability import MIN_SCORE, fernandez_huerta, fernandez_huerta_vowel_groups  # noqa: E402
from tests.test_domain import DOMAIN, render  # noqa: E402  (the same rendering the length test uses)

SECTION = "## Readability of replies"
SPANISH_SECTION = "## Readability of Spanish replies"


def is_spanish(variation: dict) -> bool:
    return any(c["name"] == "language" and c["value"] == "es" for c in variation.get("condition") or [])

def measure() -> list[tuple[str, float, int]]:
    rows = []
    for name, variations in DOMAIN["responses"].items():
        if name.startswith("utter_faq/"):
            continue  # pointers to knowledge.yml, measured below
        for variation in variations:
            if is_spanish(variation):
                continue  # measured by spanish_rows()
            text = render(variation["text"])
            if len(_WORD.findall(text)) >= 5:  # labels and one-word answers have no meaningful grade
                rows.append((name, fk_grade(text), len(text)))
    return rows + knowledge_rows()


def knowledge_rows() -> list[tuple[str, float, int]]:
    """Every answer of knowledge.yml (the district's and each school's), filled with the longest real values."""
    from tests.portal.test_knowledge import all_answers, filled_answers

    names = [f"knowledge.yml:{school or 'district'}:{answer.topic}" for school, answer in all_answers()]
    texts = filled_answers()  # two fillings per answer (school, district): keep the longer
    return [(name, fk_grade(max(pair, key=len)), len(max(pair, key=len)))
            for name, pair in zip(names, zip(texts[0::2], texts[1::2]))]


def spanish_rows() -> list[tuple[str, float, float, int]]:
    """Every Spanish variation of domain.yml (each text once) and every Spanish answer of knowledge.yml, filled with
    the longest real values in Spanish: (name, Fernández-Huerta score by textstat, the same by the vowel-group
    syllable count, characters)."""
    from tests.portal.test_knowledge import all_answers
    from tests.portal.test_knowledge_es import filled_spanish_answers
    from tests.test_spanish_replies import render as render_es

    rows = []
    for name, variations in DOMAIN["responses"].items():
        texts = dict.fromkeys(render_es(v["text"]) for v in variations if is_spanish(v))
        rows += [(name, fernandez_huerta(text), fernandez_huerta_vowel_groups(text), len(text))
                 for text in texts if len(_WORD.findall(text)) >= 5]
    names = [f"knowledge.yml:{school or 'district'}:{answer.topic}" for school, answer in all_answers()]
    texts = filled_spanish_answers()
    for name, pair in zip(names, zip(texts[0::2], texts[1::2])):
        longest = max(pair, key=len)
        rows.append((name, fernandez_huerta(longest), fernandez_huerta_vowel_groups(longest), len(longest)))
    return rows


def spanish_docs_body(rows: list[tuple[str, float, float, int]]) -> str:
    scores = [score for _, score, _, _ in rows]
    cross = [score for _, _, score, _ in rows]
    below = sorted({name for name, score, strict, _ in rows if min(score, strict) < MIN_SCORE})
    return "\n".join([
        SPANISH_SECTION,
        "",
        "`.venv/bin/python bench/readability.py` also fills every Spanish variation in `domain.yml` and every",
        "`answer_es` in `knowledge.yml` with the sample district's real values (Spanish hours and notes) and scores",
        f"it with the Fernández-Huerta index (textstat {_textstat_version()}, Spanish syllables; URLs and phone",
        "numbers left out). 70 or more reads as easy; 60-70 as normal:",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| Spanish replies and answers measured (5 words or more) | {len(rows)} | |",
        f"| Fernández-Huerta: mean / median / min | {statistics.mean(scores):.1f} / {statistics.median(scores):.1f} / "
        f"{min(scores):.1f} | ≥ {MIN_SCORE} each (asserted in `tests/test_spanish_replies.py`, "
        "`tests/portal/test_knowledge_es.py`) |",
        f"| at or above {MIN_SCORE} | {sum(s >= MIN_SCORE for s in scores)} / {len(scores)} | |",
        f"| cross-check, vowel-group syllables: mean / median / min | {statistics.mean(cross):.1f} / "
        f"{statistics.median(cross):.1f} / {min(cross):.1f} | ≥ {MIN_SCORE} each (asserted too) |",
        f"| longest Spanish reply with the longest real values | {max(n for *_, n in rows)} characters | ≤ 320 |",
        "",
        "textstat counts syllables with pyphen's Spanish hyphenation dictionary, which never splits off a single",
        "letter (\"oficina\" counts 3, \"correo\" 2), so its scores read high; the cross-check counts vowel groups",
        "(hiatus split, the silent u of que/gui dropped: `bench/spanish_readability.py`) and reads lower. Both must",
        "reach 70.",
        "",
        "Below 70: " + (", ".join(f"`{name}`" for name in below) if below else "none") + ".",
    ])


def _textstat_version() -> str:
    from importlib.metadata import version

    return version("textstat")


def docs_body(rows: list[tuple[str, float, int]]) -> str:
    grades = [g for _, g, _ in rows]
    above = sorted((name for name, grade, _ in rows if grade > 8))
    return "\n".join([
        SECTION,
        "",
        "`.venv/bin/python bench/readability.py` fills every response in `domain.yml` and every answer in",
        "`knowledge.yml` with the sample district's real values and scores it (Flesch-Kincaid grade; URLs, phone",
        "numbers and codes left out):",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
        f"| replies measured (5 words or more) | {len(rows)} | |",
        f"| grade: mean / median / max | {statistics.mean(grades):.1f} / {statistics.median(grades):.1f} / "
        f"{max(grades):.1f} | aim ≤ 8 |",
        f"| replies at or below grade 8 | {sum(g <= 8 for g in grades)} / {len(grades)} | |",
        f"| longest reply with the longest real values | {max(n for _, _, n in rows)} characters | ≤ 320 (asserted in "
        "`tests/test_domain.py`) |",
        "",
        "Above grade 8: " + (", ".join(f"`{name}`" for name in above) if above else "none") + ".",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite the '{SECTION}' section of BENCHMARKS.md")
    args = parser.parse_args()
    rows = measure()
    grades = [g for _, g, _ in rows]
    print(f"replies measured: {len(rows)}")
    print(f"Flesch-Kincaid grade: mean {statistics.mean(grades):.1f}, median {statistics.median(grades):.1f}, "
          f"max {max(grades):.1f}; at or below grade 8: {sum(g <= 8 for g in grades)}/{len(grades)}")
    print(f"length: max {max(n for _, _, n in rows)} characters (limit 320)")
    for name, grade, _ in sorted(rows, key=lambda r: -r[1])[:8]:
        print(f"  {grade:5.1f}  {name}")
    spanish = spanish_rows()
    scores = [score for _, score, _, _ in spanish]
    cross = [score for _, _, score, _ in spanish]
    print(f"Spanish replies and answers measured: {len(spanish)}")
    print(f"Fernández-Huerta: mean {statistics.mean(scores):.1f}, median {statistics.median(scores):.1f}, "
          f"min {min(scores):.1f}; at or above {MIN_SCORE}: {sum(s >= MIN_SCORE for s in scores)}/{len(scores)}")
    print(f"  cross-check (vowel-group syllables): mean {statistics.mean(cross):.1f}, min {min(cross):.1f}; "
          f"at or above {MIN_SCORE}: {sum(s >= MIN_SCORE for s in cross)}/{len(cross)}")
    print(f"Spanish length: max {max(n for *_, n in spanish)} characters (limit 320)")
    for name, score, strict, _ in sorted(spanish, key=lambda r: min(r[1], r[2]))[:8]:
        print(f"  {score:5.1f} {strict:5.1f}  {name}")
    if args.write_docs:
        replace_section(SECTION, docs_body(rows))
        replace_section(SPANISH_SECTION, spanish_docs_body(spanish))


if __name__ == "__main__":
    main()
