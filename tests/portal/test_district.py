"""District configuration: parsing, clear errors, office hours, features and school matching."""
from __future__ import annotations

from datetime import datetime

import pytest

from portal.district import DistrictConfigError, load_district, parse_district


def minimal(**school_overrides):
    school = {"id": "s1", "name": "Oak Elementary", "phone": "555", "request_form_url": "https://x",
              "office_hours": {"days": ["mon", "fri"], "open": "08:00", "close": "15:30"}, **school_overrides}
    return {"district": {"name": "D", "portal_url": "https://p", "phone": "1"}, "schools": [school]}


def test_sample_district_has_five_schools_with_roster_ids():
    district = load_district()
    assert len(district.schools) >= 4
    assert district.school_by_id("org-riverbend-es").creates_accounts
    assert not district.school_by_id("org-maple-ridge-es").creates_accounts


def test_attendance_switch_per_school():
    district = load_district()
    assert district.feature("attendance_visible", district.school_by_id("org-maple-ridge-es")) is False
    assert district.feature("attendance_visible", district.school_by_id("org-summit-ridge-academy")) is True
    assert district.features_differ_by_school("attendance_visible")


def test_office_hours():
    hours = load_district().school_by_id("org-maple-ridge-es").office_hours
    assert hours.describe() == "Mon-Fri 7:30am-3:30pm"
    assert hours.is_open(datetime(2026, 11, 30, 9, 0))       # a Monday
    assert not hours.is_open(datetime(2026, 11, 29, 9, 0))   # a Sunday
    assert not hours.is_open(datetime(2026, 11, 30, 15, 30))
    assert parse_district(minimal()).schools[0].office_hours.describe() == "Mon, Fri 8am-3:30pm"


@pytest.mark.parametrize("raw, message", [
    ({}, "needs a 'district' section"),
    ({"district": {"name": "D"}, "schools": []}, "missing portal_url, phone"),
    (minimal(phone=""), "missing phone"),
    (minimal(office_hours={"days": ["someday"], "open": "8", "close": "9"}), "weekdays"),
    (minimal(office_hours={"days": ["mon"], "open": "eight", "close": "09:00"}), "expected a time"),
])
def test_bad_configuration_gets_a_clear_error(raw, message):
    with pytest.raises(DistrictConfigError, match=message):
        parse_district(raw)


def test_duplicate_school_ids_are_refused():
    raw = minimal()
    raw["schools"].append(dict(raw["schools"][0]))
    with pytest.raises(DistrictConfigError, match="unique"):
        parse_district(raw)


@pytest.mark.parametrize("typed, expected", [
    ("narnia academy", None), ("academy", "org-summit-ridge-academy"), ("high school", "org-cedar-valley-hs"),
    ("the high school", "org-cedar-valley-hs"), ("middle school", "org-willow-creek-ms"),
    ("elementary", None), ("the elementary school", None), ("primary school", None),
    ("summit academy", "org-summit-ridge-academy"), ("riverbend elem", "org-riverbend-es"),
])
def test_school_type_words_alone_name_the_only_school_of_that_type(typed, expected):
    school = load_district().match_school(typed)
    assert (school.id if school else None) == expected


@pytest.mark.parametrize("typed, expected", [
    ("va en la primaria Maple Ridge", "org-maple-ridge-es"), ("la secundaria Willow Creek", "org-willow-creek-ms"),
    ("mis hijos estudian en la escuela Riverbend", "org-riverbend-es"), ("la prepa", "org-cedar-valley-hs"),
    ("la secundaria", "org-willow-creek-ms"), ("la primaria", None), ("Academia Summit Ridge", "org-summit-ridge-academy"),
    ("está en Cedar Valley", "org-cedar-valley-hs"), ("la escuela", None),
])
def test_spanish_answers_name_the_school(typed, expected):
    school = load_district().match_school(typed)
    assert (school.id if school else None) == expected
