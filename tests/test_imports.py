"""Importing the project changes nothing: every module of portal/, channels/, helpdesk/, actions/,
rasa_sdk_plugins/, pipeline/ and policies/ is imported in a fresh interpreter, from a copy of the project, and
no folder or file appears and no logging filter is installed (start-up work belongs to the functions the
processes call when they start)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("portal", "channels", "helpdesk", "actions", "rasa_sdk_plugins", "pipeline", "policies")
DATA_FILES = ("domain.yml", "district.yml", "knowledge.yml", "config.yml", "endpoints.yml", "credentials.yml")

IMPORT_ALL = r"""
import importlib, json, logging, pkgutil, sys

def installed_filters():
    found = {}
    loggers = [("root", logging.root)] + list(logging.root.manager.loggerDict.items())
    for name, logger in loggers:
        if not isinstance(logger, logging.Logger):
            continue
        for owner in [logger, *logger.handlers]:
            if owner.filters:
                found[name] = sorted(type(f).__name__ for f in owner.filters)
    return found

before = installed_filters()
modules = []
for package in sys.argv[1:]:
    modules.append(importlib.import_module(package).__name__)
    for info in pkgutil.walk_packages(sys.modules[package].__path__, package + "."):
        if ".migrations" not in info.name:  # Alembic's env.py runs migrations when imported (by Alembic only)
            importlib.import_module(info.name)
            modules.append(info.name)
print(json.dumps({"modules": modules, "before": before, "after": installed_filters()}))
"""


def tree(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*")}


def test_importing_every_module_creates_no_folder_and_installs_no_log_filter(tmp_path):
    project, workdir = tmp_path / "project", tmp_path / "cwd"
    workdir.mkdir()
    for package in PACKAGES:
        shutil.copytree(ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__"))
    for name in DATA_FILES:
        shutil.copy(ROOT / name, project / name)
    project_before, workdir_before = tree(project), tree(workdir)
    env = {**os.environ, "PYTHONPATH": str(project), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", IMPORT_ALL, *PACKAGES], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(result["modules"]) > 50 and "portal.privacy" in result["modules"]
    assert all(name.split(".")[0] in PACKAGES for name in result["modules"])
    assert tree(project) == project_before, "a module created files or folders at import"
    assert tree(workdir) == workdir_before, "a module created files or folders at import"
    assert result["after"] == result["before"], "a module installed a logging filter at import"
