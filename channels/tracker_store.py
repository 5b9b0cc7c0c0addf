"""Rasa's SQL tracker store, loading only the recent part of a long conversation session.

Rasa 3.6 rebuilds the whole session from the tracker store for every message, then replays it again for every
action it runs (`tracker.copy()`), serialises it to the action server for every remote call and computes the
policies' states over all of it for every prediction: each reply costs more the longer the session is (a
200-message conversation answered 12× slower at its end than at its start). Nothing the assistant decides looks
that far back: rules span one parent message and the action before it, and a form or identity check needs the
turns since it was offered.

`retrieve` therefore loads the last `recent_turns` parent messages of the session (more when a form is active:
back to the parent's message before the form was offered), starting at a turn boundary where no form was active,
and puts before them what the skipped events left behind: every slot's value at that point, a paused
conversation, and (for the staff transcript) up to `transcript_events` of the skipped messages, cut down to their
text, intent and entities. The tracker a policy or action sees therefore has the same slots, active form, latest
message and recent turns as the whole session. `save` stores only the events added after loading; nothing is
written differently and `retrieve_full_tracker` (Rasa's HTTP API, the widget's history) still reads everything.

endpoints.yml:
    tracker_store:
      type: channels.tracker_store.RecentTurnsSQLTrackerStore
      url: ${TRACKER_STORE_URL}
"""
from __future__ import annotations

import itertools
import json
import logging
from typing import Any, Iterator, NamedTuple, Optional, Sequence

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

# On a tracker loaded in part: (stored events of the session not loaded, events put before the loaded ones).
WINDOW_ATTRIBUTE = "_recent_turns_window"

RESETS_SLOTS = ("session_started", "restart", "reset_slots")
RESETS_LOOP = ("session_started", "restart")
REVERTS = ("rewind", "undo")
PAUSES = ("pause", "resume")
PAGE_ROWS = 20  # rows read at a time from the end of a conversation
FIRST_PAGE_ROWS = 200  # light rows read first to choose the window (about ten turns); four times more if short


class Row(NamedTuple):
    """What choosing a window needs of one stored event (no JSON decoding)."""

    id: int
    type_name: str
    name: Optional[str]


def turn_starts(rows: Sequence[Row]) -> list[int]:
    """Index where each parent turn starts: its `action_listen`, or the message itself when none precedes it."""
    starts = []
    for i, row in enumerate(rows):
        if row.type_name == "user":
            before = rows[i - 1] if i else None
            listens = before is not None and before.type_name == "action" and before.name == "action_listen"
            starts.append(i - 1 if listens else i)
    return starts


def active_loops(rows: Sequence[Row], loop_before: Optional[str] = None) -> list[Optional[str]]:
    """The active loop (form) before each row, and after the last one (one more item than rows)."""
    loops: list[Optional[str]] = []
    loop = loop_before
    for row in rows:
        loops.append(loop)
        if row.type_name == "active_loop":
            loop = row.name
        elif row.type_name in RESETS_LOOP:
            loop = None
    loops.append(loop)
    return loops


def window_start(rows: Sequence[Row], recent_turns: int, turns_before_form: int = 2,
                 loop_before: Optional[str] = None) -> int:
    """Index of the first row to load (0: all of them, or, for the last rows of a session, that more are needed;
    `loop_before` is the form active before them).

    The start of the turn `recent_turns` parent messages back; earlier when a form is active now (from
    `turns_before_form` turns before the turn that started it: the offer and the message it answered), one turn
    earlier for every revert (`rewind`, `undo`) in what is loaded, and never where a form was active.
    """
    starts = turn_starts(rows)
    loops = active_loops(rows, loop_before)
    turn = len(starts) - recent_turns
    if loops[-1] is not None:
        activation = max((i for i, row in enumerate(rows) if row.type_name == "active_loop" and row.name), default=-1)
        turn = min(turn, sum(1 for start in starts if start <= activation) - 1 - turns_before_form)
    if turn > 0:
        turn -= sum(1 for row in rows[starts[turn]:] if row.type_name in REVERTS)
    while turn > 0 and loops[starts[turn]] is not None:
        turn -= 1
    return starts[turn] if turn > 0 else 0


def transcript_copy(event: dict[str, Any]) -> dict[str, Any]:
    """A parent's or the assistant's message cut down to what a transcript shows."""
    copy = {key: event[key] for key in ("event", "text", "timestamp", "input_channel") if key in event}
    if event.get("event") == "user":
        parse = event.get("parse_data") or {}
        copy["parse_data"] = {
            "intent": {"name": (parse.get("intent") or {}).get("name")},
            "entities": [{"entity": e.get("entity"), "value": e.get("value")} for e in parse.get("entities") or []],
        }
    return copy


class RecentTurnsSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose `retrieve` loads the recent turns of a long session plus what they depend on."""

    def __init__(self, *args: Any, recent_turns: int = 4, transcript_events: int = 60, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recent_turns = int(recent_turns)
        self.transcript_events = int(transcript_events)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The latest session's tracker, its long past replaced by the state it left. Read from the end: what
        choosing the window reads does not grow with the session."""
        if not self.domain:
            return None
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            rows, start, page = [], 0, FIRST_PAGE_ROWS
            while True:
                rows, whole = self._last_rows(query, page)
                start = window_start(rows, self.recent_turns,
                                     loop_before=None if whole or not rows else self._loop_before(query, rows[0].id))
                if start or whole:
                    break
                page *= 4
            if not rows:
                return None
            if start == 0:
                loaded = [json.loads(r.data) for r in query.all()]
                return DialogueStateTracker.from_dict(sender_id, loaded, self.domain.slots)
            cut = rows[start].id
            skipped = query.order_by(None).filter(self.SQLEvent.id < cut).count()
            prefix = self._left_behind(session, query, cut)
            loaded = [json.loads(data) for (data,) in query.filter(self.SQLEvent.id >= cut)
                      .with_entities(self.SQLEvent.data)]
        tracker = DialogueStateTracker.from_dict(sender_id, prefix + loaded, self.domain.slots)
        setattr(tracker, WINDOW_ATTRIBUTE, (skipped, len(prefix)))
        return tracker

    def _last_rows(self, query: Any, count: int) -> tuple[list[Row], bool]:
        """The session's last `count` rows, oldest first, and whether they are all of it."""
        newest_first = (query.with_entities(self.SQLEvent.id, self.SQLEvent.type_name, self.SQLEvent.action_name)
                        .order_by(None).order_by(self.SQLEvent.id.desc()).limit(count).all())
        return [Row._make(r) for r in reversed(newest_first)], len(newest_first) < count

    def _loop_before(self, query: Any, row_id: int) -> Optional[str]:
        """The form active before a row."""
        last = (query.filter(self.SQLEvent.id < row_id, self.SQLEvent.type_name.in_(("active_loop", *RESETS_LOOP)))
                .with_entities(self.SQLEvent.type_name, self.SQLEvent.action_name)
                .order_by(None).order_by(self.SQLEvent.id.desc()).first())
        return last[1] if last is not None and last[0] == "active_loop" else None

    def _left_behind(self, session: Any, query: Any, cut: int) -> list[dict[str, Any]]:
        """Events standing for the rows before `cut`: transcript copies of the last messages, then the pause
        state and every slot's value there."""
        event = self.SQLEvent
        before = query.order_by(None).filter(event.id < cut)
        reset = before.filter(event.type_name.in_(RESETS_SLOTS)).with_entities(sa.func.max(event.id)).scalar()
        since_reset = before.filter(event.id > (reset if reset is not None else -1))
        slot_rows = [i for (i,) in since_reset.filter(event.type_name == "slot")
                     .with_entities(sa.func.max(event.id)).group_by(event.action_name)]
        pause = since_reset.filter(event.type_name.in_(PAUSES)).with_entities(sa.func.max(event.id)).scalar()
        state = sorted([*slot_rows, *([pause] if pause is not None else [])])
        messages = [] if self.transcript_events <= 0 else [
            i for (i,) in before.filter(event.type_name.in_(("user", "bot"))).with_entities(event.id)
            .order_by(event.id.desc()).limit(2 * self.transcript_events)][::-1]
        data = dict(session.query(event.id, event.data).filter(event.id.in_([*messages, *state])))
        copies = [transcript_copy(json.loads(data[i])) for i in messages if i in data]
        # `messages` is empty when transcript_events is 0, so the slice never sees [-0:].
        shown = [copy for copy in copies if (copy.get("text") or "").strip()][-self.transcript_events:]
        return shown + [json.loads(data[i]) for i in state if i in data]

    async def events_since_typed_message(self, sender_id: str) -> list[dict[str, Any]]:
        """The stored messages from the parent's latest typed message (a message made by `trigger_intent`,
        "EXTERNAL: ...", is not typed) to the end, oldest first, read from the end: the REST channel's check for
        pushed messages costs the same in a long conversation as in a short one."""
        found: list[dict[str, Any]] = []
        with self.session_scope() as session:
            query = (session.query(self.SQLEvent.data)
                     .filter(self.SQLEvent.sender_id == sender_id, self.SQLEvent.type_name.in_(("user", "bot")))
                     .order_by(self.SQLEvent.id.desc()).yield_per(PAGE_ROWS))
            for (data,) in query:
                event = json.loads(data)
                found.append(event)
                if event.get("event") == "user" and not str(event.get("text") or "").startswith(
                        EXTERNAL_MESSAGE_PREFIX):
                    break
        return found[::-1]

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        """The tracker's events not stored yet (a tracker loaded in part starts later in the session)."""
        window = getattr(tracker, WINDOW_ATTRIBUTE, None)
        if window is None:
            return super()._additional_events(session, tracker)
        skipped, prefix = window
        stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        return itertools.islice(tracker.events, prefix + stored - skipped, len(tracker.events))
