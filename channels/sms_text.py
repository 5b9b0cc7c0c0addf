"""Text for the SMS channel: bot messages to SMS bodies and back.

- `split_sms`: at most 320 characters per SMS, cut at sentence ends (or line breaks) when possible, else
  between words, never inside a word; a URL is never cut (a URL longer than the limit travels alone).
- `render_batch`: the bot messages of one turn (text, buttons, images) to SMS bodies, buttons as numbered
  choices on their own line ("Reply 1 for Yes, please, 2 for No, thanks"), numbered across the turn.
- `match_choice`: a reply of "1" or of a choice's title (any case) back to that button's payload.
- `keyword` / `parse_keyword`: the carrier keywords (STOP, START, HELP, ...), their Spanish counterparts (AYUDA;
  PARAR, ALTO, CANCELAR, BAJA) and the language switches (ESPAÑOL, ENGLISH, ...), matched on the whole message
  in any case, with or without accents.
- `twiml`: the webhook answer (<Response><Message>...</Message></Response>), XML-escaped.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

from twilio.twiml.messaging_response import MessagingResponse

from portal.sms import Choice

MAX_SMS_CHARS = 320

OPT_OUT = "opt_out"
OPT_IN = "opt_in"
HELP = "help"
SET_LANGUAGE = "set_language"
# Keyword (upper case, accents removed) -> command. The carriers' own words are language-neutral: the answer
# follows the number's language. START stays the one opt-in word (the gateway knows it too).
KEYWORDS = {
    **{word: OPT_OUT for word in ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT")},
    **{word: OPT_IN for word in ("START", "UNSTOP")},
    "HELP": HELP,
}
# Words that also say which language the parent reads: (command, language).
LANGUAGE_KEYWORDS = {
    **{word: (OPT_OUT, "es") for word in ("PARAR", "ALTO", "CANCELAR", "BAJA")},
    "AYUDA": (HELP, "es"),
    "ESPANOL": (SET_LANGUAGE, "es"),
    **{word: (SET_LANGUAGE, "en") for word in ("ENGLISH", "INGLES")},
}
_OPENING_PUNCTUATION = "\u00a1\u00bf"  # ¡ ¿


@dataclass(frozen=True)
class Keyword:
    """A keyword message: the command, and the language the word itself is in (None: STOP, HELP, ...)."""

    command: str
    language: Optional[str] = None

# A sentence ends at . ! ? or … (plus a closing quote or bracket) followed by whitespace; a line break ends
# a unit too. Either way the whitespace is kept, so joining units back restores the text exactly.
_BOUNDARY = re.compile(r"(?:(?<=[.!?\u2026])|(?<=[.!?\u2026][\"'\u201d\u2019)\]]))[ \t]+|[ \t]*\n[\s]*")
_WORD_GAP = re.compile(r"(\s+)")
_URL = re.compile(r"^[(<\[\"']?(?:https?://|www\.)\S+$", re.IGNORECASE)
# Characters XML 1.0 cannot carry (TwiML is XML): C0 controls except tab and line feed.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TRAILING_PUNCTUATION = ".!?,;:"


@dataclass(frozen=True)
class Rendered:
    """The SMS bodies of one batch of bot messages, and the choices they offered (numbered from 1)."""

    bodies: tuple[str, ...]
    choices: tuple[Choice, ...]


def clean(text: str) -> str:
    """Line endings to \\n, no XML-invalid characters, no spaces at line ends, at most one blank line."""
    text = _XML_INVALID.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def split_sms(text: str, limit: int = MAX_SMS_CHARS) -> list[str]:
    """Cut `text` into SMS bodies of at most `limit` characters (see the module docstring)."""
    text = clean(text)
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    pieces = _BOUNDARY.split(text)
    gaps = _BOUNDARY.findall(text)
    parts: list[str] = []
    current = ""
    for index, sentence in enumerate(pieces):
        gap = gaps[index - 1] if index else ""
        if not sentence:
            continue
        if current and len(current) + len(gap) + len(sentence) <= limit:
            current += gap + sentence
            continue
        if current:
            parts.append(current)
            current = ""
        if len(sentence) <= limit:
            current = sentence
            continue
        words = _split_words(sentence, limit)
        parts.extend(words[:-1])
        current = words[-1]
    if current:
        parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _split_words(sentence: str, limit: int) -> list[str]:
    """A too-long sentence cut between words; a word longer than the limit alone (a URL stays whole)."""
    tokens = _WORD_GAP.split(sentence)
    parts: list[str] = []
    current = ""
    for index in range(0, len(tokens), 2):
        word = tokens[index]
        gap = tokens[index - 1] if index else ""
        if not word:
            continue
        if current and len(current) + len(gap) + len(word) <= limit:
            current += gap + word
            continue
        if current:
            parts.append(current)
        if len(word) <= limit or _URL.match(word):
            current = word
        else:  # no URL, no real word is this long: cut it rather than exceed the limit
            chunks = [word[i:i + limit] for i in range(0, len(word), limit)]
            parts.extend(chunks[:-1])
            current = chunks[-1]
    if current:
        parts.append(current)
    return parts


def choice_line(choices: Sequence[Choice], first_number: int, templates: Mapping[str, str]) -> str:
    """"Reply 1 for Yes, please, 2 for No, thanks" (templates `choices` and `choice`, see sms_replies)."""
    items = [templates["choice"].format(number=first_number + i, title=c.title) for i, c in enumerate(choices)]
    return templates["choices"].format(choices=", ".join(items))


def _buttons(message: Mapping[str, Any]) -> list[Choice]:
    raw = message.get("buttons") or message.get("quick_replies") or []
    choices = []
    for button in raw:
        if not isinstance(button, Mapping):
            continue
        title = str(button.get("title") or "").strip()
        payload = str(button.get("payload") or button.get("url") or title).strip()
        if title:
            choices.append(Choice(title, payload))
    return choices


def render_batch(messages: Iterable[Mapping[str, Any]], templates: Mapping[str, str],
                 limit: int = MAX_SMS_CHARS) -> Rendered:
    """The SMS bodies for bot messages (Rasa's message dicts) and the choices they offer, numbered across the batch.

    A message's text, then its image or attachment URL on a new line, then its choices on their own line;
    custom JSON payloads have no SMS form and are left out.
    """
    bodies: list[str] = []
    offered: list[Choice] = []
    for message in messages:
        lines = [str(message.get("text") or "").strip()]
        for key in ("image", "attachment"):
            value = message.get(key)
            if isinstance(value, str) and value.strip():
                lines.append(value.strip())
        buttons = _buttons(message)
        if buttons:
            lines.append(choice_line(buttons, len(offered) + 1, templates))
            offered.extend(buttons)
        bodies.extend(split_sms("\n".join(line for line in lines if line), limit))
    return Rendered(tuple(bodies), tuple(offered))


def _normalise_reply(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").replace("\u2019", "'").replace("\u2018", "'")
    text = " ".join(text.split()).casefold()
    return text.rstrip(_TRAILING_PUNCTUATION + " ").lstrip("#").strip()


def match_choice(text: str, choices: Sequence[Choice]) -> Optional[str]:
    """The payload of the choice the reply names ("2", "#2", "2.", or the title in any case), else None."""
    if not choices:
        return None
    reply = _normalise_reply(text)
    if reply.isdigit():
        number = int(reply)
        return choices[number - 1].payload if 1 <= number <= len(choices) else None
    for choice in choices:
        if reply and reply == _normalise_reply(choice.title):
            return choice.payload
    return None


def _keyword_form(text: str) -> str:
    """" ¡Español! " -> "ESPANOL": trimmed, outer punctuation off, accents off, upper case."""
    word = (text or "").strip().rstrip(_TRAILING_PUNCTUATION + _OPENING_PUNCTUATION).strip()
    word = word.lstrip(_OPENING_PUNCTUATION).strip()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def parse_keyword(text: str) -> Optional[Keyword]:
    """The keyword the whole message is (see KEYWORDS and LANGUAGE_KEYWORDS), else None."""
    word = _keyword_form(text)
    if word in KEYWORDS:
        return Keyword(KEYWORDS[word])
    if word in LANGUAGE_KEYWORDS:
        command, language = LANGUAGE_KEYWORDS[word]
        return Keyword(command, language)
    return None


def keyword(text: str) -> Optional[str]:
    """OPT_OUT, OPT_IN, HELP or SET_LANGUAGE when the whole message is a keyword (any case, any accents), else None."""
    found = parse_keyword(text)
    return found.command if found else None


def twiml(bodies: Sequence[str]) -> str:
    """The TwiML answer sending each body as one SMS (XML-escaped); an empty <Response/> sends nothing."""
    response = MessagingResponse()
    for body in bodies:
        response.message(clean(body))
    return str(response)
