"""Trackers built from plain dicts, and a seeded demo store, for calling actions directly."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import district_values
from portal.cli import main as portal_admin
from portal.db import dispose_engines

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    """The project's domain as the action server receives it."""
    return yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store with the demo roster loaded, shared by the action tests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'portal.db'}"
    assert portal_admin(["--database-url", url, "seed-demo"]) == 0
    return url


@pytest.fixture(autouse=True)
def store(monkeypatch: pytest.MonkeyPatch, demo_database: str) -> Iterator[str]:
    """Point the actions at the demo store."""
    monkeypatch.setenv("DATABASE_URL", demo_database)
    yield demo_database


@pytest.fixture(scope="session", autouse=True)
def _close_engines() -> Iterator[None]:
    yield
    dispose_engines()


def make_tracker(text: str = "", intent: str = "inform", slots: Optional[dict[str, Any]] = None,
                 entities: Optional[list[dict[str, Any]]] = None, events: Optional[list[dict[str, Any]]] = None,
                 sender: str = "parent-1", channel: str = "rest") -> Tracker:
    """A tracker whose latest message is `text` classified as `intent`."""
    # As after a normal session start (action_session_start sets the district's values); pass
    # slots={"district_phone": None} for a session whose start failed.
    slots = {**district_values(), **(slots or {})}
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or []}
    history = list(events or []) + [{"event": "user", "text": text, "parse_data": latest,
                                     "input_channel": channel}]
    return Tracker(sender, dict(slots or {}), latest, history, False, None, {}, "action_listen")


def slot_values(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Final value of every slot the events set."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def dispatcher() -> CollectingDispatcher:
    return CollectingDispatcher()


ALWAYS_OPEN = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "open": "00:00", "close": "23:59"}
NEVER_OPEN = {"days": ["mon"], "open": "00:00", "close": "00:00"}


def write_district(path: Path, hours: dict[str, dict[str, Any]]) -> Path:
    """A copy of district.yml with some schools' office hours replaced (for clock-independent tests)."""
    config = yaml.safe_load((PROJECT_ROOT / "district.yml").read_text())
    for school in config["schools"]:
        if school["id"] in hours:
            school["office_hours"] = hours[school["id"]]
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def office_hours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Call with {school_id: ALWAYS_OPEN | NEVER_OPEN} to fix which offices are open now."""
    def apply(hours: dict[str, dict[str, Any]]) -> None:
        monkeypatch.setenv("DISTRICT_FILE", str(write_district(tmp_path / "district.yml", hours)))
    return apply
