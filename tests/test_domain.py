"""Every reply a parent can see: short enough for one SMS pair, filled from real values, and reachable."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from actions.common import district_values, school_values
from channels.sentences import CHANNEL_SENTENCES, channel_sentence
from channels.sms_replies import SMS_REPLIES, reply_text
from portal.district import load_district
from tests.portal.test_knowledge import filled_answers

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text())
RULES = [r for path in sorted((ROOT / "data" / "rules").glob("*.yml")) for r in yaml.safe_load(path.read_text())["rules"]]
MAX_REPLY = 320

# The longest values the actions can put in a reply.
LONGEST_SCHOOL = max(load_district().schools, key=lambda s: len(s.name) + len(s.request_form_url) + len(s.phone))
EXAMPLE_VALUES = {
    **district_values(), **school_values(LONGEST_SCHOOL),
    "ticket_school_name": LONGEST_SCHOOL.name, "ticket_school_phone": LONGEST_SCHOOL.phone,
    "ticket_school_hours": LONGEST_SCHOOL.office_hours.describe(),
    "ticket_school_name_es": LONGEST_SCHOOL.name_in("es"), "ticket_school_hours_es": LONGEST_SCHOOL.office_hours.describe("es"),
    "attendance_reason_es": load_district().features["attendance_reason_es"],
    "date_choice_1": "30 de septiembre de 2015", "date_choice_2": "30 de septiembre de 2015",
    "ticket_id": "100000", "masked_username": "b**************7", "children": "Alexandria, Benjamin, Christopher",
    "missing_children": "Alexandria and Christopher", "key_length": "31", "bad_characters": "G H K M P Q",
    "attendance_reason": load_district().features["attendance_reason"],
    "staff_message": "We merged your two records, so all your children show now. Please sign out and in again. "
                     "Call us if anything still looks wrong.",
    "ticket_list": "#100 Maple Ridge Elementary (open); #101 Willow Creek Middle School (in progress)",
    "kb_answer": max(filled_answers(), key=len),
}


# The SMS channel's numbered choices: the three longest button titles of the domain.
BUTTON_TITLES = sorted({b["title"] for texts in DOMAIN["responses"].values() for t in texts for b in t.get("buttons", [])},
                       key=len)
EXAMPLE_VALUES.update(number="3", title=BUTTON_TITLES[-1],
                      choices=", ".join(f"{n} for {t}" for n, t in enumerate(BUTTON_TITLES[-3:], start=1)))


def variations():
    """Every reply a parent can see: the domain's variations, and the channels' own sentences (channels/sentences.py,
    channels/sms_replies.py) in English and Spanish, their district values filled."""
    for name, texts in DOMAIN["responses"].items():
        for index, variation in enumerate(texts):
            yield pytest.param(name, variation, id=f"{name}[{index}]")
    for language in ("en", "es"):
        for key in CHANNEL_SENTENCES:
            yield pytest.param(key, {"text": channel_sentence(key, language=language)}, id=f"channel:{key}[{language}]")
        for key in SMS_REPLIES:
            yield pytest.param(key, {"text": reply_text(key, language=language)}, id=f"sms:{key}[{language}]")


def render(text: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(EXAMPLE_VALUES[m.group(1)]), text)


@pytest.mark.parametrize("name, variation", list(variations()))
def test_reply_fits_in_320_characters_with_real_values(name, variation):
    rendered = render(variation["text"])
    assert len(rendered) <= MAX_REPLY, f"{name} is {len(rendered)} characters: {rendered}"
    assert "{" not in rendered


def test_the_channel_sentences_are_checked_too():
    checked = [p.id for p in variations()]
    assert "channel:too_long[es]" in checked and "sms:help[es]" in checked and "sms:choices[en]" in checked


def test_every_variable_in_a_reply_is_a_slot():
    slots = set(DOMAIN["slots"])
    used = {v for texts in DOMAIN["responses"].values() for t in texts for v in re.findall(r"{(\w+)}", t["text"])}
    assert used <= slots, used - slots


# The outcome contract (enum, slot values, rules) is checked in tests/actions/test_outcomes.py.


def test_button_payloads_name_known_intents():
    intents = set(DOMAIN["intents"]) | {"faq"}  # the retrieval intent comes from data/nlu/faq.yml
    for name, texts in DOMAIN["responses"].items():
        for variation in texts:
            for button in variation.get("buttons", []):
                if re.fullmatch(r"{clarify_payload_\d}", button["payload"]):
                    continue  # filled by action_clarify with a topic's payload (tests/actions/test_clarify.py)
                if re.fullmatch(r"{date_choice_\d}", button["payload"]):
                    continue  # a date the parent taps, sent as typed text ("12 de marzo de 2015")
                intent = re.match(r"/(\w+)", button["payload"]).group(1)
                assert intent in intents, f"{name}: {button['payload']}"
