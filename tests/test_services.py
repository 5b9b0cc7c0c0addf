"""A missing server skips a test outside CI and fails it in CI (tests/services.py, .ci/run)."""
from __future__ import annotations

import pytest
from _pytest.outcomes import Failed, Skipped

from tests.services import in_ci, service_missing


@pytest.mark.parametrize("value, expected", [("true", True), ("1", True), ("", False), ("false", False),
                                             ("0", False)])
def test_in_ci_reads_the_ci_variable(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert in_ci() is expected


def test_outside_ci_a_missing_server_skips(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(Skipped, match="Redis not reachable"):
        service_missing("Redis not reachable")


def test_in_ci_a_missing_server_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed, match="Redis not reachable"):
        service_missing("Redis not reachable")
