"""Models: constraints hold in the database itself, timestamps come back timezone-aware UTC."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError, StatementError

from portal import db
from portal.models import ActivationKey, GuardianLink, Person, PortalAccount, School, Ticket, utcnow


def _school(session, school_id="org-a"):
    session.add(School(id=school_id, name="A School", org_type="school", active=True))
    session.flush()


def _person(session, person_id, role="guardian", **extra):
    session.add(Person(id=person_id, role=role, given_name="Pat", family_name="Doe", org_ids=[], **extra))
    session.flush()


def _ticket(**extra):
    values = dict(kind="handoff", status="open", conversation_id="conv-1", channel="rest", verified=False,
                  summary="", transcript="", details={})
    values.update(extra)
    return Ticket(**values)


def test_person_role_is_checked(session):
    with pytest.raises(IntegrityError):
        _person(session, "p-1", role="teacher")


def test_foreign_keys_are_enforced(session):
    with pytest.raises(IntegrityError):
        session.add(GuardianLink(guardian_id="nobody", student_id="nobody-either", active=True))
        session.flush()


def test_account_status_is_checked(session):
    _person(session, "g-1")
    with pytest.raises(IntegrityError):
        session.add(PortalAccount(person_id="g-1", account_status="frozen", active=True))
        session.flush()


def test_activation_keys_are_unique(session):
    _person(session, "g-1")
    _person(session, "g-2")
    session.add(ActivationKey(key="A" * 32, person_id="g-1", redeemed=False, active=True))
    session.flush()
    with pytest.raises(IntegrityError):
        session.add(ActivationKey(key="A" * 32, person_id="g-2", redeemed=False, active=True))
        session.flush()


def test_ticket_kind_and_status_are_checked(session):
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(_ticket(kind="complaint"))
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(_ticket(status="waiting"))


def test_one_open_ticket_per_conversation_and_kind_in_the_database(session):
    session.add(_ticket())
    session.flush()
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            session.add(_ticket(status="in_progress"))
    # Another kind, or the same kind once the first is resolved, is fine.
    session.add(_ticket(kind="other"))
    session.flush()
    first = session.query(Ticket).filter_by(kind="handoff").one()
    first.status = "resolved"
    session.flush()
    session.add(_ticket())
    session.flush()
    assert session.query(Ticket).filter_by(kind="handoff").count() == 2


def test_timestamps_round_trip_as_aware_utc(db_url):
    moment = datetime(2024, 3, 10, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    with db.session_scope(db_url) as session:
        ticket = _ticket(created_at=moment, updated_at=moment)
        session.add(ticket)
        session.flush()
        ticket_id = ticket.id
    with db.session_scope(db_url) as session:
        stored = session.get(Ticket, ticket_id)
        assert stored.created_at.tzinfo is not None
        assert stored.created_at.utcoffset() == timedelta(0)
        assert stored.created_at == moment
        assert stored.created_at.hour == 14


def test_naive_timestamps_are_refused(session):
    with pytest.raises(StatementError):
        session.add(_ticket(created_at=datetime(2024, 1, 1), updated_at=utcnow()))
        session.flush()


def test_school_foreign_key_of_a_person(session):
    _school(session)
    _person(session, "s-1", role="student", school_id="org-a")
    with pytest.raises(IntegrityError):
        _person(session, "s-2", role="student", school_id="org-missing")
