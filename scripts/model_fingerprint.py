#!/usr/bin/env python3
"""Train only when what `rasa train` reads changed, and keep models/ small (`make train` uses this).

The fingerprint is a sha256 over every input that changes the model: data/ (every file), domain.yml or
domain/, config.yml, the code of our own NLU and policy components (pipeline/, policies/ and any other
package config.yml names), and the Rasa version pinned in requirements.txt and constraints.txt.
README, tests/, actions/, knowledge.yml and the rest are not inputs: editing them never retrains.

    model_fingerprint.py check              exit 0 when the newest models/*.tar.gz was trained from the
                                            current inputs, 1 otherwise (one line says why)
    model_fingerprint.py snapshot FILE      write the current inputs' fingerprint to FILE (before training)
    model_fingerprint.py record [MODEL] [--from FILE]
                                            write MODEL's fingerprint next to it (MODEL: the newest model;
                                            --from: a snapshot taken before training, so an edit made while
                                            training still counts as a change)
    model_fingerprint.py prune [--keep N]   delete all but the newest N models/*.tar.gz (default 1) and
                                            their fingerprints; nothing else in models/ is touched

"Newest" is by modification time, as `rasa run` and tests/e2e/servers.py pick the model they load.
Standard library only: it runs before anything is installed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Iterable, Iterator, Optional

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MODEL_GLOB = "*.tar.gz"
FINGERPRINT_SUFFIX = ".fingerprint.json"
# Packages of our own components, always hashed (config.yml may name more: `name: package.module.Class`).
COMPONENT_PACKAGES = ("pipeline", "policies")
PIN_FILES = ("requirements.txt", "constraints.txt")
RASA_PIN = re.compile(r"^rasa\s*[=<>!~]")
COMPONENT_NAME = re.compile(r"^\s*-?\s*name:\s*[\"']?([A-Za-z_][\w]*)\.[\w.]+")
SKIPPED_PARTS = ("__pycache__",)


def shown(path: Path, root: Path) -> str:
    """`path` relative to the project when it is inside it."""
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return str(path)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(directory: Path) -> Iterator[Path]:
    """Every file below `directory`, compiled Python left out."""
    if not directory.is_dir():
        return
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not any(part in SKIPPED_PARTS for part in path.parts) and path.suffix != ".pyc":
            yield path


def component_packages(root: Path) -> list[str]:
    """The top-level packages of the custom components config.yml names, plus pipeline/ and policies/."""
    config = root / "config.yml"
    named: set[str] = set(COMPONENT_PACKAGES)
    if config.is_file():
        for line in config.read_text(encoding="utf-8").splitlines():
            match = COMPONENT_NAME.match(line.split("#", 1)[0])
            if match:
                named.add(match.group(1))
    return sorted(named)


def input_files(root: Path) -> list[Path]:
    """The files whose content `rasa train` reads."""
    files: list[Path] = list(files_under(root / "data"))
    files += [path for path in (root / "domain.yml", root / "config.yml") if path.is_file()]
    files += files_under(root / "domain")
    for package in component_packages(root):
        files += files_under(root / package)
        module = root / f"{package}.py"
        if module.is_file():
            files.append(module)
    return sorted(set(files))


def rasa_pins(root: Path) -> dict[str, str]:
    """The rasa requirement lines of requirements.txt and constraints.txt (rasa-sdk is not a training input)."""
    pins: dict[str, str] = {}
    for name in PIN_FILES:
        path = root / name
        if not path.is_file():
            continue
        lines = [line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()]
        rasa_lines = [line.replace(" ", "") for line in lines if RASA_PIN.match(line)]
        if rasa_lines:
            pins[f"{name}:rasa"] = sha256_bytes("\n".join(rasa_lines).encode())
    return pins


def current_inputs(root: Path) -> dict[str, str]:
    """Each input's relative path (or pin) and the sha256 of its content."""
    inputs = {path.relative_to(root).as_posix(): sha256_bytes(path.read_bytes()) for path in input_files(root)}
    inputs.update(rasa_pins(root))
    return inputs


def combine(inputs: dict[str, str]) -> str:
    """One sha256 over all inputs, independent of the order they were read in."""
    return sha256_bytes("".join(f"{name}\0{digest}\n" for name, digest in sorted(inputs.items())).encode())


def models(models_dir: Path) -> list[Path]:
    """Our models, oldest first (ties broken by name, which starts with the training time)."""
    found = [path for path in models_dir.glob(MODEL_GLOB) if path.is_file()]
    return sorted(found, key=lambda path: (path.stat().st_mtime, path.name))


def fingerprint_path(model: Path) -> Path:
    return model.with_name(model.name[: -len(".tar.gz")] + FINGERPRINT_SUFFIX)


def read_record(path: Path) -> Optional[dict]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("inputs"), dict) else None


def describe_changes(old: dict[str, str], new: dict[str, str], limit: int = 3) -> str:
    changed = sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))
    listed = ", ".join(changed[:limit])
    return listed + (f" (+{len(changed) - limit} more)" if len(changed) > limit else "")


def check(root: Path) -> tuple[bool, str]:
    """Whether the newest model was trained from the current inputs, and one line saying why (not)."""
    found = models(root / "models")
    if not found:
        return False, "no model in models/: training"
    newest = found[-1]
    name = shown(newest, root)
    record = read_record(fingerprint_path(newest))
    if record is None:
        return False, f"{name} has no fingerprint: training"
    inputs = current_inputs(root)
    if record.get("fingerprint") == combine(inputs) and record["inputs"] == inputs:
        return True, f"{name} is up to date: not training"
    return False, f"changed since {name}: {describe_changes(record['inputs'], inputs)}: training"


def snapshot(root: Path) -> dict:
    inputs = current_inputs(root)
    return {"fingerprint": combine(inputs), "inputs": inputs}


def record(root: Path, model: Optional[Path] = None, taken: Optional[Path] = None) -> Path:
    """Write the fingerprint of `model` (default: the newest) next to it; returns the file written."""
    if model is None:
        found = models(root / "models")
        if not found:
            raise FileNotFoundError("no model in models/ to record")
        model = found[-1]
    if not model.is_file():
        raise FileNotFoundError(f"no model at {model}")
    data = read_record(taken) if taken is not None else snapshot(root)
    if data is None:
        raise ValueError(f"{taken} is not a fingerprint snapshot")
    target = fingerprint_path(model)
    body = {"model": model.name, "fingerprint": data["fingerprint"], "inputs": data["inputs"]}
    target.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target


def prune(models_dir: Path, keep: int = 1) -> list[Path]:
    """Delete all but the newest `keep` models and their fingerprints; returns what was deleted."""
    if keep < 1:
        raise ValueError("keep at least one model")
    deleted: list[Path] = []
    for model in models(models_dir)[:-keep]:
        for path in (model, fingerprint_path(model)):
            if path.is_file():
                path.unlink()
                deleted.append(path)
    return deleted


def parse_args(argv: Optional[Iterable[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT, help="the Rasa project (default: this one)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="exit 0 when the newest model matches the current inputs")
    snap = commands.add_parser("snapshot", help="write the current inputs' fingerprint to FILE")
    snap.add_argument("file", type=Path)
    rec = commands.add_parser("record", help="write a model's fingerprint next to it")
    rec.add_argument("model", type=Path, nargs="?", help="default: the newest models/*.tar.gz")
    rec.add_argument("--from", dest="taken", type=Path, help="a snapshot taken before training")
    pru = commands.add_parser("prune", help="keep only the newest N models")
    pru.add_argument("--keep", type=int, default=1)
    return parser.parse_args(list(argv) if argv is not None else None)


def main(argv: Optional[Iterable[str]] = None) -> int:
    args = parse_args(argv)
    root: Path = args.root.resolve()
    try:
        if args.command == "check":
            ok, why = check(root)
            print(why)
            return 0 if ok else 1
        if args.command == "snapshot":
            args.file.write_text(json.dumps(snapshot(root), indent=1, sort_keys=True) + "\n", encoding="utf-8")
        elif args.command == "record":
            print(f"recorded {shown(record(root, args.model, args.taken), root)}")
        elif args.command == "prune":
            for path in prune(root / "models", args.keep):
                print(f"deleted {shown(path, root)}")
    except (OSError, ValueError) as error:
        print(f"model_fingerprint: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
