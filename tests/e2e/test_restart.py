"""A conversation survives a restart of the Rasa server (SQL tracker store)."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_conversation_continues_after_a_restart(servers, sender):
    replies = servers.texts(sender, "how do I get a parent portal account?")
    assert any("Which school" in r for r in replies)
    servers.restart_rasa()
    replies = servers.texts(sender, "willow creek")
    assert any("Step 1 of 7" in r and "Willow Creek Middle School" in r for r in replies)
