"""Issue 12: a ticket records its conversation's language, and staff see it: JSON API, queue (badge and
filter), ticket page, external help desk, and `portal-admin tickets list/show`. Parent notifications stay
EXTERNAL_* intents (Spanish comes from domain.yml's conditional variations); staff text is sent unchanged."""
from __future__ import annotations

import json

import pytest

from helpdesk import views
from helpdesk.external import description
from portal import db, outbox
from portal.tickets import TicketError, get_ticket, list_tickets, reply_to_parent, resolve_ticket, ticket_language
from tests.helpdesk.conftest import MAPLE, open_test_ticket


@pytest.fixture
def mixed(db_url):
    english = open_test_ticket(db_url, conversation_id="conv-en")
    spanish = open_test_ticket(db_url, conversation_id="conv-es", kind="account_reset", language="es")
    return english, spanish


def test_the_store_keeps_the_language_and_english_is_the_default(db_url, mixed):
    english, spanish = mixed
    assert (english.language, spanish.language) == ("en", "es")
    with db.session_scope(db_url) as session:
        assert get_ticket(session, spanish.id).language == "es"
        assert get_ticket(session, spanish.id).to_dict()["language"] == "es"
        assert [t.id for t in list_tickets(session, language="es")] == [spanish.id]
        assert [t.id for t in list_tickets(session, language="en")] == [english.id]
        assert len(list_tickets(session)) == 2
        with pytest.raises(TicketError):
            list_tickets(session, language="fr")


@pytest.mark.parametrize("value, stored", [("es", "es"), ("ES", "es"), (" es ", "es"), ("en", "en"), (None, "en"),
                                           ("", "en"), ("fr", "en"), (42, "en")])
def test_unknown_languages_are_recorded_as_english(value, stored):
    assert ticket_language(value) == stored


def test_the_api_gives_the_language_and_filters_by_it(district_client, mixed):
    english, spanish = mixed
    queue = district_client.get("/api/tickets").json()
    assert {t["id"]: t["language"] for t in queue["tickets"]} == {english.id: "en", spanish.id: "es"}
    only = district_client.get("/api/tickets?language=es").json()
    assert [t["id"] for t in only["tickets"]] == [spanish.id]
    assert district_client.get(f"/api/tickets/{spanish.id}").json()["language"] == "es"
    bad = district_client.get("/api/tickets?language=klingon")
    assert bad.status_code == 400 and "unknown language" in bad.json()["error"]
    spec = district_client.get("/api/openapi.json").json()
    names = [p["name"] for p in spec["paths"]["/api/tickets"]["get"]["parameters"]]
    assert "language" in names


def test_the_queue_shows_an_es_badge_and_filters_by_language(maple_client, mixed):
    english, spanish = mixed
    fragment = maple_client.get("/staff/fragments/queue").text
    assert '<abbr class="lang lang-es" title="Spanish">ES</abbr>' in fragment
    assert '<abbr class="lang lang-en" title="English">EN</abbr>' in fragment
    assert '<th scope="col">Language</th>' in fragment
    spanish_only = maple_client.get("/staff/fragments/queue?language=es").text
    assert f'data-ticket-id="{spanish.id}"' in spanish_only and f'data-ticket-id="{english.id}"' not in spanish_only
    page = maple_client.get("/staff/").text
    assert '<select id="filter-language" name="language">' in page and '<option value="es">Spanish</option>' in page
    script = maple_client.get("/staff/static/staff.js").text
    assert '"language"]' in script  # the filter is sent with the queue request


def test_the_ticket_page_names_the_language(maple_client, mixed):
    english, spanish = mixed
    page = maple_client.get(f"/staff/fragments/tickets/{spanish.id}").text
    assert "<dt>Language</dt>" in page and "ES</abbr> Spanish" in page
    assert "Spanish" not in maple_client.get(f"/staff/fragments/tickets/{english.id}").text.split("<dt>Language</dt>")[1][:120]


def test_views_default_old_tickets_to_english():
    assert views.language_badge(None) == '<abbr class="lang lang-en" title="English">EN</abbr>'


def test_the_external_help_desk_learns_the_language(db_url, mixed):
    _, spanish = mixed
    with db.session_scope(db_url) as session:
        [created] = [m for m in outbox.list_messages(session, ticket_id=spanish.id, target=outbox.EXTERNAL)]
    ticket = created.payload["ticket"]
    assert ticket["language"] == "es"
    assert "Language: Spanish (es)" in description(ticket)


def test_notices_to_a_spanish_parent_are_intents_and_staff_text_is_unchanged(db_url, mixed):
    """The assistant's own words come from domain.yml (Spanish variations by the `language` slot): the help desk
    only queues EXTERNAL_* intents with data as entities, and the staff's message exactly as typed."""
    _, spanish = mixed
    staff_text = "Hola, ya arreglamos su cuenta. Please sign in again."
    with db.session_scope(db_url) as session:
        reply_to_parent(session, spanish.id, staff_text, "Ms. Ruiz")
        resolve_ticket(session, spanish.id, note="fixed", actor="Ms. Ruiz", message_to_parent=staff_text)
        rows = outbox.list_messages(session, ticket_id=spanish.id, target=outbox.RASA)
    assert [r.payload["name"] for r in rows] == ["EXTERNAL_staff_reply", "EXTERNAL_ticket_resolved"]
    for row in rows:
        assert set(row.payload) == {"name", "entities"}
        assert row.payload["entities"]["staff_message"] == staff_text


def test_portal_admin_lists_and_shows_the_language(cli, mixed):
    english, spanish = mixed
    code, out, _ = cli("tickets", "list")
    lines = out.splitlines()
    assert code == 0 and "LANG" in lines[0].split()
    column = lines[0].split().index("LANG")
    rows = {line.split()[0]: line.split()[column] for line in lines[1:]}
    assert rows == {str(english.id): "EN", str(spanish.id): "ES"}
    _, out, _ = cli("tickets", "list", "--language", "es")
    assert [line.split()[0] for line in out.splitlines()[1:]] == [str(spanish.id)]
    _, out, _ = cli("tickets", "list", "--json", "--language", "en")
    assert [(t["id"], t["language"]) for t in json.loads(out)] == [(english.id, "en")]
    _, out, _ = cli("tickets", "show", str(spanish.id))
    assert "  language:     Spanish (es)" in out
    _, out, _ = cli("tickets", "show", str(spanish.id), "--json")
    assert json.loads(out)["language"] == "es"
    code, _, err = cli("tickets", "list", "--language", "fr")
    assert code == 2 and "invalid choice" in err
