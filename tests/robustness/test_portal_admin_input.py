"""Bad input to `portal-admin` (the real CLI: its console script in a subprocess, and `portal.cli.main`):
malformed roster folders and bad arguments get a clear one-line message and a non-zero exit code, never a
traceback, and what was imported before is still there."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest
from sqlalchemy import func, select

from portal import db
from portal.cli import main
from portal.models import ActivationKey, GuardianLink, Person, PortalAccount, School
from tests.robustness.cases import SLOT_VALUES, leaks

DEMO = Path(db.PACKAGE_DIR) / "demo" / "roster"
PORTAL_ADMIN = Path(sys.executable).parent / "portal-admin"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("admin") / "seeded.db"
    assert main(["--database-url", f"sqlite:///{path}", "seed-demo"]) == 0
    return path


@pytest.fixture
def store(seeded, tmp_path) -> str:
    """A copy of the seeded store for one case."""
    copy = tmp_path / "store.db"
    shutil.copy(seeded, copy)
    return f"sqlite:///{copy}"


def contents(url: str) -> tuple:
    """What was imported: rows and active rows per table, and a few facts the assistant relies on."""
    with db.session_scope(url) as session:
        count = lambda model, *where: session.execute(select(func.count()).select_from(model).where(*where)).scalar()  # noqa: E731
        ben = session.get(Person, "g-ben-carter")
        return (count(School), count(Person), count(Person, Person.active.is_(True)), count(GuardianLink),
                count(PortalAccount), count(ActivationKey), ben.email, ben.given_name, str(ben.birth_date),
                str(session.get(Person, "s-lily-carter").birth_date))


def run_cli(url: str, *argv: str) -> tuple[int, str]:
    process = subprocess.run([str(PORTAL_ADMIN), "--database-url", url, *argv], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    return process.returncode, process.stdout + process.stderr


def check_clear(output: str) -> None:
    assert "Traceback" not in output and 'File "' not in output, output[-1500:]
    assert output.strip(), "no message at all"
    # An operator may read "database error: ..." or "SQLAlchemy URL"; never a stack trace.
    assert not [m for m in leaks(output) if m in ("Exception", "site-packages", "KeyError", "TypeError",
                                                   "AttributeError")], output[-500:]


def roster(tmp_path: Path, change: Callable[[Path], object]) -> Path:
    folder = tmp_path / "roster"
    shutil.copytree(DEMO, folder)
    change(folder)
    return folder


def edit(name: str, old: str, new: str, count: int = 1) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {name}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")
    return change


def write(name: str, data: bytes) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_bytes(data)


def header(name: str) -> bytes:
    return (DEMO / name).read_bytes().splitlines(keepends=True)[0]


def append(name: str, line: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        with (folder / name).open("a", encoding="utf-8") as handle:
            handle.write(line)
    return change


def remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


def directory_instead(name: str) -> Callable[[Path], None]:
    def change(folder: Path) -> None:
        (folder / name).unlink()
        (folder / name).mkdir()
    return change


USER = "{id},active,2024-08-15T12:00:00.000Z,true,org-maple-ridge-es,guardian,,,{given},Tester,,P9{n},x{n}@example.com,,,,,\n"

# Malformed folders: refused outright (exit 2) or the bad rows rejected (exit 1); either way nothing lost.
MALFORMED = {
    "users-missing": remove("users.csv"),
    "orgs-missing": remove("orgs.csv"),
    "users-is-a-folder": directory_instead("users.csv"),
    "users-empty": write("users.csv", b""),
    "users-header-only": write("users.csv", header("users.csv")),
    "users-wrong-header": edit("users.csv", "sourcedId,status", "id,state"),
    "orgs-wrong-header": edit("orgs.csv", "sourcedId,status,dateLastModified,name,type", "a,b,c,d,e"),
    "users-semicolons": lambda f: (f / "users.csv").write_text((f / "users.csv").read_text().replace(",", ";")),
    "users-binary-junk": write("users.csv", bytes(range(256)) * 40),
    "users-png": write("users.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 200),
    "users-nul-byte": edit("users.csv", "Ana", "A\x00na"),
    "users-utf16-no-bom": write("users.csv", (DEMO / "users.csv").read_text().encode("utf-16-le")),
    "users-value-over-10mb": append("users.csv", USER.format(id="g-huge", given="A" * (11 * 1024 * 1024), n=1)),
    "users-unterminated-quote": edit("users.csv", ",Ana,", ',"Ana,'),
    "users-duplicate-id": append("users.csv", USER.format(id="g-ben-carter", given="Mallory", n=2)),
    "users-extra-columns": edit("users.csv", "Ben,Carter,", "Ben,Carter,x,y,z,"),
    "users-missing-columns": append("users.csv", "g-short,active,2024-08-15\n"),
    "users-unknown-role": edit("users.csv", "guardian", "overlord"),
    "users-unknown-org": edit("users.csv", "true,org-willow-creek-ms,guardian", "true,org-nowhere,guardian"),
    "users-bad-enabled": edit("users.csv", "2024-08-15T12:00:00.000Z,true,org-willow", "2024-08-15T12:00:00.000Z,maybe,org-willow"),
    "users-bad-timestamp": edit("users.csv", "2024-08-15T12:00:00.000Z", "yesterday-ish"),
    "users-unknown-status": edit("users.csv", ",active,", ",<script>,"),
    "demographics-bad-date": edit("demographics.csv", "2012-09-03", "2012-13-45"),
    "demographics-text-date": edit("demographics.csv", "2012-09-03", "'; DROP TABLE persons; --"),
    "demographics-future-date": edit("demographics.csv", "2012-09-03", "9999-99-99"),
    "demographics-duplicate": append("demographics.csv", "s-lily-carter,active,,2001-01-01,female,,,,,,,,,,,\n"),
    "demographics-unknown-user": append("demographics.csv", "s-nobody,active,,2001-01-01,female,,,,,,,,,,,\n"),
    "demographics-wrong-header": write("demographics.csv", b"who,when\ns-lily-carter,2001-01-01\n"),
    "accounts-duplicate-key": append("portal_accounts.csv",
                                     "g-ana-rivera,9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4B,false,,none,\n"),
    "accounts-bad-key": edit("portal_accounts.csv", "9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4B", "<img src=x onerror=1>"),
    "accounts-bad-status": edit("portal_accounts.csv", ",active,ben", ",hacked,ben"),
    "enrollments-unknown-school": edit("enrollments.csv", "c-willow-creek-ms-homeroom-07,org-willow-creek-ms",
                                       "c-willow-creek-ms-homeroom-07,org-' OR 1=1"),
    "orgs-unknown-type": edit("orgs.csv", "Maple Ridge Elementary,school", "Maple Ridge Elementary,castle"),
}


def run_main(capsys, url: str, *argv: str) -> tuple[int, str]:
    """portal.cli.main in this process (what the console script calls): faster than a subprocess per case."""
    code = main(["--database-url", url, *argv])
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize("change", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_rosters_are_refused_and_nothing_is_lost(store, tmp_path, capsys, change):
    before = contents(store)
    code, output = run_main(capsys, store, "import-roster", str(roster(tmp_path, change)), "--no-progress")
    check_clear(output)
    assert code in (1, 2), (code, output[-800:])
    assert contents(store) == before


# Well-formed rosters with odd but valid values: imported as data, verbatim (parameterised SQL, no markup run).
ODD_VALUES = {**{f"given-name-{k}": v for k, v in SLOT_VALUES.items() if k not in ("control", "long")},
              "given-name-emoji": "Ana 😀", "given-name-rtl": "آنا", "with-bom": None}


@pytest.mark.parametrize("value", list(ODD_VALUES.values()), ids=list(ODD_VALUES))
def test_odd_values_are_imported_verbatim(store, tmp_path, capsys, value):
    if value is None:
        change = lambda f: (f / "users.csv").write_bytes(b"\xef\xbb\xbf" + (f / "users.csv").read_bytes())  # noqa: E731
    else:
        change = edit("users.csv", ",Ana,Rivera,", f",\"{value.replace(chr(34), chr(34) * 2)}\",Rivera,")
    code, output = run_main(capsys, store, "import-roster", str(roster(tmp_path, change)), "--no-progress")
    check_clear(output)
    assert code == 0, output[-800:]
    with db.session_scope(store) as session:
        assert session.get(Person, "g-ana-rivera").given_name == (value if value is not None else "Ana")
        assert session.execute(select(func.count()).select_from(Person)).scalar() == 26


BAD_ARGUMENTS = {
    "no-command": [],
    "unknown-command": ["drop-everything"],
    "roster-folder-missing": ["import-roster", "/nonexistent/roster"],
    "roster-folder-empty-string": ["import-roster", ""],
    "roster-is-a-file": ["import-roster", str(DEMO / "users.csv")],
    "roster-no-argument": ["import-roster"],
    "show-text-id": ["tickets", "show", "abc"],
    "show-negative-id": ["tickets", "show", "-5"],
    "show-unknown-id": ["tickets", "show", "999999"],
    "show-huge-id": ["tickets", "show", "9" * 40],
    "show-sql-id": ["tickets", "show", "1; DROP TABLE tickets"],
    "resolve-unknown-id": ["tickets", "resolve", "999999", "--note", "done"],
    "resolve-empty-note": ["tickets", "resolve", "1", "--note", "   "],
    "resolve-no-note": ["tickets", "resolve", "1"],
    "list-bad-status": ["tickets", "list", "--status", "<script>"],
    "list-bad-kind": ["tickets", "list", "--kind", "' OR 1=1"],
}


@pytest.mark.parametrize("argv", list(BAD_ARGUMENTS.values()), ids=list(BAD_ARGUMENTS))
def test_bad_arguments_get_a_clear_message(store, argv):
    before = contents(store)
    code, output = run_cli(store, *argv)
    check_clear(output)
    assert code in (1, 2), (code, output[-800:])
    assert contents(store) == before


@pytest.mark.parametrize("url", ["notadb://x", "sqlite:////nonexistent/dir/x.db", "postgresql://nobody@127.0.0.1:1/x",
                                 "' OR 1=1"], ids=["unknown-dialect", "sqlite-no-dir", "pg-down", "sql"])
def test_bad_database_urls_get_a_clear_message(url):
    process = subprocess.run([str(PORTAL_ADMIN), "--database-url", url, "tickets", "list"], capture_output=True,
                             text=True, timeout=120)
    check_clear(process.stdout + process.stderr)
    assert process.returncode != 0


def test_the_store_still_works_after_all_that(store):
    code, output = run_cli(store, "seed-demo")
    assert code == 0 and "26 unchanged" in output
