"""Values shown inside replies have a Spanish twin slot that the Spanish replies show: office hours, school names,
the attendance note; request states follow the language; the language itself survives "start over" and a new
session."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import AllSlotsReset
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import district_values, school_values
from actions.conversation import ActionStartOver
from actions.knowledge_base import ActionAnswerFaq
from actions.school_answers import ActionAnswerForSchool
from actions.session import ActionSessionStart
from actions.tickets import describe_tickets
from portal.district import load_district
from tests.actions.conftest import PROJECT_ROOT, make_tracker, slot_values
from tests.actions.test_knowledge_base import faq_tracker


def run(action, tracker) -> list[dict]:
    return asyncio.run(action.run(CollectingDispatcher(), tracker, {}))


def test_a_real_tracker_always_has_a_language():
    # Conditional English variations require language=en (tests/test_spanish_replies.py): Rasa's tracker starts
    # with the slot's initial value and a reset puts it back.
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events("p", [], slots=domain.slots)
    assert tracker.current_slot_values()["language"] == "en"
    tracker.update(AllSlotsReset())
    assert tracker.current_slot_values()["language"] == "en"


def test_words_in_values_come_in_both_languages_whatever_the_conversations_language():
    willow = load_district().school_by_id("org-willow-creek-ms")
    assert school_values(willow) == {
        "school": "org-willow-creek-ms", "school_name": "Willow Creek Middle School",
        "school_name_es": "Secundaria Willow Creek", "school_phone": willow.phone,
        "school_hours": "Mon-Fri 7:45am-4pm", "school_hours_es": "lun-vie 7:45am-4pm",
        "request_form_url": willow.request_form_url}
    values = district_values()
    assert (values["district_hours"], values["district_hours_es"]) == ("Mon-Fri 8am-4:30pm", "lun-vie 8am-4:30pm")


def test_every_spanish_variation_shows_the_spanish_twins():
    """A Spanish reply never shows a words-bearing value meant for English replies (and the reverse)."""
    import re

    from tests.test_spanish_replies import RESPONSES, is_spanish

    twins = {"district_hours", "school_name", "school_hours", "ticket_school_name", "ticket_school_hours",
             "attendance_reason"}
    for name, variations in RESPONSES.items():
        for variation in variations:
            shown = set(re.findall(r"{(\w+)}", str(variation)))
            if is_spanish(variation):
                assert not shown & twins, (name, shown & twins)
            else:
                assert not {f"{t}_es" for t in twins} & shown, name


def test_the_twins_are_slots_and_carried_into_a_new_session():
    from actions.session import CARRIED_OVER
    from tests.test_spanish_replies import SLOTS

    for name in ("district_hours", "school_name", "school_hours", "ticket_school_name", "ticket_school_hours",
                 "attendance_reason"):
        assert f"{name}_es" in SLOTS
    assert {"school_name_es", "school_hours_es"} <= set(CARRIED_OVER)


def test_attendance_note_in_spanish():
    tracker = make_tracker("asistencia", slots={"language": "es", "topic": "attendance",
                                                "school": "org-maple-ridge-es"})
    values = slot_values(run(ActionAnswerForSchool(), tracker))
    assert values["outcome"] == "attendance_hidden"
    assert values["attendance_reason_es"] == load_district().features["attendance_reason_es"]
    assert values["attendance_reason"] == load_district().features["attendance_reason"]
    english = slot_values(run(ActionAnswerForSchool(), make_tracker("attendance", slots={
        "topic": "attendance", "school": "org-maple-ridge-es"})))
    assert english["attendance_reason"] == load_district().features["attendance_reason"]


def test_request_states_in_spanish():
    tickets = [SimpleNamespace(id=100, school_id="org-maple-ridge-es", status="open"),
               SimpleNamespace(id=101, school_id="org-willow-creek-ms", status="in_progress")]
    assert describe_tickets(tickets) == "#100 Maple Ridge Elementary (open); #101 Willow Creek Middle School (in progress)"
    assert describe_tickets(tickets, "es") == ("#100 Primaria Maple Ridge (abierto); "
                                               "#101 Secundaria Willow Creek (en proceso)")


def test_start_over_keeps_the_language():
    values = slot_values(run(ActionStartOver(), make_tracker("empezar de nuevo", intent="start_over",
                                                             slots={"language": "es"})))
    assert values["language"] == "es" and values["district_hours_es"] == "lun-vie 8am-4:30pm"
    assert slot_values(run(ActionStartOver(), make_tracker("start over", intent="start_over")))["language"] == "en"


def test_a_new_session_keeps_the_language_and_shows_spanish_hours():
    values = slot_values(run(ActionSessionStart(), make_tracker("hola", slots={"language": "es"})))
    assert values["language"] == "es" and values["district_hours_es"] == "lun-vie 8am-4:30pm"
    values = slot_values(run(ActionSessionStart(), make_tracker("hi")))
    assert "language" not in values and values["district_hours"] == "Mon-Fri 8am-4:30pm"
