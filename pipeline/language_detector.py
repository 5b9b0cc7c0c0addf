"""The conversation's language (English or Spanish), read from what the parent writes.

The component adds the entity `language` ("en" or "es") to a message when the message itself shows the
language; the slot `language` (from_entity, domain.yml) keeps it for the rest of the conversation, so a message
that says nothing about language leaves the conversation as it was. It says nothing for:

- button payloads ("/intent{...}" carry their own entities; Rasa's RegexMessageHandler reads them);
- answers to a form question (intent `inform`: names, schools, dates, emails, phone numbers, keys);
- messages with fewer than `min_words` words once numbers, dates, e-mail addresses, web addresses, phone
  numbers, activation keys and the portal's English words are taken out (see below);
- names and school names: a short message in which every word is capitalised ("Jose Garcia", "María",
  "Maple Ridge Elementary"); inside a sentence, capitalised words are left out as names ("no, va a Willow
  Creek": the school's name is English whatever the parent's language);
- one-word answers: "ok", "sí", "si", "no", "ya". A yes or no is typed by both groups of parents in the middle
  of a flow, and "sí" answers a question asked in the conversation's current language: switching there would
  change language in the middle of a question on one word. The parent's next sentence, or "español", decides.
  Only the greetings and thanks in `spanish_openers` ("hola", "gracias", "buenas tardes") switch to Spanish on
  their own: English-speaking parents don't open with them, and they are often a Spanish speaker's first words.
  No English single word switches back ("hi", "thanks", "ok" are everyday words for Spanish speakers too).

Spanglish: Spanish-speaking parents name the portal's things in English ("la key no funciona", "no me deja hacer
login", "olvidé mi password") and quote its English messages (me sale "activation key already used"). Those
words (`portal_words`) and quoted text say nothing about the language, so they are taken out before the
detector reads the message; the words left decide.

The detector is lingua-language-detector limited to English and Spanish, built once, with a minimum relative
distance between the two: below it lingua answers "unsure". Its n-grams can be unsure of a short Spanish
message made mostly of little words ("puse la y me sale"); then the little words that only one language has
decide (`FUNCTION_WORDS`: two or more of one language, none of the other), else nothing is added.

The explicit switch (intent `set_language`: "español", "in English please", ESPAÑOL, the widget's toggle) is
the classifier's and the payload's business: its `language` entity is kept when its value is "en" or "es", found
in the words when DIETClassifier missed it, and never overruled by the detector ("spanish please" is English
text asking for Spanish). A `language` entity DIETClassifier finds in any other intent is dropped: "mi hija
tiene clase de inglés" must not switch a Spanish conversation to English.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from lingua import Language, LanguageDetectorBuilder
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import (ENTITIES, ENTITY_ATTRIBUTE_CONFIDENCE, ENTITY_ATTRIBUTE_END,
                                       ENTITY_ATTRIBUTE_START, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE,
                                       EXTRACTOR, INTENT, INTENT_NAME_KEY, TEXT)
from rasa.shared.nlu.training_data.message import Message

LANGUAGE_ENTITY = "language"
LANGUAGES = {Language.ENGLISH: "en", Language.SPANISH: "es"}
SET_LANGUAGE_INTENT = "set_language"

MIN_RELATIVE_DISTANCE_KEY = "min_relative_distance"
MIN_WORDS_KEY = "min_words"
MAX_NAME_WORDS_KEY = "max_name_words"
SKIP_INTENTS_KEY = "skip_intents"
PORTAL_WORDS_KEY = "portal_words"
SPANISH_OPENERS_KEY = "spanish_openers"

# English words Spanish-speaking parents use for the portal's things, and the words of the portal's English
# labels and messages as domain.yml and knowledge.yml quote them ("Forgot your password?", "Session expired",
# "Key already used", "Security email", "Lunch money"): they tell nothing about the parent's language.
DEFAULT_PORTAL_WORDS = [
    "account", "activation", "already", "app", "apps", "campus", "click", "code", "congratulations", "e-mail",
    "email", "emails", "error", "expired", "forgot", "form", "grade", "grades", "id", "infinite", "key", "keys",
    "link", "locked", "log", "login", "logout", "lunch", "mail", "new", "ok", "okay", "online", "parent", "parents",
    "password", "passwords", "pin", "portal", "request", "reset", "school", "security", "session", "sign", "signin",
    "student", "students", "teacher", "text", "ticket", "used", "user", "username", "usernames", "web", "website",
    "wifi",
]
DEFAULT_SPANISH_OPENERS = [
    "hola", "gracias", "muchas gracias", "buenas", "buenos días", "buenos dias", "buenas tardes", "buenas noches",
    "ayuda", "ayúdeme", "ayudeme", "ayúdame", "ayudame", "hola buenas tardes", "hola buenos días",
    "hola buenos dias", "hola buenas noches", "hola buenas",
]
# Words of a date that is written out: a message of only these (and numbers) is a date, whatever its language.
DATE_WORDS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "setiembre",
    "octubre", "noviembre", "diciembre", "ene", "abr", "ago", "dic", "de", "del", "of", "the", "st", "nd", "rd",
    "th", "el",
}
# Short words only one of the two languages has. When lingua is unsure, at least MIN_FUNCTION_WORDS of one
# language and none of the other decide ("puse la y me sale": la, y). "no", "me", "a", "se" are in neither.
FUNCTION_WORDS = {
    "es": {"el", "la", "los", "las", "un", "una", "y", "o", "que", "qué", "de", "del", "en", "por", "para", "con",
           "sin", "mi", "mis", "su", "sus", "es", "está", "esta", "pero", "como", "cómo", "donde", "dónde",
           "cuando", "cuándo", "porque", "muy", "lo", "le", "les", "nos", "yo", "ya", "hay", "tengo", "puedo"},
    "en": {"the", "and", "or", "my", "is", "are", "it", "to", "of", "for", "with", "i", "you", "your", "this",
           "that", "what", "how", "where", "when", "why", "can", "can't", "do", "does", "don't", "doesn't",
           "did", "not", "have", "has", "was", "am", "be", "in", "on", "at", "he", "she", "his", "her", "we"},
}
MIN_FUNCTION_WORDS = 2
# An explicit switch DIETClassifier did not tag: the language named in the words.
_NAMED = {"es": re.compile(r"\b(espa[ñn]ol|spanish|castellano)\b", re.IGNORECASE),
          "en": re.compile(r"\b(ingl[eé]s|english)\b", re.IGNORECASE)}

_EMAIL = re.compile(r"\S+@\S+")
# What the portal shows, quoted by the parent: 'me sale "activation key has already been used"'.
_QUOTED = re.compile(r'"[^"]*"|“[^”]*”|«[^»]*»')
_URL = re.compile(r"(https?://|www\.)\S+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# A "word" with a digit in it (keys, dates, phone numbers, ids) is not a word.
_WITH_DIGIT = re.compile(r"\S*\d\S*")


def _is_a_name_inside(match: re.Match, text: str) -> bool:
    """A capitalised word inside a sentence ("va a Willow Creek", "my son Jose"): a school's or a person's name.
    Not the first word of a sentence, not "I" / "I'm", not a word in capitals ("AYUDA")."""
    word = match.group(0)
    if not (word[0].isupper() and any(c.islower() for c in word[1:])) or word.startswith(("I'", "I’")):
        return False
    before = text[:match.start()].rstrip(" \t\"'“«(¿¡")
    return bool(before) and before[-1] not in ".!?\n"


def words(text: str, portal_words: set[str]) -> list[str]:
    """The words of `text` that can show its language, lower-cased (see the module docstring)."""
    text = _WITH_DIGIT.sub(" ", _URL.sub(" ", _EMAIL.sub(" ", _QUOTED.sub(" ", text))))
    return [m.group(0).lower() for m in _WORD.finditer(text)
            if m.group(0).lower() not in portal_words and not _is_a_name_inside(m, text)]


def by_function_words(found: list[str]) -> Optional[str]:
    """The language whose function words the message has (at least two), when the other's are absent."""
    counts = {code: sum(w in vocabulary for w in found) for code, vocabulary in FUNCTION_WORDS.items()}
    sure = [code for code, count in counts.items() if count >= MIN_FUNCTION_WORDS]
    if len(sure) == 1 and all(count == 0 for code, count in counts.items() if code != sure[0]):
        return sure[0]
    return None


def looks_like_a_name(text: str, max_words: int) -> bool:
    """A few words, each capitalised: a person's or a school's name, not a sentence."""
    found = _WORD.findall(_WITH_DIGIT.sub(" ", text))
    return 0 < len(found) <= max_words and all(w[0].isupper() for w in found)


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class LanguageDetector(GraphComponent, EntityExtractorMixin):
    """Adds the entity `language` ("en" / "es") when a message shows which language the parent writes."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # lingua's minimum relative distance between English and Spanish; below it lingua is unsure.
            MIN_RELATIVE_DISTANCE_KEY: 0.25,
            # Words left after the portal's English words, numbers, e-mails and keys are taken out.
            MIN_WORDS_KEY: 2,
            # Up to this many capitalised words is read as a name.
            MAX_NAME_WORDS_KEY: 4,
            SKIP_INTENTS_KEY: ["inform"],
            PORTAL_WORDS_KEY: DEFAULT_PORTAL_WORDS,
            SPANISH_OPENERS_KEY: DEFAULT_SPANISH_OPENERS,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.component_config = {**self.get_default_config(), **config}
        self.min_words = int(self.component_config[MIN_WORDS_KEY])
        self.max_name_words = int(self.component_config[MAX_NAME_WORDS_KEY])
        self.skip_intents = set(self.component_config[SKIP_INTENTS_KEY] or [])
        self.portal_words = {w.lower() for w in self.component_config[PORTAL_WORDS_KEY] or []}
        self.spanish_openers = {_normalise(w) for w in self.component_config[SPANISH_OPENERS_KEY] or []}
        self.detector = (LanguageDetectorBuilder.from_languages(*LANGUAGES)
                         .with_minimum_relative_distance(float(self.component_config[MIN_RELATIVE_DISTANCE_KEY]))
                         .with_preloaded_language_models()
                         .build())

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LanguageDetector":
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self.process_message(message)
        return messages

    def process_message(self, message: Message) -> None:
        text = message.get(TEXT) or ""
        if text.startswith("/"):
            return  # a payload: RegexMessageHandler sets its intent and entities
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        others = [e for e in message.get(ENTITIES) or [] if e.get(ENTITY_ATTRIBUTE_TYPE) != LANGUAGE_ENTITY]
        if intent == SET_LANGUAGE_INTENT:
            language = self.requested_language(message)
        elif intent in self.skip_intents:
            language = None
        else:
            language = self.detect(text)
        entities = others + ([self.entity(text, language)] if language else [])
        message.set(ENTITIES, entities, add_to_output=True)

    def requested_language(self, message: Message) -> Optional[str]:
        """The language an explicit switch asks for: the classifier's entity, else the language named."""
        tagged = {str(e.get(ENTITY_ATTRIBUTE_VALUE)).lower() for e in message.get(ENTITIES) or []
                  if e.get(ENTITY_ATTRIBUTE_TYPE) == LANGUAGE_ENTITY}
        if len(tagged & {"en", "es"}) == 1:
            return next(iter(tagged & {"en", "es"}))
        named = [code for code, pattern in _NAMED.items() if pattern.search(message.get(TEXT) or "")]
        return named[0] if len(named) == 1 else None

    def detect(self, text: str) -> Optional[str]:
        """"en", "es", or None when the text does not show its language surely enough."""
        if _normalise(text) in self.spanish_openers:
            return "es"
        if looks_like_a_name(text, self.max_name_words):
            return None
        found = words(text, self.portal_words)
        if len(found) < self.min_words or all(w in DATE_WORDS for w in found):
            return None
        language = self.detector.detect_language_of(" ".join(found))
        if language is not None:
            return LANGUAGES[language]
        return by_function_words(found)

    def entity(self, text: str, language: str) -> Dict[Text, Any]:
        return {ENTITY_ATTRIBUTE_TYPE: LANGUAGE_ENTITY, ENTITY_ATTRIBUTE_VALUE: language,
                ENTITY_ATTRIBUTE_START: 0, ENTITY_ATTRIBUTE_END: len(text), ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                EXTRACTOR: self.name}
