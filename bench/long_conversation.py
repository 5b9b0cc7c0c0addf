#!/usr/bin/env python
"""Does a reply get slower as one conversation gets longer? Ours and a stock `rasa init` bot, side by side.

    .venv/bin/python bench/long_conversation.py                  # 200 messages each, print the figures
    .venv/bin/python bench/long_conversation.py --write-docs     # ... and write them into docs/BENCHMARKS.md
    .venv/bin/python bench/long_conversation.py --messages 100 --window 10 --repeat 2

Both bots are started the way bench/latency.py starts them (ours: the newest model in models/, our action
server, the shipped endpoint settings — SQLite tracker store, in-memory lock store — and a freshly seeded
portal store; the stock bot: bench/baseline.py's `rasa init` project with its own endpoints.yml). Each gets
one REST conversation of `--messages` messages, a short cycle repeated over and over (ours: the account steps,
the school, "what's next", "thanks"; the stock bot: its greet / mood / bot-challenge cycle). The messages
alternate between the two bots, one at a time, so both see the same load from the rest of the machine.
Both are warmed up first with one full cycle in another conversation (a cold first window would flatter
the growth ratio).

Printed: the median reply time per window of `--window` messages for each bot, and the growth (median of
the last window / median of the first). Target: ours grows at most 1.3×. `--write-docs` rewrites the
"### Long conversations" part of docs/BENCHMARKS.md's "## Speed and memory" section (after the hand-kept
notes, which bench/latency.py keeps).
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import latency  # noqa: E402  (bench/latency.py: how the two bots are started)
from baseline import baseline as make_baseline  # noqa: E402

ROOT = latency.ROOT
DOCS = latency.DOCS
RESULTS = ROOT / "results" / "bench_long_conversation"
SECTION = latency.SECTION_SPEED
SUBSECTION = "### Long conversations"
TARGET_GROWTH = 1.3

OUR_CYCLE = ["how do I get a parent portal account?", "maple ridge", "ok done, what's next?", "thanks"]
STOCK_CYCLE = ["hello", "I am great", "are you a bot?", "thanks, bye"]


@dataclass
class Run:
    """One bot's long conversation: the reply time of every message (seconds) and what went wrong."""

    bot: str
    latencies: List[float] = field(default_factory=list)
    errors: List[str] = field(default_factory=list)
    replies: List[str] = field(default_factory=list)

    def windows(self, size: int) -> List[float]:
        """Median reply time (ms) of each consecutive window of `size` messages."""
        return [statistics.median(self.latencies[i:i + size]) * 1000
                for i in range(0, len(self.latencies) - size + 1, size)]

    def growth(self, size: int) -> float:
        medians = self.windows(size)
        return medians[-1] / medians[0] if medians else float("nan")


def send(url: str, sender: str, message: str, run: Run) -> None:
    """Post one message and record how long the whole answer took."""
    start = time.monotonic()
    try:
        replies = latency.http_json(f"{url}/webhooks/rest/webhook", {"sender": sender, "message": message},
                                    timeout=latency.HTTP_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 - a failure is reported, the run goes on
        run.errors.append(f"{message!r}: {type(error).__name__}: {error}"[:200])
        replies = None
    run.latencies.append(time.monotonic() - start)
    run.replies.append(" | ".join(str(r.get("text", "")) for r in replies or [] if isinstance(r, dict)))
    if not replies and len(run.errors) < 20:
        run.errors.append(f"{message!r}: no reply")


def converse(urls: Dict[str, str], cycles: Dict[str, List[str]], messages: int, tag: str) -> Dict[str, Run]:
    """One conversation per bot, `messages` long, the bots' messages alternating one by one."""
    runs = {bot: Run(bot) for bot in urls}
    senders = {bot: f"long-{tag}-{bot}-{secrets.token_hex(4)}" for bot in urls}
    for i in range(messages):
        for bot, url in urls.items():
            send(url, senders[bot], cycles[bot][i % len(cycles[bot])], runs[bot])
        if (i + 1) % 20 == 0:
            latency.log(f"  {i + 1:>4} messages: " + ", ".join(
                f"{bot} median of the last 20 {statistics.median(r.latencies[-20:]) * 1000:.0f} ms"
                for bot, r in runs.items()))
    return runs


def warm_up(urls: Dict[str, str], cycles: Dict[str, List[str]]) -> None:
    converse(urls, cycles, max(len(c) for c in cycles.values()) * 2, "warmup")


def measure(args: argparse.Namespace) -> Dict[str, Any]:
    """Start both bots, warm them up, run `--repeat` long conversations each; the figures."""
    # A busy shared machine can take longer than bench/latency.py's 300 s to load a model.
    latency.START_TIMEOUT_S = args.start_timeout
    model = latency.latest_model()
    base = make_baseline(log=latency.log)
    procs = latency.Procs()
    workdir = Path(tempfile.mkdtemp(prefix="bench-long-"))
    load_start = os.getloadavg()[0]
    try:
        database_url = f"sqlite:///{workdir / 'portal.db'}"
        latency.seed(database_url, workdir)
        latency.log(f"ours: {model.name}; stock: {base.model.name}; logs in {workdir}")
        store = latency.STOCK_TRACKER_STORE if args.plain_tracker_store else None
        ours = latency.start_ours(procs, workdir, model, database_url,
                                  latency.sqlite_tracker(workdir / "tracker.db", store) + "\x00" + latency.IN_MEMORY_LOCK)
        stock = latency.start_baseline(procs, workdir, base.project, base.model)
        urls = {"ours": ours.rasa_url, "stock": stock.rasa_url}
        cycles = {"ours": OUR_CYCLE, "stock": STOCK_CYCLE}
        warm_up(urls, cycles)
        runs: List[Dict[str, Run]] = []
        for r in range(args.repeat):
            latency.log(f"conversation {r + 1} of {args.repeat}: {args.messages} messages to each bot")
            runs.append(converse(urls, cycles, args.messages, f"r{r}"))
    finally:
        procs.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    merged = {bot: Run(bot) for bot in ("ours", "stock")}
    for run in runs:  # per position, the median over the repeats
        for bot in merged:
            merged[bot].errors += run[bot].errors
    for bot in merged:
        merged[bot].latencies = [statistics.median(run[bot].latencies[i] for run in runs)
                                 for i in range(args.messages)]
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([".venv/bin/python", "bench/long_conversation.py"] + sys.argv[1:]),
        "load_start": load_start, "load_end": os.getloadavg()[0], "model": model.name, "baseline": base.model.name,
        "messages": args.messages, "window": args.window, "repeat": args.repeat,
        "tracker_store": "SQL" if args.plain_tracker_store else "shipped",
        **{bot: {"latencies": merged[bot].latencies, "errors": merged[bot].errors, "replies": runs[0][bot].replies}
           for bot in merged},
    }


def runs_of(res: Dict[str, Any]) -> Dict[str, Run]:
    return {bot: Run(bot, res[bot]["latencies"], res[bot]["errors"], res[bot].get("replies", []))
            for bot in ("ours", "stock")}


def table(res: Dict[str, Any]) -> List[str]:
    """Markdown rows: median per window for both bots, then the growth of each."""
    size = res["window"]
    runs = runs_of(res)
    ours, stock = runs["ours"].windows(size), runs["stock"].windows(size)
    rows = ["| messages | ours: median ms | stock `rasa init`: median ms | ours / stock |",
            "| --- | ---: | ---: | ---: |"]
    for i, (o, s) in enumerate(zip(ours, stock)):
        rows.append(f"| {i * size + 1}–{(i + 1) * size} | {o:,.0f} | {s:,.0f} | {o / s:.2f}× |")
    rows.append(f"| growth (last window / first) | **{runs['ours'].growth(size):.2f}×** | "
                f"{runs['stock'].growth(size):.2f}× | |")
    return rows


def growth_met(res: Dict[str, Any]) -> bool:
    return runs_of(res)["ours"].growth(res["window"]) <= TARGET_GROWTH


def report(res: Dict[str, Any]) -> None:
    latency.log("")
    for row in table(res):
        latency.log(row)
    for bot in ("ours", "stock"):
        for error in res[bot]["errors"][:5]:
            latency.log(f"  {bot} error: {error}")
    growth = runs_of(res)["ours"].growth(res["window"])
    latency.log(f"target: ours grows ≤ {TARGET_GROWTH}× — {growth:.2f}× "
                f"{'met' if growth_met(res) else 'MISSED'}")


def docs_subsection(res: Dict[str, Any]) -> str:
    size, n = res["window"], res["messages"]
    growth = runs_of(res)["ours"].growth(size)
    lines = [SUBSECTION, "",
             f"Measured {res['date']} by `{res['command']}` (load average {res['load_start']:.2f} at the start, "
             f"{res['load_end']:.2f} at the end). Rewritten by that script; bench/latency.py keeps it.", "",
             f"One REST conversation of {n} messages per bot, a 4-message cycle over and over (ours: "
             + ", ".join(f'"{m}"' for m in OUR_CYCLE) + "; the stock bot: "
             + ", ".join(f'"{m}"' for m in STOCK_CYCLE) + "), the two bots' messages alternating one at a "
             f"time on the same machine; {res['repeat']} such conversation(s) each, the median per message position "
             f"over them. Ours as shipped ({res['model']}: SQLite tracker store"
             + (" of Rasa's own `SQL` type, not the shipped one" if res.get("tracker_store") == "SQL"
                else " of the shipped type, `channels.tracker_store.RecentTurnsSQLTrackerStore`")
             + f", in-memory lock store, our action server); the stock bot `rasa init` ({res['baseline']}, in-memory tracker store).", "",
             f"Target: the median of messages {n - size + 1}–{n} ≤ {TARGET_GROWTH}× that of messages 1–{size}: "
             f"{growth:.2f}×, {'met' if growth_met(res) else 'MISSED'}.", ""]
    lines += table(res)
    errors = len(res["ours"]["errors"]) + len(res["stock"]["errors"])
    lines += ["", f"Errors (no reply or HTTP failure): {errors}.", ""]
    return "\n".join(lines)


def write_docs(res: Dict[str, Any]) -> None:
    """Replace (or add, at the end of the speed section) the long-conversation subsection."""
    text = DOCS.read_text(encoding="utf-8")
    new = docs_subsection(res).rstrip("\n") + "\n\n"
    section = re.search(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", text, re.S | re.M)
    if section is None:
        raise SystemExit(f"{DOCS} has no {SECTION!r} section: run bench/latency.py first")
    body = section.group(0)
    old = re.search(rf"^{re.escape(SUBSECTION)}\n.*?(?=^### |\Z)", body, re.S | re.M)
    body = body[:old.start()] + new + body[old.end():] if old else body.rstrip("\n") + "\n\n" + new
    text = text[:section.start()] + body + text[section.end():]
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    latency.log(f"wrote {SUBSECTION!r} in {DOCS.relative_to(ROOT)}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200, help="messages per conversation (default 200)")
    parser.add_argument("--window", type=int, default=20, help="messages per window (default 20)")
    parser.add_argument("--repeat", type=int, default=1, help="long conversations per bot (default 1)")
    parser.add_argument("--plain-tracker-store", action="store_true",
                        help="ours with Rasa's own SQL tracker store instead of the shipped one (a before figure)")
    parser.add_argument("--start-timeout", type=float, default=900, help="seconds a server may take to start")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (server logs)")
    parser.add_argument("--write-docs", action="store_true", help="write the figures into docs/BENCHMARKS.md")
    parser.add_argument("--render", action="store_true", help="measure nothing: use results/.../latest.json")
    args = parser.parse_args(argv)
    if args.render:
        res = json.loads((RESULTS / "latest.json").read_text(encoding="utf-8"))
    else:
        res = measure(args)
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(res, indent=1), encoding="utf-8")
    report(res)
    if args.write_docs:
        write_docs(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
