"""Server-rendered HTML of the staff page: the page shell and the fragments the page's script loads.

Pure functions from plain data (the dicts of `helpdesk.service`) to HTML strings. Every value is
escaped; no inline scripts or style attributes (the page's Content-Security-Policy forbids them).
"""
from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any, Iterable, Optional

from portal import external_intents
from portal.models import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, TICKET_KINDS, TICKET_STATUSES

KIND_LABELS = {
    "account_reset": "Account reset",
    "household_fix": "Household fix",
    "key_not_received": "Key not received",
    "handoff": "Talk to a person",
    "other": "Other",
}
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "resolved": "Resolved", "closed": "Closed"}
AUTHOR_LABELS = {"parent": "Parent", "staff": "Staff", "assistant": "Assistant"}
HANDOFF_LABELS = {
    "waiting": "Waiting for staff: the assistant is paused",
    "live": "Live: staff are talking with the parent, the assistant is paused",
    "ended": "Ended: the assistant is back",
}
DELIVERY_LABELS = {
    external_intents.STAFF_REPLY: "Reply",
    external_intents.TICKET_RESOLVED: "Resolution message",
    external_intents.HANDOFF_ENDED: "Assistant resumes",
}


def e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def when(iso: Optional[str]) -> str:
    """A <time> element for an ISO timestamp, shown as UTC (the script shows local time)."""
    if not iso:
        return "-"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return e(iso)
    return f'<time datetime="{e(iso)}">{e(moment.strftime("%Y-%m-%d %H:%M"))} UTC</time>'


def _options(values: Iterable[str], labels: dict[str, str], selected: Optional[str], empty: str) -> str:
    items = [f'<option value="">{e(empty)}</option>']
    for value in values:
        chosen = " selected" if value == selected else ""
        items.append(f'<option value="{e(value)}"{chosen}>{e(labels.get(value, value))}</option>')
    return "".join(items)


def language_name(code: Optional[str]) -> str:
    code = code or DEFAULT_LANGUAGE
    return LANGUAGE_NAMES.get(code, code)


def language_badge(code: Optional[str]) -> str:
    """"EN" / "ES" as a small badge, with the language's name for screen readers and on hover."""
    code = code or DEFAULT_LANGUAGE
    return (f'<abbr class="lang lang-{e(code)}" title="{e(language_name(code))}">'
            f'{e(code.upper())}</abbr>')


# ---------------------------------------------------------------------------------------------------------
def page(district_name: str) -> str:
    """The staff page shell: log-in form and empty regions; the script fills them after log-in."""
    status_options = _options(TICKET_STATUSES, STATUS_LABELS, None, "Any status").replace(
        '<option value="">Any status</option>',
        '<option value="active" selected>Active (open and in progress)</option><option value="">Any status</option>',
    )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Help desk - {e(district_name)}</title>
<link rel="stylesheet" href="/staff/static/staff.css">
<script src="/staff/static/staff.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to the queue</a>
<header class="top">
  <h1>{e(district_name)}: parent portal help desk</h1>
  <p id="whoami" hidden></p>
  <button id="logout" type="button" hidden>Log out</button>
</header>
<main id="main">
  <noscript><p class="error">This page needs JavaScript: it sends your token with every request.</p></noscript>
  <section id="login" aria-labelledby="login-title">
    <h2 id="login-title">Log in</h2>
    <p>Paste the access token your district administrator gave you. It stays in this browser tab only
    and is forgotten when you close it.</p>
    <form id="login-form" autocomplete="off">
      <div class="field">
        <label for="login-token">Access token</label>
        <input id="login-token" name="token" type="password" required spellcheck="false">
      </div>
      <div class="field">
        <label for="login-name">Your name (shown in the audit trail and to the parent as the sender)</label>
        <input id="login-name" name="staff" type="text" required maxlength="100" autocomplete="name">
      </div>
      <button type="submit">Log in</button>
      <p id="login-error" class="error" role="alert"></p>
    </form>
  </section>
  <div id="app" hidden>
    <section id="dashboard" aria-labelledby="dashboard-title">
      <h2 id="dashboard-title">Last 30 days</h2>
      <div id="dashboard-body" aria-live="polite"><p>Loading…</p></div>
    </section>
    <section id="queue-section" aria-labelledby="queue-title">
      <h2 id="queue-title">Queue</h2>
      <form id="filters" class="filters">
        <div class="field">
          <label for="filter-status">Status</label>
          <select id="filter-status" name="status">{status_options}</select>
        </div>
        <div class="field">
          <label for="filter-kind">Kind</label>
          <select id="filter-kind" name="kind">{_options(TICKET_KINDS, KIND_LABELS, None, "Any kind")}</select>
        </div>
        <div class="field">
          <label for="filter-language">Language</label>
          <select id="filter-language" name="language">{_options(LANGUAGES, LANGUAGE_NAMES, None, "Any language")}</select>
        </div>
        <div class="field" id="filter-school-field" hidden>
          <label for="filter-school">School</label>
          <select id="filter-school" name="school"><option value="">All schools</option></select>
        </div>
        <button type="submit">Show</button>
      </form>
      <div id="queue" aria-live="polite"></div>
    </section>
    <section id="ticket" aria-labelledby="ticket-title" hidden></section>
  </div>
  <p id="flash" role="status" aria-live="polite"></p>
</main>
</body>
</html>
"""


# ---------------------------------------------------------------------------------------------------------
def queue_fragment(data: dict[str, Any]) -> str:
    """Counts by status and kind, and the ticket table."""
    counts = data["counts"]
    status_rows = "".join(
        f'<tr><th scope="row">{e(STATUS_LABELS[s])}</th><td>{counts["by_status"].get(s, 0)}</td></tr>'
        for s in TICKET_STATUSES
    )
    kind_rows = "".join(
        f'<tr><th scope="row">{e(KIND_LABELS[k])}</th><td>{counts["open_by_kind"].get(k, 0)}</td></tr>'
        for k in TICKET_KINDS
    )
    tickets = data["tickets"]
    if tickets:
        rows = "".join(_queue_row(t) for t in tickets)
        table = f"""<table class="queue">
<caption>{len(tickets)} ticket{'s' if len(tickets) != 1 else ''}</caption>
<thead><tr><th scope="col">Ticket</th><th scope="col">Language</th><th scope="col">Status</th><th scope="col">Kind</th><th scope="col">School</th>
<th scope="col">Parent verified</th><th scope="col">Assignee</th><th scope="col">Opened</th><th scope="col">Summary</th></tr></thead>
<tbody>{rows}</tbody>
</table>"""
    else:
        table = '<p class="empty">No tickets match.</p>'
    return f"""<div class="counts">
<table><caption>Tickets by status</caption><thead><tr><th scope="col">Status</th><th scope="col">Tickets</th></tr></thead>
<tbody>{status_rows}</tbody></table>
<table><caption>Active tickets by kind</caption><thead><tr><th scope="col">Kind</th><th scope="col">Tickets</th></tr></thead>
<tbody>{kind_rows}</tbody></table>
</div>
{table}"""


def _queue_row(ticket: dict[str, Any]) -> str:
    handoff = ticket.get("handoff_state")
    live = ' <span class="badge live">live chat</span>' if handoff in ("waiting", "live") else ""
    return (
        f'<tr class="status-{e(ticket["status"])}">'
        f'<td><a href="#ticket-{ticket["id"]}" data-ticket-id="{ticket["id"]}">#{ticket["id"]}</a></td>'
        f'<td>{language_badge(ticket.get("language"))}</td>'
        f'<td>{e(STATUS_LABELS.get(ticket["status"], ticket["status"]))}</td>'
        f'<td>{e(KIND_LABELS.get(ticket["kind"], ticket["kind"]))}{live}</td>'
        f'<td>{e(ticket.get("school_name") or ticket.get("school_id") or "-")}</td>'
        f'<td>{"yes" if ticket["verified"] else "no"}</td>'
        f'<td>{e(ticket.get("assignee") or "-")}</td>'
        f'<td>{when(ticket["created_at"])}</td>'
        f'<td>{e(_shorten(ticket.get("summary") or "", 90))}</td>'
        "</tr>"
    )


# ---------------------------------------------------------------------------------------------------------
def dashboard_fragment(stats: dict[str, Any]) -> str:
    """The 30-day chart (inline SVG) with the same numbers as a table, and the deflection rate."""
    per_kind = stats["per_kind"]
    deflection = stats["deflection"]
    if deflection["answered"]:
        rate = f"{round(100 * deflection['rate'])}%"
        deflection_text = (
            f'<p class="deflection"><strong>Deflection rate: {rate}</strong> - {deflection["deflected"]} of '
            f'{deflection["answered"]} conversations that reached an answer needed no ticket '
            f'(district-wide, last {deflection["window_days"]} days).</p>'
        )
    else:
        deflection_text = (
            f'<p class="deflection"><strong>Deflection rate: -</strong> no conversation reached an answer in the '
            f'last {deflection["window_days"]} days.</p>'
        )
    total = stats["total"]
    median = _hours(total["median_hours_to_resolve"])
    rows = "".join(
        f'<tr><th scope="row">{e(KIND_LABELS[k])}</th><td>{per_kind[k]["opened"]}</td><td>{per_kind[k]["resolved"]}</td>'
        f'<td>{_hours(per_kind[k]["median_hours_to_resolve"])}</td></tr>'
        for k in TICKET_KINDS
    )
    return f"""{deflection_text}
<p>{total["opened"]} tickets opened, {total["resolved"]} resolved; median time to resolve {median}.</p>
{chart_svg(per_kind, stats["window_days"])}
<details><summary>The numbers as a table</summary>
<table><caption>Tickets per kind, last {stats["window_days"]} days</caption>
<thead><tr><th scope="col">Kind</th><th scope="col">Opened</th><th scope="col">Resolved</th>
<th scope="col">Median time to resolve</th></tr></thead><tbody>{rows}</tbody></table>
</details>"""


def chart_svg(per_kind: dict[str, dict[str, Any]], window_days: int) -> str:
    """Horizontal bars of tickets opened per kind, labelled with the median time to resolve."""
    label_width, bar_width, row_height, top = 150, 240, 30, 8
    width = label_width + bar_width + 190
    height = top + row_height * len(TICKET_KINDS) + 4
    peak = max([v["opened"] for v in per_kind.values()] + [1])
    parts = []
    descriptions = []
    for index, kind in enumerate(TICKET_KINDS):
        values = per_kind[kind]
        y = top + index * row_height
        bar = round(bar_width * values["opened"] / peak) if values["opened"] else 0
        median = _hours(values["median_hours_to_resolve"])
        label = f'{values["opened"]} opened, median {median}'
        descriptions.append(f'{KIND_LABELS[kind]}: {label}')
        parts.append(
            f'<text class="label" x="0" y="{y + 15}">{e(KIND_LABELS[kind])}</text>'
            f'<rect class="bar bar-{e(kind)}" x="{label_width}" y="{y + 2}" width="{max(bar, 1)}" height="18" rx="2"></rect>'
            f'<text class="value" x="{label_width + bar + 6}" y="{y + 15}">{e(label)}</text>'
        )
    return (
        f'<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">Tickets opened per kind and median time to resolve, last {window_days} days</title>'
        f'<desc id="chart-desc">{e("; ".join(descriptions))}</desc>'
        + "".join(parts)
        + "</svg>"
    )


def _hours(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{round(value * 60)} min"
    if value < 48:
        return f"{value:.1f} h"
    return f"{value / 24:.1f} days"


# ---------------------------------------------------------------------------------------------------------
def ticket_fragment(ticket: dict[str, Any], staff_name: str = "") -> str:
    """One ticket: facts, action forms, conversation, deliveries to the parent, transcript, audit trail."""
    active = ticket["status"] in ("open", "in_progress")
    handoff = ticket.get("handoff") or {}
    handoff_active = handoff.get("state") in ("waiting", "live")
    facts = [
        ("Status", e(STATUS_LABELS.get(ticket["status"], ticket["status"]))),
        ("Kind", e(KIND_LABELS.get(ticket["kind"], ticket["kind"]))),
        ("School", e(ticket.get("school_name") or ticket.get("school_id") or "-")),
        ("Assignee", e(ticket.get("assignee") or "nobody yet")),
        ("Parent verified", "yes" if ticket["verified"] else "<strong>no</strong> - confirm who you talk to"),
        ("Channel", e(ticket["channel"])),
        ("Language", f'{language_badge(ticket.get("language"))} {e(language_name(ticket.get("language")))}'
                     + (" - the assistant wrote to the parent in Spanish; staff replies are sent as you type them"
                        if ticket.get("language") == "es" else "")),
        ("Conversation", f'<code>{e(ticket["conversation_id"])}</code>'),
        ("Opened", when(ticket["created_at"])),
        ("Updated", when(ticket["updated_at"])),
        ("Live handoff", e(HANDOFF_LABELS.get(handoff.get("state"), "none"))),
    ]
    if ticket.get("resolved_at"):
        facts.append(("Resolved", when(ticket["resolved_at"])))
    if ticket.get("external_id"):
        facts.append(("External help desk id", e(ticket["external_id"])))
    if ticket.get("details"):
        details = ", ".join(f"{k}: {v}" for k, v in sorted(ticket["details"].items()))
        facts.append(("Details", e(details)))
    fact_list = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in facts)
    tid = ticket["id"]
    disabled = "" if active else " disabled"
    actions = f"""<section class="actions" aria-labelledby="actions-title-{tid}">
<h3 id="actions-title-{tid}">Actions</h3>
{'' if active else '<p>This ticket is ' + e(STATUS_LABELS[ticket["status"]].lower()) + ': only notes can be added.</p>'}
<form data-action="claim" data-ticket-id="{tid}" class="inline">
  <div class="field"><label for="claim-assignee-{tid}">Assignee</label>
  <input id="claim-assignee-{tid}" name="assignee" type="text" maxlength="100" value="{e(staff_name)}" required{disabled}></div>
  <button type="submit"{disabled}>Claim</button>
</form>
<form data-action="reply" data-ticket-id="{tid}">
  <div class="field"><label for="reply-text-{tid}">Reply to the parent (sent to their conversation now)</label>
  <textarea id="reply-text-{tid}" name="text" rows="3" maxlength="4000" required{disabled}></textarea></div>
  <button type="submit"{disabled}>Send reply</button>
</form>
<form data-action="handback" data-ticket-id="{tid}" class="inline">
  <p>{'The assistant is paused for this conversation.' if handoff_active else 'No live handoff on this ticket.'}</p>
  <button type="submit"{'' if handoff_active else ' disabled'}>Hand back to the assistant</button>
</form>
<form data-action="resolve" data-ticket-id="{tid}">
  <div class="field"><label for="resolve-message-{tid}">Message to the parent</label>
  <textarea id="resolve-message-{tid}" name="message" rows="3" maxlength="4000" required{disabled}></textarea></div>
  <div class="field"><label for="resolve-note-{tid}">What was done (internal, optional)</label>
  <input id="resolve-note-{tid}" name="note" type="text" maxlength="4000"{disabled}></div>
  <button type="submit"{disabled}>Resolve and tell the parent</button>
</form>
<form data-action="note" data-ticket-id="{tid}">
  <div class="field"><label for="note-text-{tid}">Internal note (never shown to the parent)</label>
  <textarea id="note-text-{tid}" name="text" rows="2" maxlength="4000" required></textarea></div>
  <button type="submit">Add note</button>
</form>
<form data-action="close" data-ticket-id="{tid}" class="inline">
  <div class="field"><label for="close-note-{tid}">Reason for closing without a fix</label>
  <input id="close-note-{tid}" name="note" type="text" maxlength="4000"{disabled}></div>
  <button type="submit"{disabled}>Close</button>
</form>
</section>"""
    return f"""<h2 id="ticket-title">Ticket #{tid}: {e(KIND_LABELS.get(ticket["kind"], ticket["kind"]))}</h2>
<button type="button" class="close-ticket" data-close-ticket>Back to the queue</button>
<p class="summary">{e(ticket.get("summary") or "")}</p>
<dl class="facts">{fact_list}</dl>
{actions}
<section aria-labelledby="conversation-title-{tid}">
<h3 id="conversation-title-{tid}">Conversation</h3>
<div id="conversation" data-ticket-id="{tid}" aria-live="polite">{conversation_fragment(ticket)}</div>
</section>
<section aria-labelledby="transcript-title-{tid}">
<h3 id="transcript-title-{tid}">Transcript (when the ticket was opened)</h3>
<pre class="transcript">{e(ticket.get("transcript") or "-")}</pre>
</section>
<section aria-labelledby="audit-title-{tid}">
<h3 id="audit-title-{tid}">Audit trail</h3>
<ol class="audit">{''.join(_audit_item(event) for event in ticket.get("events", []))}</ol>
</section>"""


def conversation_fragment(ticket: dict[str, Any]) -> str:
    """Messages since the ticket was opened, and what happened to the deliveries to the parent."""
    messages = ticket.get("messages") or []
    if messages:
        items = "".join(
            f'<li class="message from-{e(m["author"])}"><p class="meta"><span class="author">'
            f'{e(AUTHOR_LABELS.get(m["author"], m["author"]))}{(" (" + e(m["author_name"]) + ")") if m.get("author_name") else ""}'
            f'</span> {when(m["at"])}</p><p class="text">{e(m["text"])}</p></li>'
            for m in messages
        )
        listing = f'<ol class="messages">{items}</ol>'
    else:
        listing = '<p class="empty">No messages since the ticket was opened.</p>'
    deliveries = ticket.get("deliveries") or []
    if deliveries:
        rows = "".join(_delivery_item(d) for d in deliveries)
        delivery_list = f'<h4>Sent to the parent</h4><ul class="deliveries">{rows}</ul>'
    else:
        delivery_list = ""
    return listing + delivery_list


def _delivery_item(delivery: dict[str, Any]) -> str:
    label = DELIVERY_LABELS.get(delivery["event"], delivery["event"])
    if delivery["status"] == "delivered":
        state = f'delivered {when(delivery.get("delivered_at"))}'
    elif delivery["status"] == "cancelled":
        state = "cancelled"
    elif delivery["attempts"]:
        state = (f'<strong>not delivered yet</strong> ({delivery["attempts"]} attempt'
                 f'{"s" if delivery["attempts"] != 1 else ""}; next try {when(delivery["next_attempt_at"])}; '
                 f'last error: {e(delivery.get("last_error") or "-")})')
    else:
        state = "queued"
    return f'<li>{e(label)}: {state}</li>'


def _audit_item(event: dict[str, Any]) -> str:
    if event.get("from_status") == event.get("to_status"):
        change = "note"
    else:
        change = f'{e(STATUS_LABELS.get(event.get("from_status"), "new"))} &rarr; {e(STATUS_LABELS.get(event["to_status"], event["to_status"]))}'
    note = f': {e(event["note"])}' if event.get("note") else ""
    return f'<li>{when(event["at"])} <span class="actor">{e(event["actor"])}</span> {change}{note}</li>'


def _shorten(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
