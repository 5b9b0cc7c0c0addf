"""SMS text: splitting into 320-character SMS, numbered choices and mapping replies back, carrier keywords,
TwiML, sender numbers, and the channel's own sentences."""
from __future__ import annotations

import random
import re
import xml.etree.ElementTree as ET

import pytest

from channels.sms import _CARRIER_AT, normalise_number
from channels.sms_replies import SMS_REPLIES, reply_templates, reply_text
from channels.sms_text import (HELP, MAX_SMS_CHARS, OPT_IN, OPT_OUT, keyword, match_choice, render_batch,
                               split_sms, twiml)
from portal.sms import Choice

TEMPLATES = reply_templates()
YES_NO = [{"title": "Yes, please", "payload": "/affirm"}, {"title": "No, thanks", "payload": "/deny"}]
MENU = [
    {"title": "Get an account", "payload": "/get_account"},
    {"title": "Activation key help", "payload": "/activation_key_help"},
    {"title": "Can't see all my kids", "payload": "/missing_students"},
    {"title": "Forgot password", "payload": "/forgot_password"},
    {"title": "Talk to a person", "payload": "/human_handoff"},
]
URL = "https://maple.cedarvalley.example.org/parents/portal/request-form?school=org-maple-ridge-es&lang=en"
SENTENCE_END = re.compile(r"[.!?][\"')\]]?$")


def words(text: str) -> list[str]:
    return text.split()


# --- Splitting ------------------------------------------------------------------------------------------------

def test_a_short_message_is_one_sms_unchanged():
    assert split_sms("Step 1 of 7: Fill in the form.") == ["Step 1 of 7: Fill in the form."]
    assert split_sms("") == [] and split_sms("   \n ") == []


def test_exactly_320_characters_is_one_sms_and_321_is_two():
    sentence = "A" * 318 + "."
    assert len(sentence + "!") == 320
    assert split_sms(sentence + "!") == [sentence + "!"]
    text = "Short one. " + "b" * 309 + "."
    assert len(text) == 321
    assert split_sms(text) == ["Short one.", "b" * 309 + "."]


def test_long_text_is_cut_at_sentence_ends_and_nothing_is_lost():
    sentences = [f"Sentence number {i} tells the parent something useful about the portal account."
                 for i in range(12)]
    text = " ".join(sentences)
    parts = split_sms(text)
    assert len(parts) > 1
    assert all(len(p) <= MAX_SMS_CHARS for p in parts)
    assert all(SENTENCE_END.search(p) for p in parts)
    assert words(" ".join(parts)) == words(text)
    # Greedy: every SMS but the last is too full to take the next sentence too.
    for part, following in zip(parts, parts[1:]):
        assert len(part) + 1 + len(following.split(". ")[0]) > MAX_SMS_CHARS


def test_other_sentence_ends_and_closing_quotes_count():
    first = "Tap \"New User?\" on the sign-in page!" + " x" * 140
    text = f"{first} Then paste the key.\u2026 And \"Submit.\" Done? Yes."
    parts = split_sms(text, limit=300)
    assert all(len(p) <= 300 for p in parts)
    assert words(" ".join(parts)) == words(text)


def test_a_sentence_longer_than_one_sms_is_cut_between_words_never_inside_one():
    text = " ".join(f"word{i}" for i in range(200)) + "."
    parts = split_sms(text)
    assert all(len(p) <= MAX_SMS_CHARS for p in parts)
    assert words(" ".join(parts)) == words(text)
    for part in parts:
        assert all(re.fullmatch(r"word\d+\.?", w) for w in part.split())


def test_urls_stay_whole_wherever_the_cut_falls():
    for filler in range(150, 320, 7):
        text = "x" * filler + " Open " + URL + " and fill it in. " + "More words here. " * 10
        parts = split_sms(text)
        assert all(len(p) <= MAX_SMS_CHARS for p in parts)
        assert sum(p.count(URL) for p in parts) == 1, filler
        assert words(" ".join(parts)) == words(text)


def test_a_url_ending_a_sentence_keeps_its_period_and_stays_whole():
    text = "Fill in the form: " + URL + ". " + "Then wait for the email with the key. " * 8
    parts = split_sms(text)
    assert any(URL + "." in p for p in parts)


def test_a_url_longer_than_an_sms_travels_alone_and_whole():
    long_url = "https://portal.example.org/" + "a" * 400
    parts = split_sms(f"Open this link: {long_url} then sign in.")
    assert long_url in parts
    assert all(len(p) <= MAX_SMS_CHARS for p in parts if p != long_url)


def test_line_breaks_are_boundaries_and_survive_inside_an_sms():
    text = "A" * 290 + ".\nReply 1 for Yes, please, 2 for No, thanks"
    assert split_sms(text) == ["A" * 290 + ".", "Reply 1 for Yes, please, 2 for No, thanks"]
    assert split_sms("Hi.\nReply 1 for Yes") == ["Hi.\nReply 1 for Yes"]


def test_random_texts_never_lose_or_cut_a_word():
    rng = random.Random(5)
    vocabulary = ["portal", "key", "school", "account", URL, "password.", "kids!", "why?", "e.g.", "3.5", "ok"]
    for _ in range(200):
        text = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 150)))
        parts = split_sms(text)
        assert words(" ".join(parts)) == words(text)
        assert all(len(p) <= MAX_SMS_CHARS for p in parts)


# --- Buttons as numbered choices ---------------------------------------------------------------------------------

def test_buttons_become_a_numbered_choice_line_of_their_own():
    rendered = render_batch([{"text": "Is that OK?", "buttons": YES_NO}], TEMPLATES)
    assert rendered.bodies == ("Is that OK?\nReply 1 for Yes, please, 2 for No, thanks",)
    assert rendered.choices == (Choice("Yes, please", "/affirm"), Choice("No, thanks", "/deny"))


def test_the_main_menu_fits_one_sms():
    greeting = ("Hi! I help with the Cedar Valley Campus Parent portal: getting an account, the activation key, "
                "signing in, and seeing your kids. What do you need?")
    rendered = render_batch([{"text": greeting, "buttons": MENU}], TEMPLATES)
    assert len(rendered.bodies) == 1 and len(rendered.bodies[0]) <= MAX_SMS_CHARS
    assert rendered.bodies[0].endswith("4 for Forgot password, 5 for Talk to a person")


def test_choices_are_numbered_across_the_messages_of_one_turn():
    rendered = render_batch([{"text": "First?", "buttons": YES_NO}, {"text": "Plain."},
                             {"text": "Or pick:", "buttons": MENU[:2]}], TEMPLATES)
    assert rendered.bodies[2] == "Or pick:\nReply 3 for Get an account, 4 for Activation key help"
    assert [c.payload for c in rendered.choices] == ["/affirm", "/deny", "/get_account", "/activation_key_help"]
    assert match_choice("4", rendered.choices) == "/activation_key_help"


def test_quick_replies_images_and_custom_payloads():
    rendered = render_batch([{"text": "Look", "image": "https://x.example.org/a.png"},
                             {"quick_replies": [{"title": "OK", "payload": "/affirm"}], "text": "Go?"},
                             {"custom": {"anything": 1}}], TEMPLATES)
    assert rendered.bodies == ("Look\nhttps://x.example.org/a.png", "Go?\nReply 1 for OK")


@pytest.mark.parametrize("reply, payload", [
    ("1", "/affirm"), (" 2 ", "/deny"), ("2.", "/deny"), ("#1", "/affirm"), ("1!", "/affirm"),
    ("yes, please", "/affirm"), ("YES, PLEASE", "/affirm"), ("No, thanks.", "/deny"), ("no,  thanks", "/deny"),
    ("3", None), ("0", None), ("12", None), ("yes", None), ("1 and 2", None), ("", None),
])
def test_replies_map_back_to_the_button_payload(reply, payload):
    choices = (Choice("Yes, please", "/affirm"), Choice("No, thanks", "/deny"))
    assert match_choice(reply, choices) == payload


def test_titles_match_with_curly_apostrophes_and_nothing_maps_without_choices():
    choices = tuple(Choice(b["title"], b["payload"]) for b in MENU)
    assert match_choice("can\u2019t see all my kids", choices) == "/missing_students"
    assert match_choice("Talk to a person", choices) == "/human_handoff"
    assert match_choice("1", ()) is None


# --- Keywords -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("STOP", OPT_OUT), ("stop", OPT_OUT), (" Stop. ", OPT_OUT), ("StopAll", OPT_OUT), ("unsubscribe", OPT_OUT),
    ("Cancel", OPT_OUT), ("END", OPT_OUT), ("quit!", OPT_OUT),
    ("START", OPT_IN), ("start", OPT_IN), ("Unstop", OPT_IN),
    ("HELP", HELP), ("help?", HELP),
    ("stop please", None), ("please stop", None), ("I want to start", None), ("help me with my key", None),
    ("", None), ("1", None),
])
def test_keywords_match_the_whole_message_in_any_case(text, expected):
    assert keyword(text) == expected


# --- TwiML ----------------------------------------------------------------------------------------------------

def test_twiml_has_one_message_per_sms_and_escapes_xml():
    answer = twiml(["Tom & Jerry <b>bold</b> \"quoted\"", "Line one\nline two\x07"])
    root = ET.fromstring(answer.encode())
    assert root.tag == "Response"
    assert [m.text for m in root.findall("Message")] == ["Tom & Jerry <b>bold</b> \"quoted\"", "Line one\nline two"]
    assert "&amp;" in answer and "&lt;b&gt;" in answer


def test_an_empty_answer_sends_nothing():
    root = ET.fromstring(twiml([]).encode())
    assert root.tag == "Response" and list(root) == []


# --- Sender numbers and carrier quirks ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, number", [
    ("+15550102005", "+15550102005"), ("+1 (555) 010-2005", "+15550102005"), ("5550102005", "+15550102005"),
    ("15550102005", "+15550102005"), ("+447700900123", "+447700900123"),
    ("", None), ("12345", None), ("CEDARVLY", None), ("+12", None), ("whatsapp:+15550102005", None),
])
def test_sender_numbers_become_e164(raw, number):
    assert normalise_number(raw) == number


def test_a_carrier_mangled_at_sign_is_restored_in_email_addresses_only():
    assert _CARRIER_AT.sub("@", "ben.carter\u00a1example.com") == "ben.carter@example.com"
    assert _CARRIER_AT.sub("@", "\u00a1Hola! \u00a1Gracias") == "\u00a1Hola! \u00a1Gracias"


# --- The channel's own sentences ----------------------------------------------------------------------------------

def test_channel_sentences_name_the_district_and_fit_one_sms():
    assert "(555) 010-1000" in reply_text("help") and "Mon-Fri 8am-4:30pm" in reply_text("help")
    assert "START" in reply_text("opted_out") and "STOP" in reply_text("opted_in")
    for key in ("help", "opted_out", "opted_in"):
        assert len(reply_text(key)) <= 160


class FakeDomain:
    responses = {
        "utter_sms_help": [{"text": "Web chat only", "channel": "socketio"},
                           {"text": "Ayuda: {district_phone}", "condition": [{"type": "slot"}]},
                           {"text": "Help: {district_phone}"}],
        "utter_sms_choices": [{"text": "Answer {choices}"}, {"text": "Text {choices}", "channel": "sms"}],
    }


def test_domain_responses_replace_the_defaults():
    assert reply_text("help", FakeDomain()) == "Help: (555) 010-1000"
    templates = reply_templates(FakeDomain())
    assert templates["choices"] == "Text {choices}"
    assert templates["opted_out"] == SMS_REPLIES["opted_out"][1]
    assert render_batch([{"text": "Ok?", "buttons": YES_NO}], templates).bodies[0].endswith(
        "Text 1 for Yes, please, 2 for No, thanks")


def test_credentials_build_the_channel_and_secrets_come_from_the_environment(monkeypatch, caplog):
    from channels.sms import SmsInput

    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "env-token")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", "ACenv")
    monkeypatch.setenv("TWILIO_FROM_NUMBER", "+15550100000")
    channel = SmsInput.from_credentials({"public_url": "https://sms.example.org/webhooks/sms/webhook",
                                         "trust_proxy": "false", "auth_token": "in-the-file"})
    assert channel.name() == "sms" and channel.get_output_channel().name() == "sms"
    assert channel.auth_token == "env-token" and channel.client.configured and not channel.trust_proxy
    assert "ignoring unknown credentials keys auth_token" in caplog.text
    assert SmsInput.from_credentials(None).public_url is None
    with pytest.raises(ValueError):
        SmsInput.from_credentials({"public_url": "sms.example.org/webhook"})
