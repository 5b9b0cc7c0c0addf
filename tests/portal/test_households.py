"""Household diagnosis for the demo families: split duplicates, all linked, not linked."""
from __future__ import annotations

from datetime import date

import pytest

from portal.households import diagnose_household, linked_children


def test_linked_children(demo_session):
    children = linked_children(demo_session, "g-david-okafor")
    assert [(c.id, c.first_name, c.birth_date, c.school_id) for c in children] == [
        ("s-ada-okafor", "Ada", date(2013, 2, 14), "org-willow-creek-ms"),
        ("s-sam-okafor", "Sam", date(2015, 11, 5), "org-maple-ridge-es"),
    ]
    assert linked_children(demo_session, "nobody") == []


def test_chloe_has_split_duplicate_records(demo_session):
    result = diagnose_household(demo_session, "g-chloe-nguyen", ["Emma", "noah"])
    assert result.outcome == "split_duplicates"
    assert result.linked_children == ("Emma",)
    assert result.missing_children == ("Noah",)
    assert result.duplicate_guardian_ids == ("g-chloe-nguyen-dup",)
    assert result.school_id == "org-maple-ridge-es"
    assert result.guardian_record_ids == ("g-chloe-nguyen", "g-chloe-nguyen-dup")
    assert result.missing_student_ids == ("s-noah-nguyen",)


def test_chloe_verified_through_the_duplicate_sees_it_from_the_other_side(demo_session):
    result = diagnose_household(demo_session, "g-chloe-nguyen-dup", ["Noah", "Emma"])
    assert result.outcome == "split_duplicates"
    assert result.missing_children == ("Emma",)
    assert result.duplicate_guardian_ids == ("g-chloe-nguyen",)
    assert result.school_id == "org-cedar-valley-hs"


def test_david_has_every_child_linked(demo_session):
    result = diagnose_household(demo_session, "g-david-okafor", ["Ada", " SAM "])
    assert result.outcome == "all_linked"
    assert result.linked_children == ("Ada", "Sam")
    assert result.missing_children == ()
    assert result.duplicate_guardian_ids == ()
    assert result.guardian_record_ids == ("g-david-okafor",)


def test_hana_has_a_child_linked_to_no_record(demo_session):
    result = diagnose_household(demo_session, "g-hana-suzuki", ["Yuki", "Ren"])
    assert result.outcome == "not_linked"
    assert result.linked_children == ("Yuki",)
    assert result.missing_children == ("Ren",)
    assert result.duplicate_guardian_ids == ()
    # Ren is enrolled at Willow Creek: that office fixes the link.
    assert result.school_id == "org-willow-creek-ms"
    assert result.missing_student_ids == ("s-ren-suzuki",)
    assert result.guardian_record_ids == ("g-hana-suzuki",)


def test_unknown_missing_child_routes_to_the_linked_childrens_school(demo_session):
    result = diagnose_household(demo_session, "g-hana-suzuki", ["Yuki", "Taro"])
    assert result.outcome == "not_linked"
    assert result.missing_children == ("Taro",)
    assert result.school_id == "org-riverbend-es"
    assert result.missing_student_ids == ()


def test_no_names_given_means_nothing_missing(demo_session):
    assert diagnose_household(demo_session, "g-ana-rivera", []).outcome == "all_linked"


def test_duplicates_found_by_mobile_or_by_name(session):
    from portal.models import GuardianLink, Person

    def guardian(gid, **kw):
        return Person(id=gid, role="guardian", given_name=kw.pop("given", "Lee"), family_name=kw.pop("family", "Park"),
                      name_key=kw.pop("key", "lee|park"), org_ids=[], **kw)

    session.add_all([
        guardian("g-main", sms_digits="5550109999", email_norm="lee@example.com"),
        guardian("g-by-phone", sms_digits="5550109999", given="L.", family="Park-Kim", key="l.|park-kim"),
        guardian("g-by-name", email_norm="other@example.com"),
        guardian("g-stranger", given="Lee", family="Stone", key="lee|stone"),
        Person(id="s-a", role="student", given_name="Ari", family_name="Park", org_ids=[]),
        Person(id="s-b", role="student", given_name="Bo", family_name="Park", org_ids=[]),
        Person(id="s-c", role="student", given_name="Cy", family_name="Stone", org_ids=[]),
    ])
    session.flush()
    session.add_all([
        GuardianLink(guardian_id="g-by-phone", student_id="s-a", active=True),
        GuardianLink(guardian_id="g-by-name", student_id="s-b", active=True),
        GuardianLink(guardian_id="g-stranger", student_id="s-c", active=True),
    ])
    session.flush()
    result = diagnose_household(session, "g-main", ["Ari", "Bo", "Cy"])
    assert result.outcome == "split_duplicates"
    assert result.duplicate_guardian_ids == ("g-by-name", "g-by-phone")
    assert result.missing_children == ("Ari", "Bo", "Cy")


def test_unknown_guardian_is_an_error(demo_session):
    with pytest.raises(LookupError):
        diagnose_household(demo_session, "g-nobody", ["Ann"])
