"""`python -m helpdesk`: outbox list/flush/retry/cancel, new-token, configuration errors (never a traceback)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpdesk.__main__ import main
from portal import db, outbox
from portal.tickets import reply_to_parent
from tests.helpdesk.conftest import RASA_TOKEN, open_test_ticket
from tests.helpdesk.support import free_port


@pytest.fixture
def cli(db_url, rasa, capsys, monkeypatch):
    for name in ("HELPDESK_TOKENS", "HELPDESK_TOKENS_FILE", "HELPDESK_EXTERNAL_KIND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RASA_URL", rasa.url)
    monkeypatch.setenv("RASA_AUTH_TOKEN", RASA_TOKEN)
    monkeypatch.setenv("HELPDESK_HTTP_READ_TIMEOUT", "0.5")
    monkeypatch.setenv("HELPDESK_OUTBOX_BACKOFF_SECONDS", "0.01")

    def run(*argv):
        code = main(["--database-url", db_url, *argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return run


def _queue_reply(db_url, text="Hello from the office"):
    ticket = open_test_ticket(db_url)
    with db.session_scope(db_url) as session:
        reply_to_parent(session, ticket.id, text, "Ms. Jones")
    return ticket


def test_list_and_flush(cli, db_url, rasa):
    code, out, _ = cli("outbox", "list", "--target", "rasa")
    assert (code, out) == (0, "The outbox is empty.\n")
    _queue_reply(db_url)
    code, out, _ = cli("outbox", "list")
    assert code == 0
    assert "EXTERNAL_staff_reply" in out and "ticket.created" in out and "pending" in out
    code, out, _ = cli("outbox", "flush")
    assert (code, out) == (0, "Outbox: delivered 1, failed 0 (queued for retry).\n")
    assert rasa.requests[0].json["name"] == "EXTERNAL_staff_reply"
    code, out, _ = cli("outbox", "list", "--status", "delivered", "--json")
    rows = json.loads(out)
    assert [(r["event"], r["attempts"]) for r in rows] == [("EXTERNAL_staff_reply", 1)]
    assert "payload" not in rows[0]


def test_flush_reports_failures_with_exit_1(cli, db_url, monkeypatch):
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{free_port()}")
    _queue_reply(db_url)
    code, out, _ = cli("outbox", "flush")
    assert code == 1 and "failed 1" in out
    code, out, _ = cli("outbox", "list", "--target", "rasa")
    assert "Rasa unreachable (ConnectionError)" in out


def test_flush_external_without_a_help_desk_is_a_usage_error(cli):
    code, _, err = cli("outbox", "flush", "--target", "external")
    assert code == 2 and "no external help desk configured" in err


def test_flush_leaves_sms_to_the_sms_channel(cli, db_url):
    from portal import sms

    with db.session_scope(db_url) as session:
        sms.contact(session, "+15550102001")
        sms.enqueue(session, "+15550102001", ["Update on request #7"])
    assert cli("outbox", "flush", "--target", "sms")[0] == 2  # not a target of this process
    code, out, _ = cli("outbox", "flush")
    assert (code, out) == (0, "Outbox: delivered 0, failed 0 (queued for retry).\n")
    code, out, _ = cli("outbox", "list", "--target", "sms")
    assert "sms.text" in out and "pending" in out and "+1555" not in out


def test_retry_and_cancel(cli, db_url):
    _queue_reply(db_url)
    with db.session_scope(db_url) as session:
        (row,) = outbox.list_messages(session, target=outbox.RASA)
    code, out, _ = cli("outbox", "retry", str(row.id))
    assert code == 0 and f"Delivery {row.id} is due now" in out
    code, out, _ = cli("outbox", "cancel", str(row.id))
    assert (code, out) == (0, f"Delivery {row.id} cancelled.\n")
    code, _, err = cli("outbox", "cancel", str(row.id))
    assert code == 1 and f"no pending delivery with id {row.id}" in err
    code, _, err = cli("outbox", "retry", "999")
    assert code == 1


def test_new_token(cli):
    code, out, _ = cli("new-token")
    assert code == 0 and len(out.strip()) >= 40


def test_bad_configuration_is_one_line(cli, monkeypatch):
    monkeypatch.setenv("HELPDESK_EXTERNAL_KIND", "jira")
    code, _, err = cli("outbox", "flush")
    assert code == 2 and err.startswith("helpdesk: configuration: HELPDESK_EXTERNAL_KIND must be one of")
    monkeypatch.delenv("HELPDESK_EXTERNAL_KIND")
    code, _, err = cli("serve")  # no tokens configured
    assert code == 2 and "set HELPDESK_TOKENS or HELPDESK_TOKENS_FILE" in err


def test_bad_arguments(cli):
    assert cli("outbox")[0] == 2
    assert cli("outbox", "cancel", "abc")[0] == 2
    assert cli("frobnicate")[0] == 2


def test_module_runs_as_a_script():
    result = subprocess.run([sys.executable, "-m", "helpdesk", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "outbox" in result.stdout
