"""helpdesk.api over HTTP (the app runs in a thread): authentication, school scoping both ways, every
endpoint's happy and error paths, and JSON errors without stack traces."""
from __future__ import annotations

import pytest

from helpdesk import service
from helpdesk.app import create_app
from portal import db, handoff, outbox
from portal.tickets import add_message, get_ticket
from tests.helpdesk.conftest import (
    DISTRICT_TOKEN,
    MAPLE,
    MAPLE_TOKEN,
    WILLOW,
    WILLOW_TOKEN,
    make_config,
    open_test_ticket,
)
from tests.helpdesk.support import Client, RunningApp

PROTECTED = [
    ("GET", "/api/me"), ("GET", "/api/tickets"), ("GET", "/api/tickets/1"), ("GET", "/api/stats"),
    ("POST", "/api/tickets/1/claim"), ("POST", "/api/tickets/1/notes"), ("POST", "/api/tickets/1/status"),
    ("POST", "/api/tickets/1/messages"), ("POST", "/api/tickets/1/handback"), ("POST", "/api/tickets/1/resolve"),
    ("GET", "/staff/fragments/queue"), ("GET", "/staff/fragments/dashboard"), ("GET", "/staff/fragments/tickets/1"),
]
ACTIONS = [
    ("claim", {"assignee": "Intruder"}),
    ("notes", {"text": "peek"}),
    ("status", {"status": "closed"}),
    ("messages", {"text": "hello from the wrong school"}),
    ("handback", {}),
    ("resolve", {"message": "resolved by the wrong school"}),
]


def _rows(db_url, **filters):
    with db.session_scope(db_url) as session:
        return outbox.list_messages(session, **filters)


def _call(client, method, path, body=None):
    return client.get(path) if method == "GET" else client.post(path, body if body is not None else {})


def _assert_error(response, status, fragment=""):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and fragment in body["error"]
    assert "Traceback" not in response.text and "File \"" not in response.text


@pytest.fixture
def two_schools(db_url):
    maple = open_test_ticket(db_url, conversation_id="conv-maple", school_id=MAPLE)
    willow = open_test_ticket(db_url, conversation_id="conv-willow", school_id=WILLOW, kind="account_reset")
    return maple, willow


# -- authentication -----------------------------------------------------------------------------------------
def test_health_and_openapi_need_no_token(client):
    assert client.get("/api/health").json() == {"status": "ok"}
    assert client.get("/api/openapi.json").json()["openapi"].startswith("3.")


@pytest.mark.parametrize("method, path", PROTECTED)
def test_missing_token_is_401(client, method, path):
    response = _call(client, method, path)
    _assert_error(response, 401, "missing bearer token")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method, path", PROTECTED)
def test_forged_token_is_401(client, method, path):
    _assert_error(_call(client.as_("forged-token-0123456789abcdef"), method, path), 401, "invalid token")
    _assert_error(_call(client.as_(MAPLE_TOKEN + "x"), method, path), 401, "invalid token")


def test_malformed_authorization_header_is_401(client):
    response = client.get("/api/tickets", headers={"Authorization": f"Basic {MAPLE_TOKEN}"})
    _assert_error(response, 401, "malformed Authorization header")


def test_me(district_client, maple_client):
    me = district_client.get("/api/me").json()
    assert (me["scope"], me["school_id"], me["name"]) == ("district", None, "District office")
    assert len(me["schools"]) == 5 and me["district"] == "Cedar Valley School District"
    me = maple_client.get("/api/me").json()
    assert (me["scope"], me["school_id"]) == ("school", MAPLE)
    assert me["schools"] == [{"id": MAPLE, "name": "Maple Ridge Elementary"}]


# -- school scoping, both ways ------------------------------------------------------------------------------
@pytest.mark.parametrize("own_token, own_school, other_index", [(MAPLE_TOKEN, MAPLE, 1), (WILLOW_TOKEN, WILLOW, 0)])
def test_school_tokens_see_only_their_school(client, two_schools, own_token, own_school, other_index):
    staff = client.as_(own_token)
    own = two_schools[1 - other_index]
    other = two_schools[other_index]
    listing = staff.get("/api/tickets").json()
    assert [t["id"] for t in listing["tickets"]] == [own.id]
    assert listing["school_id"] == own_school
    assert sum(listing["counts"]["by_status"].values()) == 1
    assert staff.get(f"/api/tickets/{own.id}").status_code == 200
    _assert_error(staff.get(f"/api/tickets/{other.id}"), 404, f"no ticket with id {other.id}")
    _assert_error(staff.get(f"/staff/fragments/tickets/{other.id}"), 404)
    assert staff.get(f"/api/tickets?school={own_school}").status_code == 200
    _assert_error(staff.get(f"/api/tickets?school={other.school_id}"), 403, f"covers {own_school} only")
    _assert_error(staff.get(f"/api/stats?school={other.school_id}"), 403)


@pytest.mark.parametrize("action, body", ACTIONS)
@pytest.mark.parametrize("token, victim_index", [(MAPLE_TOKEN, 1), (WILLOW_TOKEN, 0)])
def test_school_tokens_cannot_change_other_schools_tickets(client, db_url, two_schools, action, body, token,
                                                            victim_index):
    victim = two_schools[victim_index]
    with db.session_scope(db_url) as session:
        handoff.start(session, victim.conversation_id, victim.id)
    before_rows = _rows(db_url)
    response = client.as_(token).post(f"/api/tickets/{victim.id}/{action}", body)
    _assert_error(response, 404, f"no ticket with id {victim.id}")
    with db.session_scope(db_url) as session:
        after = get_ticket(session, victim.id)
    assert (after.status, after.assignee, after.messages, len(after.events)) == ("open", None, (), 1)
    assert after.handoff_state == "waiting"
    assert _rows(db_url) == before_rows


def test_district_token_sees_and_filters_every_school(district_client, two_schools):
    maple, willow = two_schools
    listing = district_client.get("/api/tickets").json()
    assert {t["id"] for t in listing["tickets"]} == {maple.id, willow.id}
    assert listing["school_id"] is None
    only_willow = district_client.get(f"/api/tickets?school={WILLOW}").json()
    assert [t["id"] for t in only_willow["tickets"]] == [willow.id]
    assert sum(only_willow["counts"]["by_status"].values()) == 1
    assert district_client.get(f"/api/tickets/{willow.id}").json()["school_name"] == "Willow Creek Middle School"


def test_tickets_without_a_school_are_for_the_district_only(district_client, maple_client, db_url):
    ticket = open_test_ticket(db_url, school_id=None, conversation_id="conv-nowhere")
    assert district_client.get(f"/api/tickets/{ticket.id}").status_code == 200
    _assert_error(maple_client.get(f"/api/tickets/{ticket.id}"), 404)
    assert maple_client.get("/api/tickets").json()["tickets"] == []


# -- listing ------------------------------------------------------------------------------------------------
def test_list_filters_and_counts(district_client, db_url, two_schools):
    maple, willow = two_schools
    district_client.post(f"/api/tickets/{willow.id}/claim", {"assignee": "Mr. Lee"})
    assert [t["id"] for t in district_client.get("/api/tickets?status=open").json()["tickets"]] == [maple.id]
    assert [t["id"] for t in district_client.get("/api/tickets?kind=account_reset").json()["tickets"]] == [willow.id]
    assert len(district_client.get("/api/tickets?status=active").json()["tickets"]) == 2
    assert len(district_client.get("/api/tickets?limit=1").json()["tickets"]) == 1
    data = district_client.get("/api/tickets").json()
    assert data["counts"]["by_status"] == {"open": 1, "in_progress": 1, "resolved": 0, "closed": 0}
    assert data["counts"]["open_by_kind"]["account_reset"] == 1
    summary = next(t for t in data["tickets"] if t["id"] == willow.id)
    assert summary["assignee"] == "Mr. Lee" and summary["message_count"] == 0
    assert "transcript" not in summary and "events" not in summary


@pytest.mark.parametrize("query, fragment", [
    ("status=waiting", "unknown status 'waiting'"), ("kind=complaint", "unknown kind 'complaint'"),
    ("limit=0", "'limit' must be between 1 and 1000"), ("limit=many", "'limit' must be a whole number"),
])
def test_list_rejects_bad_filters(district_client, query, fragment):
    _assert_error(district_client.get(f"/api/tickets?{query}"), 400, fragment)


# -- one ticket ---------------------------------------------------------------------------------------------
def test_show_has_transcript_messages_audit_trail_handoff_and_deliveries(maple_client, db_url, two_schools):
    maple, _ = two_schools
    with db.session_scope(db_url) as session:
        handoff.start(session, maple.conversation_id, maple.id)
        add_message(session, maple.id, "parent", "Hello? I need help with Noah.")
    maple_client.post(f"/api/tickets/{maple.id}/messages", {"text": "Hi, this is Ms. Jones.", "staff": "Ms. Jones"})
    data = maple_client.get(f"/api/tickets/{maple.id}").json()
    assert data["transcript"] == "parent: I only see Emma"
    assert [(m["author"], m["text"]) for m in data["messages"]] == [
        ("parent", "Hello? I need help with Noah."), ("staff", "Hi, this is Ms. Jones.")]
    assert [e["to_status"] for e in data["events"]] == ["open", "in_progress"]
    assert data["handoff"]["state"] == "live" and data["handoff_state"] == "live"
    (delivery,) = data["deliveries"]
    assert (delivery["event"], delivery["status"], delivery["attempts"], delivery["staff_message"]) == (
        "EXTERNAL_staff_reply", "pending", 0, "Hi, this is Ms. Jones.")
    assert "payload" not in delivery


def test_unknown_ids(district_client):
    _assert_error(district_client.get("/api/tickets/999"), 404, "no ticket with id 999")
    _assert_error(district_client.get("/api/tickets/abc"), 404)
    _assert_error(district_client.post("/api/tickets/999/claim", {"assignee": "x"}), 404)


# -- claim --------------------------------------------------------------------------------------------------
def test_claim(maple_client, two_schools):
    maple, _ = two_schools
    response = maple_client.post(f"/api/tickets/{maple.id}/claim", {"assignee": "Ms. Jones"})
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["assignee"]) == ("in_progress", "Ms. Jones")
    assert data["events"][-1]["actor"] == "Ms. Jones"
    # No body: the token's label claims it.
    data = maple_client.post(f"/api/tickets/{maple.id}/claim").json()
    assert data["assignee"] == "Maple Ridge office"


def test_claim_errors(maple_client, two_schools):
    maple, _ = two_schools
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/claim", {"assignee": 7}), 400, "'assignee' must be a string")
    maple_client.post(f"/api/tickets/{maple.id}/status", {"status": "closed"})
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/claim", {"assignee": "x"}), 409, "cannot be claimed")


# -- notes --------------------------------------------------------------------------------------------------
def test_notes(maple_client, db_url, two_schools):
    maple, _ = two_schools
    response = maple_client.post(f"/api/tickets/{maple.id}/notes", {"text": "left a voicemail", "staff": "Ms. Jones"})
    assert response.status_code == 201
    event = response.json()["events"][-1]
    assert (event["actor"], event["note"], event["from_status"], event["to_status"]) == (
        "Ms. Jones", "left a voicemail", "open", "open")
    assert _rows(db_url, target=outbox.RASA) == []
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/notes", {}), 400, "'text' is required")
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/notes", {"text": "  "}), 400, "must not be empty")
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/notes", {"text": "x" * 4001}), 400, "longer than 4000")


# -- status -------------------------------------------------------------------------------------------------
def test_status_changes(maple_client, db_url, two_schools):
    maple, _ = two_schools
    data = maple_client.post(f"/api/tickets/{maple.id}/status", {"status": "in_progress", "note": "looking"}).json()
    assert data["status"] == "in_progress" and data["events"][-1]["note"] == "looking"
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/status", {"status": "resolved"}), 400, "needs a 'message'")
    data = maple_client.post(f"/api/tickets/{maple.id}/status",
                             {"status": "resolved", "message": "All fixed.", "note": "merged"}).json()
    assert data["status"] == "resolved" and data["resolved_at"]
    assert [r.event for r in _rows(db_url, target=outbox.RASA)] == ["EXTERNAL_ticket_resolved"]
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/status", {"status": "closed"}), 409,
                  "is resolved; it cannot become closed")
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/status", {"status": "reopened"}), 400, "unknown status")
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/status", {}), 400, "'status' is required")


# -- live reply and hand back -------------------------------------------------------------------------------
def test_reply_and_hand_back(maple_client, db_url, two_schools):
    maple, _ = two_schools
    with db.session_scope(db_url) as session:
        handoff.start(session, maple.conversation_id, maple.id)
    response = maple_client.post(f"/api/tickets/{maple.id}/messages", {"text": "Hi, I can help.", "staff": "Ms. Jones"})
    assert response.status_code == 201
    data = response.json()
    assert (data["status"], data["assignee"], data["handoff"]["state"]) == ("in_progress", "Ms. Jones", "live")
    response = maple_client.post(f"/api/tickets/{maple.id}/handback", {"note": "all set", "staff": "Ms. Jones"})
    assert response.status_code == 200
    assert response.json()["handoff"]["state"] == "ended"
    with db.session_scope(db_url) as session:
        assert handoff.is_active(session, maple.conversation_id) is None
    assert [(r.event, r.payload["entities"]) for r in _rows(db_url, target=outbox.RASA)] == [
        ("EXTERNAL_staff_reply", {"staff_message": "Hi, I can help.", "ticket_id": str(maple.id)}),
        ("EXTERNAL_handoff_ended", {"ticket_id": str(maple.id)}),
    ]
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/handback", {}), 409, "no live handoff")


def test_reply_errors(maple_client, two_schools):
    maple, _ = two_schools
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/messages", {}), 400, "'text' is required")
    maple_client.post(f"/api/tickets/{maple.id}/resolve", {"message": "done"})
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/messages", {"text": "hi"}), 409, "reopen it")


# -- resolve ------------------------------------------------------------------------------------------------
def test_resolve(maple_client, db_url, two_schools):
    maple, _ = two_schools
    response = maple_client.post(f"/api/tickets/{maple.id}/resolve",
                                 {"message": "Noah now shows in your portal.", "note": "merged duplicates",
                                  "staff": "Ms. Jones"})
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "resolved"
    assert data["events"][-1] == {**data["events"][-1], "actor": "Ms. Jones", "note": "merged duplicates"}
    assert data["messages"][-1]["text"] == "Noah now shows in your portal."
    (row,) = _rows(db_url, target=outbox.RASA)
    assert row.payload == {"name": "EXTERNAL_ticket_resolved",
                           "entities": {"staff_message": "Noah now shows in your portal.", "ticket_id": str(maple.id)}}
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/resolve", {"message": "again"}), 409)
    _assert_error(maple_client.post(f"/api/tickets/{maple.id}/resolve", {}), 400, "'message' is required")


# -- stats --------------------------------------------------------------------------------------------------
def test_stats(maple_client, district_client, two_schools):
    maple, _ = two_schools
    maple_client.post(f"/api/tickets/{maple.id}/resolve", {"message": "done"})
    data = maple_client.get("/api/stats").json()
    assert data["window_days"] == 30 and data["school_id"] == MAPLE
    assert data["per_kind"]["household_fix"]["opened"] == 1
    assert data["per_kind"]["household_fix"]["resolved"] == 1
    assert data["per_kind"]["household_fix"]["median_hours_to_resolve"] is not None
    assert data["per_kind"]["account_reset"]["opened"] == 0  # Willow's ticket is not counted for Maple
    assert district_client.get("/api/stats").json()["total"]["opened"] == 2
    assert set(data["deflection"]) == {"window_days", "answered", "with_ticket", "deflected", "rate"}
    _assert_error(maple_client.get("/api/stats?days=0"), 400, "'days' must be between 1 and 365")


# -- malformed requests -------------------------------------------------------------------------------------
def test_malformed_json_wrong_content_type_and_non_objects(maple_client, two_schools):
    maple, _ = two_schools
    path = f"/api/tickets/{maple.id}/notes"
    _assert_error(maple_client.post(path, data=b"{not json", headers={"Content-Type": "application/json"}), 400,
                  "malformed JSON")
    _assert_error(maple_client.post(path, data=b"\xff\xfe", headers={"Content-Type": "application/json"}), 400,
                  "malformed JSON")
    _assert_error(maple_client.post(path, data=b"text=hi", headers={"Content-Type": "application/x-www-form-urlencoded"}),
                  415, "Content-Type: application/json")
    _assert_error(maple_client.post(path, ["a list"]), 400, "must be an object")


def test_unknown_routes_methods_and_huge_bodies_are_json_errors(maple_client):
    _assert_error(maple_client.get("/api/nothing-here"), 404, "not found")
    _assert_error(maple_client.http.delete(maple_client.base_url + "/api/tickets/1",
                                           headers={"Authorization": f"Bearer {MAPLE_TOKEN}"}), 405)
    _assert_error(maple_client.post("/api/tickets/1/notes", data=b"x" * (70 * 1024),
                                    headers={"Content-Type": "application/json"}), 413)


def test_a_bug_is_a_bare_500(maple_client, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("secret detail ana.rivera@example.com")

    monkeypatch.setattr(service, "list_queue", broken)
    response = maple_client.get("/api/tickets")
    _assert_error(response, 500, "internal error")
    assert "secret detail" not in response.text


def test_store_down_is_503(rasa):
    app = RunningApp(create_app(make_config("postgresql+psycopg2://nobody@127.0.0.1:1/none", rasa.url))).start()
    try:
        client = Client(app.url, DISTRICT_TOKEN)
        _assert_error(client.get("/api/tickets"), 503, "ticket store is unavailable")
        client.close()
    finally:
        app.stop()


def test_security_headers(maple_client):
    response = maple_client.get("/api/tickets")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
