"""LanguageDetector: the entity `language` when a message shows the parent's language, nothing otherwise."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import pytest
import yaml
from rasa.shared.nlu.training_data.message import Message

from pipeline.language_detector import LanguageDetector, looks_like_a_name, words

ROOT = Path(__file__).resolve().parents[2]
CONFIG = next(c for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]
              if c["name"] == "pipeline.language_detector.LanguageDetector")


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    """Configured as config.yml configures it."""
    return LanguageDetector({k: v for k, v in CONFIG.items() if k != "name"})


def languages(detector: LanguageDetector, text: str, intent: str = "faq",
              entities: Optional[list[dict]] = None) -> list[str]:
    message = Message(data={"text": text, "intent": {"name": intent, "confidence": 0.9},
                            "entities": list(entities or [])})
    detector.process([message])
    return [e["value"] for e in message.get("entities") if e["entity"] == "language"]


SPANISH = [
    "necesito ayuda con el portal de padres",
    "no puedo entrar",
    "mi niña no aparece",
    "nomás no me deja",
    "como hago una cuenta",
    "no me llegó el correo",
    "nunca me llego el email",
    "mi hijo no sale en la app",
    "¿dónde está la forma para pedir la cuenta?",
    "ya la usé y me dice que no sirve",
    "buenos días",
    "hola",
    "Hola!",
    "gracias",
    "muchas gracias",
    # Spanglish: the portal's English words inside Spanish.
    "la key no funciona",
    "no me deja hacer login",
    "olvidé mi password",
    "olvide mi password",
    "que es campus parent",
    "el activation key ya fue usado",
    "la app no me deja ver las grades de mi hija",
    "no me llegó el email con la key",
    "donde esta el request form",
    "me sale new user pero no tengo key",
]
ENGLISH = [
    "my kid's activation key",
    "I forgot my password",
    "my son can't see his grades",
    "where do I find the request form",
    "I never got the email",
    "the key doesn't work",
    "I need help with the parent portal",
    "how do I get an account",
    "my daughter is missing from the app",
    "what is campus parent",
    "can't log in",                 # lingua is unsure; "can't" and "in" are English only
]
# Messages that say nothing about the language: no entity, the conversation keeps its language.
NEUTRAL = [
    "ok", "OK", "okay", "si", "sí", "Sí", "no", "ya", "yes", "hi", "thanks", "help", "password", "login",
    "no se", "no key email",
    "Jose Garcia", "María", "José", "María Fernanda López", "Maple Ridge Elementary", "Willow Creek",
    "12/03/2015", "3-12-2015", "12 de marzo de 2015", "March 12, 2015", "marzo 12 2015",
    "ben.carter@example.com", "maria.lopez@correo.mx", "(555) 123-4567", "555-123-4567", "+1 555 123 4567",
    "42", "10", "2015",
    "0F8FAD5B-D9CB-469F-A165-70867728950E", "0f8fad5bd9cb469fa16570867728950e",
    "https://campus.example.org/campus/portal/parents",
    "", "   ", "?", "👍", "...",
]


@pytest.mark.parametrize("text", SPANISH)
def test_spanish_and_spanglish_are_spanish(detector, text):
    assert languages(detector, text) == ["es"]


@pytest.mark.parametrize("text", ENGLISH)
def test_english_is_english(detector, text):
    assert languages(detector, text) == ["en"]


@pytest.mark.parametrize("text", NEUTRAL)
def test_messages_that_show_no_language_get_no_entity(detector, text):
    assert languages(detector, text) == []


@pytest.mark.parametrize("payload", ['/set_language{"language":"es"}', "/affirm",
                                     '/inform{"school":"org-maple-ridge-es"}', "/necesito ayuda con el portal"])
def test_payloads_are_left_to_rasa(detector, payload):
    """RegexMessageHandler sets a payload's intent and entities; the detector adds nothing."""
    assert languages(detector, payload, intent="set_language") == []
    assert languages(detector, payload) == []


@pytest.mark.parametrize("text", ["Jose Garcia", "necesito ayuda con el portal", "maria lopez", "my daughter Sofia"])
def test_answers_to_a_form_question_are_skipped(detector, text):
    assert languages(detector, text, intent="inform") == []


def test_a_form_answer_keeps_its_other_entities(detector):
    school = {"entity": "school", "value": "org-maple-ridge-es", "start": 0, "end": 11, "extractor": "DIETClassifier"}
    message = Message(data={"text": "Maple Ridge", "intent": {"name": "inform"}, "entities": [school]})
    detector.process([message])
    assert message.get("entities") == [school]


@pytest.mark.parametrize("text, tagged, expected", [
    ("español", ["es"], ["es"]),
    ("ESPANOL", ["es"], ["es"]),
    ("spanish please", ["es"], ["es"]),           # English words, asking for Spanish
    ("in English please", ["en"], ["en"]),
    ("en inglés por favor", ["en"], ["en"]),      # Spanish words, asking for English
    ("ENGLISH", [], ["en"]),                      # DIETClassifier missed the entity: the word names it
    ("hablo español", [], ["es"]),
    ("espanol por favor", ["espanol"], ["es"]),   # an unmapped value: the word names it
    ("no hablo inglés, español por favor", ["es"], ["es"]),
    ("no hablo inglés, español por favor", [], []),  # both named, nothing tagged: unsure
    ("cambiar idioma", [], []),
])
def test_an_explicit_switch_asks_for_one_language(detector, text, tagged, expected):
    entities = [{"entity": "language", "value": v, "start": 0, "end": 1, "extractor": "DIETClassifier"} for v in tagged]
    assert languages(detector, text, intent="set_language", entities=entities) == expected


def test_a_language_named_in_another_intent_does_not_switch(detector):
    """'clase de inglés' is about a class, not a request to switch; the Spanish words decide."""
    tagged = [{"entity": "language", "value": "en", "start": 23, "end": 29, "extractor": "DIETClassifier"}]
    assert languages(detector, "mi hija tiene clase de inglés y no ve sus notas", entities=tagged) == ["es"]
    assert languages(detector, "inglés", entities=tagged) == []


def test_the_entity_names_the_component_and_covers_the_message(detector):
    message = Message(data={"text": "la key no funciona", "intent": {"name": "activation_key_help"}, "entities": []})
    detector.process([message])
    [entity] = message.get("entities")
    assert entity["extractor"] == "LanguageDetector"
    assert (entity["entity"], entity["value"], entity["start"], entity["end"]) == ("language", "es", 0, 18)
    assert message.as_dict_nlu()["entities"] == [entity]


def test_a_message_without_intent_is_read(detector):
    message = Message(data={"text": "no puedo entrar al portal"})
    detector.process([message])
    assert [e["value"] for e in message.get("entities")] == ["es"]


def test_portal_words_are_not_evidence():
    assert words("la key no funciona, mi email es ana@x.org y mi key es 0F8FAD5B", {"key", "email"}) == [
        "la", "no", "funciona", "mi", "es", "y", "mi", "es"]


@pytest.mark.parametrize("text, expected", [("Jose Garcia", True), ("María", True), ("Maple Ridge Elementary", True),
                                             ("No Funciona", True), ("No funciona", False),
                                             ("One Two Three Four Five", False), ("12/03/2015", False)])
def test_looks_like_a_name(text, expected):
    assert looks_like_a_name(text, 4) is expected


def test_the_thresholds_come_from_the_config():
    """A stricter distance makes lingua unsure of short Spanglish; min_words 1 lets single words through."""
    strict = LanguageDetector({"min_relative_distance": 0.9})
    assert languages(strict, "olvide mi password") == []
    loose = LanguageDetector({"min_words": 1})
    assert languages(loose, "funciona") == ["es"]
    assert languages(LanguageDetector({}), "funciona") == []


def test_config_places_the_detector_after_the_classifier_and_the_synonyms():
    names = [c["name"] for c in yaml.safe_load((ROOT / "config.yml").read_text())["pipeline"]]
    position = names.index("pipeline.language_detector.LanguageDetector")
    assert names.index("DIETClassifier") < position
    assert names.index("EntitySynonymMapper") < position


def test_rasa_builds_the_pipeline_with_the_detector_between_the_synonyms_and_the_response_selector():
    """Rasa's own graph validation accepts the component (its interface, its place), without training."""
    from rasa.engine import validation
    from rasa.engine.recipes.recipe import Recipe
    from rasa.shared.data import TrainingType
    from rasa.shared.utils.io import read_model_configuration

    config = read_model_configuration(str(ROOT / "config.yml"))
    graph = Recipe.recipe_for_name(config.get("recipe")).graph_config_for_recipe(
        config, {}, training_type=TrainingType.BOTH)
    validation.validate(graph)
    nodes = graph.predict_schema.nodes
    [detector_node] = [name for name in nodes if name.startswith("run_pipeline.language_detector.LanguageDetector")]
    assert nodes[detector_node].needs["messages"].startswith("run_EntitySynonymMapper")
    consumers = [name for name, node in nodes.items() if detector_node in node.needs.values()]
    assert [name for name in consumers if name.startswith("run_ResponseSelector")]


@pytest.mark.parametrize("text, expected", [
    ('puse la key y me sale "activation key has already been used"', ["es"]),
    ("me sale “Session expired” cada rato", ["es"]),
    ('it says "clave incorrecta" on my phone', ["en"]),
    ('sale "login failed"', []),                       # one word of the parent's own: unsure
])
def test_quoted_portal_text_is_not_the_parents_language(detector, text, expected):
    assert languages(detector, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("no, va a Willow Creek", []),                      # the school's English name no longer reads English;
    ("no, mi hijo va a Willow Creek", ["es"]),          # "no va a" alone is too little to be sure
    ("mi hija Sofia va a Maple Ridge Elementary", ["es"]),
    ("my son goes to Maple Ridge", ["en"]),
    ("I'm trying to help my daughter Sofía", ["en"]),   # a Spanish name inside English
    ("NO PUEDO ENTRAR AL PORTAL", ["es"]),              # written in capitals: not names
    ("Hola. Mi hijo no aparece", ["es"]),               # a sentence's first word is not a name
])
def test_names_inside_a_sentence_are_no_evidence(detector, text, expected):
    assert languages(detector, text) == expected
