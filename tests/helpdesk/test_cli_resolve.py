"""`portal-admin tickets resolve` tells the parent like the help desk does: the notification is queued."""
from __future__ import annotations

import pytest

from helpdesk.delivery import make_worker
from portal import db, handoff, outbox
from portal.cli import main
from tests.helpdesk.conftest import make_config, open_test_ticket


@pytest.fixture
def cli(db_url, capsys):
    def run(*argv):
        code = main(["--database-url", db_url, *argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run


def _rasa_rows(db_url):
    with db.session_scope(db_url) as session:
        return outbox.list_messages(session, target=outbox.RASA)


def test_resolve_queues_the_note_for_the_parent(cli, db_url, rasa):
    ticket = open_test_ticket(db_url, conversation_id="conv-cli")
    with db.session_scope(db_url) as session:
        handoff.start(session, "conv-cli", ticket.id)
    code, out, _ = cli("tickets", "resolve", str(ticket.id), "--note", "Your account is unlocked.")
    assert (code, out) == (0, f"Ticket {ticket.id} resolved.\n")
    (row,) = _rasa_rows(db_url)
    assert (row.conversation_id, row.status) == ("conv-cli", "pending")
    assert row.payload == {"name": "EXTERNAL_ticket_resolved",
                           "entities": {"staff_message": "Your account is unlocked.", "ticket_id": str(ticket.id)}}
    with db.session_scope(db_url) as session:
        assert handoff.is_active(session, "conv-cli") is None
    assert make_worker(make_config(db_url, rasa.url)).flush().delivered == 1
    assert rasa.requests[0].path == "/conversations/conv-cli/trigger_intent"
    _, out, _ = cli("tickets", "show", str(ticket.id))
    assert "staff (cli): Your account is unlocked." in out


def test_resolve_with_a_separate_message(cli, db_url):
    ticket = open_test_ticket(db_url)
    code, _, _ = cli("tickets", "resolve", str(ticket.id), "--note", "merged g-1 into g-2",
                     "--message", "Both children now show in your portal.")
    assert code == 0
    (row,) = _rasa_rows(db_url)
    assert row.payload["entities"]["staff_message"] == "Both children now show in your portal."
    _, out, _ = cli("tickets", "show", str(ticket.id))
    assert "cli          open -> resolved: merged g-1 into g-2" in out


def test_resolve_errors_queue_nothing(cli, db_url):
    ticket = open_test_ticket(db_url)
    code, _, err = cli("tickets", "resolve", str(ticket.id), "--note", "x", "--message", "  ")
    assert code == 2 and "--message must not be empty" in err
    cli("tickets", "resolve", str(ticket.id), "--note", "done")
    code, _, err = cli("tickets", "resolve", str(ticket.id), "--note", "again")
    assert code == 1 and "cannot become resolved" in err
    assert len(_rasa_rows(db_url)) == 1
