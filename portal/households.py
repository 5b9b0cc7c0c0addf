"""Households: which children a guardian record shows, and why a named child may be missing."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Optional

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from portal.models import GUARDIAN_ROLES, STUDENT, GuardianLink, Person
from portal.normalise import normalise_name

OUTCOMES = ("all_linked", "split_duplicates", "not_linked")


@dataclass(frozen=True)
class LinkedChild:
    """A student linked to a guardian record."""

    id: str
    first_name: str
    family_name: str
    birth_date: Optional[date]
    school_id: Optional[str]


@dataclass(frozen=True)
class HouseholdDiagnosis:
    """Why a parent may not see all their children in the portal.

    outcome: "all_linked" (every named child is on the verified record), "split_duplicates" (a
    missing child is attached to another record of the same parent: same email, same mobile or same
    name) or "not_linked" (no record of this parent holds the missing child).
    school_id: school of the missing child when known, else of the parent's linked children.
    guardian_record_ids: the verified record first, then the duplicates (for staff only).
    missing_student_ids: roster ids of the missing children where found (for staff only).
    """

    outcome: str
    linked_children: tuple[str, ...]
    missing_children: tuple[str, ...]
    duplicate_guardian_ids: tuple[str, ...]
    school_id: Optional[str]
    guardian_record_ids: tuple[str, ...]
    missing_student_ids: tuple[str, ...] = ()


def linked_children(session: Session, guardian_id: str) -> list[LinkedChild]:
    """Active students linked (actively) to this guardian record, sorted by first name."""
    student = aliased(Person)
    rows = session.execute(
        select(student.id, student.given_name, student.family_name, student.birth_date, student.school_id)
        .join(GuardianLink, GuardianLink.student_id == student.id)
        .where(
            GuardianLink.guardian_id == guardian_id,
            GuardianLink.active.is_(True),
            student.active.is_(True),
            student.role == STUDENT,
        )
        .order_by(student.given_name, student.id)
    ).all()
    return [LinkedChild(r.id, r.given_name, r.family_name, r.birth_date, r.school_id) for r in rows]


def school_ids_for_guardian(session: Session, guardian_id: str) -> tuple[str, ...]:
    """Schools of the guardian's linked students; the guardian's own school when none is linked."""
    schools = sorted({c.school_id for c in linked_children(session, guardian_id) if c.school_id})
    if schools:
        return tuple(schools)
    own = session.execute(select(Person.school_id).where(Person.id == guardian_id)).scalar_one_or_none()
    return (own,) if own else ()


def diagnose_household(session: Session, guardian_id: str, named_children: Iterable[str]) -> HouseholdDiagnosis:
    """Compare the children a verified parent named with the children linked to their record."""
    guardian = session.get(Person, guardian_id)
    if guardian is None:
        raise LookupError(f"no guardian record {guardian_id!r}")
    linked = linked_children(session, guardian_id)
    linked_names = {normalise_name(c.first_name) for c in linked}
    named = _distinct_names(named_children)
    missing = [n for n in named if normalise_name(n) not in linked_names]

    duplicates = _duplicate_records(session, guardian) if missing else []
    holders: dict[str, list[LinkedChild]] = {}
    for duplicate_id in duplicates:
        for child in linked_children(session, duplicate_id):
            holders.setdefault(duplicate_id, []).append(child)
    found = _children_named(missing, [c for kids in holders.values() for c in kids])
    duplicate_ids = tuple(sorted(d for d, kids in holders.items() if _children_named(missing, kids)))

    if not missing:
        outcome = "all_linked"
    elif duplicate_ids:
        outcome = "split_duplicates"
    else:
        outcome = "not_linked"
        found = _unlinked_students_named(session, missing, guardian, linked)

    return HouseholdDiagnosis(
        outcome=outcome,
        linked_children=tuple(c.first_name for c in linked),
        missing_children=tuple(_roster_spelling(n, found) for n in missing),
        duplicate_guardian_ids=duplicate_ids,
        school_id=_routing_school(found, linked, guardian),
        guardian_record_ids=(guardian_id, *duplicate_ids),
        missing_student_ids=tuple(sorted({c.id for c in found})),
    )


def _distinct_names(names: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for name in names or ():
        cleaned = " ".join(str(name).split())
        if cleaned and normalise_name(cleaned) not in seen:
            seen[normalise_name(cleaned)] = cleaned
    return list(seen.values())


def _duplicate_records(session: Session, guardian: Person) -> list[str]:
    """Other active guardian records of the same parent: same email, same mobile or same full name."""
    conditions = []
    if guardian.email_norm:
        conditions.append(Person.email_norm == guardian.email_norm)
    if guardian.sms_digits:
        conditions.append(Person.sms_digits == guardian.sms_digits)
    if guardian.name_key:
        conditions.append(Person.name_key == guardian.name_key)
    if not conditions:
        return []
    return list(
        session.execute(
            select(Person.id)
            .where(or_(*conditions), Person.id != guardian.id, Person.active.is_(True), Person.role.in_(GUARDIAN_ROLES))
            .order_by(Person.id)
        ).scalars()
    )


def _children_named(names: list[str], children: list[LinkedChild]) -> list[LinkedChild]:
    wanted = {normalise_name(n) for n in names}
    return [c for c in children if normalise_name(c.first_name) in wanted]


def _unlinked_students_named(
    session: Session, names: list[str], guardian: Person, linked: list[LinkedChild]
) -> list[LinkedChild]:
    """Students with a missing child's first name and the family's last name (for routing only)."""
    families = {normalise_name(guardian.family_name)} | {normalise_name(c.family_name) for c in linked}
    wanted = {normalise_name(n) for n in names}
    rows = session.execute(
        select(Person.id, Person.given_name, Person.family_name, Person.birth_date, Person.school_id).where(
            Person.role == STUDENT,
            Person.active.is_(True),
            Person.name_key.in_([f"{n}|{f}" for n in wanted for f in families if f]),
        )
    ).all()
    return [LinkedChild(r.id, r.given_name, r.family_name, r.birth_date, r.school_id) for r in rows]


def _roster_spelling(name: str, found: list[LinkedChild]) -> str:
    match = next((c for c in found if normalise_name(c.first_name) == normalise_name(name)), None)
    return match.first_name if match else name


def _routing_school(found: list[LinkedChild], linked: list[LinkedChild], guardian: Person) -> Optional[str]:
    """The missing child's school when exactly one is known, else the linked children's commonest school."""
    missing_schools = {c.school_id for c in found if c.school_id}
    if len(missing_schools) == 1:
        return missing_schools.pop()
    counts = Counter(c.school_id for c in linked if c.school_id)
    if counts:
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
    return guardian.school_id
