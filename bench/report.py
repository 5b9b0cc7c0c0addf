"""Rewrite one "## " section of docs/BENCHMARKS.md, keeping every other section as it is."""
from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "BENCHMARKS.md"


def replace_section(heading: str, body: str, docs: Path = DOCS) -> None:
    """Put `body` (which starts with `heading`) in place of that section, or append it."""
    text = docs.read_text(encoding="utf-8") if docs.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    body = body.rstrip("\n") + "\n\n"
    if pattern.search(text):
        text = pattern.sub(lambda _: body, text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + body
    docs.parent.mkdir(parents=True, exist_ok=True)
    docs.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    print(f"wrote the '{heading}' section of {docs.relative_to(ROOT)}")


def machine() -> str:
    """Cores and load average, for the line that says how a number was measured."""
    return f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end of the run"
