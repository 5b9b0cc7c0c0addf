"""The conversation's language in the domain, the rules and the NLU data, as /tmp/es/DESIGN-es.md names them:
slot and entity `language` ("en" / "es"), intent `set_language`, reply `utter_language_set`."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from rasa.shared.core.domain import Domain

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RULES = yaml.safe_load((ROOT / "data" / "rules" / "language.yml").read_text())["rules"]
EXAMPLES = yaml.safe_load((ROOT / "data" / "nlu" / "language.yml").read_text())["nlu"][0]["examples"]
ES_CONDITION = [{"type": "slot", "name": "language", "value": "es"}]


def test_the_slot_changes_only_with_the_entity_and_does_not_steer_the_dialogue():
    slot = DOMAIN["slots"]["language"]
    assert slot["type"] == "categorical" and slot["values"] == ["en", "es"] and slot["initial_value"] == "en"
    assert slot["influence_conversation"] is False
    assert slot["mappings"] == [{"type": "from_entity", "entity": "language"}]
    assert DOMAIN["session_config"]["carry_over_slots_to_new_session"] is True


def test_the_entity_is_not_a_dialogue_feature():
    """The detector adds it to most messages; the stories and rules were written without it."""
    domain = Domain.load(str(ROOT / "domain.yml"))
    assert "language" in domain.entities
    for intent in ("greet", "get_account", "set_language", "inform"):
        assert "language" not in domain.intent_properties[intent]["used_entities"]
        assert "school" in domain.intent_properties[intent]["used_entities"]
    assert "set_language" in domain.intents


def test_the_confirmation_has_an_english_default_and_a_spanish_variation():
    variations = DOMAIN["responses"]["utter_language_set"]
    assert [v for v in variations if not v.get("condition")] == [{"text": "OK, I'll answer in English."}]
    spanish = [v for v in variations if v.get("condition") == ES_CONDITION]
    assert [v["text"] for v in spanish] == ["Listo, le contesto en español. ¿En qué le puedo ayudar?"]


@pytest.mark.parametrize("loop", [None, *DOMAIN["forms"]])
def test_the_switch_is_answered_in_and_out_of_every_form(loop):
    """In a form the switch is answered and the open question is asked again (now in the new language)."""
    wanted = [{"intent": "set_language"}, {"action": "utter_language_set"}]
    if loop:
        wanted += [{"action": loop}, {"active_loop": loop}]
    matching = [r for r in RULES if r["steps"] == wanted
                and (r.get("condition") or None) == ([{"active_loop": loop}] if loop else None)]
    assert len(matching) == 1
    if loop:
        assert matching[0]["wait_for_user_input"] is False


def test_the_examples_tag_only_en_and_es():
    values = re.findall(r'"value": "(\w+)"', EXAMPLES)
    assert set(values) == {"en", "es"}
    assert len(values) == EXAMPLES.count('"entity": "language"')
    plain = {re.sub(r"\[([^\]]*)\]\{[^}]*\}", r"\1", line[2:]) for line in EXAMPLES.splitlines() if line.startswith("- ")}
    for phrase in ("español", "en español por favor", "hablo español", "spanish please", "in English please",
                   "inglés", "ESPAÑOL", "ESPANOL", "ENGLISH"):
        assert phrase in plain


async def _reply_after(entities: list[dict], slots: dict | None = None) -> tuple[str, str]:
    """(slot language, text of utter_language_set) after a message with `entities`, as Rasa would set and say."""
    from rasa.core.actions.action import ActionExtractSlots
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.events import SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events("parent", [SlotSet(k, v) for k, v in (slots or {}).items()],
                                               slots=domain.slots)
    tracker.update(UserUttered("x", intent={"name": "set_language", "confidence": 1.0}, entities=entities))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    for event in await ActionExtractSlots(None).run(CollectingOutputChannel(), nlg, tracker, domain):
        tracker.update(event)
    reply = await nlg.generate("utter_language_set", tracker, "rest")
    return tracker.get_slot("language"), reply["text"]


@pytest.mark.parametrize("entities, slots, expected", [
    ([{"entity": "language", "value": "es"}], {}, ("es", "Listo, le contesto en español. ¿En qué le puedo ayudar?")),
    ([{"entity": "language", "value": "en"}], {"language": "es"}, ("en", "OK, I'll answer in English.")),
    ([], {"language": "es"}, ("es", "Listo, le contesto en español. ¿En qué le puedo ayudar?")),   # kept
    ([], {}, ("en", "OK, I'll answer in English.")),                                              # English first
])
def test_the_entity_sets_the_slot_and_the_reply_follows_it(entities, slots, expected):
    import asyncio
    assert asyncio.run(_reply_after(entities, slots)) == expected


@pytest.mark.parametrize("payload, intent, language", [('/set_language{"language":"es"}', "set_language", "es"),
                                                       ('/greet{"language":"es"}', "greet", "es"),
                                                       ('/set_language{"language":"en"}', "set_language", "en")])
def test_rasa_reads_the_widgets_payloads(payload, intent, language):
    """The payloads the web chat sends (channels/inbound.py lets them through), as Rasa's RegexMessageHandler
    reads them against the domain."""
    from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
    from rasa.shared.nlu.training_data.message import Message

    domain = Domain.load(str(ROOT / "domain.yml"))
    [message] = RegexMessageHandler().process([Message(data={"text": payload})], domain)
    assert message.get("intent")["name"] == intent
    assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("language", language)]
