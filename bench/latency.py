#!/usr/bin/env python
"""Speed and memory: concurrent demo conversations over REST, side by side with a stock `rasa init` bot.

    .venv/bin/python bench/latency.py                 # everything (what `make bench` runs), ~25 min on 2 cores
    .venv/bin/python bench/latency.py --quick         # 15 s per level, levels 1/10/20, scaling; no training/start-up/profile
    .venv/bin/python bench/latency.py --skip-training --skip-startup --skip-profile --skip-scaling
    .venv/bin/python bench/latency.py --no-docs       # print only; leave docs/BENCHMARKS.md alone
    .venv/bin/python bench/latency.py --render        # measure nothing: rewrite the sections from results/bench_latency/latest.json

Phases (each starts its own servers on free ports in a temporary folder and stops them, process
groups and all, when it ends; nothing of `make run`'s var/ or models/ is touched):

1. Load, ours as shipped: the newest model in models/, action server + Rasa server with the shipped
   endpoint settings (SQLite tracker store, in-memory lock store, one Sanic worker), the portal store
   in a fresh SQLite file seeded with `portal-admin seed-demo`. N concurrent virtual parents
   (N = 1, 10, 20, 50) each run demo paths from portal/demo/PERSONAS.md back to back, every
   conversation with a fresh sender id, for a fixed time. Per message: p50/p95/p99 latency; per
   level: messages/s, path success, peak RSS of the Rasa server and of the action server (process
   trees, sampled from /proc every 0.2 s) and the CPU they used.
2. Load, baseline: the `rasa init` bot (bench/baseline.py; trained once per Rasa version and cached
   under results/bench_baseline/) with its own settings, through the same driver, its own paths.
3. Scaling: ours with a Redis lock store and the tracker and portal store on a throwaway PostgreSQL
   database, 50 conversations, SANIC_WORKERS=1 and then 2 (the action server with as many Sanic
   workers). The database and the Redis keys are removed afterwards.
4. Profile: right after the load levels of phase 1, py-spy samples that Rasa server and action server
   during 10 concurrent conversations; summaries go to docs/profile/, raw stacks to results/.
5. Start-up: what `make run` does on a trained project (the fingerprint check of `rasa train`,
   `seed-demo --if-empty`, then the action server, help desk and Rasa server) until the first REST reply.
6. Training: `rasa train --force --out <tmp>` of the whole project, with its own cache folder.

It prints the numbers and rewrites the "## Speed and memory", "## Start-up and training time" and
"## Profile" sections of docs/BENCHMARKS.md (a phase that was skipped leaves its section as it was).
Raw numbers: results/bench_latency/latest.json. Targets are reported as met / missed; a missed target
never makes the script fail.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import baseline as make_baseline  # noqa: E402
from channels.response_variations import NLG_ENDPOINT_YAML  # noqa: E402
from testing_support.processes import (Server, ServerSet, action_server_command, free_port,  # noqa: E402
                                       helpdesk_command, rasa_server_command, stop_group)

VENV_BIN = Path(sys.executable).parent
DOCS = ROOT / "docs" / "BENCHMARKS.md"
PROFILE_DIR = ROOT / "docs" / "profile"
RESULTS = ROOT / "results" / "bench_latency"
PG_ADMIN = dict(host="127.0.0.1", port=5432, user="postgres", dbname="test")
REDIS = ("127.0.0.1", 6379)
START_TIMEOUT_S = 300
HTTP_TIMEOUT_S = 300

SECTION_SPEED = "## Speed and memory"
SECTION_START = "## Start-up and training time"
SECTION_PROFILE = "## Profile"

TARGET_P50_RATIO = 1.2
TARGET_THROUGHPUT_RATIO = 0.8
TARGET_RSS_MB = 1200
TARGET_SCALING = 1.5

# Demo paths (portal/demo/PERSONAS.md, the same messages as tests/e2e/test_conversations.py) and a
# text the last reply must contain when the path worked.
OUR_PATHS: List[Tuple[str, List[str], str]] = [
    ("account steps", ["how do I get a parent portal account?", "mapel ridge", "ok done, what's next?", "/next_step",
                       "I'm stuck on the new user page"], "web browser"),
    ("key already used -> ticket", ["it says my activation key has already been used", "yes", "willow creek",
                                    "ben.carter@example.com", "Lily", "9/3/2012", "yes please"], "Willow Creek Middle School"),
    ("split household -> ticket", ["I can't see all my kids in the portal", "yes", "cvhs", "chloe.nguyen@example.com",
                                   "Emma", "January 20, 2009", "Noah"], "second copy of your name"),
    ("forgot password", ["I forgot my password", "yes", "cvhs", "(555) 010-2005", "ivan", "7/22/2010"],
     "reset the password yourself"),
    ("locked -> ticket", ["my account is locked out", "yes", "willow creek", "grace.kim@example.com", "Leo",
                          "12/01/2011"], "locked or turned off"),
    ("unused key", ["my activation key 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C doesn't work"], "valid and not used yet"),
    ("attendance", ["where is attendance in the portal", "maple ridge"], "turned off"),
    ("all children linked", ["my son doesn't show up on my account", "yes", "willow", "david.okafor@example.com", "Ada",
                             "2/14/2013", "Sam"], "Campus Parent app"),
]
# The rasa init bot's own stories and rules (greet / mood / did that help / bot challenge / goodbye).
BASELINE_PATHS: List[Tuple[str, List[str], str]] = [
    ("happy", ["hello", "I am great", "bye"], "Bye"),
    ("sad, helped", ["hi", "I am sad", "yes", "goodbye"], "Bye"),
    ("sad, not helped", ["hey there", "not good", "no"], "Bye"),
    ("bot challenge", ["are you a bot?", "good morning", "perfect", "see you later"], "Bye"),
]


def log(*args: Any) -> None:
    print(*args, flush=True)


# --------------------------------------------------------------------------------------------- processes

def base_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update({"PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3",
                "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "PYTHONWARNINGS": "ignore"})
    env.pop("SANIC_WORKERS", None)
    env.pop("ACTION_SERVER_SANIC_WORKERS", None)
    env.update(extra)
    return env


# Servers started by this script (testing_support/processes.py), each in its own process group; `stop_all`
# ends them all.
Procs = ServerSet
_stop_group = stop_group


def http_json(url: str, payload: Any = None, timeout: float = 30) -> Any:
    data = json.dumps(payload).encode() if payload is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"null")


def first_reply(rasa_url: str, rasa: Server, message: str, timeout: Optional[float] = None) -> float:
    """Poll the REST webhook with `message` until a reply comes back (within `timeout`, default
    START_TIMEOUT_S); the monotonic time it came."""
    deadline = time.monotonic() + (START_TIMEOUT_S if timeout is None else timeout)
    sender = f"startup-{secrets.token_hex(4)}"
    while time.monotonic() < deadline:
        rasa.check_running()
        try:
            replies = http_json(f"{rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": message}, timeout=60)
            if replies:
                return time.monotonic()
        except (urllib.error.URLError, ConnectionError, OSError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no reply from {rasa_url} after {timeout:.0f} s")


# ------------------------------------------------------------------------------------------- /proc stats

def _children(pid: int) -> List[int]:
    out: List[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/children") as f:
                    out.extend(int(c) for c in f.read().split())
            except OSError:
                pass
    except OSError:
        pass
    return out


def tree(pid: int) -> List[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(_children(p))
    return pids


def rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy_seconds() -> Tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(v) for v in f.readline().split()[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals) - idle) / hz, sum(vals) / hz


class Sampler:
    """Peak RSS (sum over each process tree) and CPU seconds of named process trees while it runs."""

    def __init__(self, roots: Dict[str, int], interval: float = 0.2) -> None:
        self.roots, self.interval = roots, interval
        self.peak_kb = {name: 0 for name in roots}
        self.peak_single_kb = {name: 0 for name in roots}
        self.cpu: Dict[str, Dict[int, Tuple[float, float]]] = {name: {} for name in roots}  # pid -> (first, last)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for name, root in self.roots.items():
            pids = tree(root)
            rss = [rss_kb(p) for p in pids]
            self.peak_kb[name] = max(self.peak_kb[name], sum(rss))
            self.peak_single_kb[name] = max([self.peak_single_kb[name]] + rss)
            for p in pids:
                c = cpu_seconds(p)
                first = self.cpu[name].get(p, (c, c))[0]
                self.cpu[name][p] = (first, c)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> "Sampler":
        self._sample()
        self._machine0 = machine_busy_seconds()
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        busy1, total1 = machine_busy_seconds()
        self.machine_busy = busy1 - self._machine0[0]
        self.machine_total = total1 - self._machine0[1]

    def peak_mb(self, name: str) -> float:
        return self.peak_kb[name] / 1024

    def cpu_used(self, name: str) -> float:
        return sum(last - first for first, last in self.cpu[name].values())


# ------------------------------------------------------------------------------------------ load driver

@dataclass
class LevelResult:
    bot: str
    scenario: str
    concurrency: int
    seconds: float
    messages: int
    conversations_done: int
    paths_ok: int
    paths_checked: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    throughput: float
    rasa_rss_mb: float
    rasa_rss_largest_process_mb: float
    actions_rss_mb: Optional[float]
    rasa_cpu_pct: float
    actions_cpu_pct: Optional[float]
    machine_cpu_pct: float
    driver_cpu_pct: float
    load_before: float
    postgres_cpu_pct: Optional[float] = None
    error_samples: List[str] = field(default_factory=list)


def percentile(sorted_vals: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_vals:
        return float("nan")
    k = max(0, min(len(sorted_vals) - 1, int(round(q / 100 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


async def drive(rasa_url: str, paths: List[Tuple[str, List[str], str]], concurrency: int, seconds: float,
                tag: str) -> Dict[str, Any]:
    """`concurrency` virtual parents run `paths` back to back for `seconds`; latency of every message.

    A message counts when its reply arrived before the end of the window; conversations cut by the end
    of the window are not checked.
    """
    import aiohttp

    latencies: List[float] = []
    errors: List[str] = []
    checked = ok = done = 0
    counter = 0
    start = time.monotonic()
    end = start + seconds
    url = f"{rasa_url}/webhooks/rest/webhook"

    async def parent(session: "aiohttp.ClientSession", index: int) -> None:
        nonlocal checked, ok, done, counter
        while time.monotonic() < end:
            name, messages, expect = paths[counter % len(paths)]
            counter += 1
            sender = f"bench-{tag}-{index}-{secrets.token_hex(5)}"
            text = ""
            cut = False
            for message in messages:
                if time.monotonic() >= end:
                    cut = True
                    break
                t0 = time.monotonic()
                try:
                    async with session.post(url, json={"sender": sender, "message": message}) as resp:
                        body = await resp.json(content_type=None)
                        status = resp.status
                except Exception as error:  # noqa: BLE001 - any failure is an error to report
                    errors.append(f"{name}: {message!r}: {type(error).__name__}: {error}"[:300])
                    cut = True
                    break
                t1 = time.monotonic()
                if t1 > end:
                    cut = True
                    break
                if status != 200 or not body:
                    errors.append(f"{name}: {message!r}: HTTP {status} {str(body)[:120]}")
                latencies.append(t1 - t0)
                text = " ".join(m.get("text", "") for m in (body or []) if isinstance(m, dict))
            if cut:
                continue
            done += 1
            checked += 1
            if expect in text:
                ok += 1
            elif len(errors) < 200:
                errors.append(f"path {name!r}: last reply lacks {expect!r}: {text[:160]!r}")

    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(parent(session, i) for i in range(concurrency)))
    elapsed = time.monotonic() - start
    lat = sorted(latencies)
    return {
        "seconds": seconds, "elapsed": elapsed, "messages": len(lat), "conversations_done": done,
        "paths_ok": ok, "paths_checked": checked, "errors": errors,
        "p50": percentile(lat, 50) * 1000, "p95": percentile(lat, 95) * 1000, "p99": percentile(lat, 99) * 1000,
        "mean": (sum(lat) / len(lat) * 1000) if lat else float("nan"),
        "throughput": len(lat) / seconds,
    }


def pg_backend_cpu(db: str) -> Dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving database `db` (same host only)."""
    try:
        conn = pg_connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (db,))
                pids = [r[0] for r in cur.fetchall()]
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - reporting only
        return {}
    return {pid: cpu_seconds(pid) for pid in pids}


def run_level(bot: str, scenario: str, rasa_url: str, rasa_pid: int, action_pid: Optional[int],
              paths: List[Tuple[str, List[str], str]], concurrency: int, seconds: float,
              pg_db: Optional[str] = None) -> LevelResult:
    roots = {"rasa": rasa_pid}
    if action_pid:
        roots["actions"] = action_pid
    load_before = os.getloadavg()[0]
    self0 = os.times()
    pg0 = pg_backend_cpu(pg_db) if pg_db else {}
    with Sampler(roots) as sampler:
        res = asyncio.run(drive(rasa_url, paths, concurrency, seconds, f"{bot}{concurrency}"))
    self1 = os.times()
    pg1 = pg_backend_cpu(pg_db) if pg_db else {}
    window = res["elapsed"]
    level = LevelResult(
        bot=bot, scenario=scenario, concurrency=concurrency, seconds=seconds, messages=res["messages"],
        conversations_done=res["conversations_done"], paths_ok=res["paths_ok"], paths_checked=res["paths_checked"],
        errors=len(res["errors"]), p50_ms=res["p50"], p95_ms=res["p95"], p99_ms=res["p99"], mean_ms=res["mean"],
        throughput=res["throughput"], rasa_rss_mb=sampler.peak_mb("rasa"),
        rasa_rss_largest_process_mb=sampler.peak_single_kb["rasa"] / 1024,
        actions_rss_mb=sampler.peak_mb("actions") if action_pid else None,
        rasa_cpu_pct=100 * sampler.cpu_used("rasa") / window,
        actions_cpu_pct=100 * sampler.cpu_used("actions") / window if action_pid else None,
        machine_cpu_pct=100 * sampler.machine_busy / max(sampler.machine_total, 1e-9) * (os.cpu_count() or 1),
        driver_cpu_pct=100 * ((self1.user - self0.user) + (self1.system - self0.system)) / window,
        load_before=load_before, error_samples=res["errors"][:5],
        postgres_cpu_pct=(100 * sum(c - pg0.get(pid, 0.0) for pid, c in pg1.items()) / window) if pg_db else None,
    )
    log(f"  {bot:<8} {scenario:<22} c={concurrency:<3} {level.messages:>5} msgs  {level.throughput:6.2f} msg/s  "
        f"p50 {level.p50_ms:7.0f}  p95 {level.p95_ms:7.0f}  p99 {level.p99_ms:7.0f} ms  "
        f"paths ok {level.paths_ok}/{level.paths_checked}  errors {level.errors}  "
        f"RSS rasa {level.rasa_rss_mb:.0f} MB" + (f", actions {level.actions_rss_mb:.0f} MB" if action_pid else "")
        + f"  CPU rasa {level.rasa_cpu_pct:.0f}%" + (f", actions {level.actions_cpu_pct:.0f}%" if action_pid else "")
        + f", driver {level.driver_cpu_pct:.0f}%"
        + (f", PostgreSQL {level.postgres_cpu_pct:.0f}%" if level.postgres_cpu_pct is not None else "")
        + f", machine {level.machine_cpu_pct:.0f}%")
    for sample in level.error_samples[:3]:
        log(f"      error: {sample}")
    return level


def warm_up(rasa_url: str, paths: List[Tuple[str, List[str], str]]) -> None:
    """Every path once, one at a time (loads lazily built graphs, fills connection pools)."""
    for name, messages, expect in paths:
        sender = f"warmup-{secrets.token_hex(4)}"
        text = ""
        for message in messages:
            replies = http_json(f"{rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": message}, timeout=HTTP_TIMEOUT_S)
            text = " ".join(r.get("text", "") for r in replies or [])
        if expect not in text:
            log(f"  warning: warm-up path {name!r} ended without {expect!r}: {text[:200]!r}")


# ------------------------------------------------------------------------------------------- databases

def pg_connect(dbname: str = PG_ADMIN["dbname"]):
    import psycopg2

    conn = psycopg2.connect(host=PG_ADMIN["host"], port=PG_ADMIN["port"], user=PG_ADMIN["user"], dbname=dbname,
                            connect_timeout=5)
    conn.autocommit = True
    return conn


def pg_create(name: str) -> None:
    conn = pg_connect()
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def pg_drop(name: str) -> None:
    conn = pg_connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        conn.close()


def redis_delete_prefix(prefix: str) -> None:
    import redis

    client = redis.Redis(host=REDIS[0], port=REDIS[1], socket_timeout=5)
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


def seed(database_url: str, log_dir: Path, if_empty: bool = False) -> float:
    start = time.monotonic()
    cmd = [str(VENV_BIN / "portal-admin"), "--database-url", database_url, "seed-demo"] + (["--if-empty"] if if_empty else [])
    with open(log_dir / "seed.log", "a", encoding="utf-8") as out:
        subprocess.run(cmd, cwd=ROOT, env=base_env(), stdout=out, stderr=subprocess.STDOUT, check=True)
    return time.monotonic() - start


# ---------------------------------------------------------------------------------------- our servers

@dataclass
class Stack:
    rasa_url: str
    rasa: Server
    actions: Optional[Server]
    rasa_log: Path
    action_log: Optional[Path]


def latest_model() -> Path:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        sys.exit("No trained model in models/: run `make train` first (make bench does).")
    return models[-1]


def endpoints_yaml(action_port: int, tracker: str, lock: str) -> str:
    return f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n' + tracker + lock + NLG_ENDPOINT_YAML


def shipped_tracker_store() -> str:
    """`type` and the store's own settings from the shipped endpoints.yml (its `url` aside): ours is measured
    with the tracker store it ships with."""
    import yaml

    settings = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))["tracker_store"]
    return "".join(f"  {key}: {json.dumps(value)}\n" for key, value in settings.items() if key != "url")


STOCK_TRACKER_STORE = '  type: "SQL"\n'


def sqlite_tracker(path: Path, store: Optional[str] = None) -> str:
    return f'tracker_store:\n{store or shipped_tracker_store()}  dialect: "sqlite"\n  db: "{path}"\n'


def pg_tracker(db: str, store: Optional[str] = None) -> str:
    return (f'tracker_store:\n{store or shipped_tracker_store()}  dialect: "postgresql"\n  url: "{PG_ADMIN["host"]}"\n'
            f'  port: {PG_ADMIN["port"]}\n  username: "{PG_ADMIN["user"]}"\n  db: "{db}"\n')


IN_MEMORY_LOCK = 'lock_store:\n  type: "in_memory"\n'


def redis_lock(prefix: str) -> str:
    return f'lock_store:\n  type: "redis"\n  url: "{REDIS[0]}"\n  port: {REDIS[1]}\n  db: 0\n  key_prefix: "{prefix}"\n'


def start_ours(procs: Procs, workdir: Path, model: Path, database_url: str, endpoints: str, workers: int = 1,
               action_workers: int = 1, extra_env: Optional[Dict[str, str]] = None) -> Stack:
    action_port, rasa_port = free_port(), free_port()
    (workdir / "endpoints.yml").write_text(endpoints_yaml(action_port, *endpoints_parts(endpoints)), encoding="utf-8")
    env = base_env(DATABASE_URL=database_url, **(extra_env or {}))
    if action_workers > 1:
        env["ACTION_SERVER_SANIC_WORKERS"] = str(action_workers)
    action_log = workdir / "action_server.log"
    actions = procs.start(action_server_command(action_port), name="actions", cwd=ROOT, env=env, log_path=action_log,
                          ready_url=f"http://127.0.0.1:{action_port}/health", timeout=START_TIMEOUT_S)
    rasa_env = base_env(DATABASE_URL=database_url, **(extra_env or {}))
    if workers > 1:
        rasa_env["SANIC_WORKERS"] = str(workers)
    rasa_log = workdir / "rasa_server.log"
    url = f"http://127.0.0.1:{rasa_port}"
    rasa = procs.start(rasa_server_command(rasa_port, model, workdir / "endpoints.yml", ROOT / "credentials.yml",
                                           auth_token=secrets.token_hex(16)),
                       name="rasa", cwd=workdir, env=rasa_env, log_path=rasa_log, ready_url=f"{url}/",
                       timeout=START_TIMEOUT_S)
    first_reply(url, rasa, "hi")
    return Stack(url, rasa, actions, rasa_log, action_log)


def endpoints_parts(endpoints: str) -> Tuple[str, str]:
    tracker, lock = endpoints.split("\x00")
    return tracker, lock


def start_baseline(procs: Procs, workdir: Path, project: Path, model: Path, workers: int = 1,
                   endpoints: Optional[str] = None) -> Stack:
    port = free_port()
    env = base_env()
    env.pop("PYTHONPATH", None)
    if workers > 1:
        env["SANIC_WORKERS"] = str(workers)
    endpoints_file = project / "endpoints.yml"
    if endpoints is not None:
        endpoints_file = workdir / "baseline_endpoints.yml"
        endpoints_file.write_text("".join(endpoints_parts(endpoints)), encoding="utf-8")
    rasa_log = workdir / "baseline_rasa.log"
    url = f"http://127.0.0.1:{port}"
    rasa = procs.start(rasa_server_command(port, model, endpoints_file, project / "credentials.yml"), name="baseline",
                       cwd=project, env=env, log_path=rasa_log, ready_url=f"{url}/", timeout=START_TIMEOUT_S)
    first_reply(url, rasa, "hi")
    return Stack(url, rasa, None, rasa_log, None)


# ------------------------------------------------------------------------------------------------ phases

def phase_load(args: argparse.Namespace, model: Path, base, levels: List[int],
               profile_out: Dict[str, Any]) -> List[LevelResult]:
    results: List[LevelResult] = []
    for bot in ("ours", "baseline"):
        procs = Procs()
        workdir = Path(tempfile.mkdtemp(prefix=f"bench-{bot}-"))
        try:
            if bot == "ours":
                database_url = f"sqlite:///{workdir / 'portal.db'}"
                seed(database_url, workdir)
                log(f"[load] ours as shipped (SQLite tracker store, in-memory lock store, 1 worker); logs in {workdir}")
                stack = start_ours(procs, workdir, model, database_url,
                                   sqlite_tracker(workdir / "tracker.db") + "\x00" + IN_MEMORY_LOCK)
                paths = OUR_PATHS
            else:
                log(f"[load] baseline: rasa init bot ({base.model.name}), its own endpoints.yml; logs in {workdir}")
                stack = start_baseline(procs, workdir, base.project, base.model)
                paths = BASELINE_PATHS
            warm_up(stack.rasa_url, paths)
            for c in levels:
                results.append(run_level(bot, "as shipped" if bot == "ours" else "rasa init defaults", stack.rasa_url,
                                         stack.rasa.pid, stack.actions.pid if stack.actions else None, paths, c,
                                         args.seconds))
            if bot == "ours" and not args.skip_profile:
                profile_out.update(profile_stack(stack, workdir, 10, args.profile_seconds))
        finally:
            procs.stop_all()
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
    return results


def phase_scaling(args: argparse.Namespace, model: Path, base, concurrency: int) -> List[LevelResult]:
    """Redis lock store, PostgreSQL tracker and portal store; 1 worker, then 2."""
    results: List[LevelResult] = []
    variants: List[Tuple[str, str, int, int, Dict[str, str]]] = [
        ("ours", "Redis+PG, 1 worker", 1, 1, {}),
        ("ours", "Redis+PG, 2 workers", 2, 2, {}),
    ]
    if args.scaling_baseline:
        variants += [("baseline", "Redis+PG, 1 worker", 1, 1, {}), ("baseline", "Redis+PG, 2 workers", 2, 1, {})]
    for bot, scenario, workers, action_workers, extra in variants:
        procs = Procs()
        workdir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
        db = f"bench_{secrets.token_hex(4)}"
        prefix = f"bench{secrets.token_hex(4)}:"
        created = False
        try:
            pg_create(db)
            created = True
            endpoints = pg_tracker(db, None if bot == "ours" else STOCK_TRACKER_STORE) + "\x00" + redis_lock(prefix)
            log(f"[scaling] {bot}: {scenario}; database {db}; logs in {workdir}")
            if bot == "ours":
                database_url = f"postgresql://{PG_ADMIN['user']}@{PG_ADMIN['host']}:{PG_ADMIN['port']}/{db}"
                seed(database_url, workdir)
                stack = start_ours(procs, workdir, model, database_url, endpoints, workers=workers,
                                   action_workers=action_workers, extra_env=extra)
                paths = OUR_PATHS
            else:
                stack = start_baseline(procs, workdir, base.project, base.model, workers=workers, endpoints=endpoints)
                paths = BASELINE_PATHS
            warm_up(stack.rasa_url, paths)
            if workers > 1:  # a second round so that every worker has served each path once
                warm_up(stack.rasa_url, paths)
            results.append(run_level(bot, scenario, stack.rasa_url, stack.rasa.pid,
                                     stack.actions.pid if stack.actions else None, paths, concurrency, args.seconds,
                                     pg_db=db))
        finally:
            procs.stop_all()
            if created:
                try:
                    pg_drop(db)
                except Exception as error:  # noqa: BLE001
                    log(f"  warning: could not drop database {db}: {error}")
            try:
                redis_delete_prefix(prefix)
            except Exception as error:  # noqa: BLE001
                log(f"  warning: could not delete Redis keys {prefix}*: {error}")
            if not args.keep:
                shutil.rmtree(workdir, ignore_errors=True)
    return results


# ------------------------------------------------------------------------------------------------ profile

FRAME_RE = re.compile(r"^(?P<func>.+?) \((?P<file>[^()]*):(?P<line>\d+)\)$")

# Steps of one message in Rasa 3.6 (rasa/core/processor.py, agent.py, tracker_store.py, lock_store.py),
# and of one action call on the action server (rasa_sdk), identified by function name and file.
RASA_STEPS = [
    ("lock store: lock the conversation", "lock", "rasa/core/lock_store.py"),
    ("tracker store: SQL retrieve (all calls)", "retrieve", "rasa/core/tracker_store.py"),
    ("tracker store: SQL save (all calls)", "save", "rasa/core/tracker_store.py"),
    ("REST channel: our pushed-message check (tracker load)", "pending_messages", "channels/rest.py"),
    ("tracker store: load the tracker", "fetch_tracker_and_update_session", "rasa/core/processor.py"),
    ("NLU: parse the message", "parse_message", "rasa/core/processor.py"),
    ("policies: predict the next action", "_predict_next_with_tracker", "rasa/core/processor.py"),
    ("actions: run (incl. HTTP call to the action server)", "_run_action", "rasa/core/processor.py"),
    ("  remote action call (RemoteAction.run, incl. form validation calls)", "run", "rasa/core/actions/action.py"),
    ("  · domain sent with every action call (Domain.as_dict)", "as_dict", "rasa/shared/core/domain.py"),
    ("  · tracker state sent with every action call (current_state)", "current_state", "rasa/shared/core/trackers.py"),
    ("  · jsonschema check of every action server response", "_validate_action_result", "rasa/core/actions/action.py"),
    ("forms: run the active loop (incl. its remote validation)", "run", "rasa/core/actions/loops.py"),
    ("tracker store: save the tracker", "save_tracker", "rasa/core/processor.py"),
    ("whole message (MessageProcessor.handle_message)", "handle_message", "rasa/core/processor.py"),
]
ACTION_STEPS = [
    ("whole webhook request (rasa_sdk endpoint)", "webhook", "rasa_sdk/endpoint.py"),
    ("request JSON decode", "load_json", "sanic/request.py"),
    ("action run (ActionExecutor.run)", "run", "rasa_sdk/executor.py"),
    ("tracker object from JSON", "from_dict", "rasa_sdk/interfaces.py"),
    ("our portal store work (run_in_store / session_scope, worker thread)", "_unit_of_work", "portal/db.py"),
    ("response JSON encode", "dumps", "json/"),
]
# Leaf frames that mean "waiting": uvloop's epoll under Sanic's serve(), idle thread-pool workers.
IDLE_LEAVES = [("serve", "sanic/server/runners.py"), ("_worker", "concurrent/futures/thread.py"),
               ("wait", "threading.py"), ("select", "selectors.py"), ("run_forever", "asyncio/base_events.py")]


def is_idle(frames: List[Tuple[str, str]]) -> bool:
    if not frames:
        return True
    func, file = frames[-1]
    return any(func == f and file.endswith(suffix) for f, suffix in IDLE_LEAVES)


def parse_collapsed(path: Path) -> Tuple[int, List[Tuple[List[Tuple[str, str]], int]]]:
    stacks = []
    total = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        stack_text, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        frames = []
        for part in stack_text.split(";"):
            m = FRAME_RE.match(part.strip())
            if m:
                frames.append((m.group("func"), m.group("file")))
            else:
                frames.append((part.strip(), ""))
        stacks.append((frames, n))
        total += n
    return total, stacks


def _short(file: str) -> str:
    for marker in ("site-packages/", str(ROOT) + "/", "lib/python3.10/"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def summarise_profile(path: Path, title: str, steps: List[Tuple[str, str, str]], duration: float,
                      messages: int) -> Tuple[str, Dict[str, float]]:
    all_samples, stacks = parse_collapsed(path)
    stacks = [(frames, n) for frames, n in stacks if not is_idle(frames)]
    total = sum(n for _, n in stacks) or 1
    inclusive: Counter = Counter()
    self_: Counter = Counter()
    for frames, n in stacks:
        seen = set()
        for func, file in frames:
            key = f"{func} ({_short(file)})"
            if key not in seen:
                inclusive[key] += n
                seen.add(key)
        if frames:
            func, file = frames[-1]
            self_[f"{func} ({_short(file)})"] += n
    step_share: Dict[str, float] = {}
    for label, func, file_part in steps:
        hit = 0
        for frames, n in stacks:
            if any(f == func and file_part in fl for f, fl in frames):
                hit += n
        step_share[label] = hit / total if total else 0.0
    lines = [f"{title}", f"py-spy {duration:.0f} s, 100 samples/s; {all_samples} samples, of which {total} busy "
             f"(waiting in the event loop's epoll or an idle pool thread excluded; blocking I/O counts as busy); "
             f"{messages} messages in the window. Shares below are of the busy samples.", ""]
    lines.append("Steps of a message (share of active samples whose stack contains the step):")
    for label, share in step_share.items():
        lines.append(f"  {share * 100:5.1f}%  {label}")
    lines.append("")
    lines.append("Top functions by inclusive share:")
    for key, n in inclusive.most_common(40):
        lines.append(f"  {n / total * 100:5.1f}%  {key}")
    lines.append("")
    lines.append("Top functions by self share (where the CPU actually is):")
    for key, n in self_.most_common(25):
        lines.append(f"  {n / total * 100:5.1f}%  {key}")
    lines.append("")
    lines.append("Our code (files of this repository) by inclusive share:")
    ours_total: Counter = Counter()
    for frames, n in stacks:
        keys = {f"{func} ({_short(file)})" for func, file in frames if file.startswith(str(ROOT)) and "/.venv/" not in file}
        for key in keys:
            ours_total[key] += n
    for key, n in ours_total.most_common(20):
        lines.append(f"  {n / total * 100:5.1f}%  {key}")
    if not ours_total:
        lines.append("  (none sampled)")
    return "\n".join(lines) + "\n", step_share


def profile_stack(stack: Stack, workdir: Path, concurrency: int, seconds: float) -> Dict[str, Any]:
    """py-spy on the running Rasa server and action server while `concurrency` conversations run."""
    pyspy = VENV_BIN / "py-spy"
    if not pyspy.exists() and shutil.which("py-spy"):
        pyspy = Path(shutil.which("py-spy"))
    if not pyspy.exists():
        log("[profile] py-spy is not installed (requirements-dev.txt): skipped")
        return {}
    log(f"[profile] ours as shipped, {concurrency} conversations, py-spy on both servers for {seconds:.0f} s")
    out: Dict[str, Any] = {}
    spies = []
    try:
        for name, proc in (("rasa_server", stack.rasa), ("action_server", stack.actions)):
            raw = workdir / f"{name}.collapsed"
            spy = subprocess.Popen([str(pyspy), "record", "--pid", str(proc.pid), "--duration", str(int(seconds)),
                                    "--rate", "100", "--format", "raw", "--full-filenames", "--output", str(raw),
                                    "--subprocesses", "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=open(workdir / f"{name}.pyspy.log", "w"),
                                   start_new_session=True)
            spies.append((name, spy, raw))
        time.sleep(1.0)
        res = asyncio.run(drive(stack.rasa_url, OUR_PATHS, concurrency, seconds - 2, "profile"))
        for name, spy, raw in spies:
            try:
                spy.wait(timeout=seconds + 60)
            except subprocess.TimeoutExpired:
                _stop_group(spy, 30)
    finally:
        for _, spy, _ in spies:
            if spy.poll() is None:
                _stop_group(spy, 10)
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS / "profile").mkdir(parents=True, exist_ok=True)
    for name, spy, raw in spies:
        if not raw.exists() or raw.stat().st_size == 0:
            log(f"  py-spy produced nothing for {name}: " + (workdir / f"{name}.pyspy.log").read_text()[-500:])
            continue
        shutil.copy(raw, RESULTS / "profile" / raw.name)
        title = ("Rasa server" if name == "rasa_server" else "Action server") + \
            f" while {concurrency} demo conversations run (bench/latency.py)"
        text, steps = summarise_profile(raw, title, RASA_STEPS if name == "rasa_server" else ACTION_STEPS,
                                        seconds, res["messages"])
        # py-spy names the process by its command line: keep the throwaway token out of the committed file.
        text = re.sub(r"(--auth-token[= ])\S+", r"\1<token>", text)
        (PROFILE_DIR / f"{name}.txt").write_text(text, encoding="utf-8")
        out[name] = {"steps": steps, "file": f"docs/profile/{name}.txt"}
        log("\n".join(text.splitlines()[:22]))
    out["messages"] = res["messages"]
    out["concurrency"] = concurrency
    out["p50_ms"] = res["p50"]
    return out


# ------------------------------------------------------------------------------------- start-up, training

def phase_startup(args: argparse.Namespace, model: Path) -> Dict[str, Any]:
    """`make run` on a trained project: train check, seed --if-empty, services, until the first reply."""
    procs = Procs()
    workdir = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    out: Dict[str, Any] = {}
    try:
        database_url = f"sqlite:///{workdir / 'portal.db'}"
        seed(database_url, workdir)  # an existing, seeded store, as on a machine where `make run` ran before
        # 1. `make train`: the project's fingerprint check (scripts/model_fingerprint.py; nothing to train).
        start = time.monotonic()
        with open(workdir / "train_check.log", "w") as f:
            check = subprocess.run([sys.executable, str(ROOT / "scripts" / "model_fingerprint.py"), "check"], cwd=ROOT,
                                   env=base_env(), stdout=f, stderr=subprocess.STDOUT)
        out["train_check_s"] = time.monotonic() - start
        out["train_check_exit"] = check.returncode
        # 2. `make db`: seed-demo --if-empty on the seeded store.
        out["db_s"] = seed(database_url, workdir, if_empty=True)
        # 3. scripts/run.sh: action server and help desk, wait for the action server, then Rasa.
        action_port, rasa_port, helpdesk_port = free_port(), free_port(), free_port()
        (workdir / "endpoints.yml").write_text(endpoints_yaml(action_port, sqlite_tracker(workdir / "tracker.db"),
                                                              IN_MEMORY_LOCK), encoding="utf-8")
        token = secrets.token_hex(16)
        env = base_env(DATABASE_URL=database_url, RASA_AUTH_TOKEN=token,
                       HELPDESK_TOKENS=json.dumps({secrets.token_hex(16): "district"}),
                       RASA_URL=f"http://127.0.0.1:{rasa_port}")
        t0 = time.monotonic()
        actions = procs.start(action_server_command(action_port), name="actions", cwd=ROOT, env=env,
                              log_path=workdir / "action_server.log", ready_url=f"http://127.0.0.1:{action_port}/health",
                              wait=False)
        helpdesk = procs.start(helpdesk_command(helpdesk_port), name="helpdesk", cwd=ROOT, env=env,
                               log_path=workdir / "helpdesk.log",
                               ready_url=f"http://127.0.0.1:{helpdesk_port}/api/health", wait=False)
        actions.wait_until_ready(START_TIMEOUT_S)
        t_actions = time.monotonic()
        rasa = procs.start(rasa_server_command(rasa_port, model, workdir / "endpoints.yml", ROOT / "credentials.yml",
                                               auth_token=token),
                           name="rasa", cwd=workdir, env=env, log_path=workdir / "rasa_server.log", wait=False)
        t_reply = first_reply(f"http://127.0.0.1:{rasa_port}", rasa, "how do I get a parent portal account?")
        helpdesk.wait_until_ready(START_TIMEOUT_S)
        out["actions_up_s"] = t_actions - t0
        out["services_to_reply_s"] = t_reply - t0
        out["rasa_to_reply_s"] = t_reply - t_actions
        out["total_s"] = out["train_check_s"] + out["db_s"] + out["services_to_reply_s"]
        out["model_mb"] = model.stat().st_size / 1e6
        log(f"[startup] make train check {out['train_check_s']:.1f} s (exit {check.returncode}), "
            f"seed --if-empty {out['db_s']:.1f} s, action server up {out['actions_up_s']:.1f} s, "
            f"Rasa first reply {out['rasa_to_reply_s']:.1f} s later; total {out['total_s']:.1f} s")
    finally:
        procs.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return out


def phase_training(args: argparse.Namespace) -> Dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-train-"))
    out: Dict[str, Any] = {}
    try:
        env = base_env(RASA_CACHE_DIRECTORY=str(workdir / "cache"))
        load = os.getloadavg()[0]
        log(f"[training] rasa train --force --out {workdir / 'models'}")
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        with open(workdir / "train.log", "w") as f:
            proc = subprocess.run([str(VENV_BIN / "rasa"), "train", "--force", "--out", str(workdir / "models")],
                                  cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            log((workdir / "train.log").read_text(errors="replace")[-3000:])
            raise RuntimeError(f"rasa train failed with exit code {proc.returncode}")
        out = {"seconds": seconds, "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
               "load_before": load}
        log(f"  ... full training {seconds:.1f} s wall, {out['cpu_s']:.0f} s CPU (load before {load:.2f})")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return out


# ---------------------------------------------------------------------------------------------- report

def _fmt_ms(x: float) -> str:
    return f"{x:,.0f}"


def targets(res: Dict[str, Any]) -> List[Tuple[str, str, str, Optional[bool]]]:
    """(target, measured, ratio/explanation, met) rows."""
    rows: List[Tuple[str, str, str, Optional[bool]]] = []
    load = {(l["bot"], l["concurrency"]): l for l in res.get("load", [])}
    if ("ours", 1) in load and ("baseline", 1) in load:
        o, b = load[("ours", 1)], load[("baseline", 1)]
        r = o["p50_ms"] / b["p50_ms"]
        rows.append(("single-user p50 ≤ 1.2× rasa init", f"{o['p50_ms']:.0f} ms vs {b['p50_ms']:.0f} ms", f"{r:.2f}×",
                     r <= TARGET_P50_RATIO))
    if ("ours", 20) in load and ("baseline", 20) in load:
        o, b = load[("ours", 20)], load[("baseline", 20)]
        r = o["throughput"] / b["throughput"]
        rows.append(("20-conversation throughput ≥ 0.8× rasa init", f"{o['throughput']:.1f} vs {b['throughput']:.1f} msg/s",
                     f"{r:.2f}×", r >= TARGET_THROUGHPUT_RATIO))
    ours_levels = [l for l in res.get("load", []) if l["bot"] == "ours"]
    if ours_levels:
        peak = max(l["rasa_rss_mb"] for l in ours_levels)
        rows.append(("Rasa server RSS ≤ 1.2 GB (peak, as shipped: one Sanic worker, 1-50 conversations)",
                     f"{peak:,.0f} MB", "", peak <= TARGET_RSS_MB))
    two_workers = [l for l in res.get("scaling", []) if l["bot"] == "ours" and "2 workers" in l["scenario"]]
    if two_workers:
        l = two_workers[0]
        rows.append(("Rasa server RSS ≤ 1.2 GB with 2 Sanic workers (largest process / whole tree)",
                     f"{l['rasa_rss_largest_process_mb']:,.0f} / {l['rasa_rss_mb']:,.0f} MB", "",
                     l["rasa_rss_largest_process_mb"] <= TARGET_RSS_MB))
    scal = {(l["bot"], l["scenario"]): l for l in res.get("scaling", [])}
    one, two = scal.get(("ours", "Redis+PG, 1 worker")), scal.get(("ours", "Redis+PG, 2 workers"))
    if one and two:
        r = two["throughput"] / one["throughput"]
        rows.append(("50 conversations, Redis lock store, 2 Sanic workers ≥ 1.5× one worker",
                     f"{two['throughput']:.2f} vs {one['throughput']:.2f} msg/s", f"{r:.3f}×", r >= TARGET_SCALING))
    return rows


def print_summary(res: Dict[str, Any]) -> None:
    log("")
    log("=" * 72)
    for row in targets(res):
        log(f"{row[0]:<70} {row[1]:>28} {row[2]:>7}  {'met' if row[3] else 'MISSED'}")
    if res.get("startup"):
        s = res["startup"]
        log(f"start-up (make run on a trained project, until the first reply): {s['total_s']:.1f} s")
    if res.get("training"):
        log(f"full rasa train: {res['training']['seconds']:.1f} s")
    log("=" * 72)


def speed_section(res: Dict[str, Any]) -> str:
    m = res["meta"]
    lines = [SECTION_SPEED, ""]
    lines.append(f"Measured {m['date']} by `{m['command']}` (Rasa {m['rasa_version']}, Python {m['python']}, "
                 f"{m['cores']} cores, load average {m['load_start']:.2f} at the start and {m['load_end']:.2f} at the end"
                 f"{'; the machine was shared with other jobs' if m['load_start'] > 0.5 else ''}). "
                 "Rewritten by that script.")
    lines.append("")
    lines.append("### Targets")
    lines.append("")
    lines.append("| target | measured | ratio | |")
    lines.append("| --- | --- | --- | --- |")
    for target, measured, ratio, met in targets(res):
        lines.append(f"| {target} | {measured} | {ratio} | {'met' if met else 'MISSED'} |")
    lines.append("")
    lines.append(
        "How: every level runs for "
        f"{res['meta']['seconds']:.0f} s of load after a warm-up (each path once). N virtual parents post to "
        "`/webhooks/rest/webhook` with aiohttp, each running the paths below back to back with a fresh "
        "sender id per conversation; latency is per message (request sent → whole JSON answer read), "
        "throughput is messages answered inside the window / window. The load driver runs on the same "
        "2 cores as the servers. RSS is the peak of VmRSS summed over the process tree (Sanic workers "
        "are children), sampled every 0.2 s; CPU % is CPU time used by that tree / wall time (100% = one core; 'driver' is this script's "
        "load generator, 'PostgreSQL' the backends serving the run's database, 'machine' all processes of the "
        "machine, other people's jobs included, out of 200%).")
    lines.append("")
    lines.append(f"- **ours**: the newest model in `models/` ({m['model']}), our action server, the shipped "
                 "endpoint settings (SQLite tracker store, in-memory lock store, one Sanic worker), the portal "
                 "store in a fresh SQLite file seeded by `portal-admin seed-demo` at the start of the run. Paths "
                 "(portal/demo/PERSONAS.md): " + "; ".join(f"{n} ({len(ms)} msgs)" for n, ms, _ in OUR_PATHS) + ".")
    lines.append(f"- **rasa init**: `rasa init --no-prompt` trained with the same venv ({res['meta']['baseline']}), "
                 "its own endpoints.yml (in-memory tracker and lock store, no action server), `rest:` channel. "
                 "Paths: " + "; ".join(f"{n} ({len(ms)} msgs)" for n, ms, _ in BASELINE_PATHS) + ".")
    lines.append("")
    lines.append("| bot | setup | conversations | messages | msg/s | p50 ms | p95 ms | p99 ms | paths ok | errors | "
                 "Rasa RSS MB | actions RSS MB | CPU % Rasa / actions / driver / PostgreSQL / machine |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for l in res.get("load", []) + res.get("scaling", []):
        lines.append(
            f"| {'ours' if l['bot'] == 'ours' else 'rasa init'} | {l['scenario']} | {l['concurrency']} | {l['messages']} | "
            f"{l['throughput']:.2f} | {_fmt_ms(l['p50_ms'])} | {_fmt_ms(l['p95_ms'])} | {_fmt_ms(l['p99_ms'])} | "
            f"{l['paths_ok']}/{l['paths_checked']} | {l['errors']} | {l['rasa_rss_mb']:.0f} | "
            + (f"{l['actions_rss_mb']:.0f}" if l.get("actions_rss_mb") is not None else "–")
            + f" | {l['rasa_cpu_pct']:.0f} / " + (f"{l['actions_cpu_pct']:.0f}" if l.get("actions_cpu_pct") is not None else "–")
            + f" / {l['driver_cpu_pct']:.0f} / "
            + (f"{l['postgres_cpu_pct']:.0f}" if l.get("postgres_cpu_pct") is not None else "–")
            + f" / {l['machine_cpu_pct']:.0f} |")
    lines.append("")
    ratios = []
    load = {(l["bot"], l["concurrency"]): l for l in res.get("load", [])}
    for c in sorted({l["concurrency"] for l in res.get("load", [])}):
        if ("ours", c) in load and ("baseline", c) in load:
            o, b = load[("ours", c)], load[("baseline", c)]
            ratios.append(f"| {c} | {o['p50_ms'] / b['p50_ms']:.2f}× | {o['p95_ms'] / b['p95_ms']:.2f}× | "
                          f"{o['p99_ms'] / b['p99_ms']:.2f}× | {o['throughput'] / b['throughput']:.2f}× | "
                          f"{o['rasa_rss_mb'] / b['rasa_rss_mb']:.2f}× |")
    if ratios:
        lines.append("Ours as a ratio to the `rasa init` bot (latency: lower is better; throughput: higher is better):")
        lines.append("")
        lines.append("| conversations | p50 | p95 | p99 | msg/s | Rasa RSS |")
        lines.append("| ---: | ---: | ---: | ---: | ---: | ---: |")
        lines.extend(ratios)
        lines.append("")
    if res.get("scaling"):
        lines.append(
            "Scaling rows: Redis lock store (`key_prefix` of its own), tracker store and portal store in one throwaway "
            "PostgreSQL database, `SANIC_WORKERS` 1 or 2 for the Rasa server "
            "(Rasa refuses more than one worker with the in-memory lock store) and "
            "`ACTION_SERVER_SANIC_WORKERS` set to the same number for our action server. "
            "See \"What limits two workers\" below."
            + (f" The scaling rows come from a later run: {m['scaling_run']}." if m.get("scaling_run") else ""))
        lines.append("")
    notes = (res.get("notes") or "").strip()
    if notes:
        lines.append(notes)
        lines.append("")
    return "\n".join(lines)


def startup_section(res: Dict[str, Any]) -> str:
    m = res["meta"]
    lines = [SECTION_START, ""]
    lines.append(f"Measured {m['date']} by `{m['command']}` ({m['cores']} cores). Rewritten by that script.")
    lines.append("")
    lines.append("| what | wall time | notes |")
    lines.append("| --- | ---: | --- |")
    t = res.get("training")
    if t:
        lines.append(f"| full `rasa train --force` (NLU + core, own empty cache, `--out` a temp folder) | "
                     f"{t['seconds']:.1f} s | CPU {t['cpu_s']:.0f} s, load average before {t['load_before']:.2f} |")
    b = res.get("baseline_train_s")
    if b:
        lines.append(f"| `rasa init --no-prompt` (writes and trains the baseline bot) | {b:.1f} s | for comparison; "
                     "cached afterwards under results/bench_baseline/ |")
    s = res.get("startup")
    if s:
        lines.append(f"| `make run` on a trained project, until the first REST reply | **{s['total_s']:.1f} s** | sum of the rows below |")
        lines.append(f"| · `make train`: the fingerprint check (`scripts/model_fingerprint.py check`, nothing to train) | "
                     f"{s['train_check_s']:.1f} s | exit code {s['train_check_exit']} |")
        lines.append(f"| · `make db`: `portal-admin seed-demo --if-empty` on a seeded store | {s['db_s']:.1f} s | |")
        lines.append(f"| · scripts/run.sh: action server and help desk start, action server healthy | {s['actions_up_s']:.1f} s | |")
        lines.append(f"| · then the Rasa server loads the model ({s['model_mb']:.1f} MB) and answers the first REST message | "
                     f"{s['rasa_to_reply_s']:.1f} s | \"how do I get a parent portal account?\" |")
    lines.append("")
    lines.append("Start-up is measured on the same processes `scripts/run.sh` starts (action server, help desk, "
                 "Rasa server with `--enable-api`), on free ports with a temporary store and tracker "
                 "database, so a running `make run` is not disturbed. `make setup` is a no-op on a set-up "
                 "checkout and is not counted.")
    lines.append("")
    return "\n".join(lines)


def profile_section(res: Dict[str, Any]) -> str:
    p = res.get("profile") or {}
    m = res["meta"]
    lines = [SECTION_PROFILE, ""]
    lines.append(f"Measured {m['date']} by `{m['command']}`: py-spy (100 samples/s, samples waiting in the event loop or an idle thread left out) on the Rasa "
                 f"server and the action server while {p.get('concurrency', '?')} demo conversations ran "
                 f"({p.get('messages', '?')} messages). Full summaries: "
                 "[docs/profile/rasa_server.txt](profile/rasa_server.txt), "
                 "[docs/profile/action_server.txt](profile/action_server.txt).")
    lines.append("")
    for name, title in (("rasa_server", "Rasa server"), ("action_server", "Action server")):
        if name not in p:
            continue
        lines.append(f"{title}: share of the busy samples whose stack is in each step of a message (steps nest)")
        lines.append("")
        lines.append("| step | share |")
        lines.append("| --- | ---: |")
        for label, share in p[name]["steps"].items():
            lines.append(f"| {label.strip()} | {share * 100:.1f}% |")
        lines.append("")
    notes = (res.get("profile_notes") or "").strip()
    if notes:
        lines.append(notes)
        lines.append("")
    return "\n".join(lines)


def replace_section(text: str, heading: str, new: str) -> str:
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    new = new.rstrip("\n") + "\n\n"
    if pattern.search(text):
        return pattern.sub(lambda _m: new, text, count=1)
    return text.rstrip("\n") + "\n\n" + new


NOTES_HEADING = "### What limits two workers"
PROFILE_NOTES_HEADING = "### Findings"


def kept_subsection(text: str, section: str, heading: str) -> str:
    """A hand-kept `### heading` block inside `section` (up to the next ## heading), or ''."""
    m = re.search(rf"^{re.escape(section)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    if not m or heading not in m.group(1):
        return ""
    body = m.group(1)
    start = body.index(heading)
    return body[start:].rstrip("\n")


def write_docs(res: Dict[str, Any]) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n\n"
    res = dict(res)
    res["notes"] = kept_subsection(text, SECTION_SPEED, NOTES_HEADING)
    res["profile_notes"] = kept_subsection(text, SECTION_PROFILE, PROFILE_NOTES_HEADING)
    written = []
    if res.get("load") or res.get("scaling"):
        text = replace_section(text, SECTION_SPEED, speed_section(res))
        written.append(SECTION_SPEED)
    if res.get("startup") or res.get("training"):
        text = replace_section(text, SECTION_START, startup_section(res))
        written.append(SECTION_START)
    if res.get("profile"):
        text = replace_section(text, SECTION_PROFILE, profile_section(res))
        written.append(SECTION_PROFILE)
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    log(f"wrote {', '.join(repr(w) for w in written) or 'nothing'} in {DOCS.relative_to(ROOT)}")


# ------------------------------------------------------------------------------------------------- main

def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="15 s per level, levels 1 and 10 (and 20 for the target), scaling for ours only; "
                             "no training, start-up or profile")
    parser.add_argument("--seconds", type=float, help="load seconds per level (default 45, --quick 15)")
    parser.add_argument("--levels", help="comma-separated conversation counts (default 1,10,20,50)")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--skip-profile", action="store_true", help="no py-spy run (it follows the load levels)")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--scaling-conversations", type=int, default=50)
    parser.add_argument("--scaling-baseline", action="store_true",
                        help="also run the rasa init bot with Redis+PG and 1 / 2 workers")
    parser.add_argument("--profile-seconds", type=float, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (server logs)")
    parser.add_argument("--no-docs", action="store_true", help="print only; leave docs/BENCHMARKS.md alone")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: rewrite the sections from results/bench_latency/latest.json")
    args = parser.parse_args(argv)
    if args.render:
        res = json.loads((RESULTS / "latest.json").read_text(encoding="utf-8"))
        print_summary(res)
        write_docs(res)
        return 0
    if args.seconds is None:
        args.seconds = 15.0 if args.quick else 45.0
    levels = [int(x) for x in args.levels.split(",")] if args.levels else ([1, 10, 20] if args.quick else [1, 10, 20, 50])
    if args.quick:
        args.skip_training = args.skip_startup = args.skip_profile = True

    import rasa

    model = latest_model()
    base = make_baseline(log=log)
    res: Dict[str, Any] = {"meta": {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join([".venv/bin/python", "bench/latency.py"] + (argv if argv is not None else sys.argv[1:])),
        "rasa_version": rasa.__version__, "python": platform.python_version(), "cores": os.cpu_count(),
        "load_start": os.getloadavg()[0], "seconds": args.seconds, "model": model.name,
        "baseline": base.model.name,
    }}
    if base.init_train_seconds:
        res["baseline_train_s"] = base.init_train_seconds
    log(f"model {model.name}; baseline {base.project} ({base.model.name}); load average {res['meta']['load_start']:.2f}")
    if not args.skip_training:
        res["training"] = phase_training(args)
    if not args.skip_startup:
        res["startup"] = phase_startup(args, model)
    profile: Dict[str, Any] = {}
    if not args.skip_load:
        res["load"] = [asdict(l) for l in phase_load(args, model, base, levels, profile)]
    if not args.skip_scaling:
        res["scaling"] = [asdict(l) for l in phase_scaling(args, model, base, args.scaling_conversations)]
    if profile:
        res["profile"] = profile
    res["meta"]["load_end"] = os.getloadavg()[0]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(res, indent=1, default=str), encoding="utf-8")
    print_summary(res)
    if not args.no_docs:
        write_docs(res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
