"""The outcome contract as code: the Outcome enum, the `outcome` slot's values and the rules agree both ways."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.common import outcome
from actions.outcomes import ANSWERED_OUTCOMES, Outcome

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RULES = [rule for path in sorted((ROOT / "data" / "rules").glob("*.yml"))
         for rule in yaml.safe_load(path.read_text())["rules"]]


def ruled_outcomes() -> set[str]:
    return {list(step["slot_was_set"][0].values())[0] for rule in RULES for step in rule["steps"]
            if "slot_was_set" in step and "outcome" in step["slot_was_set"][0]}


def test_the_enum_is_the_outcome_slots_values():
    assert {o.value for o in Outcome} == set(DOMAIN["slots"]["outcome"]["values"])


def test_every_outcome_has_a_rule_and_every_rule_a_known_outcome():
    values = {o.value for o in Outcome}
    assert values - ruled_outcomes() == set(), "outcomes no rule speaks for"
    assert ruled_outcomes() - values == set(), "rules for outcomes no action sets"


def test_outcome_events_carry_the_value_and_refuse_a_plain_string():
    events = outcome(Outcome.KEY_UNUSED, key_misses=0.0)
    assert [(e["name"], e["value"]) for e in events] == [("key_misses", 0.0), ("outcome", "key_unused")]
    with pytest.raises(TypeError):
        outcome("key_unused")


def test_names_built_at_run_time_are_checked():
    assert Outcome("step_new_user") is Outcome.STEP_NEW_USER
    assert Outcome(f"{Outcome.ATTENDANCE_HIDDEN.value}_district") is Outcome.ATTENDANCE_HIDDEN_DISTRICT
    with pytest.raises(ValueError):
        Outcome("step_nonsense")


def test_which_outcomes_answer_the_parent():
    assert Outcome.SELF_SERVICE_PASSWORD.answers_parent and "self_service_password" in ANSWERED_OUTCOMES
    assert not Outcome.TICKET_OPENED.answers_parent and "ticket_opened" not in ANSWERED_OUTCOMES
    assert len(ANSWERED_OUTCOMES) == 35
