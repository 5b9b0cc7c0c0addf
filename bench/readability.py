"""Reading level of every reply a parent can see (Flesch-Kincaid grade), printed as numbers.

Usage: .venv/bin/python bench/readability.py [--write-docs]
Values like {school_name} are filled with the sample district's real values before measuring.
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
from tests.test_domain import DOMAIN, render  # noqa: E402  (the same rendering the length test uses)

SECTION = "## Readability of replies"

def measure() -> list[tuple[str, float, int]]:
    rows = []
    for name, variations in DOMAIN["responses"].items():
        if name.startswith("utter_faq/"):
            continue  # pointers to knowledge.yml, measured below
        for variation in variations:
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
    if args.write_docs:
        replace_section(SECTION, docs_body(rows))


if __name__ == "__main__":
    main()
