"""The most specific matching response variation is chosen (language + why a question is asked again)."""
from __future__ import annotations

from pathlib import Path

import pytest
from rasa.core.nlg import TemplatedNaturalLanguageGenerator

from channels.response_variations import MostSpecificResponseGenerator, most_specific

ROOT = Path(__file__).resolve().parents[2]
ES = {"type": "slot", "name": "language", "value": "es"}
BAD_DATE = {"type": "slot", "name": "lookup_feedback", "value": "bad_date"}
RESPONSES = {
    "utter_ask_child_birth_date": [
        {"condition": [BAD_DATE], "text": "Sorry, I couldn't read that date."},
        {"condition": [ES, BAD_DATE], "text": "No pude leer esa fecha."},
        {"condition": [ES], "text": "¿Cuál es la fecha de nacimiento?"},
        {"text": "And what is that child's birth date?"},
    ],
    "utter_greet": [{"text": "Hi {name}!"}, {"condition": [ES], "text": "¡Hola {name}!"}],
}


def texts(slots: dict, action: str = "utter_ask_child_birth_date", times: int = 30) -> set[str]:
    generator = MostSpecificResponseGenerator(responses=RESPONSES)
    return {generator.generate_from_slots(action, {"name": "Ana", **slots}, "rest")["text"] for _ in range(times)}


@pytest.mark.parametrize("slots, expected", [
    ({"language": "es", "lookup_feedback": "bad_date"}, "No pude leer esa fecha."),
    ({"language": "es", "lookup_feedback": None}, "¿Cuál es la fecha de nacimiento?"),
    ({"language": "en", "lookup_feedback": "bad_date"}, "Sorry, I couldn't read that date."),
    ({"language": "en", "lookup_feedback": None}, "And what is that child's birth date?"),
    ({}, "And what is that child's birth date?"),
])
def test_the_variation_with_the_most_matching_conditions_is_always_chosen(slots, expected):
    assert texts(slots) == {expected}


def test_slots_are_filled_as_rasa_does():
    assert texts({"language": "es"}, "utter_greet") == {"¡Hola Ana!"}
    assert texts({"language": "en"}, "utter_greet") == {"Hi Ana!"}


def test_rasas_own_generator_would_mix_them_up():
    """Why the class exists: Rasa 3.6 picks among every matching conditional variation."""
    rasa = TemplatedNaturalLanguageGenerator(RESPONSES)
    seen = {rasa.generate_from_slots("utter_ask_child_birth_date", {"language": "es", "lookup_feedback": "bad_date"},
                                     "rest")["text"] for _ in range(60)}
    assert seen == {"Sorry, I couldn't read that date.", "No pude leer esa fecha.", "¿Cuál es la fecha de nacimiento?"}


def test_unknown_response_and_no_variations():
    generator = MostSpecificResponseGenerator(responses=RESPONSES)
    assert generator.generate_from_slots("utter_nothing", {}, "rest") is None
    assert most_specific([]) == []


def test_endpoints_yml_names_this_generator():
    from rasa.core.nlg.generator import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    import yaml
    from rasa.utils.endpoints import EndpointConfig

    config = EndpointConfig.from_dict(yaml.safe_load((ROOT / "endpoints.yml").read_text())["nlg"])
    generator = NaturalLanguageGenerator.create(config, Domain.from_dict({"responses": RESPONSES}))
    assert isinstance(generator, MostSpecificResponseGenerator)
