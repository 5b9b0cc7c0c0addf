"""The activation-key check: normalise what the parent pasted, explain problems, look the key up."""
from __future__ import annotations

import re
from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.common import MISSES_BEFORE_WAY_OUT, PortalAction, current_school, latest_text, outcome
from actions.outcomes import Outcome
from actions.store import StoreUnavailable, run_in_store
from portal.accounts import LOCKED_STATUSES
from portal.activation_keys import KeyParse, check_key, find_key_in_text, normalise_key

_CODE_TOKEN = re.compile(r"^[{(\[]?[A-Za-z0-9][A-Za-z0-9\-_]*[})\]]?$")
MIN_ATTEMPT_CHARACTERS = 12


def _code_like(token: str) -> bool:
    """A word that looks like part of a code: letters and digits with a digit in it, or upper-case letters."""
    if not _CODE_TOKEN.match(token):
        return False
    letters = [ch for ch in token if ch.isalnum()]
    return any(ch.isdigit() for ch in letters) or (len(letters) >= 4 and token.isupper())


def key_attempt(text: str) -> Optional[str]:
    """The part of a message that looks like a pasted key, well-formed or not."""
    found = find_key_in_text(text or "")
    if found:
        return found
    runs: list[list[str]] = [[]]
    for token in (text or "").split():
        if _code_like(token):
            runs[-1].append(token)
        elif runs[-1]:
            runs.append([])
    candidates = [" ".join(run) for run in runs if sum(ch.isalnum() for ch in "".join(run)) >= MIN_ATTEMPT_CHARACTERS]
    return max(candidates, key=len) if candidates else None


def malformed_key(tracker: Tracker, parsed: KeyParse) -> list[EventType]:
    """A specific reason the pasted text is not a key; a way out after repeated misses."""
    misses = float(tracker.get_slot("key_misses") or 0) + 1
    if misses >= MISSES_BEFORE_WAY_OUT:
        return outcome(Outcome.KEY_GAVE_UP, key_misses=0.0)
    problem = parsed.problem if parsed.problem in ("too_short", "too_long", "bad_characters") else "too_short"
    return outcome(Outcome(f"key_{problem}"), key_misses=misses, key_length=str(parsed.length),
                   bad_characters=" ".join(parsed.bad_characters or []))


async def checked_key(tracker: Tracker, key: str) -> list[EventType]:
    """What the store knows about a well-formed key."""
    try:
        result = await run_in_store(check_key, key)
    except StoreUnavailable:
        return outcome(Outcome.STORE_UNAVAILABLE if current_school(tracker) else Outcome.STORE_UNAVAILABLE_DISTRICT)
    if result.status == "unknown":
        return outcome(Outcome.KEY_UNKNOWN, key_misses=0.0)
    if result.status == "unused":
        return outcome(Outcome.KEY_UNUSED, key_misses=0.0, account_step="enter_key")
    found = Outcome.KEY_ACCOUNT_LOCKED if result.account_status in LOCKED_STATUSES else Outcome.KEY_REDEEMED
    return outcome(found, key_misses=0.0) + [SlotSet("topic", "key_already_used")]


class ActionCheckActivationKey(PortalAction):
    """Activation key questions: check a pasted key, or explain what the key is and where it goes."""

    def name(self) -> str:
        return "action_check_activation_key"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        pasted = key_attempt(latest_text(tracker))
        if pasted is None:
            return outcome(Outcome.KEY_HELP)
        parsed = normalise_key(pasted)
        if parsed.key is None:
            return malformed_key(tracker, parsed)
        return await checked_key(tracker, parsed.key)
