"""The action server serves exactly the custom actions the domain lists."""
from __future__ import annotations

from rasa_sdk.executor import ActionExecutor


def test_registered_actions_match_the_domain(domain):
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == set(domain["actions"])
