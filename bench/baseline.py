#!/usr/bin/env python
"""The baseline for bench/latency.py: a stock `rasa init` bot trained with this venv's Rasa.

    .venv/bin/python bench/baseline.py            # make (or reuse) it; print where it is
    .venv/bin/python bench/baseline.py --force    # make it again

`rasa init --no-prompt --init-dir <tmp>` writes Rasa's starter project and trains it there (default
pipeline and policies). The project, its model and the wall time of init + training are kept in
results/bench_baseline/rasa-<version>/ (git-ignored), so later runs reuse them. The starter
credentials.yml already enables the `rest:` channel; it is added when missing.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CACHE_ROOT = ROOT / "results" / "bench_baseline"


def rasa_version() -> str:
    out = subprocess.run([sys.executable, "-c", "import rasa; print(rasa.__version__)"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


@dataclass
class Baseline:
    project: Path
    model: Path
    version: str
    init_train_seconds: Optional[float]  # wall time of `rasa init --no-prompt` (writes + trains)
    reused: bool


def _model_in(project: Path) -> Optional[Path]:
    models = sorted((project / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def ensure_rest_channel(project: Path) -> None:
    credentials = project / "credentials.yml"
    text = credentials.read_text(encoding="utf-8") if credentials.exists() else ""
    if not any(line.strip() == "rest:" for line in text.splitlines()):
        credentials.write_text("rest:\n" + text, encoding="utf-8")


def baseline(force: bool = False, log=print) -> Baseline:
    """The trained `rasa init` project for this Rasa version (made once, then reused)."""
    version = rasa_version()
    cache = CACHE_ROOT / f"rasa-{version}"
    meta_path = cache / "baseline.json"
    if not force and meta_path.exists() and _model_in(cache / "project"):
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        ensure_rest_channel(cache / "project")
        return Baseline(cache / "project", _model_in(cache / "project"), version,
                        meta.get("init_train_seconds"), reused=True)

    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rasa-init-", dir=CACHE_ROOT) as tmp:
        project = Path(tmp) / "project"
        project.mkdir()
        env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="3",
                   RASA_CACHE_DIRECTORY=str(Path(tmp) / "cache"))
        env.pop("PYTHONPATH", None)  # the stock bot must not pick up our channels or actions
        log(f"$ rasa init --no-prompt --init-dir {project}  (training the baseline bot)")
        start = time.monotonic()
        with open(Path(tmp) / "init.log", "w", encoding="utf-8") as out:
            proc = subprocess.run([str(VENV_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
                                  cwd=tmp, env=env, stdout=out, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - start
        if proc.returncode != 0 or _model_in(project) is None:
            tail = (Path(tmp) / "init.log").read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"rasa init failed (exit {proc.returncode}):\n{tail}")
        ensure_rest_channel(project)
        if cache.exists():
            shutil.rmtree(cache)
        cache.mkdir(parents=True)
        shutil.move(str(project), str(cache / "project"))
        shutil.move(str(Path(tmp) / "init.log"), str(cache / "init.log"))
    meta_path.write_text(json.dumps({"version": version, "init_train_seconds": seconds}), encoding="utf-8")
    log(f"  ... baseline trained in {seconds:.1f} s ({cache})")
    return Baseline(cache / "project", _model_in(cache / "project"), version, seconds, reused=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="make and train the baseline again")
    args = parser.parse_args()
    made = baseline(force=args.force)
    print(f"baseline (rasa {made.version}): {made.project}  model {made.model.name}"
          + (f"  (init + train {made.init_train_seconds:.1f} s)" if made.init_train_seconds else "")
          + ("  [reused]" if made.reused else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
