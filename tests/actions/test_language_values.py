"""Values shown inside replies follow the conversation's language: office hours, the attendance note, request states;
the language itself survives "start over" and a new session."""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import AllSlotsReset
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import district_values, school_values, values_in_language
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


def test_spanish_conversation_gets_spanish_hours_from_any_action():
    # district_hours was set in English at the session start; the parent then wrote in Spanish.
    events = run(ActionAnswerFaq(), faq_tracker("grades", slots={"language": "es", "school": "org-willow-creek-ms",
                                                                 **school_values(load_district().schools[1])}))
    values = slot_values(events)
    assert values["district_hours"] == "lun-vie 8am-4:30pm"
    assert values["school_hours"] == "lun-vie 7:45am-4pm"


def test_english_conversation_gets_no_extra_events():
    tracker = make_tracker("x", slots={"school": "org-willow-creek-ms", **school_values(load_district().schools[1])})
    assert values_in_language(tracker, []) == []
    events = run(ActionAnswerFaq(), faq_tracker("grades", slots={"language": "en"}))
    assert "district_hours" not in slot_values(events)


def test_switching_back_to_english_puts_the_english_hours_back():
    tracker = make_tracker("x", slots={**district_values("es"), "language": "en", "ticket_school_name":
                                       "Summit Ridge Academy", "ticket_school_hours": "lun-jue 8am-2pm"})
    assert slot_values(values_in_language(tracker, [])) == {"district_hours": "Mon-Fri 8am-4:30pm",
                                                             "ticket_school_hours": "Mon-Thu 8am-2pm"}


def test_attendance_note_in_spanish():
    tracker = make_tracker("asistencia", slots={"language": "es", "topic": "attendance",
                                                "school": "org-maple-ridge-es"})
    values = slot_values(run(ActionAnswerForSchool(), tracker))
    assert values["outcome"] == "attendance_hidden"
    assert values["attendance_reason"] == load_district().features["attendance_reason_es"]
    english = slot_values(run(ActionAnswerForSchool(), make_tracker("attendance", slots={
        "topic": "attendance", "school": "org-maple-ridge-es"})))
    assert english["attendance_reason"] == load_district().features["attendance_reason"]


def test_request_states_in_spanish():
    tickets = [SimpleNamespace(id=100, school_id="org-maple-ridge-es", status="open"),
               SimpleNamespace(id=101, school_id="org-willow-creek-ms", status="in_progress")]
    assert describe_tickets(tickets) == "#100 Maple Ridge Elementary (open); #101 Willow Creek Middle School (in progress)"
    assert describe_tickets(tickets, "es") == ("#100 Maple Ridge Elementary (abierto); "
                                               "#101 Willow Creek Middle School (en proceso)")


def test_start_over_keeps_the_language():
    values = slot_values(run(ActionStartOver(), make_tracker("empezar de nuevo", intent="start_over",
                                                             slots={"language": "es"})))
    assert values["language"] == "es" and values["district_hours"] == "lun-vie 8am-4:30pm"
    assert slot_values(run(ActionStartOver(), make_tracker("start over", intent="start_over")))["language"] == "en"


def test_a_new_session_keeps_the_language_and_shows_spanish_hours():
    values = slot_values(run(ActionSessionStart(), make_tracker("hola", slots={"language": "es"})))
    assert values["language"] == "es" and values["district_hours"] == "lun-vie 8am-4:30pm"
    values = slot_values(run(ActionSessionStart(), make_tracker("hi")))
    assert "language" not in values and values["district_hours"] == "Mon-Fri 8am-4:30pm"
