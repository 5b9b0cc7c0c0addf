"""Identity before disclosure: two facts, one guardian record, no hint about which fact failed."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.identity import mask_contact, mask_email, mask_phone, mask_username, parse_birth_date, verify_guardian

MATEO_BORN = date(2016, 4, 12)


@pytest.mark.parametrize(
    "contact",
    [
        "ana.rivera@example.com",
        "Ana.Rivera@Example.COM",
        "  ana.rivera@example.com  ",
        "ana.rivera @example.com",
        "+1 555-010-2001",
        "+1 (555) 010-2001",
        "555.010.2001",
        "5550102001",
        "15550102001",
        "(555) 010 2001",
    ],
)
def test_verify_by_email_or_mobile(demo_session, contact):
    assert verify_guardian(demo_session, contact, "Mateo", MATEO_BORN) == "g-ana-rivera"


@pytest.mark.parametrize("child", ["mateo", "MATEO", "  Mateo ", "Mateo Rivera", "mateo  rivera"])
def test_child_name_is_case_and_space_insensitive(demo_session, child):
    assert verify_guardian(demo_session, "ana.rivera@example.com", child, MATEO_BORN) == "g-ana-rivera"


@pytest.mark.parametrize("born", ["4/12/2016", "04-12-2016", "2016-04-12", "April 12 2016", "Apr 12, 2016"])
def test_birth_date_may_be_given_as_text(demo_session, born):
    assert verify_guardian(demo_session, "+1 555 010 2001", "Mateo", born) == "g-ana-rivera"


@pytest.mark.parametrize(
    "contact, child, born",
    [
        ("ana.rivera@example.com", "Lily", MATEO_BORN),  # another family's child
        ("ana.rivera@example.com", "Mateo", date(2016, 4, 13)),  # wrong date
        ("ana.rivera@example.com", "Mateo", date(2016, 12, 4)),  # day and month swapped
        ("ben.carter@example.com", "Mateo", MATEO_BORN),  # right child, wrong contact
        ("+1 555-010-2002", "Mateo", MATEO_BORN),  # another parent's phone
        ("555-010-200", "Mateo", MATEO_BORN),  # too few digits
        ("ana.rivera@example.org", "Mateo", MATEO_BORN),
        ("", "Mateo", MATEO_BORN),
        ("ana.rivera@example.com", "", MATEO_BORN),
        ("ana.rivera@example.com", "Mateo", None),
        ("ana.rivera@example.com", "Mateo", "not a date"),
        ("ana.rivera@example.com", "Mat", MATEO_BORN),
    ],
)
def test_wrong_facts_do_not_verify(demo_session, contact, child, born):
    assert verify_guardian(demo_session, contact, child, born) is None


def test_one_fact_alone_never_verifies(demo_session):
    """The right contact with someone else's child, or the right child with someone else's contact."""
    assert verify_guardian(demo_session, "ana.rivera@example.com", "Lily", date(2012, 9, 3)) is None
    assert verify_guardian(demo_session, "ben.carter@example.com", "Mateo", MATEO_BORN) is None


def test_duplicate_records_each_verify_with_their_own_child(demo_session):
    """Chloe's two records share an email; the child decides which record she is verified as."""
    assert verify_guardian(demo_session, "chloe.nguyen@example.com", "Emma", date(2009, 1, 20)) == "g-chloe-nguyen"
    assert verify_guardian(demo_session, "chloe.nguyen@example.com", "Noah", date(2017, 6, 30)) == "g-chloe-nguyen-dup"
    # The duplicate has no mobile number, so the phone only reaches the first record.
    assert verify_guardian(demo_session, "+1 555 010 2003", "Noah", date(2017, 6, 30)) is None


def test_student_contact_details_never_verify(session):
    """Only guardian records count, even if a student shares the contact."""
    from portal.models import GuardianLink, Person

    session.add_all([
        Person(id="s-1", role="student", given_name="Kai", family_name="Lee", email="kai@example.com",
               email_norm="kai@example.com", birth_date=date(2012, 1, 1), org_ids=[]),
        Person(id="s-2", role="student", given_name="Mia", family_name="Lee", birth_date=date(2014, 2, 2), org_ids=[]),
    ])
    session.flush()
    session.add(GuardianLink(guardian_id="s-1", student_id="s-2", active=True))
    session.flush()
    assert verify_guardian(session, "kai@example.com", "Mia", date(2014, 2, 2)) is None


def test_two_matching_records_are_ambiguous(session):
    from portal.models import GuardianLink, Person

    for gid in ("g-1", "g-2"):
        session.add(Person(id=gid, role="guardian", given_name="Sam", family_name="Lee", email="sam@example.com",
                           email_norm="sam@example.com", org_ids=[]))
    session.add(Person(id="s-1", role="student", given_name="Mia", family_name="Lee", birth_date=date(2014, 2, 2),
                       org_ids=[]))
    session.flush()
    session.add_all([GuardianLink(guardian_id=g, student_id="s-1", active=True) for g in ("g-1", "g-2")])
    session.flush()
    assert verify_guardian(session, "sam@example.com", "Mia", date(2014, 2, 2)) is None


def test_inactive_links_and_records_do_not_verify(demo_session):
    from portal.models import GuardianLink, Person

    link = demo_session.get(GuardianLink, ("g-ana-rivera", "s-mateo-rivera"))
    link.active = False
    demo_session.flush()
    assert verify_guardian(demo_session, "ana.rivera@example.com", "Mateo", MATEO_BORN) is None
    link.active = True
    demo_session.get(Person, "g-ana-rivera").active = False
    demo_session.flush()
    assert verify_guardian(demo_session, "ana.rivera@example.com", "Mateo", MATEO_BORN) is None


def test_verification_logs_never_show_contacts(demo_session, caplog):
    caplog.set_level("DEBUG", logger="portal")
    verify_guardian(demo_session, "ana.rivera@example.com", "Mateo", MATEO_BORN)
    verify_guardian(demo_session, "+1 555-010-2001", "Lily", MATEO_BORN)
    assert caplog.records
    assert "ana.rivera@example.com" not in caplog.text
    assert "555-010-2001" not in caplog.text and "5550102001" not in caplog.text


def test_failed_verification_logs_read_the_same_for_known_and_unknown_contacts(demo_session, caplog):
    caplog.set_level("INFO", logger="portal")
    verify_guardian(demo_session, "ana.rivera@example.com", "Lily", MATEO_BORN)   # known contact, wrong child
    known = [r.getMessage().replace("a********a@example.com", "X") for r in caplog.records]
    caplog.clear()
    verify_guardian(demo_session, "zed.nobody@example.com", "Lily", MATEO_BORN)   # no such contact
    unknown = [r.getMessage() for r in caplog.records]
    assert known and [line.split(" for ")[0] for line in known] == [line.split(" for ")[0] for line in unknown]
    assert not any("record" in line for line in known)


@pytest.mark.parametrize(
    "text",
    [
        "4/12/2016", "04/12/2016", "04-12-2016", "4.12.2016", "2016-04-12", "2016/4/12",
        "April 12 2016", "april 12, 2016", "Apr 12, 2016", "Apr. 12 2016", "April 12th, 2016",
        "12 April 2016", "12 Apr 2016", "12th of April 2016", "  APRIL 12 2016 ",
    ],
)
def test_parse_birth_date_formats(text):
    assert parse_birth_date(text) == MATEO_BORN


def test_parse_birth_date_numeric_forms_are_month_first():
    assert parse_birth_date("3/4/2015") == date(2015, 3, 4)
    assert parse_birth_date("25/12/2015") == date(2015, 12, 25)  # 25 cannot be a month


def test_parse_birth_date_two_digit_years():
    assert parse_birth_date("4/12/16") == MATEO_BORN
    assert parse_birth_date("6/30/99") == date(1999, 6, 30)


@pytest.mark.parametrize("text", ["he was born on 4/12/2016", "Mateo was born April 12th, 2016.",
                                  "12 de abril de 2016", "abril 12 2016", "born 2016-04-12"])
def test_parse_birth_date_reads_a_date_inside_a_sentence(text):
    assert parse_birth_date(text) == MATEO_BORN


def test_parse_birth_date_two_digit_years_are_never_in_the_future():
    this_year = date.today().year
    assert parse_birth_date(f"1/1/{(this_year + 1) % 100:02d}") == date(this_year + 1 - 100, 1, 1)


@pytest.mark.parametrize(
    "text",
    ["", None, "soon", "Apr 12", "he was born on April 12", "4/12", "now", "today", "13/13/2016", "2/30/2016", "2016-13-01", "Smarch 3 2016", "12 2016",
     "1/1/1850", (date.today() + timedelta(days=2)).isoformat()],
)
def test_parse_birth_date_rejects(text):
    assert parse_birth_date(text) is None


def test_masks():
    assert mask_username("bcarter77") == "b*******7"
    assert mask_username("ab") == "**"
    assert mask_username(None) == ""
    assert mask_email("ana.rivera@example.com") == "a********a@example.com"
    assert mask_phone("+1 555-010-2001") == "***-***-2001"
    assert mask_phone("12") == "***"
    assert mask_contact("ben.carter@example.com") == "b********r@example.com"
    assert mask_contact("555.010.2002") == "***-***-2002"
