"""What a test does when a server it needs (PostgreSQL, Redis, Chromium) is not there.

Outside CI it skips with the reason; in CI (the `CI` environment variable, which `.ci/run` sets) it fails, so a
service that could not be started never turns a run green by skipping the tests that need it.
"""
from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def service_missing(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it in CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI needs it: scripts/start-services.sh and make browser start or install it)")
    pytest.skip(reason)
