"""portal.external_intents names exactly the EXTERNAL_* intents of the domain, and recognises them."""
from __future__ import annotations

from pathlib import Path

import yaml

from portal import external_intents

DOMAIN = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())


def test_the_names_are_the_domains_external_intents():
    in_domain = {i for i in DOMAIN["intents"] if isinstance(i, str) and i.startswith(external_intents.PREFIX)}
    assert set(external_intents.ALL) == in_domain and len(in_domain) == 3


def test_external_intents_are_recognised_in_any_case_and_nothing_else():
    assert all(external_intents.is_external_intent(name) for name in external_intents.ALL)
    assert external_intents.is_external_intent("external_staff_reply")
    assert not external_intents.is_external_intent("greet")
    assert not external_intents.is_external_intent(None) and not external_intents.is_external_intent("")
