"""Issue 12 on SMS: AYUDA and the Spanish opt-out words (PARAR, ALTO, CANCELAR, BAJA) answered in Spanish, STOP
still honoured, ESPAÑOL / ENGLISH remembered for the number and forwarded to the assistant as
`/set_language{"language":"es"}`, and a number that chose Spanish has its new conversation told so first.

The webhook tests run the real connector on a Sanic server (SQLite and PostgreSQL store) with a stub assistant
that keeps a tracker per conversation (events and a `language` slot) in a tracker store the channel can read,
as Rasa's agent does."""
from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Optional

import pytest

from portal.district import load_district
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import UserUttered

from channels.inbound import language_payload
from channels.sms import SmsInput
from channels.sms_replies import SMS_REPLIES, reply_templates, reply_text, spanish_hours
from channels.sms_text import HELP, OPT_IN, OPT_OUT, SET_LANGUAGE, Keyword, keyword, parse_keyword, render_batch
from portal import db
from portal.models import OutboxMessage, SmsContact, SmsInbound
from tests.channels.store_calls import sms_store
from tests.channels.test_sms_webhook import (
    ACCOUNT,
    ANA,
    BEN,
    FROM_NUMBER,
    MENU,
    TOKEN,
    Assistant,
    RunningApp,
    Setup,
    make_app,
    say,
    trigger,
    wait_for_outbox,
)
from tests.portal.conftest import BACKENDS, postgresql_database, sqlite_database  # noqa: F401

SPANISH_STOP = ["PARAR", "parar", "Alto", "ALTO!", "¡Alto!", "cancelar", "Cancelar.", "BAJA", "baja"]


# --- Keywords ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    *[(word, Keyword(OPT_OUT, "es")) for word in SPANISH_STOP],
    ("AYUDA", Keyword(HELP, "es")), ("ayuda", Keyword(HELP, "es")), ("¿Ayuda?", Keyword(HELP, "es")),
    ("ESPAÑOL", Keyword(SET_LANGUAGE, "es")), ("español", Keyword(SET_LANGUAGE, "es")),
    ("Espanol", Keyword(SET_LANGUAGE, "es")), ("ESPAN\u0303OL", Keyword(SET_LANGUAGE, "es")),  # ñ as n + tilde
    (" Español. ", Keyword(SET_LANGUAGE, "es")),
    ("ENGLISH", Keyword(SET_LANGUAGE, "en")), ("english", Keyword(SET_LANGUAGE, "en")),
    ("INGLÉS", Keyword(SET_LANGUAGE, "en")), ("ingles", Keyword(SET_LANGUAGE, "en")), ("Inglés", Keyword(SET_LANGUAGE, "en")),
    # The carriers' words still work, and say nothing about the language.
    ("STOP", Keyword(OPT_OUT)), ("stop", Keyword(OPT_OUT)), ("Cancel", Keyword(OPT_OUT)),
    ("START", Keyword(OPT_IN)), ("HELP", Keyword(HELP)),
    # Only the whole message is a keyword.
    ("parar la alarma", None), ("necesito ayuda", None), ("ayuda por favor", None), ("en español por favor", None),
    ("baja la app", None), ("alto ahí", None), ("PARARR", None), ("", None),
])
def test_spanish_keywords_match_the_whole_message_in_any_case_with_or_without_accents(text, expected):
    assert parse_keyword(text) == expected
    assert keyword(text) == (expected.command if expected else None)


# --- Texts ------------------------------------------------------------------------------------------------------

def test_spanish_keyword_replies_are_spanish_name_the_district_and_fit_one_sms():
    help_es = reply_text("help", language="es")
    assert help_es.startswith("Portal para padres de Cedar Valley") and "(555) 010-1000" in help_es
    district_hours_es = load_district().office_hours_es  # district.yml's own Spanish hours win over the translation
    assert district_hours_es and district_hours_es in help_es and "PARAR" in help_es and "Mon-Fri" not in help_es
    assert "START" in reply_text("opted_out", language="es") and "Ya no recibirá" in reply_text("opted_out", language="es")
    assert "PARAR" in reply_text("opted_in", language="es") and "¿En qué le puedo ayudar?" in reply_text("opted_in", language="es")
    for key in ("help", "opted_out", "opted_in", "language_set"):
        for language in ("en", "es"):
            assert len(reply_text(key, language=language)) <= 160, (key, language)
        assert reply_text(key, language="es") != reply_text(key, language="en")
    assert reply_text("help", language="fr") == reply_text("help")  # an unknown language is English
    templates = reply_templates(language="es")
    assert render_batch([{"text": "¿Le ayudo?", "buttons": [{"title": "Sí", "payload": "/affirm"},
                                                            {"title": "No", "payload": "/deny"}]}],
                        templates).bodies == ("¿Le ayudo?\nResponda 1 para Sí, 2 para No",)


def test_every_channel_sentence_has_an_english_and_a_spanish_text():
    for key, (response, english, spanish) in SMS_REPLIES.items():
        assert response.startswith("utter_sms_") and english and spanish and english != spanish, key


class SpanishDomain:
    responses = {
        "utter_sms_help": [{"text": "Help: {district_phone}"},
                           {"text": "Otra condición", "condition": [{"type": "slot", "name": "school", "value": "x"}]},
                           {"text": "Ayuda: {district_phone}, {district_hours}",
                            "condition": [{"type": "slot", "name": "language", "value": "es"}]}],
        "utter_sms_opted_out": [{"text": "Bye"}],
    }


def test_a_spanish_domain_variation_replaces_the_spanish_default():
    hours_es = load_district().office_hours_es
    assert reply_text("help", SpanishDomain(), "es") == f"Ayuda: (555) 010-1000, {hours_es}"
    assert reply_text("help", SpanishDomain(), "en") == "Help: (555) 010-1000"
    # An English-only override does not put English in a Spanish reply.
    assert reply_text("opted_out", SpanishDomain(), "es") == reply_text("opted_out", language="es")


@pytest.mark.parametrize("hours, spanish", [
    ("Mon-Fri 8am-4:30pm", "de lunes a viernes, 8am-4:30pm"),
    ("Monday to Friday 7:30am-3pm", "de lunes a viernes, 7:30am-3pm"),
    ("Mon, Wed, Fri 8am-noon", "lunes, miércoles, viernes 8am-noon"),
    ("Month-end friendly hours", "Month-end friendly hours"),
])
def test_office_hours_in_spanish(hours, spanish):
    assert spanish_hours(hours) == spanish


def test_language_payload_is_what_the_widget_sends():
    assert language_payload("es") == '/set_language{"language":"es"}'


# --- The store --------------------------------------------------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def url(request) -> str:
    url = request.getfixturevalue(f"{request.param}_database")
    with db.get_engine(url).begin() as connection:
        for model in (OutboxMessage, SmsInbound, SmsContact):
            connection.execute(model.__table__.delete())
    return url


def test_the_store_remembers_a_numbers_language(url):
    assert sms_store(url).contact(ANA).language is None
    assert sms_store(url).set_language(ANA, "es") is True
    assert sms_store(url).set_language(ANA, "es") is False
    assert sms_store(url).contact(ANA).language == "es"
    assert sms_store(url).contact_by_conversation(sms_store(url).contact(ANA).conversation_id).language == "es"
    assert sms_store(url).set_language(ANA, "en") is True and sms_store(url).contact(ANA).language == "en"
    assert sms_store(url).set_language(ANA, None) is True and sms_store(url).contact(ANA).language is None
    assert sms_store(url).set_language(BEN, "es") is True  # a number never seen gets its row
    assert sms_store(url).contact(BEN).language == "es"


# --- The webhook, with a stub assistant that keeps trackers ----------------------------------------------------

class Tracker:
    """As much of Rasa's DialogueStateTracker as the channel reads."""

    def __init__(self) -> None:
        self.events: list = []
        self.slots = {"language": "en"}

    def get_slot(self, name: str):
        return self.slots.get(name)


class TrackerStore:
    def __init__(self) -> None:
        self.trackers: dict[str, Tracker] = {}

    async def retrieve(self, sender_id: str) -> Optional[Tracker]:
        return self.trackers.get(sender_id)


class SpanishAssistant(Assistant):
    """Echoes like the webhook tests' stub; `/set_language{...}` sets the slot and confirms (unless `quiet`);
    "hola" is detected as Spanish (the slot switches, like the language detector does)."""

    def __init__(self) -> None:
        super().__init__()
        self.tracker_store = TrackerStore()
        self.quiet = False

    async def on_new_message(self, message: UserMessage) -> None:
        tracker = self.tracker_store.trackers.setdefault(message.sender_id, Tracker())
        tracker.events.append(UserUttered(message.text))
        switch = re.fullmatch(r'/set_language\{"language":"(\w+)"\}', message.text or "")
        if switch:
            self.messages.append(message)
            tracker.slots["language"] = switch.group(1)
            if not self.quiet:
                await message.output_channel.send_response(message.sender_id, {"text": f"idioma: {switch.group(1)}"})
            return
        if message.text == "hola":
            tracker.slots["language"] = "es"
        await super().on_new_message(message)


@pytest.fixture(scope="module", params=BACKENDS)
def served(request):
    url = request.getfixturevalue(f"{request.param}_database")
    assistant = SpanishAssistant()
    channel = SmsInput(database_url=url, auth_token=TOKEN, account_sid=ACCOUNT, from_number=FROM_NUMBER,
                       api_base_url="http://127.0.0.1:9", retry_interval_seconds=0)
    app = make_app(f"sms-es-{request.param}", channel, assistant)
    app.ctx.agent = SimpleNamespace(tracker_store=assistant.tracker_store, domain=None)
    running = RunningApp(app).start()
    yield url, channel, assistant, running
    running.stop()
    db.dispose_engines()


@pytest.fixture
def sms(served):
    import requests

    url, channel, assistant, running = served
    with db.get_engine(url).begin() as connection:
        for model in (OutboxMessage, SmsInbound, SmsContact):
            connection.execute(model.__table__.delete())
    assistant.messages.clear()
    assistant.tracker_store.trackers.clear()
    assistant.quiet = False
    http = requests.Session()
    yield Setup(url, None, channel, assistant, running, http)
    http.close()


def language_of(setup: Setup, phone: str = ANA) -> Optional[str]:
    return sms_store(setup.url).contact(phone).language


@pytest.mark.parametrize("word", SPANISH_STOP)
def test_each_spanish_opt_out_word_opts_out_and_confirms_in_spanish(sms, word):
    assert say(sms, word) == [reply_text("opted_out", language="es")]
    assert sms_store(sms.url).contact(ANA).opted_out and sms.assistant.messages == []
    assert say(sms, word) == []  # once
    assert say(sms, "¿sigue ahí?") == [] and sms.assistant.messages == []  # nothing reaches an opted-out number
    assert language_of(sms) == "es"


def test_stop_still_works_and_answers_in_english(sms):
    assert say(sms, "STOP") == [reply_text("opted_out")]
    assert sms_store(sms.url).contact(ANA).opted_out and language_of(sms) is None
    assert say(sms, "START") == [reply_text("opted_in")]
    assert not sms_store(sms.url).contact(ANA).opted_out


@pytest.mark.parametrize("word", ["AYUDA", "ayuda", "Ayuda?", "¿AYUDA?"])
def test_ayuda_answers_like_help_in_spanish_even_when_opted_out(sms, word):
    assert say(sms, word) == [reply_text("help", language="es")]
    assert sms.assistant.messages == []
    say(sms, "PARAR")
    assert say(sms, word) == [reply_text("help", language="es")]
    assert say(sms, "HELP") == [reply_text("help", language="es")]  # the number reads Spanish now


def test_espanol_is_remembered_and_forwarded_to_the_assistant(sms):
    assert say(sms, "hello") == ["echo: hello"]
    assert say(sms, "ESPAÑOL") == ["idioma: es"]
    assert sms.assistant.texts[-1] == '/set_language{"language":"es"}'
    assert sms.assistant.messages[-1].sender_id == sms_store(sms.url).contact(ANA).conversation_id
    assert language_of(sms) == "es"
    # From now on the channel's own sentences are Spanish: the numbered choices and STOP's confirmation.
    assert say(sms, "menu") == ["Is that OK?\nResponda 1 para Yes, please, 2 para No, thanks"]
    assert say(sms, "1") == ["echo: /affirm"]
    assert say(sms, "STOP") == [reply_text("opted_out", language="es")]


@pytest.mark.parametrize("word", ["espanol", "Español", "ESPANOL!"])
def test_espanol_in_any_spelling_switches(sms, word):
    say(sms, word)
    assert sms.assistant.texts == ['/set_language{"language":"es"}'] and language_of(sms) == "es"


@pytest.mark.parametrize("word", ["ENGLISH", "inglés", "INGLES"])
def test_english_switches_back(sms, word):
    say(sms, "español")
    assert say(sms, word) == ["idioma: en"]
    assert sms.assistant.texts[-1] == '/set_language{"language":"en"}' and language_of(sms) == "en"
    assert say(sms, "menu") == ["Is that OK?\nReply 1 for Yes, please, 2 for No, thanks"]


def test_when_the_assistant_says_nothing_the_switch_is_confirmed_by_the_channel(sms):
    sms.assistant.quiet = True
    assert say(sms, "ESPAÑOL") == [reply_text("language_set", language="es")]
    assert say(sms, "ENGLISH") == [reply_text("language_set", language="en")]


def test_a_number_that_chose_spanish_starts_its_conversation_in_spanish(sms):
    assert say(sms, "AYUDA") == [reply_text("help", language="es")]  # before any conversation
    assert language_of(sms) == "es" and sms.assistant.messages == []
    # First message: the assistant is told first, and only the answer to the parent's message is texted.
    assert say(sms, "no puedo entrar") == ["echo: no puedo entrar"]
    assert sms.assistant.texts == ['/set_language{"language":"es"}', "no puedo entrar"]
    assert sms.assistant.messages[0].message_id.endswith("-language")
    conversation = sms_store(sms.url).contact(ANA).conversation_id
    assert sms.assistant.tracker_store.trackers[conversation].slots["language"] == "es"
    # Not again.
    say(sms, "gracias")
    assert sms.assistant.texts[-1] == "gracias" and len(sms.assistant.texts) == 3


def test_a_new_tracker_for_a_remembered_spanish_number_is_told_again(sms):
    say(sms, "ESPAÑOL")
    sms.assistant.tracker_store.trackers.clear()  # e.g. the tracker store was purged
    sms.assistant.messages.clear()
    say(sms, "hola de nuevo")
    assert sms.assistant.texts == ['/set_language{"language":"es"}', "hola de nuevo"]


def test_a_conversation_in_english_keeps_its_language_after_a_spanish_keyword(sms):
    say(sms, "hello")
    assert language_of(sms) == "en"  # remembered from the conversation
    assert say(sms, "AYUDA") == [reply_text("help", language="es")]
    assert language_of(sms) == "en"
    say(sms, "thanks")
    assert sms.assistant.texts == ["hello", "thanks"]  # no switch was forced on the conversation


def test_the_numbers_language_follows_the_conversation(sms):
    assert say(sms, "hola") == ["echo: hola"]  # the detector switched the slot
    assert language_of(sms) == "es"
    assert say(sms, "HELP") == [reply_text("help", language="es")]
    assert say(sms, "STOP") == [reply_text("opted_out", language="es")]
    assert say(sms, "START") == [reply_text("opted_in", language="es")]


def test_espanol_while_opted_out_is_remembered_and_start_tells_the_assistant(sms):
    say(sms, "hello")
    say(sms, "STOP")
    sms.assistant.messages.clear()
    assert say(sms, "ESPAÑOL") == [] and sms.assistant.messages == []
    assert language_of(sms) == "es"
    assert say(sms, "START") == [reply_text("opted_in", language="es")]
    assert sms.assistant.texts == ['/set_language{"language":"es"}']  # its reply is not texted
    assert say(sms, "menu")[0].endswith("Responda 1 para Yes, please, 2 para No, thanks")


def test_pushed_choices_follow_the_numbers_language(sms):
    say(sms, "ESPAÑOL")
    conversation = sms_store(sms.url).contact(ANA).conversation_id
    trigger(sms, conversation, {"text": "¿Resolvimos su problema?", "buttons": MENU})
    rows = wait_for_outbox(sms, lambda rows: len(rows) == 1)
    assert rows[0].body == "¿Resolvimos su problema?\nResponda 1 para Yes, please, 2 para No, thanks"


def test_without_the_assistants_tracker_store_the_remembered_language_is_used(sms, served):
    _, channel, _, running = served
    agent = running.app.ctx.agent
    running.app.ctx.agent = None
    try:
        sms_store(sms.url).set_language(ANA, "es")
        assert say(sms, "menu") == ["Is that OK?\nResponda 1 para Yes, please, 2 para No, thanks"]
        assert sms.assistant.texts == ["menu"]  # no tracker to look at: nothing forced
    finally:
        running.app.ctx.agent = agent


# --- Rasa's own tracker store --------------------------------------------------------------------------------------

async def test_the_conversation_state_is_read_from_rasas_tracker_store():
    """The channel reads Rasa's real tracker objects: async retrieve, UserUttered events, the `language` slot."""
    from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet

    domain = Domain.from_dict({
        "slots": {"language": {"type": "categorical", "values": ["en", "es"], "initial_value": "en",
                               "influence_conversation": False,
                               "mappings": [{"type": "from_entity", "entity": "language"}]}},
        "entities": ["language"],
    })
    tracker_store = FailSafeTrackerStore(InMemoryTrackerStore(domain))
    channel = SmsInput(database_url="sqlite://", auth_token=TOKEN)
    app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(tracker_store=tracker_store)))

    state = await channel._conversation_state(app, "sms-new")
    assert (state.started, state.language) == (False, None)
    tracker = await tracker_store.get_or_create_tracker("sms-1")
    assert (await channel._conversation_state(app, "sms-1")).language == "en"
    tracker.update(UserUttered("hola"))
    tracker.update(SlotSet("language", "es"))
    await tracker_store.save(tracker)
    state = await channel._conversation_state(app, "sms-1")
    assert (state.started, state.language) == (True, "es")
    # A domain without the slot (before the dialogue side is deployed): no language, nothing assumed.
    bare = FailSafeTrackerStore(InMemoryTrackerStore(Domain.empty()))
    plain = await bare.get_or_create_tracker("sms-2")
    plain.update(UserUttered("hi"))
    await bare.save(plain)
    app.ctx.agent.tracker_store = bare
    state = await channel._conversation_state(app, "sms-2")
    assert (state.started, state.language) == (True, None)


def test_a_too_long_text_from_a_spanish_number_is_answered_in_spanish(sms):
    from channels.inbound import MAX_MESSAGE_CHARS
    from channels.sentences import channel_sentence

    say(sms, "ESPAÑOL")
    assert say(sms, "x" * (MAX_MESSAGE_CHARS + 1)) == [channel_sentence("too_long", language="es")]
