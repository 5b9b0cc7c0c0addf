"""Every reply in Spanish (issue 12): each response's Spanish variation is the one Rasa picks exactly when the
`language` slot is "es", keeps the English variation's buttons and values, fits 320 characters with real values,
quotes the portal's on-screen labels in English, and reads as easy Spanish (Fernández-Huerta >= 70)."""
from __future__ import annotations

import itertools
import re
from typing import Any, Iterator

import pytest
from rasa.core.nlg.generator import ResponseVariationFilter

from actions.common import district_values, school_values
from actions.knowledge_base import contact_values
from bench.spanish_readability import MIN_SCORE, fernandez_huerta, fernandez_huerta_vowel_groups
from portal.district import load_district
from portal.knowledge import load_knowledge
from tests.test_domain import DOMAIN, EXAMPLE_VALUES, LONGEST_SCHOOL, MAX_REPLY

RESPONSES = DOMAIN["responses"]
SLOTS = DOMAIN["slots"]
# Responses that only carry the knowledge file's answer: action_answer_faq fills it in the parent's language.
POINTERS = sorted(name for name, texts in RESPONSES.items() if texts == [{"text": "{kb_answer}"}])
SPOKEN = sorted(set(RESPONSES) - set(POINTERS))
# Rasa cannot condition a variation on "school_phone is set", so the one Spanish variation of
# utter_service_trouble names the district office (the English one names the school when it has its phone).
DISTRICT_INSTEAD_OF_SCHOOL = {"utter_service_trouble"}
# Values of text slots that conditions test, besides the ones the conditions name.
OTHER_VALUES = {"clarify_choices": "two", "school_phone": LONGEST_SCHOOL.phone}
CHANNELS = ("rest", "socketio", "sms")
# On-screen portal labels: a Spanish reply shows them in English, as the English reply does.
PORTAL_LABELS = ("New User?", "Forgot your password?", "Forgot your username?", "Back to login", "Congratulations",
                 "Campus Parent", "Campus Student", "Account Settings", "Settings", "Submit", "Attendance",
                 "Parents", "Parent Portal")
# Words that stop all texts on SMS (channels/sms.py, issue 12): a reply never asks the parent to type one.
SMS_STOP_WORDS = ("stop", "cancel", "cancelar", "parar", "alto", "baja", "end", "quit", "unsubscribe")

# Spanish replies filled with the longest real values, in Spanish where the value is words.
_district = load_district()
SPANISH_VALUES = {
    **EXAMPLE_VALUES,
    "missing_children": "Alexandria y Christopher",
    "staff_message": "Juntamos sus dos registros, así que ya salen todos sus hijos. Salga del portal y entre "
                     "otra vez. Llámenos si algo sigue mal.",
    "kb_answer": max((answer.fill(contact_values(school, "es"))
                      for answer in load_knowledge().topics.values() for school in (None, LONGEST_SCHOOL)
                      for answer in [answer.in_language("es")]), key=len),
    "clarify_title_1": max(load_knowledge().labels_es.values(), key=len),
    "clarify_title_2": max(load_knowledge().labels_es.values(), key=len),
}


def is_spanish(variation: dict[str, Any]) -> bool:
    return any(c["name"] == "language" and c["value"] == "es" for c in variation.get("condition") or [])


def _without_language(variation: dict[str, Any]) -> dict[str, Any]:
    conditions = [c for c in variation.get("condition") or [] if c["name"] != "language"]
    kept = {key: value for key, value in variation.items() if key != "condition"}
    return {**kept, "condition": conditions} if conditions else kept


# The responses as they were before Spanish: no Spanish variations, no language conditions.
ENGLISH_ONLY = {name: [_without_language(v) for v in texts if not is_spanish(v)] for name, texts in RESPONSES.items()}


# Values that are words have a Spanish twin slot (`school_name_es`) that Spanish variations show instead.
SPANISH_TWINS = ("district_hours", "school_name", "school_hours", "ticket_school_name", "ticket_school_hours",
                 "attendance_reason")


def placeholders(variation: dict[str, Any]) -> set[str]:
    """The values a variation shows, a Spanish twin counted as the value it stands for."""
    texts = [variation["text"]] + [b["title"] for b in variation.get("buttons", [])]
    names = {name for text in texts for name in re.findall(r"{(\w+)}", text)}
    return {name[:-3] if name.endswith("_es") and name[:-3] in SPANISH_TWINS else name for name in names}


def payloads(variation: dict[str, Any]) -> list[str]:
    return [b["payload"] for b in variation.get("buttons", [])]


def render(text: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(SPANISH_VALUES[m.group(1)]), text)


def slot_states(name: str) -> Iterator[dict[str, Any]]:
    """Every combination of values of the slots the response's conditions test (the language slot aside)."""
    tested = sorted({c["name"] for v in RESPONSES[name] for c in v.get("condition") or [] if c["name"] != "language"})
    choices = []
    for slot in tested:
        named = {c["value"] for v in RESPONSES[name] for c in v.get("condition") or [] if c["name"] == slot}
        if SLOTS[slot]["type"] == "categorical":
            choices.append(list(SLOTS[slot]["values"]) + [None])
        else:
            choices.append(sorted(named | {OTHER_VALUES[slot]}, key=str))
    for values in itertools.product(*choices):
        yield dict(zip(tested, values))


def picked(name: str, channel: str, slots: dict[str, Any]) -> list[dict[str, Any]]:
    """The variations Rasa 3.6 picks from at random (rasa/core/nlg/generator.py, ResponseVariationFilter)."""
    return ResponseVariationFilter(RESPONSES).responses_for_utter_action(name, channel, slots)


def spanish_variations() -> Iterator[Any]:
    for name in SPOKEN:
        seen = set()
        for variation in RESPONSES[name]:
            if is_spanish(variation) and variation["text"] not in seen:
                seen.add(variation["text"])
                yield pytest.param(name, variation, id=f"{name}:{variation['text'][:25]}")


def test_language_slot_and_entity_are_as_designed():
    assert SLOTS["language"] == {
        "type": "categorical", "values": ["en", "es"], "initial_value": "en", "influence_conversation": False,
        "mappings": [{"type": "from_entity", "entity": "language"}],
    }
    # Declared as `- language: {influence_conversation: false}` (not a dialogue feature; tests/test_language.py).
    assert "language" in {e if isinstance(e, str) else next(iter(e)) for e in DOMAIN["entities"]}


def test_english_stays_the_first_variation_and_only_pointers_have_no_spanish():
    for name in SPOKEN:
        assert not is_spanish(RESPONSES[name][0]), name
        assert any(is_spanish(v) for v in RESPONSES[name]), f"{name} has no Spanish variation"
    assert POINTERS == sorted(["utter_kb_answer"] + [f"utter_faq/{t}" for t in load_knowledge().topics])


@pytest.mark.parametrize("name", SPOKEN)
def test_spanish_is_picked_exactly_when_the_language_is_spanish(name):
    for slots, channel in itertools.product(slot_states(name), CHANNELS):
        spanish = picked(name, channel, {**slots, "language": "es"})
        assert spanish and all(is_spanish(v) for v in spanish), (name, channel, slots, spanish)
        # English: exactly what the domain without Spanish picked (the language slot is never None in a real
        # tracker: tests/actions/test_language_values.py).
        english = picked(name, channel, {**slots, "language": "en"})
        before = ResponseVariationFilter(ENGLISH_ONLY).responses_for_utter_action(name, channel, slots)
        assert [v["text"] for v in english] == [v["text"] for v in before], (name, channel, slots)


@pytest.mark.parametrize("name", SPOKEN)
def test_spanish_keeps_the_english_buttons_and_values(name):
    for slots, channel in itertools.product(slot_states(name), CHANNELS):
        english = picked(name, channel, {**slots, "language": "en"})
        for es in picked(name, channel, {**slots, "language": "es"}):
            for en in english:
                assert payloads(es) == payloads(en), (name, slots, channel)
                if name in DISTRICT_INSTEAD_OF_SCHOOL:
                    assert placeholders(es) <= {p for v in RESPONSES[name] for p in placeholders(v)}
                else:
                    assert placeholders(es) == placeholders(en), (name, slots, channel, es["text"])
                assert es.get("channel") == en.get("channel") or not en.get("channel")


@pytest.mark.parametrize("name, variation", list(spanish_variations()))
def test_spanish_reply_fits_320_characters_and_reads_easily(name, variation):
    text = render(variation["text"])
    assert len(text) <= MAX_REPLY, f"{name}: {len(text)} characters: {text}"
    assert "{" not in text and "None" not in text
    assert fernandez_huerta(text) >= MIN_SCORE, f"{name}: {fernandez_huerta(text):.1f}: {text}"
    assert fernandez_huerta_vowel_groups(text) >= MIN_SCORE, f"{name}: {fernandez_huerta_vowel_groups(text):.1f}"
    for button in variation.get("buttons", []):
        assert render(button["title"]) and len(render(button["title"])) <= 40, button


@pytest.mark.parametrize("name", SPOKEN)
def test_portal_labels_stay_in_english_as_the_english_reply_shows_them(name):
    english = " ".join(v["text"] for v in RESPONSES[name] if not is_spanish(v))
    for variation in (v for v in RESPONSES[name] if is_spanish(v)):
        for label in PORTAL_LABELS:
            quoted = f'"{label}"'
            if quoted in english:
                assert quoted in variation["text"], f"{name}: {quoted} not quoted in {variation['text']}"
            elif label_in_sentence(label, english):
                assert re.search(rf"\b{re.escape(label)}\b", variation["text"]), f"{name}: {label}"


def label_in_sentence(label: str, text: str) -> bool:
    """`label` inside a sentence (capitalized there, so a portal label), not an English sentence's first word."""
    return any(m.start() > 0 and text[m.start() - 2:m.start()] not in (". ", "! ", "? ")
               for m in re.finditer(rf"\b{re.escape(label)}\b", text))


def test_spanish_button_titles_are_translated():
    for name in SPOKEN:
        for variation in (v for v in RESPONSES[name] if is_spanish(v)):
            english_titles = {b["title"] for v in RESPONSES[name] if not is_spanish(v) for b in v.get("buttons", [])}
            for button in variation.get("buttons", []):
                if not re.fullmatch(r"{\w+}", button["title"]):
                    assert button["title"] not in english_titles, f"{name}: {button['title']}"


def test_no_spanish_sms_reply_asks_for_a_word_that_stops_all_texts():
    for name in SPOKEN:
        for slots in slot_states(name):
            for variation in picked(name, "sms", {**slots, "language": "es"}):
                asked = {w.lower() for w in re.findall(r'"([^"]+)"', variation["text"])}
                assert not asked & set(SMS_STOP_WORDS), f"{name}: {variation['text']}"


def test_the_sample_values_are_the_ones_actions_show():
    # If a slot's value source changes, the Spanish length and readability figures above must change with it.
    assert set(district_values()) | set(school_values(LONGEST_SCHOOL)) <= set(SPANISH_VALUES)


@pytest.mark.parametrize("word, syllables", [("aquí", 2), ("oficina", 4), ("correo", 3), ("usuario", 3),
                                             ("escuela", 3), ("guía", 2), ("pague", 2), ("María", 3)])
def test_the_cross_check_counts_spanish_syllables(word, syllables):
    from bench.spanish_readability import vowel_group_syllables
    assert vowel_group_syllables(word) == syllables


def test_the_score_falls_for_long_sentences_and_long_words():
    easy = "Toque el botón. Pegue la clave. Listo."
    hard = ("La documentación administrativa correspondiente deberá presentarse obligatoriamente ante la "
            "oficina institucional competente antes de la finalización del periodo extraordinario establecido.")
    assert fernandez_huerta(easy) >= MIN_SCORE > fernandez_huerta(hard)
    assert fernandez_huerta_vowel_groups(easy) >= MIN_SCORE > fernandez_huerta_vowel_groups(hard)
