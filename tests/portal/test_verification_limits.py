"""Per-sender rate limit of identity checks (portal.verification_limits), on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from portal import db
from portal.models import VerificationFailure
from portal.verification_limits import (Limits, client_sender_key, failures, is_blocked, keyed_hash, prune,
                                        record_failure, sms_sender_key)

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=timezone.utc)
LIMITS = Limits(max_failures=5, window=timedelta(hours=1))
PHONE = "+1 (555) 010-2005"


def test_sender_keys_hide_the_number_and_meet_for_every_spelling():
    key = sms_sender_key(PHONE)
    assert key == sms_sender_key("555.010.2005") == sms_sender_key("+15550102005")
    assert key.startswith("sms:") and "5550102005" not in key
    assert sms_sender_key("+1 555-010-2006") != key
    assert sms_sender_key("12") is None and sms_sender_key(None) is None
    assert client_sender_key("203.0.113.7").startswith("client:") and "203.0.113.7" not in client_sender_key("203.0.113.7")
    assert client_sender_key("") is None
    assert len(key) <= 80


def test_the_hash_is_keyed_by_the_environment():
    assert keyed_hash("sms", "5550102005", {"SENDER_HASH_KEY": "a"}) != keyed_hash("sms", "5550102005",
                                                                                 {"SENDER_HASH_KEY": "b"})
    assert keyed_hash("sms", "5550102005", {}) == keyed_hash("sms", "5550102005", {})


def test_limits_from_the_environment():
    assert Limits.from_env({}) == Limits(5, timedelta(minutes=60))
    assert Limits.from_env({"VERIFY_SENDER_MAX_FAILURES": "3", "VERIFY_SENDER_WINDOW_MINUTES": "15"}) == Limits(
        3, timedelta(minutes=15))
    assert Limits.from_env({"VERIFY_SENDER_MAX_FAILURES": "x", "VERIFY_SENDER_WINDOW_MINUTES": "0"}) == Limits()


def test_blocked_after_the_fifth_failure_within_the_window(db_url):
    key = sms_sender_key(PHONE)
    results = []
    for minute in range(5):
        with db.session_scope(db_url) as session:
            results.append(record_failure(session, key, NOW + timedelta(minutes=minute), LIMITS))
    assert results == [False, False, False, False, True]
    with db.session_scope(db_url) as session:
        assert is_blocked(session, key, NOW + timedelta(minutes=5), LIMITS)
        assert not is_blocked(session, sms_sender_key("+15550102006"), NOW, LIMITS)  # another sender
        assert not is_blocked(session, None, NOW, LIMITS)
        # An hour after the first failure it no longer counts: four left, not blocked.
        assert failures(session, key, NOW + timedelta(minutes=60, seconds=1), LIMITS) == 4
        assert not is_blocked(session, key, NOW + timedelta(minutes=60, seconds=1), LIMITS)


def test_failures_store_only_the_keyed_hash(db_url):
    key = client_sender_key("198.51.100.23")
    with db.session_scope(db_url) as session:
        record_failure(session, key, NOW, LIMITS)
    with db.session_scope(db_url) as session:
        [row] = session.execute(select(VerificationFailure)).scalars().all()
        assert row.sender_key == key and "198.51.100.23" not in row.sender_key
        assert row.failed_at == NOW


def test_expired_rows_are_dropped_on_the_next_failure_and_by_prune(db_url):
    old, other = sms_sender_key(PHONE), sms_sender_key("+15550102001")
    with db.session_scope(db_url) as session:
        record_failure(session, old, NOW - timedelta(hours=3), LIMITS)
        record_failure(session, other, NOW - timedelta(hours=2), LIMITS)
    with db.session_scope(db_url) as session:
        record_failure(session, old, NOW, LIMITS)  # drops old's own expired row, not other's
        rows = {(r.sender_key, r.failed_at) for r in session.execute(select(VerificationFailure)).scalars()}
        assert rows == {(old, NOW), (other, NOW - timedelta(hours=2))}
        assert prune(session, NOW, LIMITS) == 1
        assert session.execute(select(VerificationFailure.sender_key)).scalars().all() == [old]


def test_no_sender_key_records_nothing(db_url):
    with db.session_scope(db_url) as session:
        assert record_failure(session, None, NOW, LIMITS) is False
        assert session.execute(select(VerificationFailure)).scalars().all() == []
