"""Identity before disclosure: the lookup form's validation."""
from __future__ import annotations

from typing import Any, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import district_values
from actions.verification import MAX_VERIFY_ATTEMPTS, ValidateLookupForm, first_names
from portal.facts import find_contact
from tests.actions.conftest import PROJECT_ROOT, make_tracker, slot_values

FORM = ValidateLookupForm()
DOMAIN_SLOTS = ["school", "contact", "child_first_name", "child_birth_date", "missing_child_name"]


@pytest.mark.parametrize("value, ok", [("ben.carter@example.com", True), ("+1 (555) 010-2002", True),
                                       ("555.010.2002", True), ("ben", False), ("12345", False), ("", False)])
def test_contact_format(value, ok):
    assert (find_contact(value) is not None) is ok


@pytest.mark.parametrize("value, names", [("Noah", ["Noah"]), ("his name is Noah", ["Noah"]),
                                          ("Emma and Noah", ["Emma", "Noah"]), ("José", ["José"]), ("123", [])])
def test_first_names(value, names):
    assert first_names(value) == names


async def test_required_slots_before_and_after_verification():
    unverified = await FORM.required_slots(DOMAIN_SLOTS, None, make_tracker(), {})
    assert unverified == ["school", "contact", "child_first_name", "child_birth_date"]
    missing = make_tracker(slots={"verified_guardian_id": "g-chloe-nguyen", "topic": "missing_students"})
    assert await FORM.required_slots(DOMAIN_SLOTS, None, missing, {}) == ["school", "missing_child_name"]
    locked = make_tracker(slots={"verify_attempts": 3.0})
    assert await FORM.required_slots(DOMAIN_SLOTS, None, locked, {}) == ["school"]


async def test_matching_facts_verify_the_parent():
    tracker = make_tracker("9/3/2012", slots={"contact": "BEN.CARTER@example.com ", "child_first_name": "lily"})
    updates = await FORM.validate_child_birth_date("9/3/2012", None, tracker, {})
    assert updates["verified_guardian_id"] == "g-ben-carter"
    assert updates["child_birth_date"] == "2012-09-03"
    assert updates["lookup_feedback"] is None


@pytest.mark.parametrize("contact, child, born", [
    ("ben.carter@example.com", "Lily", "9/4/2012"),      # wrong date
    ("ben.carter@example.com", "Mateo", "4/12/2016"),    # another family's child
    ("ana.rivera@example.com", "Lily", "9/3/2012"),      # another family's contact
])
async def test_wrong_facts_never_say_which_one_was_wrong(contact, child, born):
    tracker = make_tracker(born, slots={"contact": contact, "child_first_name": child})
    updates = await FORM.validate_child_birth_date(born, None, tracker, {})
    assert "verified_guardian_id" not in updates
    assert updates == {"contact": None, "child_first_name": None, "child_birth_date": None,
                       "verify_attempts": 1.0, "lookup_feedback": "verify_failed"}


async def test_third_failure_ends_the_check_unverified():
    tracker = make_tracker("1/1/2015", slots={"contact": "x@example.com", "child_first_name": "Max",
                                              "verify_attempts": 2.0})
    updates = await FORM.validate_child_birth_date("1/1/2015", None, tracker, {})
    assert updates["verify_attempts"] == 3.0
    assert updates["child_birth_date"] == "2015-01-01"
    assert "verified_guardian_id" not in updates


async def test_unreadable_date_asks_again_without_counting_an_attempt():
    updates = await FORM.validate_child_birth_date("last spring", None, make_tracker("last spring"), {})
    assert updates == {"child_birth_date": None, "lookup_feedback": "bad_date"}


async def test_bad_contact_and_name_ask_again():
    assert (await FORM.validate_contact("my email", None, make_tracker(), {}))["lookup_feedback"] == "bad_contact"
    assert (await FORM.validate_child_first_name("Emma and Noah", None, make_tracker(), {}))["lookup_feedback"] == \
        "bad_child_name"


async def test_on_sms_the_senders_number_is_the_first_fact():
    sms = {"text": "Ivan", "intent": {"name": "inform"}, "entities": [], "metadata": {"sms_from": "+15550102005"}}
    tracker = make_tracker("Ivan", channel="sms")
    tracker.latest_message = sms
    assert await FORM.required_slots(DOMAIN_SLOTS, None, tracker, {}) == ["school", "child_first_name",
                                                                          "child_birth_date"]
    tracker.slots["child_first_name"] = "Ivan"
    updates = await FORM.validate_child_birth_date("7/22/2010", None, tracker, {})
    assert updates["verified_guardian_id"] == "g-elena-petrova"


async def test_on_sms_a_failed_try_asks_for_the_contact():
    tracker = make_tracker("x", slots={"verify_attempts": 1.0}, channel="sms")
    tracker.latest_message = {"text": "x", "intent": {"name": "inform"}, "metadata": {"sms_from": "+15550109999"}}
    assert "contact" in await FORM.required_slots(DOMAIN_SLOTS, None, tracker, {})


# --- Answers in whole sentences --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, contact", [
    ("my email is Ben.Carter@example.com", "ben.carter@example.com"),
    ("it's ben.carter@example.com.", "ben.carter@example.com"),
    ("you can reach me at (555) 010-2002", "+15550102002"),
    ("my cell is 555.010.2002 thanks", "+15550102002"),
])
async def test_a_contact_inside_a_sentence_is_the_answer(text, contact):
    assert await FORM.validate_contact(text, None, make_tracker(text), {}) == {"contact": contact,
                                                                               "lookup_feedback": None}


@pytest.mark.parametrize("text, name", [("her name is Mia", "Mia"), ("my daughter's name is Mia", "Mia"),
                                        ("my son Jayden", "Jayden"), ("Lily", "Lily"), ("his name's Noah", "Noah"),
                                        ("Sofia, born Sept 3 2012", "Sofia")])
async def test_a_child_name_inside_a_sentence_is_the_answer(text, name):
    updates = await FORM.validate_child_first_name(text, None, make_tracker(text), {})
    assert updates["child_first_name"] == name and updates["lookup_feedback"] is None


@pytest.mark.parametrize("text", ["she was born on September 3rd, 2012", "he was born on 9/3/2012", "Sept 3 2012",
                                  "2012-09-03", "9-3-12", "3 de septiembre de 2012"])
async def test_a_birth_date_inside_a_sentence_verifies(text):
    tracker = make_tracker(text, slots={"contact": "ben.carter@example.com", "child_first_name": "Lily"})
    updates = await FORM.validate_child_birth_date(text, None, tracker, {})
    assert updates["verified_guardian_id"] == "g-ben-carter" and updates["child_birth_date"] == "2012-09-03"


@pytest.mark.parametrize("text", ["9/3", "she was born on March 14", "last spring", "2/30/2012", "9/3/2099"])
async def test_a_date_without_a_year_or_impossible_is_asked_again(text):
    tracker = make_tracker(text, slots={"contact": "ben.carter@example.com", "child_first_name": "Lily"})
    assert await FORM.validate_child_birth_date(text, None, tracker, {}) == {"child_birth_date": None,
                                                                             "lookup_feedback": "bad_date"}


# --- The form over several turns ---------------------------------------------------------------------------------------

DIGRESSION = "security_email"  # one of the intents the domain's from_text mappings skip (not_intent)
# The intents the domain's from_text mappings skip (not_intent of the identity slots).
DIGRESSIONS = set(yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["slots"]["child_first_name"]["mappings"][0]
                  ["not_intent"])


def user(text: str, intent: str = "inform") -> dict[str, Any]:
    parse = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []}
    return {"event": "user", "text": text, "parse_data": parse, "input_channel": "rest"}


def action(name: str) -> dict[str, Any]:
    return {"event": "action", "name": name}


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value}


class Conversation:
    """The lookup form over several turns as Rasa 3.6 runs it: the parent's message is recorded; the whole text
    becomes the open question's slot candidate (the domain's from_text mapping, skipped for digressions); then
    validate_lookup_form runs with every event of the conversation and its returned events are applied."""

    def __init__(self, domain: dict[str, Any], opening: str = "I forgot my password", topic: str = "forgot_password",
                 slots: Optional[dict[str, Any]] = None, before: tuple[str, ...] = ()) -> None:
        self.domain = domain
        self.slots: dict[str, Any] = {**district_values(), "topic": topic, "school": "org-willow-creek-ms",
                                      **(slots or {})}
        self.events = [event for text in before for event in (user(text), action("utter_fallback"))]
        self.events += [user(opening), action(f"utter_{topic}"), action("utter_offer_lookup")]
        self.asked: list[str] = []       # every question the form asked, in order
        self.updates: dict[str, Any] = {}  # the slots the last turn set

    async def start(self, text: str = "yes") -> Optional[str]:
        """The parent accepts the offered check: the form starts and validates what is already known."""
        self.events += [user(text, "affirm"), action("lookup_form"), {"event": "active_loop", "name": "lookup_form"}]
        return await self._run(text, "affirm", {s: self.slots[s] for s in DOMAIN_SLOTS if self.slots.get(s)})

    async def say(self, text: str, intent: str = "inform") -> Optional[str]:
        """One message of the parent; the question asked next (None when the form is done)."""
        self.events.append(user(text, intent))
        requested = self.slots.get("requested_slot")
        return await self._run(text, intent, {requested: text} if requested and intent not in DIGRESSIONS else {})

    async def _run(self, text: str, intent: str, candidates: dict[str, Any]) -> Optional[str]:
        extracted = [slot(name, value) for name, value in candidates.items()]
        self.events += extracted  # action_extract_slots records the candidates
        latest = {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": []}
        events = [*self.events, slot("requested_slot", self.slots.get("requested_slot")), action("lookup_form"),
                  *extracted]
        tracker = Tracker("parent-1", {**self.slots, **candidates}, latest, events, False, None,
                          {"name": "lookup_form"}, "action_listen")
        returned = await FORM.run(CollectingDispatcher(), tracker, self.domain)
        self.updates = slot_values(returned)
        self.slots.update(self.updates)
        self.events += [action("lookup_form"), *returned]
        if self.slots.get("requested_slot"):
            self.asked.append(self.slots["requested_slot"])
        return self.slots.get("requested_slot")


BEN = {"opening": "it says my activation key has already been used", "topic": "key_already_used"}


async def test_each_question_answered_in_a_sentence(domain):
    talk = Conversation(domain, **BEN)
    assert await talk.start() == "contact"
    assert await talk.say("my email is Ben.Carter@example.com") == "child_first_name"
    assert await talk.say("my daughter's name is Lily") == "child_birth_date"
    assert await talk.say("she was born on September 3rd, 2012") is None
    assert talk.slots["verified_guardian_id"] == "g-ben-carter"
    assert (talk.slots["contact"], talk.slots["child_first_name"], talk.slots["child_birth_date"]) == \
        ("ben.carter@example.com", "Lily", "2012-09-03")


async def test_email_name_and_date_in_one_message_fill_all_three_and_nothing_more_is_asked(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    said = "my email is ben.carter@example.com, my daughter's name is Lily and she was born on September 3rd, 2012"
    assert await talk.say(said) is None
    assert talk.slots["verified_guardian_id"] == "g-ben-carter"
    assert talk.asked == ["contact"]


async def test_email_and_name_in_one_message_then_only_the_date_is_asked(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    assert await talk.say("my email is ana@example.com and her name is Sofia") == "child_birth_date"
    assert (talk.slots["contact"], talk.slots["child_first_name"]) == ("ana@example.com", "Sofia")
    assert talk.asked == ["contact", "child_birth_date"]


async def test_a_phone_number_and_date_given_to_the_name_question_are_kept(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    assert await talk.say("you can reach me at (555) 010-2002, she was born 9/3/2012") == "child_first_name"
    assert await talk.say("her name is Lily") is None
    assert talk.slots["verified_guardian_id"] == "g-ben-carter"


async def test_facts_in_the_message_that_started_the_check_are_not_asked_again(domain):
    talk = Conversation(domain, "I forgot my password, my email is elena.petrova@example.com and my son is named Ivan")
    assert await talk.start() == "child_birth_date"
    assert await talk.say("he was born on July 22nd, 2010") is None
    assert talk.slots["verified_guardian_id"] == "g-elena-petrova"
    assert talk.asked == ["child_birth_date"]


async def test_all_three_facts_in_the_opening_message_verify_without_a_question(domain):
    talk = Conversation(domain, "forgot my password. email elena.petrova@example.com, his name is Ivan, born 7/22/2010")
    assert await talk.start() is None
    assert talk.slots["verified_guardian_id"] == "g-elena-petrova" and talk.asked == []


async def test_facts_from_before_this_identity_check_are_not_used(domain):
    talk = Conversation(domain, before=("my email is elena.petrova@example.com",))
    assert await talk.start() == "contact"


async def test_a_name_or_guess_from_the_opening_message_is_only_a_clearly_given_fact(domain):
    talk = Conversation(domain, "my son ivan forgot my password since 2010, now it wont let me log in")
    assert await talk.start() == "contact"
    assert await talk.say("elena.petrova@example.com") == "child_first_name"  # "ivan" without a capital: no name


async def test_a_capitalised_name_after_my_son_is_given(domain):
    talk = Conversation(domain, "my son Ivan forgot my password since 2010, now it wont let me log in")
    assert await talk.start() == "contact"
    assert await talk.say("elena.petrova@example.com") == "child_birth_date"  # the year alone is no birth date


async def test_a_fact_given_instead_of_the_answer_is_kept_and_the_question_asked_plainly(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    assert await talk.say("her name is Lily") == "contact"
    assert talk.slots["child_first_name"] == "Lily" and talk.slots["lookup_feedback"] is None
    assert await talk.say("not sure") == "contact"
    assert talk.slots["lookup_feedback"] == "bad_contact"


async def test_a_fact_in_a_message_taken_for_a_digression_still_counts(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    assert await talk.say("my email is ben.carter@example.com", intent=DIGRESSION) == "child_first_name"
    assert talk.slots["contact"] == "ben.carter@example.com"


async def test_a_missing_childs_name_in_the_opening_message_is_not_used_to_verify_nor_asked_again(domain):
    talk = Conversation(domain, "I can't see my son in the portal, his name is Noah", "missing_students",
                        slots={"school": "org-cedar-valley-hs"})
    assert await talk.start() == "contact"
    assert await talk.say("chloe.nguyen@example.com") == "child_first_name"
    assert await talk.say("my daughter's name is Emma") == "child_birth_date"
    assert await talk.say("she was born on January 20, 2009") is None
    assert talk.slots["verified_guardian_id"] == "g-chloe-nguyen" and talk.slots["missing_child_name"] == "Noah"


# --- Corrections -------------------------------------------------------------------------------------------------------

async def test_a_correction_replaces_the_last_answer(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    await talk.say("ben.carter@example.com")
    assert await talk.say("Lilly") == "child_birth_date"
    assert await talk.say("oops I meant Lily") == "child_birth_date"
    assert talk.slots["child_first_name"] == "Lily" and talk.slots["lookup_feedback"] is None
    assert await talk.say("sorry, I meant ben.carter@example.com") == "child_birth_date"
    assert await talk.say("9/3/2012") is None
    assert talk.slots["verified_guardian_id"] == "g-ben-carter"


async def test_an_impossible_date_then_a_correction_with_its_year(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    await talk.say("ben.carter@example.com")
    await talk.say("Lily")
    assert await talk.say("9/3/2099") == "child_birth_date"  # in the future: asked again
    assert talk.slots["lookup_feedback"] == "bad_date"
    assert await talk.say("oops I meant 9/3/2012") is None
    assert talk.slots["verified_guardian_id"] == "g-ben-carter"


@pytest.mark.parametrize("correction", ["sorry, I meant 9/3", "oops I meant 9/3/2012", "sorry, it's Sept 3"])
async def test_a_date_corrected_after_a_failed_attempt_is_checked_with_the_other_answers(domain, correction):
    talk = Conversation(domain, **BEN)
    await talk.start()
    await talk.say("my email is ben.carter@example.com")
    await talk.say("her name is Lily")
    assert await talk.say("she was born 9/4/2012") == "contact"
    assert talk.updates == {"contact": None, "child_first_name": None, "child_birth_date": None,
                            "verify_attempts": 1.0, "lookup_feedback": "verify_failed", "requested_slot": "contact"}
    assert await talk.say(correction) is None
    assert talk.slots["verified_guardian_id"] == "g-ben-carter"
    assert talk.slots["child_birth_date"] == "2012-09-03" and talk.slots["verify_attempts"] == 1.0


async def test_a_corrected_attempt_that_fails_counts_like_any_other(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    await talk.say("ben.carter@example.com, her name is Lily, she was born 9/4/2012")
    assert await talk.say("sorry, I meant 9/5") == "contact"
    assert talk.updates["verify_attempts"] == 2.0 and talk.updates["lookup_feedback"] == "verify_failed"
    assert await talk.say("oops I meant 9/6") is None
    assert talk.slots["verify_attempts"] == float(MAX_VERIFY_ATTEMPTS)
    assert not talk.slots.get("verified_guardian_id")


async def test_a_question_after_a_failure_does_not_make_the_attempt_again(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    assert await talk.say("my email is ben.carter@example.com, her name is Lily, she was born 9/4/2012") == "contact"
    assert await talk.say("wait, why do you need this?", intent="why_verify") == "contact"
    assert await talk.say("sorry") == "contact"
    assert talk.slots["verify_attempts"] == 1.0
    assert [talk.slots[name] for name in ("contact", "child_first_name", "child_birth_date")] == [None, None, None]


async def test_a_date_without_a_year_is_not_a_correction_without_an_earlier_date(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    await talk.say("ben.carter@example.com")
    await talk.say("Lily")
    assert await talk.say("sorry, I meant 9/3") == "child_birth_date"
    assert talk.slots["lookup_feedback"] == "bad_date"


# --- What must not change: attempts, no hint, no facts in the logs -------------------------------------------------

@pytest.mark.parametrize("contact, child, born", [
    ("ben.carter@example.com", "Lily", "September 4th, 2012"),   # wrong date
    ("ben.carter@example.com", "Mateo", "April 12th, 2016"),     # another family's child
    ("ana.rivera@example.com", "Lily", "September 3rd, 2012"),   # another family's contact
])
async def test_a_failure_in_sentences_never_says_which_fact_was_wrong(domain, contact, child, born):
    one_message = Conversation(domain, **BEN)
    await one_message.start()
    await one_message.say(f"my email is {contact}, her name is {child} and she was born on {born}")
    one_by_one = Conversation(domain, **BEN)
    await one_by_one.start()
    for said in (f"my email is {contact}", f"her name is {child}", f"she was born on {born}"):
        await one_by_one.say(said)
    expected = {"contact": None, "child_first_name": None, "child_birth_date": None, "verify_attempts": 1.0,
                "lookup_feedback": "verify_failed", "requested_slot": "contact"}
    assert one_message.updates == one_by_one.updates == expected


async def test_three_failures_end_the_check_and_later_facts_are_not_looked_at(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    for attempt, day in enumerate(("9/4/2012", "9/5/2012", "9/6/2012"), start=1):
        asked = await talk.say(f"my email is ben.carter@example.com, her name is Lily, she was born {day}")
        assert talk.slots["verify_attempts"] == float(attempt)
    assert asked is None and not talk.slots.get("verified_guardian_id")
    assert await talk.say("sorry, I meant 9/3/2012") is None
    assert await talk.say("my email is ben.carter@example.com, her name is Lily, she was born 9/3/2012") is None
    assert not talk.slots.get("verified_guardian_id") and talk.slots["verify_attempts"] == 3.0


async def test_the_logs_never_show_the_facts(domain, caplog):
    caplog.set_level("DEBUG")
    talk = Conversation(domain, "I forgot my password, my email is elena.petrova@example.com")
    await talk.start()
    await talk.say("oops, you can reach me at (555) 010-2005 instead")
    await talk.say("my son's name is Ivan and he was born on July 23rd, 2010")
    assert talk.slots["lookup_feedback"] == "verify_failed" and caplog.records
    for fact in ("elena.petrova", "010-2005", "5550102005", "Ivan", "2010"):
        assert fact not in caplog.text


# --- A date that reads two ways, from a parent writing Spanish (issue 12) ------------------------------------------------

async def test_in_spanish_a_date_that_reads_two_ways_is_confirmed_before_the_check(domain):
    talk = Conversation(domain, **BEN, slots={"language": "es"})
    await talk.start()
    assert await talk.say("ben.carter@example.com") == "child_first_name"
    assert await talk.say("se llama Lily") == "child_birth_date"
    assert await talk.say("nació el 3/9/2012") == "child_birth_date"
    assert talk.slots["lookup_feedback"] == "confirm_date" and talk.slots.get("verified_guardian_id") is None
    assert (talk.slots["date_choice_1"], talk.slots["date_choice_2"]) == ("3 de septiembre de 2012",
                                                                          "9 de marzo de 2012")
    assert not talk.slots.get("verify_attempts")  # nothing was checked, so no attempt is used
    assert await talk.say("3 de septiembre de 2012") is None  # the button sends the date as text
    assert talk.slots["verified_guardian_id"] == "g-ben-carter" and talk.slots["child_birth_date"] == "2012-09-03"


async def test_in_spanish_the_day_and_month_alone_answer_which_date(domain):
    talk = Conversation(domain, **BEN, slots={"language": "es"})
    await talk.start()
    await talk.say("ben.carter@example.com")
    await talk.say("Lily")
    assert await talk.say("3/9/2012") == "child_birth_date"
    assert await talk.say("el 3 de septiembre") is None
    assert talk.slots["verified_guardian_id"] == "g-ben-carter"


async def test_in_spanish_a_two_way_date_given_with_the_other_facts_is_asked_about_not_guessed(domain):
    talk = Conversation(domain, **BEN, slots={"language": "es"})
    await talk.start()
    assert await talk.say("mi correo es ben.carter@example.com, se llama Lily y nació el 3/9/2012") == \
        "child_birth_date"
    assert talk.slots["lookup_feedback"] == "confirm_date" and talk.slots.get("verified_guardian_id") is None


@pytest.mark.parametrize("language, text", [("en", "9/3/2012"), ("es", "2012-09-03"), ("es", "3 de septiembre de 2012"),
                                            ("es", "Sept 3 2012")])
async def test_dates_that_read_one_way_or_english_conversations_are_checked_at_once(language, text):
    tracker = make_tracker(text, slots={"contact": "ben.carter@example.com", "child_first_name": "Lily",
                                        "language": language})
    updates = await FORM.validate_child_birth_date(text, None, tracker, {})
    assert updates["verified_guardian_id"] == "g-ben-carter" and updates["child_birth_date"] == "2012-09-03"


async def test_in_spanish_a_day_over_twelve_reads_one_way():
    tracker = make_tracker("15/3/2013", slots={"contact": "x@example.com", "child_first_name": "Lily", "language": "es"})
    updates = await FORM.validate_child_birth_date("15/3/2013", None, tracker, {})
    assert updates["lookup_feedback"] == "verify_failed"  # checked at once (against the wrong family: no match)


# --- A lone name read as a topic ----------------------------------------------------------------------------------------

async def test_a_lone_name_taken_for_a_topic_is_still_the_answer_to_the_name_question(domain):
    talk = Conversation(domain, **BEN)
    await talk.start()
    await talk.say("ben.carter@example.com")
    assert await talk.say("Lily", intent="missing_students") == "child_birth_date"
    assert talk.slots["child_first_name"] == "Lily"


@pytest.mark.parametrize("text, intent", [("cancel", "cancel"), ("start over", "start_over"),
                                          ("why do you need my kid's name?", "why_verify"),
                                          ("I can't see all of my kids in the portal", "missing_students")])
async def test_control_words_and_real_questions_are_not_taken_for_a_name(domain, text, intent):
    talk = Conversation(domain, **BEN)
    await talk.start()
    await talk.say("ben.carter@example.com")
    await talk.say(text, intent=intent)
    assert talk.slots.get("child_first_name") is None
