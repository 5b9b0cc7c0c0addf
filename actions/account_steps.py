"""Getting an account step by step: what's next, and help where the parent is stuck."""
from __future__ import annotations

from typing import Optional

from rasa_sdk import Tracker
from rasa_sdk.events import EventType

from actions.common import PortalAction, entity_values, outcome
from actions.outcomes import Outcome

STEPS = ["request_form", "key_email", "new_user", "enter_key", "create_login", "back_to_login", "security_step"]
DONE = "done"
# Steps whose help names the school; without a school the district version is given.
SCHOOL_SPECIFIC_HELP = ("request_form", "key_email")


def next_step(current: Optional[str]) -> str:
    """The step after `current` ('done' after the last one)."""
    if current not in STEPS:
        return STEPS[0]
    index = STEPS.index(current) + 1
    return STEPS[index] if index < len(STEPS) else DONE


def named_step(tracker: Tracker) -> Optional[str]:
    """A step the parent named in the latest message, if any."""
    return next((v for v in entity_values(tracker, "account_step") if v in STEPS), None)


class ActionAccountNextStep(PortalAction):
    """'What's next?' moves to the next step of getting an account."""

    def name(self) -> str:
        return "action_account_next_step"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        current = tracker.get_slot("account_step")
        if current is None or current == DONE:
            return outcome(Outcome.WHAT_NEXT)
        step = next_step(current)
        return outcome(Outcome(f"step_{step}"), account_step=step)


class ActionAccountStuck(PortalAction):
    """'I'm stuck' gives help for the step the parent named or is on, or asks which step."""

    def name(self) -> str:
        return "action_account_stuck"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        step = named_step(tracker) or tracker.get_slot("account_step")
        if step not in STEPS:
            return outcome(Outcome.STUCK_WHERE)
        help_name = f"stuck_{step}"
        if step in SCHOOL_SPECIFIC_HELP and not tracker.get_slot("school"):
            help_name += "_district"
        return outcome(Outcome(help_name), account_step=step)
