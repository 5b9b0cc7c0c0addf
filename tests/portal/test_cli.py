"""portal-admin: commands, output and exit codes, including bad input (never a traceback)."""
from __future__ import annotations

import json
import shutil

import pytest

from portal import db
from portal.cli import main
from portal.tickets import change_status, open_ticket

DEMO_ROSTER = db.PACKAGE_DIR / "demo" / "roster"



def _tickets(db_url):
    with db.session_scope(db_url) as session:
        common = dict(channel="rest", transcript="parent: hello", summary="")
        first, _ = open_ticket(session, kind="household_fix", school_id="org-maple-ridge-es", conversation_id="c-1",
                               verified=True, details={"duplicate_guardian_ids": ["g-chloe-nguyen-dup"]},
                               **{**common, "summary": "Noah missing"})
        second, _ = open_ticket(session, kind="account_reset", school_id="org-willow-creek-ms", conversation_id="c-2",
                                verified=False, **{**common, "summary": "Key already used"})
        change_status(session, second.id, "in_progress", "ms.jones", "calling")
    return first.id, second.id


def test_migrate(cli):
    code, out, _ = cli("migrate")
    assert code == 0
    assert f"revision {db.head_revision()}" in out


def test_commands_migrate_a_new_database_first(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    assert main(["--database-url", url, "tickets", "list"]) == 0
    assert "No tickets." in capsys.readouterr().out
    assert db.current_revision(url) == db.head_revision()


def test_database_url_from_the_environment(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert main(["seed-demo"]) == 0
    assert "26 inserted" in capsys.readouterr().out


def test_seed_demo(cli):
    code, out, _ = cli("seed-demo")
    assert code == 0
    assert "users.csv" in out and "26 inserted" in out
    code, out, _ = cli("seed-demo")
    assert code == 0 and "26 unchanged" in out


def test_seed_demo_if_empty(cli):
    code, out, _ = cli("seed-demo", "--if-empty")
    assert code == 0 and "26 inserted" in out
    code, out, _ = cli("seed-demo", "--if-empty")
    assert (code, out) == (0, "The store already holds 26 people; demo roster not imported.\n")


def test_import_roster(cli):
    code, out, err = cli("import-roster", str(DEMO_ROSTER), "--no-progress")
    assert (code, err) == (0, "")
    assert "guardian links" in out and "14 inserted" in out


def test_import_roster_with_a_bad_row_exits_1_and_lists_it(cli, tmp_path):
    roster = tmp_path / "roster"
    shutil.copytree(DEMO_ROSTER, roster)
    with open(roster / "users.csv", "a") as handle:
        handle.write("g-x,active,2024-08-15T12:00:00Z,true,org-maple-ridge-es,wizard,,,Al,X,,,,,,,,\n")
    code, out, _ = cli("import-roster", str(roster))
    assert code == 1
    assert "users.csv:28: unknown role 'wizard'" in out
    assert "26 inserted" in out  # the rest still went in


@pytest.mark.parametrize("folder, message", [("/no/such/folder", "does not exist"), (".", "not a OneRoster folder")])
def test_import_roster_needs_a_roster_folder(cli, folder, message):
    code, out, err = cli("import-roster", folder)
    assert code == 2
    assert out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_tickets_list(cli, db_url):
    assert cli("tickets", "list")[1] == "No tickets.\n"
    first, second = _tickets(db_url)
    code, out, _ = cli("tickets", "list")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split()[:4] == ["ID", "STATUS", "KIND", "SCHOOL"]
    assert lines[1].split()[:5] == [str(second), "in_progress", "account_reset", "org-willow-creek-ms", "no"]
    assert lines[2].split()[:5] == [str(first), "open", "household_fix", "org-maple-ridge-es", "yes"]
    assert "Noah missing" in lines[2]
    _, out, _ = cli("tickets", "list", "--status", "open")
    assert [line.split()[0] for line in out.splitlines()[1:]] == [str(first)]
    _, out, _ = cli("tickets", "list", "--school", "org-willow-creek-ms")
    assert [line.split()[0] for line in out.splitlines()[1:]] == [str(second)]
    _, out, _ = cli("tickets", "list", "--status", "resolved")
    assert out == "No tickets.\n"


def test_tickets_list_json(cli, db_url):
    first, second = _tickets(db_url)
    code, out, _ = cli("tickets", "list", "--json")
    data = json.loads(out)
    assert code == 0
    assert [t["id"] for t in data] == [second, first]
    assert data[1]["details"] == {"duplicate_guardian_ids": ["g-chloe-nguyen-dup"]}
    assert data[1]["verified"] is True and data[0]["status"] == "in_progress"
    assert "transcript" not in data[0]


def test_tickets_show_with_audit_trail(cli, db_url):
    _, second = _tickets(db_url)
    code, out, _ = cli("tickets", "show", str(second))
    assert code == 0
    assert f"Ticket {second}: account_reset (in_progress)" in out
    assert "verified:     no" in out
    assert "parent: hello" in out
    assert "assistant    (new) -> open: opened" in out
    assert "ms.jones     open -> in_progress: calling" in out
    code, out, _ = cli("tickets", "show", str(second), "--json")
    assert json.loads(out)["events"][1]["actor"] == "ms.jones"


def test_tickets_resolve(cli, db_url):
    first, _ = _tickets(db_url)
    code, out, _ = cli("tickets", "resolve", str(first), "--note", "merged the duplicate records")
    assert (code, out) == (0, f"Ticket {first} resolved.\n")
    _, out, _ = cli("tickets", "show", str(first))
    assert "cli          open -> resolved: merged the duplicate records" in out
    code, out, err = cli("tickets", "resolve", str(first), "--note", "again")
    assert code == 1
    assert err == f"portal-admin: ticket {first} is resolved; it cannot become resolved\n"


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (["tickets", "show", "99"], 1, "no ticket with id 99"),
        (["tickets", "resolve", "99", "--note", "x"], 1, "no ticket with id 99"),
        (["tickets", "show", "abc"], 2, "ticket id must be a number"),
        (["tickets", "show", "0"], 2, "ticket id must be positive"),
        (["tickets", "resolve", "1"], 2, "--note"),
        (["tickets", "resolve", "1", "--note", "  "], 2, "--note must say what was done"),
        (["tickets", "list", "--status", "pending"], 2, "invalid choice: 'pending'"),
        (["tickets"], 2, "required"),
        (["frobnicate"], 2, "invalid choice"),
        ([], 2, "required"),
    ],
)
def test_bad_input(cli, argv, code, message):
    got, out, err = cli(*argv)
    assert got == code
    assert message in err
    assert out == ""


def test_unreachable_database_is_one_line(capsys):
    code = main(["--database-url", "postgresql+psycopg2://nobody@127.0.0.1:1/none", "tickets", "list"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("portal-admin: database error:") and len(err.strip().splitlines()) == 1


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "import-roster" in capsys.readouterr().out
