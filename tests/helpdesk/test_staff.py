"""The staff page: shell, static assets, server-rendered fragments (queue, dashboard, ticket), escaping."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from helpdesk import views
from portal import conversations, db, handoff
from portal.models import Ticket, utcnow
from portal.tickets import add_message, resolve_ticket
from tests.helpdesk.conftest import MAPLE, WILLOW, open_test_ticket


def test_page_shell_is_accessible_and_self_contained(client):
    response = client.get("/staff/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="en">' in page and "<h1>" in page
    for field_id in ("login-token", "login-name", "filter-status", "filter-kind", "filter-school"):
        assert f'<label for="{field_id}">' in page
    assert '<script src="/staff/static/staff.js" defer></script>' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # no CDN, nothing external
    assert "<script>" not in page and "style=" not in page
    assert not re.search(r"<[^>]+\son\w+=", page)  # no inline event handlers (the CSP forbids them)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp


def test_staff_without_slash_redirects(client):
    response = client.http.get(client.base_url + "/staff", allow_redirects=False)
    assert response.status_code in (301, 302, 307, 308)
    assert response.headers["Location"] == "/staff/"


def test_static_assets(client):
    script = client.get("/staff/static/staff.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "sessionStorage" in script.text and "Bearer " in script.text
    assert "http://" not in script.text and "https://" not in script.text
    style = client.get("/staff/static/staff.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    assert "@import" not in style.text and "url(" not in style.text
    assert client.get("/staff/static/../app.py").status_code == 404
    assert client.get("/staff/static/other.js").json() == {"error": "not found"}


def test_queue_fragment_shows_the_schools_queue_with_counts(maple_client, db_url):
    mine = open_test_ticket(db_url, conversation_id="conv-m", school_id=MAPLE, summary="Noah <b>missing</b>")
    theirs = open_test_ticket(db_url, conversation_id="conv-w", school_id=WILLOW, kind="account_reset")
    with db.session_scope(db_url) as session:
        handoff.start(session, "conv-m", mine.id)
    response = maple_client.get("/staff/fragments/queue?status=active")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    fragment = response.text
    assert f'data-ticket-id="{mine.id}"' in fragment
    assert f'data-ticket-id="{theirs.id}"' not in fragment
    assert "Noah &lt;b&gt;missing&lt;/b&gt;" in fragment and "<b>missing</b>" not in fragment
    assert "Maple Ridge Elementary" in fragment and "live chat" in fragment
    assert "<caption>Tickets by status</caption>" in fragment
    assert '<th scope="row">Open</th><td>1</td>' in fragment
    assert "<caption>1 ticket</caption>" in fragment
    assert "No tickets match." in maple_client.get("/staff/fragments/queue?status=closed").text


def test_dashboard_fragment_has_the_chart_and_the_deflection_rate(maple_client, db_url):
    ticket = open_test_ticket(db_url, conversation_id="conv-1", school_id=MAPLE)
    open_test_ticket(db_url, conversation_id="conv-2", school_id=MAPLE, kind="handoff")
    with db.session_scope(db_url) as session:
        resolve_ticket(session, ticket.id, note="fixed", actor="staff", message_to_parent="Fixed.")
        session.execute(update(Ticket).where(Ticket.id == ticket.id)
                        .values(created_at=utcnow() - timedelta(hours=5)))
        for n in range(4):
            conversations.record_answer(session, f"conv-{n}", "rest", "get_account")
    fragment = maple_client.get("/staff/fragments/dashboard").text
    assert '<svg class="chart" role="img" aria-labelledby="chart-title chart-desc"' in fragment
    assert "<title id=\"chart-title\">Tickets opened per kind and median time to resolve, last 30 days</title>" in fragment
    assert "Household fix: 1 opened, median 5.0 h" in fragment
    assert "Talk to a person: 1 opened, median -" in fragment
    # conv-1 and conv-2 have tickets, conv-0 and conv-3 do not: 2 of 4 deflected.
    assert "Deflection rate: 50%" in fragment and "2 of 4 conversations" in fragment


def test_ticket_fragment(maple_client, db_url):
    ticket = open_test_ticket(db_url, conversation_id="conv-t", school_id=MAPLE,
                              transcript="parent: <script>alert(1)</script>")
    with db.session_scope(db_url) as session:
        handoff.start(session, "conv-t", ticket.id)
        add_message(session, ticket.id, "parent", "Anyone there?")
    maple_client.post(f"/api/tickets/{ticket.id}/messages", {"text": "Yes! Ms. Jones here.", "staff": "Ms. Jones"})
    fragment = maple_client.get(f"/staff/fragments/tickets/{ticket.id}").text
    assert f'<h2 id="ticket-title">Ticket #{ticket.id}: Household fix</h2>' in fragment
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment and "<script>" not in fragment
    assert "Anyone there?" in fragment and "Yes! Ms. Jones here." in fragment and "Staff (Ms. Jones)" in fragment
    assert "Live: staff are talking with the parent" in fragment
    for action in ("claim", "reply", "handback", "resolve", "note", "close"):
        assert f'data-action="{action}"' in fragment
    labels = re.findall(r'<label for="([^"]+)">', fragment)
    for label in labels:
        assert f'id="{label}"' in fragment
    assert "Reply: queued" in fragment  # the delivery to the parent, not yet sent
    assert "<h3 id=\"audit-title-" in fragment and "claimed by Ms. Jones (reply)" in fragment
    part = maple_client.get(f"/staff/fragments/tickets/{ticket.id}?part=conversation").text
    assert "Anyone there?" in part and "<h2" not in part


def test_finished_tickets_disable_the_actions(maple_client, db_url):
    ticket = open_test_ticket(db_url)
    maple_client.post(f"/api/tickets/{ticket.id}/resolve", {"message": "done"})
    fragment = maple_client.get(f"/staff/fragments/tickets/{ticket.id}").text
    assert "only notes can be added" in fragment
    assert "<button type=\"submit\" disabled>Send reply</button>" in fragment


def test_chart_bars_scale_with_the_counts():
    per_kind = {k: {"opened": 0, "resolved": 0, "median_hours_to_resolve": None} for k in views.KIND_LABELS}
    per_kind["account_reset"]["opened"] = 4
    per_kind["other"]["opened"] = 2
    svg = views.chart_svg(per_kind, 30)
    widths = dict(re.findall(r'class="bar bar-(\w+)" x="\d+" y="\d+" width="(\d+)"', svg))
    assert int(widths["account_reset"]) == 2 * int(widths["other"])
    assert widths["handoff"] == "1"  # an empty bar still shows a hairline


def test_hours_formatting():
    assert [views._hours(v) for v in (None, 0.25, 5.04, 72)] == ["-", "15 min", "5.0 h", "3.0 days"]
