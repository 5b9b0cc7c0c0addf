"""Roster import: inserts, idempotent re-imports, updates, deactivation, and bad rows reported by file and line."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal import db
from portal.identity import verify_guardian
from portal.models import ActivationKey, GuardianLink, Person, PortalAccount, School
from portal.roster import ImportReport, RosterError, import_roster

USERS_HEADER = ("sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,"
                "familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password")
T = "2024-08-15T12:00:00.000Z"
DEMO_ROSTER = db.PACKAGE_DIR / "demo" / "roster"


def user_line(sourced_id, role, given, family, orgs="org-maple-ridge-es", agents="", email="", sms="",
              status="active", modified=T):
    return f'{sourced_id},{status},{modified},true,"{orgs}",{role},,,{given},{family},,,{email},{sms},,"{agents}",,'


@pytest.fixture
def roster(tmp_path) -> Path:
    """An editable copy of the demo roster."""
    target = tmp_path / "roster"
    shutil.copytree(DEMO_ROSTER, target)
    return target


def run(url: str, folder: Path) -> ImportReport:
    return import_roster(lambda: db.session_scope(url), folder, progress=False)


def append(path: Path, *lines: str) -> list[int]:
    """Append data lines; return their line numbers."""
    existing = path.read_text().splitlines()
    path.write_text("\n".join([*existing, *lines]) + "\n")
    return list(range(len(existing) + 1, len(existing) + 1 + len(lines)))


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new))


def drop_lines(path: Path, *needles: str) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if not any(n in line for n in needles)) + "\n")


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), start=1) if needle in line)


def count(url: str, model, *where) -> int:
    with db.session_scope(url) as session:
        return session.execute(select(func.count()).select_from(model).where(*where)).scalar()


def problems(report: ImportReport) -> list[tuple[str, int, str]]:
    return [(p.file, p.line, p.message) for p in report.problems]


def assert_problem(report: ImportReport, file: str, line: int, fragment: str) -> None:
    hits = [p for p in report.problems if p.file == file and p.line == line]
    assert hits, f"no problem at {file}:{line}; got {problems(report)}"
    assert any(fragment in p.message for p in hits), f"{fragment!r} not in {[p.message for p in hits]}"


# ---------------------------------------------------------------- happy path


def test_first_import_inserts_everything(db_url):
    report = run(db_url, DEMO_ROSTER)
    assert report.ok, report.summary()
    assert report.problems == []
    counts = {name: (c.inserted, c.updated, c.deactivated, c.rejected) for name, c in report.files.items()}
    assert counts == {
        "orgs.csv": (6, 0, 0, 0),
        "users.csv": (26, 0, 0, 0),
        "guardian links": (14, 0, 0, 0),
        "demographics.csv": (13, 0, 0, 0),
        "enrollments.csv": (0, 0, 0, 0),
        "portal_accounts.csv": (11, 0, 0, 0),
        "activation keys": (10, 0, 0, 0),
    }
    assert count(db_url, Person) == 26
    assert count(db_url, Person, Person.role == "student") == 13
    assert count(db_url, GuardianLink) == 14
    assert count(db_url, School) == 6


def test_reimport_changes_nothing_and_duplicates_nothing(db_url):
    run(db_url, DEMO_ROSTER)
    report = run(db_url, DEMO_ROSTER)
    assert report.ok
    for name, counts in report.files.items():
        assert (counts.inserted, counts.updated, counts.deactivated) == (0, 0, 0), name
    assert report.files["users.csv"].unchanged == 26
    assert count(db_url, Person) == 26
    assert count(db_url, GuardianLink) == 14
    assert count(db_url, ActivationKey) == 10


def test_imported_values(db_url):
    run(db_url, DEMO_ROSTER)
    with db.session_scope(db_url) as session:
        ana = session.get(Person, "g-ana-rivera")
        assert (ana.role, ana.given_name, ana.email, ana.sms) == ("guardian", "Ana", "ana.rivera@example.com",
                                                                  "+1 555-010-2001")
        assert (ana.email_norm, ana.sms_digits, ana.name_key) == ("ana.rivera@example.com", "5550102001", "ana|rivera")
        assert ana.date_last_modified.isoformat() == "2024-08-15T12:00:00+00:00"
        david = session.get(Person, "g-david-okafor")
        assert david.org_ids == ["org-willow-creek-ms", "org-maple-ridge-es"]
        mateo = session.get(Person, "s-mateo-rivera")
        assert (mateo.birth_date, mateo.school_id) == (date(2016, 4, 12), "org-maple-ridge-es")
        key = session.execute(select(ActivationKey).where(ActivationKey.person_id == "g-ana-rivera")).scalar_one()
        assert (key.key, key.redeemed) == ("4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C", False)
        assert session.get(PortalAccount, "g-grace-kim").account_status == "locked"
        assert session.get(School, "org-cedar-valley-district").org_type == "district"


# ---------------------------------------------------------------- updates and deactivation


def test_changed_rows_are_updated(db_url, roster):
    run(db_url, roster)
    replace(roster / "users.csv", "ana.rivera@example.com", "ana.r@example.com")
    replace(roster / "demographics.csv", "s-mateo-rivera,active,2024-08-15T12:00:00.000Z,2016-04-12",
            "s-mateo-rivera,active,2024-08-15T12:00:00.000Z,2016-04-13")
    replace(roster / "portal_accounts.csv", "g-grace-kim,A1B2C3D4E5F60718293A4B5C6D7E8F90,true,gkim,locked",
            "g-grace-kim,A1B2C3D4E5F60718293A4B5C6D7E8F90,true,gkim,active")
    replace(roster / "portal_accounts.csv", "g-ana-rivera,4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C,false",
            "g-ana-rivera,4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C,true")
    report = run(db_url, roster)
    assert report.ok, report.summary()
    assert (report.files["users.csv"].updated, report.files["users.csv"].inserted) == (1, 0)
    assert report.files["demographics.csv"].updated == 1
    assert report.files["portal_accounts.csv"].updated == 1
    assert report.files["activation keys"].updated == 1
    assert count(db_url, Person) == 26
    with db.session_scope(db_url) as session:
        assert session.get(Person, "g-ana-rivera").email_norm == "ana.r@example.com"
        assert session.get(Person, "s-mateo-rivera").birth_date == date(2016, 4, 13)
        assert session.get(PortalAccount, "g-grace-kim").account_status == "active"
        assert verify_guardian(session, "ana.r@example.com", "Mateo", date(2016, 4, 13)) == "g-ana-rivera"
        assert verify_guardian(session, "ana.rivera@example.com", "Mateo", date(2016, 4, 13)) is None


def test_removed_rows_are_deactivated_not_deleted(db_url, roster):
    run(db_url, roster)
    drop_lines(roster / "users.csv", "g-frank-miller", "s-zoe-miller")
    drop_lines(roster / "demographics.csv", "s-zoe-miller")
    drop_lines(roster / "enrollments.csv", "s-zoe-miller")
    drop_lines(roster / "portal_accounts.csv", "g-frank-miller")
    replace(roster / "users.csv", '"g-tanya-brooks,g-walter-brooks"', "g-tanya-brooks")  # Walter unlinked only
    report = run(db_url, roster)
    assert report.ok, report.summary()
    assert report.files["users.csv"].deactivated == 2
    assert report.files["guardian links"].deactivated == 2
    assert report.files["portal_accounts.csv"].deactivated == 1
    assert report.files["activation keys"].deactivated == 1
    assert count(db_url, Person) == 26
    with db.session_scope(db_url) as session:
        assert session.get(Person, "g-frank-miller").active is False
        assert session.get(Person, "s-zoe-miller").active is False
        assert session.get(GuardianLink, ("g-walter-brooks", "s-jamal-brooks")).active is False
        assert session.get(GuardianLink, ("g-tanya-brooks", "s-jamal-brooks")).active is True
        assert session.get(Person, "g-walter-brooks").active is True
        assert session.get(PortalAccount, "g-frank-miller").active is False
        assert verify_guardian(session, "frank.miller@example.com", "Zoe", date(2014, 3, 9)) is None


def test_returning_rows_are_reactivated(db_url, roster):
    run(db_url, roster)
    drop_lines(roster / "users.csv", "g-frank-miller", "s-zoe-miller")
    drop_lines(roster / "portal_accounts.csv", "g-frank-miller")
    drop_lines(roster / "demographics.csv", "s-zoe-miller")
    drop_lines(roster / "enrollments.csv", "s-zoe-miller")
    run(db_url, roster)
    report = run(db_url, DEMO_ROSTER)
    assert report.files["users.csv"].updated == 2
    assert report.files["guardian links"].updated == 1
    with db.session_scope(db_url) as session:
        assert verify_guardian(session, "frank.miller@example.com", "Zoe", date(2014, 3, 9)) == "g-frank-miller"


def test_tobedeleted_rows_are_kept_inactive(db_url, roster):
    replace(roster / "users.csv", "g-elena-petrova,active", "g-elena-petrova,tobedeleted")
    report = run(db_url, roster)
    assert report.ok
    with db.session_scope(db_url) as session:
        assert session.get(Person, "g-elena-petrova").active is False
        assert verify_guardian(session, "elena.petrova@example.com", "Ivan", date(2010, 7, 22)) is None
    again = run(db_url, roster)
    assert again.files["users.csv"].updated == 0


def test_a_key_can_move_to_another_guardian(db_url, roster):
    run(db_url, roster)
    replace(roster / "portal_accounts.csv", "g-tanya-brooks,3C3C", "g-walter-brooks,3C3C")
    replace(roster / "portal_accounts.csv", "g-walter-brooks,,false,wbrooks,disabled,", "g-tanya-brooks,,false,,none,")
    report = run(db_url, roster)
    assert report.ok, report.summary()
    assert report.files["activation keys"].updated == 1
    with db.session_scope(db_url) as session:
        key = session.execute(select(ActivationKey).where(ActivationKey.key.like("3C3C%"))).scalar_one()
        assert key.person_id == "g-walter-brooks"


# ---------------------------------------------------------------- bad rows


def test_each_bad_row_is_reported_with_file_and_line_and_the_rest_imports(db_url, roster):
    users = roster / "users.csv"
    lines = append(
        users,
        "g-short,active,2024-08-15T12:00:00Z,true,org-maple-ridge-es,guardian",          # missing columns
        user_line("g-wizard", "wizard", "Merlin", "Ambrosius"),                         # unknown role
        user_line("g-baddate", "guardian", "Bad", "Date", modified="15/08/2024"),       # bad date
        user_line("g-nowhere", "guardian", "No", "Where", orgs="org-atlantis-es"),      # unknown org
        user_line("s-orphan", "student", "Olive", "Orphan", agents="g-ghost"),          # unknown agent id
        user_line("g-ana-rivera", "guardian", "Ana", "Again"),                          # duplicate id
        user_line("g-good", "guardian", "Gus", "Good", email="gus@example.com"),        # fine
        user_line("s-good", "student", "Gia", "Good", agents="g-good"),                 # fine
        user_line("s-bad-agent", "student", "Bo", "Bad", agents="s-good"),              # agent is a student
        user_line("t-teacher", "teacher", "Tess", "Teacher"),                           # not ours: skipped
    )
    demographics = append(
        roster / "demographics.csv",
        "s-good,active,2024-08-15T12:00:00Z,2015-02-30,female,,,,,,,,,,,",              # bad date
        "s-unknown,active,2024-08-15T12:00:00Z,2015-02-03,female,,,,,,,,,,,",           # unknown user
    )
    accounts = append(
        roster / "portal_accounts.csv",
        "g-good,4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7,false,,none,",                          # 31 characters
        "s-good,ABCDEF0123456789ABCDEF0123456789,false,,none,",                        # a student
        "g-ghost,ABCDEF0123456789ABCDEF0123456789,false,,none,",                       # unknown user
        "g-orphan-key,XXXX-YYYY,false,,none,",                                         # other district's format
        "g-jorge-lopez,,false,jlopez,frozen,",                                          # unknown accountStatus
        "g-jorge-lopez,,false,jlopez,active,",                                          # fine
    )
    enrollments = append(
        roster / "enrollments.csv",
        "e-x,active,2024-08-15T12:00:00Z,c-x,org-atlantis-es,s-good,student,true,2024-08-20,2025-06-10",
    )
    report = run(db_url, roster)

    assert not report.ok
    assert_problem(report, "users.csv", lines[0], "missing column")
    assert_problem(report, "users.csv", lines[1], "unknown role 'wizard'")
    assert_problem(report, "users.csv", lines[2], "bad date in dateLastModified")
    assert_problem(report, "users.csv", lines[3], "unknown org org-atlantis-es")
    assert_problem(report, "users.csv", lines[4], "unknown agent id 'g-ghost'")
    assert_problem(report, "users.csv", lines[5], "repeats line 2")
    assert_problem(report, "users.csv", lines[8], "is not a guardian")
    assert_problem(report, "demographics.csv", demographics[0], "bad date in birthDate")
    assert_problem(report, "demographics.csv", demographics[1], "unknown user 's-unknown'")
    assert_problem(report, "portal_accounts.csv", accounts[0], "malformed activationKey (too short, 31 characters)")
    assert_problem(report, "portal_accounts.csv", accounts[1], "is a student, not a guardian")
    assert_problem(report, "portal_accounts.csv", accounts[2], "unknown user 'g-ghost'")
    assert_problem(report, "portal_accounts.csv", accounts[3], "malformed activationKey (bad characters")
    assert_problem(report, "portal_accounts.csv", accounts[4], "unknown accountStatus 'frozen'")
    assert_problem(report, "enrollments.csv", enrollments[0], "unknown org 'org-atlantis-es'")
    assert len(report.problems) == 15

    assert report.files["users.csv"].rejected == 5
    assert report.files["users.csv"].skipped == 1
    assert report.files["guardian links"].rejected == 2
    assert report.files["demographics.csv"].rejected == 2
    assert report.files["portal_accounts.csv"].rejected == 5
    # Everything else went in: the demo roster, the good rows, the students whose links were bad.
    assert report.files["users.csv"].inserted == 26 + 4
    with db.session_scope(db_url) as session:
        assert session.get(Person, "g-good").email_norm == "gus@example.com"
        assert session.get(GuardianLink, ("g-good", "s-good")).active is True
        assert session.get(Person, "s-orphan") is not None
        assert session.get(Person, "g-wizard") is None and session.get(Person, "t-teacher") is None
        assert session.get(Person, "g-ana-rivera").family_name == "Rivera"
        assert session.get(PortalAccount, "g-jorge-lopez").account_status == "active"
        assert verify_guardian(session, "ana.rivera@example.com", "Mateo", date(2016, 4, 12)) == "g-ana-rivera"
    summary = report.summary()
    assert f"users.csv:{lines[1]}: unknown role 'wizard'" in summary


def test_duplicate_account_row_and_duplicate_key(db_url, roster):
    accounts = append(
        roster / "portal_accounts.csv",
        "g-ana-rivera,,false,,none,",
        "g-jorge-lopez,4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C,false,,none,",
    )
    report = run(db_url, roster)
    assert_problem(report, "portal_accounts.csv", accounts[0], "repeats line 2")
    assert_problem(report, "portal_accounts.csv", accounts[1], "activationKey repeats line 2")
    with db.session_scope(db_url) as session:
        key = session.execute(select(ActivationKey).where(ActivationKey.key.like("4F2A%"))).scalar_one()
        assert key.person_id == "g-ana-rivera"


def test_keys_are_normalised_on_import(db_url, roster):
    replace(roster / "portal_accounts.csv", "g-tanya-brooks,3C3C3C3C4D4D4D4D5E5E5E5E6F6F6F6F",
            "g-tanya-brooks,{3c3c3c3c-4d4d-4d4d-5e5e-5e5e6f6f6f6f}")
    report = run(db_url, roster)
    assert report.ok, report.summary()
    assert count(db_url, ActivationKey, ActivationKey.key == "3C3C3C3C4D4D4D4D5E5E5E5E6F6F6F6F") == 1


def test_rejected_rows_keep_what_the_store_had(db_url, roster):
    """A row that is present but bad is not 'gone': its record, links and account stay as they were."""
    run(db_url, roster)
    replace(roster / "users.csv", "g-ana-rivera,active,2024-08-15T12:00:00.000Z",
            "g-ana-rivera,active,yesterday")
    replace(roster / "portal_accounts.csv", "g-ben-carter,9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4B",
            "g-ben-carter,9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4")
    report = run(db_url, roster)
    assert_problem(report, "users.csv", line_of(roster / "users.csv", "g-ana-rivera"), "bad date")
    assert_problem(report, "users.csv", line_of(roster / "users.csv", "s-mateo-rivera"), "g-ana-rivera")
    assert report.files["users.csv"].deactivated == 0
    assert report.files["guardian links"].deactivated == 0
    assert report.files["portal_accounts.csv"].deactivated == 0
    assert report.files["activation keys"].deactivated == 0
    with db.session_scope(db_url) as session:
        assert verify_guardian(session, "ana.rivera@example.com", "Mateo", date(2016, 4, 12)) == "g-ana-rivera"
        assert session.get(PortalAccount, "g-ben-carter").active is True


def test_line_numbers_count_physical_lines(db_url, roster):
    """A quoted value spanning two lines shifts the numbers of the rows after it."""
    users = roster / "users.csv"
    first, second = append(
        users,
        'g-multi,active,2024-08-15T12:00:00Z,true,org-maple-ridge-es,guardian,,,"Mary\nAnn",Multi,,,,,,,,',
        user_line("g-after", "wizard", "Al", "After"),
    )
    report = run(db_url, roster)
    assert problems(report) == [("users.csv", second + 1, "unknown role 'wizard' (expected one of student, "
                                 "guardian, parent, relative)")]


def test_extra_values_are_rejected(db_url, roster):
    (line,) = append(roster / "users.csv", user_line("g-x", "guardian", "Xi", "Extra") + ",surplus")
    report = run(db_url, roster)
    assert_problem(report, "users.csv", line, "more than the header has")


def test_guardian_side_agent_ids_also_link(db_url, roster):
    append(roster / "users.csv",
           user_line("s-kit", "student", "Kit", "Rivera"),
           user_line("g-uncle", "relative", "Uncle", "Rivera", agents="s-kit,s-mateo-rivera"))
    report = run(db_url, roster)
    assert report.ok, report.summary()
    assert count(db_url, GuardianLink, GuardianLink.guardian_id == "g-uncle") == 2


def test_enrollments_supply_a_missing_school(db_url, roster):
    append(roster / "users.csv", user_line("s-new", "student", "Nia", "New", orgs="org-cedar-valley-district"))
    append(roster / "enrollments.csv",
           "e-new,active,2024-08-15T12:00:00Z,c-1,org-riverbend-es,s-new,student,true,2024-08-20,2025-06-10",
           "e-t,active,2024-08-15T12:00:00Z,c-1,org-riverbend-es,s-new,teacher,true,2024-08-20,2025-06-10")
    report = run(db_url, roster)
    assert report.ok, report.summary()
    assert report.files["enrollments.csv"].updated == 1
    assert report.files["enrollments.csv"].skipped == 1
    with db.session_scope(db_url) as session:
        assert session.get(Person, "s-new").school_id == "org-riverbend-es"


# ---------------------------------------------------------------- files and folders


def test_missing_folder_or_files(db_url, tmp_path):
    with pytest.raises(RosterError, match="does not exist"):
        run(db_url, tmp_path / "nope")
    (tmp_path / "orgs.csv").write_text("sourcedId,name,type\n")
    with pytest.raises(RosterError, match="users.csv not found"):
        run(db_url, tmp_path)
    with pytest.raises(RosterError, match="not a folder"):
        run(db_url, tmp_path / "orgs.csv")


def test_users_file_without_required_columns_is_not_a_roster(db_url, roster):
    (roster / "users.csv").write_text("id,name\n1,Ann\n")
    with pytest.raises(RosterError, match="users.csv has no column"):
        run(db_url, roster)
    assert count(db_url, Person) == 0


def test_an_empty_users_file_never_wipes_the_roster(db_url, roster):
    run(db_url, roster)
    (roster / "users.csv").write_text(USERS_HEADER + "\n")
    with pytest.raises(RosterError, match="refusing to deactivate"):
        run(db_url, roster)
    assert count(db_url, Person, Person.active.is_(True)) == 26


def test_optional_file_with_a_bad_header_is_skipped_and_reported(db_url, roster):
    (roster / "demographics.csv").write_text("sourcedId,dob\ns-mateo-rivera,2016-04-12\n")
    report = run(db_url, roster)
    assert problems(report) == [("demographics.csv", 1, "header has no column(s) birthDate; file skipped")]
    assert report.files["demographics.csv"].rejected == 1
    assert report.files["users.csv"].inserted == 26


def test_optional_files_may_be_absent(db_url, roster):
    run(db_url, roster)
    for name in ("demographics.csv", "portal_accounts.csv", "enrollments.csv"):
        (roster / name).unlink()
    report = run(db_url, roster)
    assert report.ok
    assert "enrollments.csv" not in report.files
    assert any("portal_accounts.csv not found" in note for note in report.notes)
    assert count(db_url, PortalAccount, PortalAccount.active.is_(True)) == 11
    with db.session_scope(db_url) as session:
        assert session.get(Person, "s-mateo-rivera").birth_date == date(2016, 4, 12)


def test_bom_reordered_columns_and_windows_1252(db_url, roster):
    orgs = (roster / "orgs.csv").read_text()
    (roster / "orgs.csv").write_bytes(b"\xef\xbb\xbf" + orgs.encode())
    demographics = "birthDate,sourcedId\n2016-04-12,s-mateo-rivera\n"
    (roster / "demographics.csv").write_text(demographics)
    append(roster / "users.csv", user_line("g-zoe", "guardian", "Zoë", "Müller"))
    (roster / "users.csv").write_bytes((roster / "users.csv").read_text().encode("cp1252"))
    report = run(db_url, roster)
    assert report.ok, report.summary()
    with db.session_scope(db_url) as session:
        assert session.get(Person, "g-zoe").given_name == "Zoë"
        assert session.get(Person, "g-zoe").name_key == "zoe|muller"
        assert session.get(Person, "s-mateo-rivera").birth_date == date(2016, 4, 12)


def test_progress_bars_are_harmless_without_a_terminal(db_url, capsys):
    report = import_roster(lambda: db.session_scope(db_url), DEMO_ROSTER, progress=True)
    assert report.ok
    assert "rows" not in capsys.readouterr().err


def test_plain_sessionmaker_works_as_the_factory(db_url):
    report = import_roster(db.session_factory(db_url), DEMO_ROSTER, progress=False)
    assert report.ok
    assert count(db_url, Person) == 26
