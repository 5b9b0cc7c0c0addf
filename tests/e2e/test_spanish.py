"""Every demo persona's path in Spanish, over the REST channel against the real Rasa and action servers (issue 12).

The parent writes Spanish from the first message; the assistant answers in Spanish from then on (the `language`
slot), asks for the same facts, opens the same tickets (recorded with the language), and never falls back to an
English reply. The web chat and SMS paths are in tests/webchat/test_widget_rasa.py and
tests/channels/test_sms_rasa.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pytest

from portal.db import session_scope
from portal.tickets import tickets_for_conversation
from tests.e2e.test_conversations import ask as ask_in_any_language

pytestmark = pytest.mark.e2e

# Words of the English replies that a Spanish conversation must never show.
ENGLISH_WORDS = ("Sorry", "Which school", "What email", "first name", "birth date", "Thanks", "Want me")


def in_spanish(message: str, text: str) -> None:
    """A reply in a Spanish conversation has none of the English replies' words."""
    assert not any(word in text for word in ENGLISH_WORDS), (message, text)


def ask(servers, sender, *messages):
    """Send messages in order; every reply is Spanish and fits 320 characters; the last replies joined."""
    return ask_in_any_language(servers, sender, *messages, check=in_spanish)


def tickets(servers, sender):
    with session_scope(servers.database_url) as session:
        return tickets_for_conversation(session, sender)


def language(servers, sender) -> str:
    return servers.tracker(sender)["slots"]["language"]


def test_ana_unused_key(servers, sender):
    text, _ = ask(servers, sender, "tengo mi clave de activación 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C y no funciona")
    assert "nadie la ha usado" in text and "Paso 4 de 7" in text
    assert language(servers, sender) == "es"


@dataclass(frozen=True)
class SpanishPath:
    """A persona's path in Spanish: the opening, the school, the contact, the child, the birth date, what comes
    after the check (the missing child's name, "sí" to a ticket offer), and what it must end in."""

    persona: str
    opener: str
    school: str
    contact: str
    phone: str          # the persona's mobile number: on SMS it is the contact, and the contact question is skipped
    child: str
    born: str
    after: tuple[str, ...]
    reply: str          # a phrase of the replies to the last message
    ticket: Optional[tuple[str, str]]  # (kind, school) or None


SPANISH_PATHS = [
    SpanishPath("ben", "me dice que mi clave de activación ya fue usada", "willow creek", "ben.carter@example.com",
                "+15550102002", "Lily", "3 de septiembre de 2012", ("sí, por favor",), "#",
                ("account_reset", "org-willow-creek-ms")),
    SpanishPath("chloe", "no veo a todos mis hijos en el portal", "cvhs", "chloe.nguyen@example.com", "+15550102003",
                "Emma", "20 de enero de 2009", ("Noah",), "otra copia de su nombre",
                ("household_fix", "org-maple-ridge-es")),
    SpanishPath("david", "mi hijo no aparece en mi cuenta del portal", "willow", "david.okafor@example.com",
                "+15550102004", "Ada", "14 de febrero de 2013", ("Sam",), "Campus Parent", None),
    SpanishPath("elena", "se me olvidó la contraseña del portal", "cvhs", "(555) 010-2005", "+15550102005", "ivan",
                "22 de julio de 2010", (), "usted puede cambiar la contraseña", None),
    SpanishPath("frank", "olvidé mi nombre de usuario", "summit", "frank.miller@example.com", "+15550102006", "Zoe",
                "9 de marzo de 2014", ("sí",), "#", ("account_reset", "org-summit-ridge-academy")),
    SpanishPath("grace", "mi cuenta está bloqueada", "willow creek", "grace.kim@example.com", "+15550102007", "Leo",
                "1 de diciembre de 2011", (), "bloqueada o apagada", ("account_reset", "org-willow-creek-ms")),
    SpanishPath("hana", "solo me sale uno de mis hijos en el portal", "riverbend", "hana.suzuki@example.com",
                "+15550102008", "Yuki", "5/5/2015", ("Ren",), "no sale con usted", ("household_fix", "org-willow-creek-ms")),
]


def check_ending(path: SpanishPath, text: str, found: list) -> None:
    """The last replies hold the path's phrase, and the store holds exactly its ticket (in Spanish) or none."""
    assert path.reply in text, text
    if path.ticket is None:
        assert found == []
        return
    [ticket] = found
    assert (ticket.kind, ticket.school_id, ticket.language) == (*path.ticket, "es")
    assert ticket.verified is True
    if path.reply == "#":
        assert f"#{ticket.id}" in text


@pytest.mark.parametrize("path", SPANISH_PATHS, ids=lambda p: p.persona)
def test_persona_path_in_spanish_over_rest(servers, sender, path):
    text, _ = ask(servers, sender, path.opener)
    assert "confirmar que es usted" in text, text
    text, _ = ask(servers, sender, "sí", path.school, path.contact, path.child, path.born, *path.after)
    check_ending(path, text, tickets(servers, sender))
    assert language(servers, sender) == "es"


def test_ben_a_date_that_reads_two_ways_is_confirmed_with_buttons(servers, sender):
    ask(servers, sender, "la key ya fue usada, que hago", "sí", "willow creek", "ben.carter@example.com", "Lily")
    text, replies = ask(servers, sender, "3/9/2012")
    assert "dos formas" in text
    buttons = [b["payload"] for b in replies[-1]["buttons"]]
    assert buttons == ["3 de septiembre de 2012", "9 de marzo de 2012"]
    text, _ = ask(servers, sender, buttons[0])
    assert "b*******7" in text


def test_a_knowledge_question_is_answered_in_spanish(servers, sender):
    text, _ = ask(servers, sender, "¿cómo le pongo dinero a la cuenta del almuerzo de mi hija?")
    assert language(servers, sender) == "es"
    assert "Food Service" in text and "saldo" in text, text


def test_switching_language_on_request(servers, sender):
    assert servers.texts(sender, "how do I get a parent portal account?")
    assert language(servers, sender) == "en"
    ask(servers, sender, "español por favor")
    assert language(servers, sender) == "es"
    text, _ = ask(servers, sender, "maple ridge")
    assert "Paso 1 de 7" in text
    replies = servers.texts(sender, "in English please")
    assert language(servers, sender) == "en" and replies
