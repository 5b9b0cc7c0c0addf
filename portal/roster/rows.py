"""Turning one CSV row into a table row, or rejecting it with a reason (raise `RowRejected`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Optional

from portal.activation_keys import normalise_key
from portal.models import ACCOUNT_STATUSES, GUARDIAN_ROLES, PERSON_ROLES
from portal.normalise import name_key, normalise_email, phone_key
from portal.roster.csvfile import CsvRow
from portal.roster.values import BadValue, parse_bool, parse_date, parse_timestamp, split_ids, text_or_none

ORG_TYPES = ("district", "school", "department", "local", "state", "national")
STATUSES = ("active", "tobedeleted")
# Roles OneRoster knows that this store does not keep: counted as skipped, not rejected.
IGNORED_ROLES = ("teacher", "administrator", "aide", "proctor")

ORG_COLUMNS = ("sourcedId", "name", "type")
ORG_OPTIONAL = ("status", "dateLastModified", "identifier", "parentSourcedId")
USER_COLUMNS = ("sourcedId", "role", "givenName", "familyName")
# Read only what is stored; username, userIds, grades and password are ignored.
USER_OPTIONAL = (
    "status", "dateLastModified", "enabledUser", "orgSourcedIds", "middleName", "identifier", "email", "sms",
    "phone", "agentSourcedIds",
)
DEMOGRAPHIC_COLUMNS = ("sourcedId", "birthDate")
DEMOGRAPHIC_OPTIONAL = ("status",)
ENROLLMENT_COLUMNS = ("userSourcedId", "schoolSourcedId")
ENROLLMENT_OPTIONAL = ("role", "status", "sourcedId", "classSourcedId")
ACCOUNT_COLUMNS = ("userSourcedId",)
ACCOUNT_OPTIONAL = ("activationKey", "keyRedeemed", "username", "accountStatus", "securityEmail")


class RowRejected(ValueError):
    """The row cannot be imported; the message is shown with the file name and line."""


class RowSkipped(Exception):
    """The row is valid but not for us (for example a teacher)."""


@dataclass
class UserRow:
    """A person row plus the agent ids still to be turned into guardian links."""

    line: int
    record: dict[str, Any]
    agents: list[str] = field(default_factory=list)


def check_shape(row: CsvRow) -> None:
    """Reject rows with too few or too many values for the header."""
    missing = row.missing_columns()
    if missing:
        raise RowRejected(f"missing column(s) {', '.join(missing)}")
    if row.extra_values:
        raise RowRejected(f"{row.extra_values} value(s) more than the header has (unquoted comma?)")


def _required(row: CsvRow, *names: str) -> None:
    empty = [n for n in names if not row.values.get(n)]
    if empty:
        raise RowRejected(f"missing value for {', '.join(empty)}")


def _status_active(row: CsvRow) -> bool:
    status = (row.values.get("status") or "active").lower()
    if status not in STATUSES:
        raise RowRejected(f"unknown status {row.values.get('status')!r} (expected active or tobedeleted)")
    return status == "active"


def org_record(row: CsvRow) -> dict[str, Any]:
    """A `schools` row from orgs.csv."""
    check_shape(row)
    _required(row, "sourcedId", "name", "type")
    values = row.values
    org_type = values["type"].lower()
    if org_type not in ORG_TYPES:
        raise RowRejected(f"unknown org type {values['type']!r}")
    return {
        "id": values["sourcedId"],
        "name": values["name"],
        "org_type": org_type,
        "identifier": text_or_none(values.get("identifier")),
        "parent_id": text_or_none(values.get("parentSourcedId")),
        "date_last_modified": _timestamp(values.get("dateLastModified")),
        "active": _status_active(row),
    }


def user_row(row: CsvRow, org_types: dict[str, str]) -> UserRow:
    """A `persons` row from users.csv, checked against the orgs of the same import."""
    check_shape(row)
    _required(row, "sourcedId", "role")
    values = row.values
    role = values["role"].lower()
    if role in IGNORED_ROLES:
        raise RowSkipped(role)
    if role not in PERSON_ROLES:
        raise RowRejected(f"unknown role {values['role']!r} (expected one of {', '.join(PERSON_ROLES)})")
    _required(row, "givenName", "familyName")
    org_ids = split_ids(values.get("orgSourcedIds"))
    unknown = [o for o in org_ids if o not in org_types]
    if unknown:
        raise RowRejected(f"unknown org {', '.join(unknown)} in orgSourcedIds")
    try:
        enabled = parse_bool(values.get("enabledUser"), "enabledUser", default=True)
    except BadValue as error:
        raise RowRejected(str(error)) from None
    active = _status_active(row)
    email, sms = text_or_none(values.get("email")), text_or_none(values.get("sms"))
    record = {
        "id": values["sourcedId"],
        "role": role,
        "given_name": values["givenName"],
        "family_name": values["familyName"],
        "middle_name": text_or_none(values.get("middleName")),
        "identifier": text_or_none(values.get("identifier")),
        "email": email,
        "sms": sms,
        "phone": text_or_none(values.get("phone")),
        "email_norm": normalise_email(email),
        "sms_digits": phone_key(sms),
        "name_key": name_key(values["givenName"], values["familyName"]),
        "school_id": next((o for o in org_ids if org_types[o] == "school"), None),
        "org_ids": org_ids,
        "enabled_user": enabled,
        "date_last_modified": _timestamp(values.get("dateLastModified")),
        "active": active,
    }
    return UserRow(row.line, record, split_ids(values.get("agentSourcedIds")))


def birth_date(row: CsvRow) -> tuple[str, Optional[date]]:
    """(sourcedId, birthDate) from demographics.csv."""
    check_shape(row)
    _required(row, "sourcedId")
    try:
        return row.values["sourcedId"], parse_date(row.values.get("birthDate") or None)
    except BadValue as error:
        raise RowRejected(str(error)) from None


def enrollment(row: CsvRow) -> Optional[tuple[str, str]]:
    """(userSourcedId, schoolSourcedId) of an active student enrollment; None for other enrollments."""
    check_shape(row)
    _required(row, "userSourcedId", "schoolSourcedId")
    role = (row.values.get("role") or "student").lower()
    if role != "student" or not _status_active(row):
        return None
    return row.values["userSourcedId"], row.values["schoolSourcedId"]


def account_records(row: CsvRow) -> tuple[dict[str, Any], Optional[dict[str, Any]]]:
    """A `portal_accounts` row and, when the row has a key, an `activation_keys` row."""
    check_shape(row)
    _required(row, "userSourcedId")
    values = row.values
    status = (values.get("accountStatus") or "none").lower()
    if status not in ACCOUNT_STATUSES:
        raise RowRejected(f"unknown accountStatus {values['accountStatus']!r} (expected {'|'.join(ACCOUNT_STATUSES)})")
    try:
        redeemed = parse_bool(values.get("keyRedeemed"), "keyRedeemed", default=False)
    except BadValue as error:
        raise RowRejected(str(error)) from None
    person_id = values["userSourcedId"]
    account = {
        "person_id": person_id,
        "username": text_or_none(values.get("username")),
        "account_status": status,
        "security_email": text_or_none(values.get("securityEmail")),
    }
    raw_key = values.get("activationKey")
    if not raw_key:
        return account, None
    parsed = normalise_key(raw_key)
    if not parsed.valid:
        raise RowRejected(f"malformed activationKey ({parsed.problem.replace('_', ' ')}, {parsed.length} characters)")
    return account, {"key": parsed.key, "person_id": person_id, "redeemed": redeemed}


def is_guardian_role(role: str) -> bool:
    return role in GUARDIAN_ROLES


def _timestamp(text: Optional[str]):
    try:
        return parse_timestamp(text or None)
    except BadValue as error:
        raise RowRejected(str(error)) from None
