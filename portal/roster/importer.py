"""`import_roster`: read a OneRoster 1.1 CSV folder, validate every row, then sync the store in bulk.

The whole import is one transaction: readers see the old roster until it commits. Rows that cannot
be imported are reported with file and line; everything else is imported. Records missing from the
new export are marked inactive; records whose row was rejected are left exactly as they were.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, ContextManager, Optional, Union

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from portal.models import ActivationKey, GuardianLink, Person, PortalAccount, School, STUDENT
from portal.roster import rows as R
from portal.roster.csvfile import CsvFile
from portal.roster.report import ImportReport, RosterError, RowProblem
from portal.roster.sync import CHUNK, TableSync, sync_table

log = logging.getLogger(__name__)

ORGS, USERS, DEMOGRAPHICS, ENROLLMENTS, ACCOUNTS = (
    "orgs.csv", "users.csv", "demographics.csv", "enrollments.csv", "portal_accounts.csv",
)
LINKS, KEYS = "guardian links", "activation keys"
SessionFactory = Callable[[], Union[Session, ContextManager[Session]]]


@dataclass
class _Roster:
    """Everything read from the folder, validated, before anything is written."""

    orgs: dict[str, dict[str, Any]] = field(default_factory=dict)
    rejected_orgs: set[str] = field(default_factory=set)
    users: dict[str, R.UserRow] = field(default_factory=dict)
    rejected_users: set[str] = field(default_factory=set)
    skipped_users: set[str] = field(default_factory=set)
    birth_dates: Optional[dict[str, Optional[date]]] = None
    links: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    accounts: Optional[dict[tuple, dict[str, Any]]] = None
    keys: dict[tuple, dict[str, Any]] = field(default_factory=dict)
    rejected_account_persons: set[str] = field(default_factory=set)

    @property
    def org_types(self) -> dict[str, str]:
        return {org_id: org["org_type"] for org_id, org in self.orgs.items()}


def import_roster(session_factory: SessionFactory, directory: Union[str, Path], progress: bool = True) -> ImportReport:
    """Import a roster folder in one transaction and return what happened.

    `session_factory()` must give a Session or a context manager yielding one (a `sessionmaker`,
    or `portal.db.session_scope`). Raises RosterError when the folder is not a roster at all.
    """
    folder = Path(directory)
    _check_folder(folder)
    report = ImportReport(directory=str(folder))
    started = time.perf_counter()
    roster = _read(folder, report, progress)
    if not roster.users and not roster.rejected_users:
        raise RosterError(f"{USERS} has no students or guardians: refusing to deactivate the whole roster")
    with session_factory() as session:
        _write(session, roster, report)
        session.commit()
    report.seconds = time.perf_counter() - started
    log.info("roster import from %s: %d problem(s), %.1fs", folder, len(report.problems), report.seconds)
    return report


def _check_folder(folder: Path) -> None:
    if not folder.exists():
        raise RosterError(f"{folder} does not exist")
    if not folder.is_dir():
        raise RosterError(f"{folder} is not a folder")
    missing = [name for name in (ORGS, USERS) if not (folder / name).is_file()]
    if missing:
        raise RosterError(f"{folder} is not a OneRoster folder: {' and '.join(missing)} not found")


# ---------------------------------------------------------------- reading


def _read(folder: Path, report: ImportReport, progress: bool) -> _Roster:
    roster = _Roster()
    for name in (ORGS, USERS, LINKS, DEMOGRAPHICS, ENROLLMENTS, ACCOUNTS, KEYS):
        if name != ENROLLMENTS or (folder / name).is_file():
            report.counts(name)
    _read_orgs(_open_required(folder / ORGS, R.ORG_COLUMNS, R.ORG_OPTIONAL), roster, report, progress)
    _read_users(_open_required(folder / USERS, R.USER_COLUMNS, R.USER_OPTIONAL), roster, report, progress)
    if csv := _open_optional(folder / ENROLLMENTS, R.ENROLLMENT_COLUMNS, R.ENROLLMENT_OPTIONAL, report, progress):
        _read_enrollments(csv, roster, report, progress)
    if csv := _open_optional(folder / DEMOGRAPHICS, R.DEMOGRAPHIC_COLUMNS, R.DEMOGRAPHIC_OPTIONAL, report, progress):
        _read_demographics(csv, roster, report, progress)
    elif not (folder / DEMOGRAPHICS).is_file():
        report.notes.append(f"{DEMOGRAPHICS} not found: birth dates left as they were")
    if csv := _open_optional(folder / ACCOUNTS, R.ACCOUNT_COLUMNS, R.ACCOUNT_OPTIONAL, report, progress):
        _read_accounts(csv, roster, report, progress)
    elif not (folder / ACCOUNTS).is_file():
        report.notes.append(f"{ACCOUNTS} not found: portal accounts and activation keys left as they were")
    _build_links(roster, report)
    return roster


def _open_required(path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> CsvFile:
    csv = CsvFile(path, required, optional)
    if csv.missing:
        raise RosterError(f"{path.name} has no column(s) {', '.join(csv.missing)}: is this a OneRoster 1.1 export?")
    return csv


def _open_optional(path: Path, required, optional, report: ImportReport, progress: bool) -> Optional[CsvFile]:
    """The file if present with a usable header; a header problem rejects the whole file."""
    if not path.is_file():
        return None
    csv = CsvFile(path, required, optional)
    if not csv.missing:
        return csv
    rows = sum(1 for _ in csv.rows(progress))
    report.problems.append(RowProblem(path.name, 1, f"header has no column(s) {', '.join(csv.missing)}; file skipped"))
    report.counts(path.name).rejected += max(rows, 1)
    return None


def _read_orgs(csv: CsvFile, roster: _Roster, report: ImportReport, progress: bool) -> None:
    lines: dict[str, int] = {}
    for row in csv.rows(progress):
        org_id = row.values.get("sourcedId") or ""
        try:
            if org_id in lines:
                raise R.RowRejected(f"sourcedId {org_id!r} repeats line {lines[org_id]}")
            record = R.org_record(row)
        except R.RowRejected as error:
            report.reject(ORGS, row.line, str(error))
            if org_id and org_id not in lines:
                roster.rejected_orgs.add(org_id)
            continue
        lines[org_id] = row.line
        roster.orgs[org_id] = record


def _read_users(csv: CsvFile, roster: _Roster, report: ImportReport, progress: bool) -> None:
    org_types = roster.org_types
    lines: dict[str, int] = {}
    for row in csv.rows(progress):
        user_id = row.values.get("sourcedId") or ""
        try:
            if user_id in lines:
                raise R.RowRejected(f"sourcedId {user_id!r} repeats line {lines[user_id]}")
            lines[user_id] = row.line
            user = R.user_row(row, org_types)
        except R.RowSkipped:
            roster.skipped_users.add(user_id)
            report.counts(USERS).skipped += 1
            continue
        except R.RowRejected as error:
            report.reject(USERS, row.line, str(error))
            if user_id and lines.get(user_id) == row.line:
                roster.rejected_users.add(user_id)
            continue
        roster.users[user_id] = user


def _read_enrollments(csv: CsvFile, roster: _Roster, report: ImportReport, progress: bool) -> None:
    """Enrollments give a student a school when users.csv listed none."""
    counts = report.counts(ENROLLMENTS)
    for row in csv.rows(progress):
        try:
            pair = R.enrollment(row)
            if pair is None:
                counts.skipped += 1
                continue
            user_id, school_id = pair
            user = _known_user(roster, user_id, "userSourcedId")
            if roster.orgs.get(school_id, {}).get("org_type") != "school":
                raise R.RowRejected(f"unknown org {school_id!r} in schoolSourcedId")
        except R.RowSkipped:
            counts.skipped += 1
            continue
        except R.RowRejected as error:
            report.reject(ENROLLMENTS, row.line, str(error))
            continue
        if user.record["role"] == STUDENT and user.record["school_id"] is None:
            user.record["school_id"] = school_id
            counts.updated += 1
        else:
            counts.unchanged += 1


def _read_demographics(csv: CsvFile, roster: _Roster, report: ImportReport, progress: bool) -> None:
    roster.birth_dates = {}
    lines: dict[str, int] = {}
    for row in csv.rows(progress):
        try:
            user_id, born = R.birth_date(row)
            if user_id in lines:
                raise R.RowRejected(f"sourcedId {user_id!r} repeats line {lines[user_id]}")
            lines[user_id] = row.line
            _known_user(roster, user_id, "sourcedId")
        except R.RowSkipped:
            report.counts(DEMOGRAPHICS).skipped += 1
            continue
        except R.RowRejected as error:
            report.reject(DEMOGRAPHICS, row.line, str(error))
            continue
        roster.birth_dates[user_id] = born


def _read_accounts(csv: CsvFile, roster: _Roster, report: ImportReport, progress: bool) -> None:
    roster.accounts = {}
    person_lines: dict[str, int] = {}
    key_lines: dict[str, int] = {}
    for row in csv.rows(progress):
        person_id = row.values.get("userSourcedId") or ""
        try:
            if person_id in person_lines:
                raise R.RowRejected(f"userSourcedId {person_id!r} repeats line {person_lines[person_id]}")
            account, key = R.account_records(row)
            user = _known_user(roster, person_id, "userSourcedId")
            if not R.is_guardian_role(user.record["role"]):
                raise R.RowRejected(f"user {person_id!r} is a {user.record['role']}, not a guardian")
            if key and key["key"] in key_lines:
                raise R.RowRejected(f"activationKey repeats line {key_lines[key['key']]}")
        except (R.RowRejected, R.RowSkipped) as error:
            message = str(error) if isinstance(error, R.RowRejected) else f"user {person_id!r} is not a guardian"
            report.reject(ACCOUNTS, row.line, message)
            if person_id:
                roster.rejected_account_persons.add(person_id)
            continue
        person_lines[person_id] = row.line
        roster.accounts[(person_id,)] = account
        if key:
            key_lines[key["key"]] = row.line
            roster.keys[(key["key"],)] = key


def _known_user(roster: _Roster, user_id: str, column: str) -> R.UserRow:
    """The accepted user with this id; RowSkipped for ignored roles, RowRejected otherwise."""
    user = roster.users.get(user_id)
    if user is not None:
        return user
    if user_id in roster.skipped_users:
        raise R.RowSkipped(user_id)
    if user_id in roster.rejected_users:
        raise R.RowRejected(f"user {user_id!r} in {column} was rejected in {USERS}")
    raise R.RowRejected(f"unknown user {user_id!r} in {column}")


def _build_links(roster: _Roster, report: ImportReport) -> None:
    """Guardian links from students' agentSourcedIds (and guardians' own, listing their students)."""
    for user_id, user in roster.users.items():
        is_student = user.record["role"] == STUDENT
        for agent_id in user.agents:
            agent = roster.users.get(agent_id)
            if agent is None:
                why = "was rejected" if agent_id in roster.rejected_users else "is not in users.csv"
                report.reject(USERS, user.line, f"unknown agent id {agent_id!r} in agentSourcedIds ({why})", LINKS)
                continue
            agent_is_student = agent.record["role"] == STUDENT
            if agent_is_student == is_student:
                expected = "a guardian" if is_student else "a student"
                report.reject(USERS, user.line, f"agent {agent_id!r} in agentSourcedIds is not {expected}", LINKS)
                continue
            guardian_id, student_id = (agent_id, user_id) if is_student else (user_id, agent_id)
            roster.links[(guardian_id, student_id)] = {"guardian_id": guardian_id, "student_id": student_id}


# ---------------------------------------------------------------- writing

SCHOOLS_SYNC = TableSync(School.__table__, ("id",), ("name", "org_type", "identifier", "parent_id", "date_last_modified"))
PERSONS_SYNC = TableSync(
    Person.__table__,
    ("id",),
    ("role", "given_name", "family_name", "middle_name", "identifier", "email", "sms", "phone", "email_norm",
     "sms_digits", "name_key", "school_id", "org_ids", "enabled_user", "date_last_modified"),
)
LINKS_SYNC = TableSync(GuardianLink.__table__, ("guardian_id", "student_id"), ())
ACCOUNTS_SYNC = TableSync(PortalAccount.__table__, ("person_id",), ("username", "account_status", "security_email"))
KEYS_SYNC = TableSync(ActivationKey.__table__, ("key",), ("person_id", "redeemed"))


def _write(session: Session, roster: _Roster, report: ImportReport) -> None:
    """Sync every table in dependency order (orgs, people, birth dates, links, accounts, keys)."""
    schools = {(k,): v for k, v in roster.orgs.items()}
    sync_table(session, SCHOOLS_SYNC, schools, report.counts(ORGS),
               protect=lambda key, _: key[0] in roster.rejected_orgs)

    persons = {(k,): u.record for k, u in roster.users.items()}
    rejected = roster.rejected_users
    sync_table(session, PERSONS_SYNC, persons, report.counts(USERS), protect=lambda key, _: key[0] in rejected)

    if roster.birth_dates is not None:
        _write_birth_dates(session, roster.birth_dates, report)

    sync_table(session, LINKS_SYNC, roster.links, report.counts(LINKS),
               protect=lambda key, _: key[0] in rejected or key[1] in rejected)

    if roster.accounts is not None:
        kept = rejected | roster.rejected_account_persons
        sync_table(session, ACCOUNTS_SYNC, roster.accounts, report.counts(ACCOUNTS),
                   protect=lambda key, _: key[0] in kept)
        sync_table(session, KEYS_SYNC, roster.keys, report.counts(KEYS),
                   protect=lambda _, current: current["person_id"] in kept)


def _write_birth_dates(session: Session, birth_dates: dict[str, Optional[date]], report: ImportReport) -> None:
    counts = report.counts(DEMOGRAPHICS)
    current = dict(session.execute(select(Person.id, Person.birth_date)).all())
    changes = []
    for person_id, born in birth_dates.items():
        before = current.get(person_id)
        if before == born:
            counts.unchanged += 1
            continue
        if before is None:
            counts.inserted += 1
        else:
            counts.updated += 1
        changes.append({"k_id": person_id, "v_birth_date": born})
    table = Person.__table__
    statement = update(table).where(table.c.id == bindparam("k_id")).values(birth_date=bindparam("v_birth_date"))
    for start in range(0, len(changes), CHUNK):
        session.execute(statement, changes[start:start + CHUNK])
