#!/usr/bin/env python
"""Conversation-level success: every demo persona's path, five phrasings each, over REST.

    .venv/bin/python bench/conversations.py            # print, and rewrite "## Conversations" in docs/BENCHMARKS.md
    .venv/bin/python bench/conversations.py --no-docs  # print only

Starts the action server and the Rasa server (newest model in models/) against a freshly seeded SQLite
store, runs each path of bench/personas.py in a new conversation, and counts it a success when the last
reply holds the expected phrase and the store holds exactly the expected ticket (kind and school) for
that conversation, or no ticket when none is expected. Every message must get a non-empty reply, and no
identity question may be asked again right after the parent answered it (the "those details don't match"
question after a failed check is the one expected repeat, and a question is rightly asked again after the
parent's aside, such as "what is a security email?", which answers nothing).
"""
from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.personas import PATHS, Aside, Path as ScriptedPath  # noqa: E402
from bench.report import machine, replace_section  # noqa: E402

SECTION = "## Conversations"


@dataclass
class Run:
    path: ScriptedPath
    ok: bool
    why: str
    seconds: float
    last_reply: str
    asked_again: int = 0


IDENTITY_QUESTIONS = ("contact", "child_first_name", "child_birth_date", "missing_child_name")


def question_texts() -> dict[str, str]:
    """Each identity question's texts (every variation but the one after a failed check) -> the slot it asks."""
    import yaml

    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    texts = {}
    for slot in IDENTITY_QUESTIONS:
        for variation in responses[f"utter_ask_{slot}"]:
            conditions = variation.get("condition") or []
            if not any(c.get("value") == "verify_failed" for c in conditions):
                texts[variation["text"]] = slot
    return texts


def questions_in(replies: list[str], texts: dict[str, str]) -> set[str]:
    """The identity questions (slots) these replies ask."""
    return {slot for reply in replies for text, slot in texts.items() if text in reply}


def start_stack(workdir: Path):
    """Action server + Rasa server on free ports against a seeded store; Maple Ridge always open."""
    from portal.cli import main as portal_admin
    from tests.actions.conftest import ALWAYS_OPEN, NEVER_OPEN, write_district
    from tests.e2e.servers import (Servers, free_port, latest_model, start_action_server, start_rasa_server,
                                   write_endpoints)

    model = latest_model()
    if model is None:
        raise SystemExit("No trained model in models/: run `make train` first.")
    database_url = f"sqlite:///{workdir / 'portal.db'}"
    district = write_district(workdir / "district.yml", {"org-maple-ridge-es": ALWAYS_OPEN,
                                                         "org-willow-creek-ms": NEVER_OPEN})
    if portal_admin(["--database-url", database_url, "seed-demo"]) != 0:
        raise SystemExit("seeding the demo roster failed")
    action_port, rasa_port = free_port(), free_port()
    servers = Servers(workdir=workdir, database_url=database_url, district_file=str(district),
                      rasa_url=f"http://127.0.0.1:{rasa_port}", action_url=f"http://127.0.0.1:{action_port}",
                      token=secrets.token_hex(16))
    try:
        start_action_server(servers, action_port)
        start_rasa_server(servers, rasa_port, model, write_endpoints(workdir, action_port))
    except BaseException:
        servers.stop()
        raise
    return servers, model


def check_outcome(path: ScriptedPath, last_reply: str, tickets: list) -> tuple[bool, str]:
    """Success and, when not, why."""
    expected = path.expected
    if expected.ticket_kind is None:
        if tickets:
            return False, f"unexpected ticket(s): {[t.kind for t in tickets]}"
        if expected.reply not in last_reply:
            return False, f"last reply lacks {expected.reply!r}"
        return True, ""
    if len(tickets) != 1:
        return False, f"expected one {expected.ticket_kind} ticket, found {len(tickets)}"
    ticket = tickets[0]
    if (ticket.kind, ticket.school_id) != (expected.ticket_kind, expected.ticket_school):
        return False, f"ticket {ticket.kind} at {ticket.school_id}"
    phrase = f"#{ticket.id}" if expected.reply == "#" else expected.reply
    if phrase not in last_reply:
        return False, f"last reply lacks {phrase!r}"
    return True, ""


def repeated_questions(message: str, asked_before: set[str], asked_now: set[str]) -> int:
    """Questions asked again right after the parent's message; an aside answers none of them."""
    if isinstance(message, Aside):
        return 0
    return len(asked_now & asked_before)


def run_path(servers, path: ScriptedPath) -> Run:
    from portal.db import session_scope
    from portal.tickets import tickets_for_conversation

    sender = f"bench-{secrets.token_hex(6)}"
    started = time.perf_counter()
    last_reply = ""
    texts, asked_before, asked_again = question_texts(), set(), 0
    for message in path.messages:
        try:
            replies = servers.texts(sender, message)
        except Exception as error:  # an HTTP error is a failed conversation, not a crashed benchmark
            return Run(path, False, f"{message!r}: {type(error).__name__}", time.perf_counter() - started, "")
        if not any(text.strip() for text in replies):
            return Run(path, False, f"no reply to {message!r}", time.perf_counter() - started, "")
        last_reply = " ".join(replies)
        asked_now = questions_in(replies, texts)
        asked_again += repeated_questions(message, asked_before, asked_now)
        asked_before = asked_now
    with session_scope(servers.database_url) as session:
        tickets = tickets_for_conversation(session, sender)
        ok, why = check_outcome(path, last_reply, tickets)
    if ok and asked_again:
        ok, why = False, f"an identity question asked again right after its answer ({asked_again}x)"
    return Run(path, ok, why, time.perf_counter() - started, last_reply, asked_again)


def table(runs: list[Run]) -> str:
    rows = ["| persona | phrasings passed | turns | failures |", "| --- | --- | --- | --- |"]
    for persona in dict.fromkeys(run.path.persona for run in runs):
        mine = [run for run in runs if run.path.persona == persona]
        failures = "; ".join(f"#{run.path.variant}: {run.why}" for run in mine if not run.ok) or "–"
        turns = "/".join(str(len(run.path.messages)) for run in mine)
        rows.append(f"| {persona} | {sum(run.ok for run in mine)}/{len(mine)} | {turns} | {failures} |")
    return "\n".join(rows)


def docs_body(runs: list[Run], model: Path, seconds: float) -> str:
    passed = sum(run.ok for run in runs)
    messages = sum(len(run.path.messages) for run in runs)
    return "\n".join([
        SECTION,
        "",
        "Every demo persona's path (portal/demo/PERSONAS.md) as a scripted multi-turn conversation over the REST",
        "channel against the real Rasa and action servers and a freshly seeded store, in five phrasings each",
        "(opening question, how the school is typed, email or phone, date format; the fourth in texting style,",
        "with typos and a question in the middle; the fifth answering every question in a full sentence, one",
        "persona giving three facts in one message: `bench/personas.py`). Success means the last reply holds the",
        "expected answer, the store holds exactly the expected ticket (kind and school) for that conversation, or",
        "none, and no identity question was asked again right after the parent answered it.",
        "",
        f"Command: `.venv/bin/python bench/conversations.py` · model `{model.name}` · "
        f"measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} · {machine()}.",
        "",
        f"**{passed}/{len(runs)} conversations succeeded** ({passed / len(runs):.0%}; {messages} messages, "
        f"{seconds:.0f} s, one conversation at a time).",
        "",
        table(runs),
    ])


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/BENCHMARKS.md alone")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-conv-") as tmp:
        servers, model = start_stack(Path(tmp))
        try:
            started = time.perf_counter()
            runs = []
            for path in PATHS:
                run = run_path(servers, path)
                runs.append(run)
                status = "ok  " if run.ok else "FAIL"
                print(f"{status} {path.persona} #{path.variant} ({run.seconds:.1f} s) {run.why}", flush=True)
            seconds = time.perf_counter() - started
        finally:
            servers.stop()
    passed = sum(run.ok for run in runs)
    print(f"\n{passed}/{len(runs)} conversations succeeded in {seconds:.0f} s")
    print(table(runs))
    if not args.no_docs:
        replace_section(SECTION, docs_body(runs, model, seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
