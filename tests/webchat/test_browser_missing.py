"""A browser that is missing or can't start skips the browser tests outside CI and fails them in CI, with the
reason (tests/services.py), like PostgreSQL and Redis."""
from __future__ import annotations

from typing import Any

import pytest
from _pytest.outcomes import Failed, Skipped

from tests.webchat.conftest import launch_chromium, require_browser_parts

MISSING_CHROMIUM = "/nonexistent/chromium"


class _RefusingChromium:
    """Playwright's browser type whose launch fails the way a broken Chromium does."""

    def launch(self, **options: Any) -> Any:
        from playwright.sync_api import Error

        raise Error(f"Failed to launch chromium because executable doesn't exist at {options['executable_path']}\n"
                    "Call log: ...")


class _Playwright:
    chromium = _RefusingChromium()


@pytest.mark.parametrize("ci, outcome", [("true", Failed), ("", Skipped)])
def test_a_missing_chromium_fails_in_ci_and_skips_outside(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"Browser test needs Chromium \(/nonexistent/chromium"):
        require_browser_parts(MISSING_CHROMIUM, install=False)


@pytest.mark.parametrize("ci, outcome", [("true", Failed), ("", Skipped)])
def test_a_chromium_that_cannot_start_fails_in_ci_and_skips_outside(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match=r"Chromium \(/nonexistent/chromium\) could not be started by Playwright: "
                                      r"Failed to launch chromium"):
        launch_chromium(_Playwright(), MISSING_CHROMIUM)
