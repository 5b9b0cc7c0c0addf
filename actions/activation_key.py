"""The activation-key check: normalise what the parent pasted, explain problems, look the key up."""
from __future__ import annotations

import re
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_steps import show_step
from actions.common import latest_text, utter
from actions.store import StoreUnavailable, run_in_store
from portal.activation_keys import KeyParse, check_key, find_key_in_text, normalise_key

MISSES_BEFORE_WAY_OUT = 2
_KEY_ATTEMPT = re.compile(r"[{(\[]?[A-Za-z0-9][A-Za-z0-9\- ]{10,}[A-Za-z0-9][})\]]?")
_PROBLEM_RESPONSES = {
    "too_short": "utter_key_too_short",
    "too_long": "utter_key_too_long",
    "bad_characters": "utter_key_bad_characters",
    "empty": "utter_key_empty",
}


def key_attempt(text: str) -> Optional[str]:
    """The part of a message that looks like a pasted key, well-formed or not."""
    found = find_key_in_text(text)
    if found:
        return found
    candidates = [m.group(0) for m in _KEY_ATTEMPT.finditer(text or "")]
    candidates = [c for c in candidates if any(ch.isdigit() for ch in c) and sum(ch.isalnum() for ch in c) >= 12]
    return max(candidates, key=len) if candidates else None


def explain_malformed(dispatcher: CollectingDispatcher, tracker: Tracker, parsed: KeyParse) -> list[EventType]:
    """A specific, friendly reason the pasted text is not a key; a way out after repeated misses."""
    misses = float(tracker.get_slot("key_misses") or 0) + 1
    if misses >= MISSES_BEFORE_WAY_OUT:
        utter(dispatcher, "utter_key_gave_up", tracker)
        return [SlotSet("key_misses", 0.0)]
    utter(dispatcher, _PROBLEM_RESPONSES.get(parsed.problem or "", "utter_key_empty"), tracker,
          key_length=parsed.length, bad_characters=" ".join(parsed.bad_characters or []))
    return [SlotSet("key_misses", misses)]


async def check_pasted_key(dispatcher: CollectingDispatcher, tracker: Tracker, pasted: str) -> list[EventType]:
    """Check a pasted key and answer by what the store knows about it."""
    parsed = normalise_key(pasted)
    if parsed.key is None:
        return explain_malformed(dispatcher, tracker, parsed)
    try:
        result = await run_in_store(check_key, parsed.key)
    except StoreUnavailable:
        utter(dispatcher, "utter_store_unavailable", tracker)
        return []
    events: list[EventType] = [SlotSet("key_misses", 0.0), SlotSet("pending_offer", None)]
    if result.status == "unknown":
        utter(dispatcher, "utter_key_unknown", tracker)
        return events
    if result.status == "unused":
        utter(dispatcher, "utter_key_unused", tracker)
        return events + show_step(dispatcher, tracker, "enter_key")
    locked = result.account_status in ("disabled", "locked")
    utter(dispatcher, "utter_key_account_locked" if locked else "utter_key_redeemed", tracker)
    utter(dispatcher, "utter_offer_lookup", tracker)
    return events + [SlotSet("topic", "key_already_used"), SlotSet("pending_offer", "lookup")]


class ActionCheckActivationKey(Action):
    """Activation key questions: check a pasted key, or explain what the key is and where it goes."""

    def name(self) -> str:
        return "action_check_activation_key"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        pasted = key_attempt(latest_text(tracker))
        if pasted is None:
            utter(dispatcher, "utter_activation_key_help", tracker)
            return [SlotSet("pending_offer", None)]
        return await check_pasted_key(dispatcher, tracker, pasted)
