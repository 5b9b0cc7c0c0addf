"""A reply instead of silence when a custom action or form failed (action server down or erroring).

Rasa 3.6 logs an exception from a remote action and drops its events (`MessageProcessor._run_action`): the
tracker then ends in `ActionExecuted(<custom action or form>)` with nothing after it. Every one of our custom
actions returns at least one event when it works (actions set `outcome`; forms set `requested_slot` or
`active_loop`), so "nothing after it" means it failed. Left to the other policies, the next prediction would be a
guess, or a rule keyed on the `outcome` an earlier turn left set (a wrong answer).

The same holds for the first message after a failed session start (the custom `action_session_start`).

This policy predicts the service-trouble response (with the school's or the district's contact, or a version
without a number when neither is known yet), then `action_listen`. It is not trained, predicts nothing in every
other state, and outranks RulePolicy. The slots and the form stay as they were, so the parent's next message
continues the conversation where it was (an active form asks its question again).
"""
from __future__ import annotations

import logging
from typing import Any, Optional, Text

from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import (ACTION_EXTRACT_SLOTS, ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME,
                                       DEFAULT_ACTION_NAMES)
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

# Custom actions that are never predicted on their own: form questions (they may return nothing by design) and
# form validation (run inside a form). Rasa's default actions (including an overridden action_session_start)
# are run by Rasa itself.
NOT_WATCHED_PREFIXES = ("action_ask_", "validate_", "utter_")


def watched_actions(domain: Domain) -> frozenset[str]:
    """The custom actions and forms whose failure this policy answers."""
    names = [*domain.user_actions, *domain.form_names]
    return frozenset(name for name in names
                     if not name.startswith(NOT_WATCHED_PREFIXES) and name not in DEFAULT_ACTION_NAMES)


def failed_action(tracker: DialogueStateTracker, watched: frozenset[str]) -> Optional[str]:
    """The watched action the tracker ends with when it left no event (it failed), else None."""
    if not tracker.events:
        return None
    last = tracker.events[-1]
    if isinstance(last, ActionExecuted) and last.action_name in watched:
        return last.action_name
    return None


def failed_session_start(tracker: DialogueStateTracker) -> bool:
    """True in the first turn after a failed (custom) session start, before anything answered it.

    A working `action_session_start` ends with `action_listen`; a failed one leaves the parent's message right
    after `ActionExecuted(action_session_start)`, where no rule matches (the fallback would show empty values).
    """
    seen_user = False
    for event in reversed(tracker.events):  # from the end: only this turn and the action before it are read
        if not isinstance(event, (UserUttered, ActionExecuted)):
            continue
        if seen_user and isinstance(event, ActionExecuted):
            return event.action_name == ACTION_SESSION_START_NAME
        if isinstance(event, UserUttered):
            seen_user = True
        elif event.action_name != ACTION_EXTRACT_SLOTS:
            return False
    return False


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class ActionFailurePolicy(Policy):
    """Answers a failed custom action with the service-trouble response, then listens."""

    @staticmethod
    def get_default_config() -> dict[Text, Any]:
        return {
            "priority": RULE_POLICY_PRIORITY + 1,
            "response": "utter_service_trouble",
            # Used when none of `contact_slots` has a value (e.g. the session start failed too).
            "response_without_contact": "utter_service_trouble_no_contact",
            "contact_slots": ["school_phone", "district_phone"],
        }

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn."""
        return self._resource

    def _watched(self, domain: Domain) -> frozenset[str]:
        """`watched_actions`, worked out once per domain (this runs for every prediction)."""
        cached = getattr(self, "_watched_cache", None)
        if cached is None or cached[0] is not domain:
            cached = self._watched_cache = (domain, watched_actions(domain))
        return cached[1]

    def responses(self) -> tuple[str, str]:
        return self.config["response"], self.config["response_without_contact"]

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = self._action_for(tracker, domain)
        if action is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        # "No user" predictions outrank the others whatever their confidence (see the ensemble).
        return self._prediction(probabilities, is_no_user_prediction=True)

    def _action_for(self, tracker: DialogueStateTracker, domain: Domain) -> Optional[str]:
        if tracker.latest_action_name in self.responses():
            return ACTION_LISTEN_NAME
        failed = failed_action(tracker, self._watched(domain))
        if failed is None and failed_session_start(tracker):
            failed = ACTION_SESSION_START_NAME
        if failed is None:
            return None
        logger.warning("Custom action '%s' left no events (action server down or failing): answering with the "
                       "service-trouble response", failed)
        has_contact = any(tracker.get_slot(slot) for slot in self.config["contact_slots"])
        return self.responses()[0] if has_contact else self.responses()[1]
