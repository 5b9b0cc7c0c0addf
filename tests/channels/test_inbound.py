"""What parents may send as a payload: the buttons they were shown, nothing that sets other slots."""
from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain

from channels.inbound import guard_payload, language_payload
from tests.e2e.servers import PROJECT_ROOT

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))


@pytest.mark.parametrize("payload", ['/inform{"school":"org-maple-ridge-es"}', '/inform{"school":"org-riverbend-es"}',
                                     "/next_step", "/cancel", "/affirm"])
def test_the_buttons_parents_are_shown_pass(payload):
    assert guard_payload(payload, DOMAIN) == payload


@pytest.mark.parametrize("payload, read_as", [
    ('/inform{"school":"org-narnia"}', 'inform{"school":"org-narnia"}'),
    ('/inform{"verified_guardian_id":"g-ben-carter"}', 'inform{"verified_guardian_id":"g-ben-carter"}'),
    ('/inform{"school":"org-maple-ridge-es","verified_guardian_id":"g-ben-carter"}',
     'inform{"school":"org-maple-ridge-es","verified_guardian_id":"g-ben-carter"}'),
    ("/EXTERNAL_staff_reply", ""),
])
def test_other_payloads_are_read_as_text_or_dropped(payload, read_as):
    assert guard_payload(payload, DOMAIN) == read_as


def test_school_buttons_pass_without_a_domain():
    """A channel whose agent has no domain loaded yet still lets the school buttons through."""
    assert guard_payload('/inform{"school":"org-maple-ridge-es"}') == '/inform{"school":"org-maple-ridge-es"}'
    assert guard_payload('/inform{"verified_guardian_id":"g"}') == 'inform{"verified_guardian_id":"g"}'


@pytest.mark.parametrize("payload, passed_as", [
    ('/set_language{"language":"es"}', '/set_language{"language":"es"}'),
    ('/set_language{"language":"en"}', '/set_language{"language":"en"}'),
    ('/set_language{ "language": "es" }', '/set_language{"language":"es"}'),
    ('/greet{"language":"es"}', '/greet{"language":"es"}'),     # the widget opens a chat in Spanish
])
def test_the_web_chat_language_toggle_passes(payload, passed_as):
    """webchat/widget.js sends these from its EN/ES button; the slot `language` takes the entity."""
    assert guard_payload(payload, DOMAIN) == passed_as
    assert guard_payload(payload) == passed_as


@pytest.mark.parametrize("payload", [
    '/set_language{"language":"fr"}',
    '/set_language{"language":"es","verified_guardian_id":"g-ben-carter"}',
    '/set_language{"language":["es"]}',
    '/set_language{"language":"es"}@0.2',
    '/set_language{"school":"org-maple-ridge-es"}',
    '/inform{"language":"es"}',
    '/get_account{"language":"es"}',
    '/greet{"language":"es","school":"org-maple-ridge-es"}',
    '/set_language{language:es}',
])
def test_other_language_payloads_are_read_as_text(payload):
    assert guard_payload(payload, DOMAIN) == payload[1:]


def test_the_payloads_are_the_ones_the_widget_sends():
    """webchat/widget.js builds '/set_language{"language":"' + code + '"}' and appends '{"language":"' + lang + '"}'
    to its opening payload: the same strings language_payload() makes."""
    widget = (PROJECT_ROOT / "webchat" / "widget.js").read_text()
    assert """'/set_language{"language":"' + code + '"}'""" in widget
    assert language_payload("es") == '/set_language{"language":"' + "es" + '"}'
    assert """payload += '{"language":"' + lang + '"}'""" in widget
    assert language_payload("es", "greet") == "/greet" + '{"language":"' + "es" + '"}'


def test_channel_sentences_in_spanish():
    from channels.sentences import CHANNEL_SENTENCES, channel_sentence

    for key in CHANNEL_SENTENCES:
        english, spanish = channel_sentence(key), channel_sentence(key, language="es")
        assert english != spanish and len(spanish) <= 160
    assert channel_sentence("too_long", language="es").startswith("Ese mensaje es muy largo")
    assert channel_sentence("too_long", language="fr") == channel_sentence("too_long")


def test_a_domain_variation_wins_in_its_language():
    from types import SimpleNamespace

    from channels.sentences import channel_sentence

    domain = SimpleNamespace(responses={"utter_message_too_long": [
        {"text": "Too long!"},
        {"condition": [{"type": "slot", "name": "language", "value": "es"}], "text": "¡Muy largo!"}]})
    assert channel_sentence("too_long", domain) == "Too long!"
    assert channel_sentence("too_long", domain, "es") == "¡Muy largo!"
