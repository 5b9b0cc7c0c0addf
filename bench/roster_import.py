"""Benchmark the roster import: a synthetic OneRoster folder of N users into a fresh SQLite file (and PostgreSQL).

    .venv/bin/python bench/roster_import.py                 # 100,000 users, SQLite + PostgreSQL if reachable
    .venv/bin/python bench/roster_import.py --users 20000 --no-postgres
    .venv/bin/python bench/roster_import.py --write-docs    # also rewrite "## Roster import" in docs/BENCHMARKS.md

Each import runs in its own process so its peak RSS is its own. Timed: the first import into an empty,
migrated database, then a re-import of the same folder (the nightly "nothing changed" case).
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import platform
import random
import re
import resource
import sqlite3
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOCS = ROOT / "docs" / "BENCHMARKS.md"
SECTION = "## Roster import"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
SCHOOLS = ["org-maple-ridge-es", "org-willow-creek-ms", "org-cedar-valley-hs", "org-riverbend-es",
           "org-summit-ridge-academy"]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "David", "Elena", "Frank", "Grace", "Hana", "Ivan", "Jamal", "Kai", "Lily",
               "Mateo", "Noah", "Olivia", "Priya", "Quinn", "Ren", "Sofia", "Tariq", "Uma", "Victor", "Wen", "Yuki"]
FAMILY_NAMES = ["Rivera", "Carter", "Nguyen", "Okafor", "Petrova", "Miller", "Kim", "Suzuki", "Lopez", "Brooks",
                "Patel", "Garcia", "Smith", "Chen", "Haddad", "Novak", "Silva", "Olsen", "Reyes", "Khan"]
T = "2024-08-15T12:00:00.000Z"


@dataclass
class Result:
    backend: str
    users: int
    rows: int
    first_seconds: float
    first_cpu: float
    first_rss_mb: float
    reimport_seconds: float
    reimport_cpu: float
    reimport_rss_mb: float
    rejected: int


def generate(folder: Path, users: int, seed: int = 7) -> dict[str, int]:
    """Write orgs, users, demographics and portal_accounts for `users` people (about 55% students)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {"orgs.csv": 0, "users.csv": 0, "demographics.csv": 0, "portal_accounts.csv": 0}
    with open(folder / "orgs.csv", "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow("sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId".split(","))
        writer.writerow(["org-cedar-valley-district", "active", T, "Cedar Valley School District", "district", "", ""])
        for school in SCHOOLS:
            writer.writerow([school, "active", T, school.title(), "school", "", "org-cedar-valley-district"])
        counts["orgs.csv"] = len(SCHOOLS) + 1
    files = [open(folder / name, "w", newline="") for name in ("users.csv", "demographics.csv", "portal_accounts.csv")]
    users_w, demo_w, acct_w = (csv.writer(f, lineterminator="\n") for f in files)
    users_w.writerow(("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
                      "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password").split(","))
    demo_w.writerow(["sourcedId", "status", "dateLastModified", "birthDate", "sex"])
    acct_w.writerow("userSourcedId,activationKey,keyRedeemed,username,accountStatus,securityEmail".split(","))
    written, household = 0, 0
    while written < users:
        household += 1
        family = rng.choice(FAMILY_NAMES)
        school = rng.choice(SCHOOLS)
        guardian_ids = []
        for g in range(rng.choice((1, 1, 2))):
            if written >= users:
                break
            gid = f"g-{household}-{g}"
            given = rng.choice(FIRST_NAMES)
            email = f"{given.lower()}.{family.lower()}.{household}.{g}@example.com"
            sms = f"+1 555-{(household * 2 + g) // 10000 % 1000:03d}-{(household * 2 + g) % 10000:04d}"
            users_w.writerow([gid, "active", T, "true", school, "guardian", "", "", given, family, "", "", email, sms,
                              "", "", "", ""])
            redeemed = rng.random() < 0.7
            status = rng.choice(("active", "active", "active", "locked", "disabled")) if redeemed else "none"
            acct_w.writerow([gid, f"{rng.getrandbits(128):032X}", "true" if redeemed else "false",
                             f"{given.lower()}{household}" if redeemed else "", status, email if redeemed else ""])
            counts["portal_accounts.csv"] += 1
            guardian_ids.append(gid)
            written += 1
        for s in range(rng.choice((1, 1, 2, 2, 3))):
            if written >= users:
                break
            sid = f"s-{household}-{s}"
            born = date(2006 + rng.randrange(13), 1 + rng.randrange(12), 1 + rng.randrange(28))
            users_w.writerow([sid, "active", T, "true", school, "student", "", "", rng.choice(FIRST_NAMES), family,
                              "", "", "", "", "", ",".join(guardian_ids), "", ""])
            demo_w.writerow([sid, "active", T, born.isoformat(), rng.choice(("male", "female"))])
            counts["demographics.csv"] += 1
            written += 1
    for handle in files:
        handle.close()
    counts["users.csv"] = written
    return counts


def _import_in_child(url: str, folder: str, queue) -> None:
    from portal import db
    from portal.roster import import_roster

    started, cpu_started = time.perf_counter(), time.process_time()
    report = import_roster(lambda: db.session_scope(url), folder, progress=False)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put((seconds, cpu, rss_mb, report.rejected, report.summary()))


def timed_import(url: str, folder: Path) -> tuple[float, float, float, int, str]:
    """Import in a fresh process; (wall seconds, CPU seconds, peak RSS in MB, rejected rows, summary)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_import_in_child, args=(url, str(folder), queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def run_backend(backend: str, url: str, folder: Path, users: int, rows: int, verbose: bool) -> Result:
    from portal import db

    db.migrate(url)
    db.dispose_engines()
    first = timed_import(url, folder)
    again = timed_import(url, folder)
    if verbose:
        print(first[4], "\n", again[4], sep="")
    return Result(backend, users, rows, first[0], first[1], first[2], again[0], again[1], again[2], first[3])


def postgres_database() -> Optional[str]:
    """A fresh database on the PostgreSQL server, or None when it is not reachable."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin = create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"bench_roster_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        print(f"PostgreSQL skipped: {str(error.orig).strip().splitlines()[0]}")
        return None
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    from portal import db

    db.dispose_engines()
    admin = create_engine(PG_ADMIN_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def machine() -> str:
    cpu = "unknown CPU"
    try:
        cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()).group(1).strip()
    except (OSError, AttributeError):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GB RAM, Python {platform.python_version()}, "
            f"SQLite {sqlite3.sqlite_version}")


def table(results: list[Result]) -> str:
    lines = [
        "| Database | Users | CSV rows | First import (CPU) | Users/s | Rows/s | Peak RSS "
        "| Re-import, no changes (CPU) | Peak RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.backend} | {r.users:,} | {r.rows:,} | {r.first_seconds:.1f} s ({r.first_cpu:.1f} s) | "
            f"{r.users / r.first_seconds:,.0f} | {r.rows / r.first_seconds:,.0f} | {r.first_rss_mb:,.0f} MB | "
            f"{r.reimport_seconds:.1f} s ({r.reimport_cpu:.1f} s) | {r.reimport_rss_mb:,.0f} MB |"
        )
    return "\n".join(lines)


def write_docs(results: list[Result], command: str, counts: dict[str, int], pg_version: Optional[str]) -> None:
    body = "\n".join([
        SECTION,
        "",
        "`portal.roster.import_roster` on a synthetic OneRoster 1.1 folder (households of 1-2 guardians and 1-3",
        "students, every student with a birth date, every guardian with a portal account and activation key),",
        "each import in its own process, into a fresh migrated database.",
        "",
        f"Command: `{command}`",
        "",
        f"Machine: {machine()}" + (f", PostgreSQL {pg_version} on the same host" if pg_version else "") + ".",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d}. Files: "
        + ", ".join(f"{name} {n:,} rows" for name, n in counts.items()) + ".",
        "",
        table(results),
        "",
        "Target: 100,000 users in under a minute on SQLite. Times are wall clock, CPU time of the importing",
        "process in brackets (PostgreSQL's own CPU is not in it); the machine was shared with other jobs",
        f"(load average {os.getloadavg()[0]:.1f} when the run ended), so wall time is pessimistic. Rows/s counts",
        "every CSV row read (all four files); a first import also writes the guardian links and activation keys",
        "derived from them. The re-import compares every row with the store and writes nothing.",
        "",
    ])
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: body + "\n", text, count=1) if pattern.search(text) else text.rstrip("\n") + "\n\n" + body
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text.rstrip("\n") + "\n")
    print(f"Updated {DOCS.relative_to(ROOT)}")


def pg_server_version(url: str) -> str:
    from sqlalchemy import create_engine

    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        version = connection.exec_driver_sql("SHOW server_version").scalar()
    engine.dispose()
    return version.split()[0]


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000, help="users in the roster (default 100,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--write-docs", action="store_true", help=f"rewrite '{SECTION}' in docs/BENCHMARKS.md")
    parser.add_argument("--verbose", action="store_true", help="print the import reports")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="roster-bench-") as tmp:
        folder = Path(tmp) / "roster"
        started = time.perf_counter()
        counts = generate(folder, args.users, args.seed)
        rows = sum(counts.values())
        print(f"Generated {args.users:,} users ({rows:,} CSV rows) in {time.perf_counter() - started:.1f}s")
        results = [run_backend("SQLite (file, WAL)", f"sqlite:///{Path(tmp) / 'bench.db'}", folder, args.users,
                               rows, args.verbose)]
        pg_version = None
        if not args.no_postgres and (url := postgres_database()):
            try:
                pg_version = pg_server_version(url)
                results.append(run_backend(f"PostgreSQL {pg_version}", url, folder, args.users, rows, args.verbose))
            finally:
                drop_postgres_database(url)
    for r in results:
        print(f"{r.backend}: {r.users:,} users, first import {r.first_seconds:.1f}s wall / {r.first_cpu:.1f}s CPU "
              f"({r.users / r.first_seconds:,.0f} users/s, {r.rows / r.first_seconds:,.0f} rows/s, "
              f"peak RSS {r.first_rss_mb:,.0f} MB); re-import {r.reimport_seconds:.1f}s wall / "
              f"{r.reimport_cpu:.1f}s CPU (peak RSS {r.reimport_rss_mb:,.0f} MB); rejected {r.rejected}")
    if args.write_docs:
        shown = ["bench/roster_import.py"] + [a for a in (argv if argv is not None else sys.argv[1:])]
        write_docs(results, ".venv/bin/python " + " ".join(shown), counts, pg_version)
    return 0 if all(r.rejected == 0 for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
