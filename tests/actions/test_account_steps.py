"""The account steps: what's next, and help where the parent is stuck."""
from __future__ import annotations

import pytest

from actions.account_steps import STEPS, ActionAccountNextStep, ActionAccountStuck, next_step
from tests.actions.conftest import make_tracker, slot_values


def test_steps_follow_the_district_help_page():
    assert STEPS == ["request_form", "key_email", "new_user", "enter_key", "create_login", "back_to_login",
                     "security_step"]
    assert next_step("security_step") == "done"
    assert next_step(None) == "request_form"


@pytest.mark.parametrize("current, expected", [("request_form", "step_key_email"), ("enter_key", "step_create_login"),
                                               ("security_step", "step_done")])
async def test_whats_next_moves_one_step(dispatcher, domain, current, expected):
    slots = slot_values(await ActionAccountNextStep().run(dispatcher, make_tracker("next", "next_step",
                                                                                   {"account_step": current}), domain))
    assert slots["outcome"] == expected


async def test_whats_next_without_a_flow_asks_what_to_do(dispatcher, domain):
    slots = slot_values(await ActionAccountNextStep().run(dispatcher, make_tracker("next", "next_step"), domain))
    assert slots == {"outcome": "what_next"}


async def test_stuck_at_a_named_step(dispatcher, domain):
    tracker = make_tracker("stuck on the new user page", "stuck",
                           entities=[{"entity": "account_step", "value": "new_user"}], slots={"account_step": "request_form"})
    slots = slot_values(await ActionAccountStuck().run(dispatcher, tracker, domain))
    assert slots == {"outcome": "stuck_new_user", "account_step": "new_user"}


async def test_stuck_at_the_current_step(dispatcher, domain):
    tracker = make_tracker("it's not working", "stuck", slots={"account_step": "create_login"})
    assert slot_values(await ActionAccountStuck().run(dispatcher, tracker, domain))["outcome"] == "stuck_create_login"


async def test_stuck_on_the_form_without_a_school_gives_the_district_version(dispatcher, domain):
    tracker = make_tracker("can't find the form", "stuck", entities=[{"entity": "account_step", "value": "request_form"}])
    assert slot_values(await ActionAccountStuck().run(dispatcher, tracker, domain))["outcome"] == "stuck_request_form_district"


async def test_stuck_somewhere_unknown_asks_where(dispatcher, domain):
    assert slot_values(await ActionAccountStuck().run(dispatcher, make_tracker("stuck", "stuck"), domain))["outcome"] == "stuck_where"


async def test_a_session_whose_start_failed_gets_the_district_values(dispatcher, domain):
    """action_session_start failed (action server down): the next action fills in the district's contact."""
    tracker = make_tracker("what's next", "next_step", slots={"account_step": "request_form", "district_phone": None})
    slots = slot_values(await ActionAccountNextStep().run(dispatcher, tracker, domain))
    assert slots["district_phone"] == "(555) 010-1000" and slots["outcome"] == "step_key_email"
    tracker = make_tracker("what's next", "next_step", slots={"account_step": "request_form"})
    assert "district_phone" not in slot_values(await ActionAccountNextStep().run(dispatcher, tracker, domain))
