"""What the assistant may say about a verified parent's portal account."""
from __future__ import annotations

import pytest

from portal.accounts import account_for_guardian


@pytest.mark.parametrize(
    "guardian, username, status, security_email, redeemed, schools",
    [
        ("g-ana-rivera", None, "none", False, False, ("org-maple-ridge-es",)),
        ("g-ben-carter", "b*******7", "active", True, True, ("org-willow-creek-ms",)),
        ("g-chloe-nguyen", "c*****n", "active", True, True, ("org-cedar-valley-hs",)),
        ("g-david-okafor", "d*****r", "active", True, True, ("org-maple-ridge-es", "org-willow-creek-ms")),
        ("g-elena-petrova", "e******a", "active", True, True, ("org-cedar-valley-hs",)),
        ("g-frank-miller", "f*****r", "active", False, True, ("org-summit-ridge-academy",)),
        ("g-grace-kim", "g**m", "locked", True, True, ("org-willow-creek-ms",)),
        ("g-hana-suzuki", "h*****i", "active", True, True, ("org-riverbend-es",)),
    ],
)
def test_persona_accounts(demo_session, guardian, username, status, security_email, redeemed, schools):
    info = account_for_guardian(demo_session, guardian)
    assert info.masked_username == username
    assert info.account_status == status
    assert info.has_security_email is security_email
    assert info.key_redeemed is redeemed
    assert info.school_ids == schools


def test_guardian_without_account_or_key(demo_session):
    info = account_for_guardian(demo_session, "g-chloe-nguyen-dup")
    assert (info.masked_username, info.account_status, info.has_security_email, info.key_redeemed) == (
        None, "none", False, None,
    )
    assert info.school_ids == ("org-maple-ridge-es",)


def test_unknown_or_student_records_have_no_account(demo_session):
    assert account_for_guardian(demo_session, "g-nobody") is None
    assert account_for_guardian(demo_session, "s-mateo-rivera") is None
