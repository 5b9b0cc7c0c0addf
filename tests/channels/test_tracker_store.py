"""The tracker store that loads only the recent turns of a long session: same state, same recent history, same
transcript, and saving appends exactly the new events."""
from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, AllSlotsReset, BotUttered, Event, SessionStarted,
                                     SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa_sdk import Tracker

from actions.transcript import build_transcript
from channels.rest import RestWithPushInput, pushed_since_last_turn
from channels.tracker_store import WINDOW_ATTRIBUTE, RecentTurnsSQLTrackerStore, Row, window_start

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def run(coroutine):
    return asyncio.run(coroutine)


def turn(text: str, intent: str, *after: Event, reply: str = "ok") -> list[Event]:
    """The parent's message and the assistant's answer, then listening."""
    return [UserUttered(text, {"name": intent, "confidence": 1.0}, [], {"intent": {"name": intent}, "entities": [],
                                                                        "text": text}),
            ActionExecuted("action_extract_slots"), *after, ActionExecuted("utter_greet"), BotUttered(reply),
            ActionExecuted("action_listen")]


def session_start() -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(), SlotSet("district_phone", "555-0100"),
            ActionExecuted("action_listen")]


def long_session(turns: int) -> list[Event]:
    events = session_start()
    for i in range(turns):
        events += turn(f"question {i}", "get_account", SlotSet("account_step", f"step{i % 3}"), reply=f"answer {i}")
        if i == turns // 2:
            events += turn("start over", "start_over", AllSlotsReset(), SlotSet("school", "maple"))
    return events


def store(cls, path: Path, domain: Domain, **kwargs):
    return cls(domain=domain, dialect="sqlite", db=str(path), **kwargs)


def stored(path: Path, domain: Domain, events: list[Event], sender: str = "parent") -> None:
    tracker = DialogueStateTracker.from_events(sender, events, domain.slots)
    run(store(SQLTrackerStore, path, domain).save(tracker))


def recent_states(tracker: DialogueStateTracker, domain: Domain, count: int) -> list:
    return tracker.past_states(domain)[-count:]


def rows(*spec: str) -> list[Row]:
    """Rows from 'type' or 'type:name' strings."""
    return [Row(i, *(s.split(":") + [None])[:2]) for i, s in enumerate(spec)]


def test_a_short_session_is_loaded_whole():
    spec = ["action:action_listen", "user", "action:utter_greet", "bot", "action:action_listen"] * 3
    assert window_start(rows(*spec), recent_turns=4) == 0


def test_the_window_starts_at_the_listen_before_the_nth_last_message():
    spec = ["action:action_listen", "user", "action:utter_greet", "bot"] * 6
    assert window_start(rows(*spec), recent_turns=4) == 8


def test_an_active_form_keeps_the_turns_since_it_was_offered():
    spec = (["action:action_listen", "user", "action:utter_greet"] * 5
            + ["action:action_listen", "user", "action:utter_offer_lookup"]
            + ["action:action_listen", "user", "action:lookup_form", "active_loop:lookup_form"]
            + ["action:action_listen", "user", "action:lookup_form"] * 6)
    # Turn 6 (index 15) started the form, turn 5 offered it: the window starts at turn 4.
    assert window_start(rows(*spec), recent_turns=4) == 12


def test_the_window_never_starts_inside_a_form():
    spec = (["action:action_listen", "user", "action:utter_greet"] * 4
            + ["action:action_listen", "user", "action:school_form", "active_loop:school_form"]
            + ["action:action_listen", "user", "action:school_form"] * 2
            + ["action:action_listen", "user", "action:school_form", "active_loop:None"]
            + ["action:action_listen", "user", "action:utter_greet"] * 2)
    r = rows(*spec)
    r = [Row(x.id, x.type_name, None if x.name == "None" else x.name) for x in r]
    # 4 turns back is inside school_form (turns 4-7): the window starts where it was started.
    assert window_start(r, recent_turns=4) == 12


def test_same_state_and_recent_history_as_the_whole_session(tmp_path, domain):
    events = long_session(40)
    stored(tmp_path / "t.db", domain, events)
    whole = DialogueStateTracker.from_events("parent", events, domain.slots)
    part = run(store(RecentTurnsSQLTrackerStore, tmp_path / "t.db", domain, recent_turns=4).retrieve("parent"))
    assert part.current_slot_values() == whole.current_slot_values()
    assert part.current_slot_values()["school"] == "maple"  # set after the reset, long before the window
    assert part.active_loop == whole.active_loop
    assert part.latest_message.text == whole.latest_message.text
    assert part.latest_action_name == whole.latest_action_name
    assert recent_states(part, domain, 3 * 4) == recent_states(whole, domain, 3 * 4)


def test_what_is_loaded_does_not_grow_with_the_session(tmp_path, domain):
    sizes = []
    for turns in (40, 80):
        stored(tmp_path / "t.db", domain, long_session(turns), sender=f"p{turns}")
        windowed = store(RecentTurnsSQLTrackerStore, tmp_path / "t.db", domain, recent_turns=4)
        sizes.append(len(run(windowed.retrieve(f"p{turns}")).events))
    assert sizes[0] == sizes[1] < 4 * 7 + 60 + 5


def test_the_transcript_is_the_same(tmp_path, domain):
    events = long_session(60)
    stored(tmp_path / "t.db", domain, events)
    whole = DialogueStateTracker.from_events("parent", events, domain.slots)
    part = run(store(RecentTurnsSQLTrackerStore, tmp_path / "t.db", domain, recent_turns=4).retrieve("parent"))

    def transcript(tracker: DialogueStateTracker) -> str:
        return build_transcript(Tracker.from_dict(tracker.current_state(EventVerbosity.ALL)))

    assert transcript(part) == transcript(whole)
    assert transcript(part).count("\n") == 59


def test_saving_appends_exactly_the_new_events(tmp_path, domain):
    events = long_session(30)
    stored(tmp_path / "t.db", domain, events)
    windowed = store(RecentTurnsSQLTrackerStore, tmp_path / "t.db", domain, recent_turns=4)
    part = run(windowed.retrieve("parent"))
    new = turn("thanks", "thank", reply="You're welcome")
    for event in new:
        part.update(event)
    run(windowed.save(part))
    everything = run(store(SQLTrackerStore, tmp_path / "t.db", domain).retrieve_full_tracker("parent"))
    assert [e.as_dict() for e in everything.events] == [e.as_dict() for e in [*events, *new]]


def test_a_form_active_now_is_loaded_from_its_offer(tmp_path, domain):
    events = long_session(20)
    events += turn("I can't see my kids", "missing_students", reply="Shall I look you up?")
    events += turn("yes", "affirm", ActiveLoop("lookup_form"), SlotSet("requested_slot", "school"))
    for i in range(6):
        events += turn(f"answer {i}", "inform", SlotSet("contact", f"c{i}"))
    stored(tmp_path / "t.db", domain, events)
    part = run(store(RecentTurnsSQLTrackerStore, tmp_path / "t.db", domain, recent_turns=4).retrieve("parent"))
    prefix = getattr(part, WINDOW_ATTRIBUTE)[1]
    texts = [e.text for e in list(part.events)[prefix:] if isinstance(e, UserUttered)]
    assert texts[0] == "question 19" and "I can't see my kids" in texts
    assert part.active_loop_name == "lookup_form"


def test_pushed_messages_are_read_from_the_end_of_the_conversation(tmp_path, domain):
    pushed = [UserUttered("EXTERNAL: staff_reply", {"name": "EXTERNAL_staff_reply"}), ActionExecuted("utter_x"),
              BotUttered("School staff: done", {"buttons": [{"title": "OK", "payload": "/affirm"}]}),
              ActionExecuted("action_listen")]
    events = long_session(30) + pushed
    stored(tmp_path / "t.db", domain, events)
    windowed = store(RecentTurnsSQLTrackerStore, tmp_path / "t.db", domain)
    tail = run(windowed.events_since_typed_message("parent"))
    assert [e["event"] for e in tail] == ["user", "bot", "user", "bot"]
    assert tail[0]["text"] == "question 29"
    channel = RestWithPushInput()
    channel.app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=FailSafeTrackerStore(windowed))))
    expected = [{"text": "School staff: done", "buttons": [{"title": "OK", "payload": "/affirm"}]}]
    assert run(channel.pending_messages("parent")) == expected
    assert pushed_since_last_turn(list(DialogueStateTracker.from_events("p", events, domain.slots).events)) == expected
    assert run(channel.pending_messages("nobody")) == []


def test_reading_more_rows_from_the_end_gives_the_same_window(tmp_path, domain, monkeypatch):
    events = long_session(20)
    events += turn("I can't see my kids", "missing_students", reply="Shall I look you up?")
    events += turn("yes", "affirm", ActiveLoop("lookup_form"), SlotSet("requested_slot", "school"))
    for i in range(12):
        events += turn(f"answer {i}", "inform", SlotSet("contact", f"c{i}"))
    stored(tmp_path / "t.db", domain, events)
    windowed = store(RecentTurnsSQLTrackerStore, tmp_path / "t.db", domain, recent_turns=4)
    wide = run(windowed.retrieve("parent"))
    monkeypatch.setattr("channels.tracker_store.FIRST_PAGE_ROWS", 5)
    narrow = run(windowed.retrieve("parent"))
    assert [e.as_dict() for e in narrow.events] == [e.as_dict() for e in wide.events]
    assert getattr(narrow, WINDOW_ATTRIBUTE) == getattr(wide, WINDOW_ATTRIBUTE)
    assert narrow.active_loop_name == "lookup_form"
