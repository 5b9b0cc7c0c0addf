"""Session fixtures shared by every end-to-end test: a seeded demo database, the action server and the
Rasa server, started once per test session (only when a test asks for them).

Under pytest-xdist (`make test` runs `-n 2 --dist loadgroup`) the tests that use one set of servers are marked
with the same `xdist_group`, so they all run on one worker and the set starts once per run, not once per worker."""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Iterator

import pytest

from portal.cli import main as portal_admin
from testing_support.processes import free_port
from tests.actions.conftest import ALWAYS_OPEN, NEVER_OPEN, write_district
from tests.e2e.servers import (Servers, latest_model, start_action_server, start_helpdesk, start_rasa_server,
                               write_endpoints)

# The fixtures that start a set of servers, first match wins, and the xdist group of the tests that use them.
SERVER_GROUPS: tuple[tuple[str, str], ...] = (
    ("servers", "e2e-servers"),       # Rasa, action server, help desk (tests/conftest.py)
    ("cluster", "two-servers"),       # two Rasa and two action servers (tests/scale/test_two_servers.py)
    ("chromium_ready", "browser"),    # Chromium and the fake Rasa servers (tests/webchat/conftest.py)
)


def server_group(fixture_names: list[str]) -> str | None:
    """The xdist group of a test that uses these fixtures, or None when it starts no servers."""
    return next((group for fixture, group in SERVER_GROUPS if fixture in fixture_names), None)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks (it suffixes the node ids with the group)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that share a set of servers go to one xdist worker (`--dist loadgroup`)."""
    for item in items:
        group = server_group(getattr(item, "fixturenames", []))
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    model = latest_model()
    if model is None:
        pytest.fail("No trained model in models/: run `make train` (make test does it for you).")
    workdir: Path = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite:///{workdir / 'portal.db'}"
    # Clock-independent office hours: Maple Ridge is always open, Willow Creek never.
    district = write_district(workdir / "district.yml", {"org-maple-ridge-es": ALWAYS_OPEN,
                                                         "org-willow-creek-ms": NEVER_OPEN})
    assert portal_admin(["--database-url", database_url, "seed-demo"]) == 0
    action_port, rasa_port = free_port(), free_port()
    running = Servers(workdir=workdir, database_url=database_url, district_file=str(district), rasa_url=f"http://127.0.0.1:{rasa_port}",
                      action_url=f"http://127.0.0.1:{action_port}", token=secrets.token_hex(16))
    try:
        start_action_server(running, action_port)
        start_rasa_server(running, rasa_port, model, write_endpoints(workdir, action_port))
        running.staff_tokens = {scope: secrets.token_hex(16) for scope in ("district", "org-maple-ridge-es",
                                                                           "org-willow-creek-ms")}
        start_helpdesk(running, free_port())
        yield running
    finally:
        running.stop()


@pytest.fixture
def sender() -> str:
    """A fresh conversation id for each test."""
    return f"test-{secrets.token_hex(6)}"


@pytest.fixture
def cli(db_url, capsys):
    """Run portal-admin against the test store (the folder's own `db_url`); returns (exit code, stdout, stderr)."""
    from portal.cli import main

    def run(*argv: str):
        code = main(["--database-url", db_url, *argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run
