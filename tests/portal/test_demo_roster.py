"""The demo personas (portal/demo/PERSONAS.md): other parts of the project rely on these exact facts."""
from __future__ import annotations

from datetime import date

import pytest

from portal.accounts import account_for_guardian
from portal.activation_keys import check_key
from portal.households import diagnose_household
from portal.identity import verify_guardian

PERSONAS = [
    # guardian, email, sms, child, born, school, key, key status, account status
    ("g-ana-rivera", "ana.rivera@example.com", "+1 555-010-2001", "Mateo", date(2016, 4, 12), "org-maple-ridge-es",
     "4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C", "unused", "none"),
    ("g-ben-carter", "ben.carter@example.com", "+1 555-010-2002", "Lily", date(2012, 9, 3), "org-willow-creek-ms",
     "9B8E7D6C5A4F3E2D1C0B9A8F7E6D5C4B", "redeemed", "active"),
    ("g-chloe-nguyen", "chloe.nguyen@example.com", "+1 555-010-2003", "Emma", date(2009, 1, 20),
     "org-cedar-valley-hs", "C0FFEE00C0FFEE00C0FFEE00C0FFEE01", "redeemed", "active"),
    ("g-david-okafor", "david.okafor@example.com", "+1 555-010-2004", "Ada", date(2013, 2, 14),
     "org-willow-creek-ms", "D0D0D0D01111222233334444555566AA", "redeemed", "active"),
    ("g-david-okafor", "david.okafor@example.com", "+1 555-010-2004", "Sam", date(2015, 11, 5),
     "org-maple-ridge-es", "D0D0D0D01111222233334444555566AA", "redeemed", "active"),
    ("g-elena-petrova", "elena.petrova@example.com", "+1 555-010-2005", "Ivan", date(2010, 7, 22),
     "org-cedar-valley-hs", "E1E1E1E1222233334444555566667777", "redeemed", "active"),
    ("g-frank-miller", "frank.miller@example.com", "+1 555-010-2006", "Zoe", date(2014, 3, 9),
     "org-summit-ridge-academy", "F0F0F0F0AAAABBBBCCCCDDDDEEEEFFFF", "redeemed", "active"),
    ("g-grace-kim", "grace.kim@example.com", "+1 555-010-2007", "Leo", date(2011, 12, 1), "org-willow-creek-ms",
     "A1B2C3D4E5F60718293A4B5C6D7E8F90", "redeemed", "locked"),
    ("g-hana-suzuki", "hana.suzuki@example.com", "+1 555-010-2008", "Yuki", date(2015, 5, 5), "org-riverbend-es",
     "B0B0B0B0CCCCDDDDEEEEFFFF00001111", "redeemed", "active"),
]


@pytest.mark.parametrize("guardian, email, sms, child, born, school, key, key_status, account_status", PERSONAS)
def test_persona(demo_session, guardian, email, sms, child, born, school, key, key_status, account_status):
    assert verify_guardian(demo_session, email, child, born) == guardian
    assert verify_guardian(demo_session, sms, child, born) == guardian
    checked = check_key(demo_session, key)
    assert (checked.status, checked.account_status, checked.guardian_id) == (key_status, account_status, guardian)
    assert school in checked.school_ids


def test_the_duplicate_record_of_chloe(demo_session):
    assert verify_guardian(demo_session, "chloe.nguyen@example.com", "Noah", date(2017, 6, 30)) == "g-chloe-nguyen-dup"
    assert diagnose_household(demo_session, "g-chloe-nguyen", ["Emma", "Noah"]).outcome == "split_duplicates"


def test_ren_suzuki_has_no_guardian(demo_session):
    for contact in ("hana.suzuki@example.com", "+1 555-010-2008"):
        assert verify_guardian(demo_session, contact, "Ren", date(2012, 8, 18)) is None
    assert diagnose_household(demo_session, "g-hana-suzuki", ["Yuki", "Ren"]).outcome == "not_linked"


def test_only_frank_lacks_a_security_email(demo_session):
    without = [g for g, *_ in PERSONAS if not account_for_guardian(demo_session, g).has_security_email]
    assert sorted(set(without)) == ["g-ana-rivera", "g-frank-miller"]  # Ana has no account yet
