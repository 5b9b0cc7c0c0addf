"""policies.action_failure: a failed custom action (no events after it) gets the service-trouble reply, then
the assistant listens; in every other state the policy predicts nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.core.constants import RULE_POLICY_PRIORITY
from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.core.policies.ensemble import DefaultPolicyPredictionEnsemble
from rasa.core.policies.policy import PolicyPrediction
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from policies.action_failure import ActionFailurePolicy, watched_actions

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
MAPLE = {"school": "org-maple-ridge-es", "school_name": "Maple Ridge Elementary", "school_phone": "(555) 010-1401",
         "school_hours": "Mon-Fri 8-4"}
# A real tracker always has the language slot (initial_value en): its conditional English variations need it.
DISTRICT = {"district_phone": "(555) 010-1000", "district_hours": "Mon-Fri 8-5", "district_short_name": "Cedar Valley",
            "language": "en"}


@pytest.fixture(scope="module")
def policy(tmp_path_factory) -> ActionFailurePolicy:
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    context = ExecutionContext(GraphSchema({}), "test")
    config = {**ActionFailurePolicy.get_default_config()}
    trained = ActionFailurePolicy.create(config, storage, Resource("action_failure"), context)
    trained.train([], DOMAIN)
    # What `rasa run` does: load from the (empty) resource.
    return ActionFailurePolicy.load(config, storage, Resource("action_failure"), context)


def tracker(*events, slots=None) -> DialogueStateTracker:
    history = [ActionExecuted("action_listen"), *[SlotSet(k, v) for k, v in (slots or {}).items()],
               UserUttered("what's next?", intent={"name": "next_step", "confidence": 1.0}),
               ActionExecuted("action_extract_slots"), *events]
    return DialogueStateTracker.from_events("parent", history, slots=DOMAIN.slots)


def predicted(policy, tracker_) -> tuple[str | None, PolicyPrediction]:
    prediction = policy.predict_action_probabilities(tracker_, DOMAIN)
    if prediction.max_confidence == 0:
        return None, prediction
    return DOMAIN.action_names_or_texts[prediction.max_confidence_index], prediction


def test_a_failed_action_gets_the_service_trouble_reply_with_the_schools_contact(policy):
    name, prediction = predicted(policy, tracker(ActionExecuted("action_account_next_step"),
                                                 slots={**MAPLE, **DISTRICT, "outcome": "step_request_form"}))
    assert name == "utter_service_trouble"
    assert prediction.max_confidence == 1.0 and prediction.is_no_user_prediction
    assert prediction.policy_priority > RULE_POLICY_PRIORITY


def test_a_failed_form_gets_it_too(policy):
    failed = tracker(ActionExecuted("lookup_form"), slots={**DISTRICT})
    assert predicted(policy, failed)[0] == "utter_service_trouble"


def test_without_any_contact_the_reply_names_no_number(policy):
    assert predicted(policy, tracker(ActionExecuted("action_open_ticket")))[0] == "utter_service_trouble_no_contact"


def test_the_first_message_after_a_failed_session_start_gets_it_too(policy):
    user = UserUttered("my key doesn't work", intent={"name": "activation_key_help", "confidence": 1.0})
    failed_start = [ActionExecuted("action_session_start"), user, ActionExecuted("action_extract_slots")]
    history = DialogueStateTracker.from_events("parent", failed_start, slots=DOMAIN.slots)
    assert predicted(policy, history)[0] == "utter_service_trouble_no_contact"
    # A session start that worked ends in action_listen: nothing to do.
    worked = [ActionExecuted("action_session_start"), SessionStarted(), SlotSet("district_phone", "(555) 010-1000"),
              ActionExecuted("action_listen"), user, ActionExecuted("action_extract_slots")]
    assert predicted(policy, DialogueStateTracker.from_events("parent", worked, slots=DOMAIN.slots))[0] is None
    # Once answered (or in a later turn) it predicts nothing more.
    answered = [*failed_start, ActionExecuted("utter_service_trouble_no_contact"), BotUttered("Sorry"),
                ActionExecuted("action_listen"), user, ActionExecuted("action_extract_slots")]
    assert predicted(policy, DialogueStateTracker.from_events("parent", answered, slots=DOMAIN.slots))[0] is None


def test_then_the_assistant_listens(policy):
    after = tracker(ActionExecuted("action_open_ticket"), ActionExecuted("utter_service_trouble"),
                    BotUttered("Sorry, I can't finish that right now."), slots=MAPLE)
    assert predicted(policy, after)[0] == "action_listen"
    after = tracker(ActionExecuted("action_open_ticket"), ActionExecuted("utter_service_trouble_no_contact"))
    assert predicted(policy, after)[0] == "action_listen"


@pytest.mark.parametrize("events", [
    [ActionExecuted("action_account_next_step"), SlotSet("outcome", "step_key_email")],  # worked
    [ActionExecuted("school_form"), ActiveLoop("school_form"), SlotSet("requested_slot", "school")],  # worked
    [],  # nothing ran yet this turn
    [ActionExecuted("utter_greet"), BotUttered("Hi!")],
    [ActionExecuted("action_ask_school")],  # form questions may return nothing by design
    [ActionExecuted("action_listen")],
])
def test_in_every_other_state_it_predicts_nothing(policy, events):
    assert predicted(policy, tracker(*events, slots=MAPLE))[0] is None


def test_it_watches_every_custom_action_and_form_but_questions_and_validation():
    watched = watched_actions(DOMAIN)
    assert {"action_open_ticket", "action_after_lookup", "action_relay_to_staff", "school_form",
            "lookup_form"} <= watched
    assert not {a for a in watched if a.startswith(("utter_", "action_ask_", "validate_"))}
    assert "action_session_start" not in watched and "action_listen" not in watched


def test_it_wins_over_a_rule_keyed_on_a_stale_outcome():
    """RulePolicy may match `outcome` left from an earlier turn; the failure reply must win anyway."""
    size = DOMAIN.num_actions

    def prediction(action, policy_name, priority, **flags):
        probabilities = [0.0] * size
        probabilities[DOMAIN.index_for_action(action)] = 1.0
        return PolicyPrediction(probabilities, policy_name, priority, **flags)

    failed = tracker(ActionExecuted("action_open_ticket"), slots={**MAPLE, "outcome": "ticket_opened"})
    predictions = [prediction("utter_ticket_opened", "RulePolicy", RULE_POLICY_PRIORITY, is_end_to_end_prediction=True),
                   prediction("action_listen", "RulePolicy", RULE_POLICY_PRIORITY, is_no_user_prediction=True),
                   prediction("utter_service_trouble", "ActionFailurePolicy", RULE_POLICY_PRIORITY + 1, is_no_user_prediction=True)]
    for ours_and_theirs in ([predictions[0], predictions[2]], [predictions[1], predictions[2]]):
        best = DefaultPolicyPredictionEnsemble._pick_best_policy(ours_and_theirs)
        assert best.policy_name == "ActionFailurePolicy"
    assert failed.latest_action_name == "action_open_ticket"


def test_the_reply_names_the_school_or_else_the_district():
    nlg = TemplatedNaturalLanguageGenerator(DOMAIN.responses)
    school = nlg.generate_from_slots("utter_service_trouble", {**MAPLE, **DISTRICT}, "rest")["text"]
    assert "Maple Ridge Elementary" in school and "(555) 010-1401" in school
    district = nlg.generate_from_slots("utter_service_trouble", {**DISTRICT, "school_phone": None}, "rest")["text"]
    assert "district office" in district and "(555) 010-1000" in district and "None" not in district


def test_it_is_listed_in_config_and_its_replies_are_followed_by_listening():
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    assert any(p["name"] == "policies.action_failure.ActionFailurePolicy" for p in config["policies"])
    rules = yaml.safe_load((ROOT / "data" / "rules" / "service_trouble.yml").read_text())["rules"]
    assert [[step.get("action") for step in rule["steps"]] for rule in rules] == [
        ["utter_service_trouble", "action_listen"], ["utter_service_trouble_no_contact", "action_listen"]]
