"""Facts found in whole sentences: dates (dateparser), phone numbers (phonenumbers), emails, children's names."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.facts import (Facts, answered_name, date_readings, spanish_date, find_birth_date, find_contact, find_email, find_phone, first_names,
                          full_year, is_correction, stated_facts, stated_name)


@pytest.mark.parametrize("text, born", [
    ("he was born on 3/14/2013", date(2013, 3, 14)),
    ("she was born 4/2/2014", date(2014, 4, 2)),
    ("Sept 3 2012", date(2012, 9, 3)),
    ("she was born on September 3rd, 2012", date(2012, 9, 3)),
    ("born on the 3rd of september 2012", date(2012, 9, 3)),
    ("2011-06-21", date(2011, 6, 21)),
    ("9-3-12", date(2012, 9, 3)),
    ("6/30/99", date(1999, 6, 30)),
    ("4.12.16", date(2016, 4, 12)),
    ("Apr. 12 2016", date(2016, 4, 12)),
    ("25/12/2015", date(2015, 12, 25)),       # 25 cannot be a month: day first
    ("3/4/2015", date(2015, 3, 4)),           # otherwise month first, as in the US
    ("12 de marzo de 2015", date(2015, 3, 12)),
    ("marzo 12 2015", date(2015, 3, 12)),
    ("nació el 3 de septiembre del 2012", date(2012, 9, 3)),
    ("call 555-010-2005, she was born 9/3/2012", date(2012, 9, 3)),
    ("Mia, born Mar 14 2013.", date(2013, 3, 14)),
])
def test_birth_dates_inside_sentences(text, born):
    assert find_birth_date(text) == born


@pytest.mark.parametrize("text", [
    "2/30/2016", "13/13/2016", "2016-13-01", "Smarch 3 2016",       # impossible
    "1/1/1850",                                                    # before 1900
    (date.today() + timedelta(days=2)).isoformat(),                # in the future
    f"she was born on March 3rd, {date.today().year + 1}",
    "", "I forgot my password", "too many tries now it wont let me log in", "she was born today",
    "he is 9 years old", "my son was born in 2012", "March 2012", "12 2016",  # no date, or no day
    "9/3", "Sept 3", "she was born on March 14",                   # no year
    "my number is 555-010-2005", "5550102001",                     # phone numbers are not dates
])
def test_no_birth_date(text):
    assert find_birth_date(text) is None


def test_two_digit_years_are_the_most_recent_such_year():
    this_year = date.today().year
    assert full_year(f"{this_year % 100:02d}") == this_year
    assert full_year(f"{(this_year + 1) % 100:02d}") == this_year + 1 - 100
    assert full_year("2012") == 2012


@pytest.mark.parametrize("text, year, born", [
    ("sorry, I meant 9/3", 2012, date(2012, 9, 3)),
    ("oops, it's Sept 3", 2012, date(2012, 9, 3)),
    ("oops I meant 9/3/2012", 2015, date(2012, 9, 3)),   # a stated year wins
    ("sorry, I meant 2/29", 2013, None),                 # not in that year
    ("sorry, I meant 2/29", 2012, date(2012, 2, 29)),
    ("sorry, I meant 9/3", None, None),                  # nothing to take the year from
])
def test_a_correction_may_give_a_day_and_month_only(text, year, born):
    assert stated_facts(text, correction_year=year).birth_date == born


def test_a_day_and_month_without_a_correction_is_no_birth_date():
    assert stated_facts("9/3", correction_year=2012).birth_date is None
    assert find_birth_date("9/3") is None and find_birth_date("9/3", 2012) == date(2012, 9, 3)


@pytest.mark.parametrize("text, phone", [
    ("you can reach me at (555) 010-2005", "+15550102005"),
    ("555-010-2005", "+15550102005"),
    ("my cell is 555.010.2002 thanks", "+15550102002"),
    ("+1 555 010 2001", "+15550102001"),
    ("15550102001", "+15550102001"),
    ("text me on 1 (555) 010-2008 please", "+15550102008"),
])
def test_phone_numbers_inside_sentences(text, phone):
    assert find_phone(text) == phone
    assert find_contact(text) == phone


@pytest.mark.parametrize("text", [
    "call 555-0102",                                   # no area code
    "555-010-200", "12345", "9/3/2012", "2011-06-21",
    "my activation key 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C doesn't work",
    "D0D0D0D01111222233334444555566AA", "00000000000000000000000000000000",
])
def test_no_phone_number(text):
    assert find_phone(text) is None


@pytest.mark.parametrize("text, email", [
    ("my email is Ana@Example.com", "ana@example.com"),
    ("it's ben.carter@example.com.", "ben.carter@example.com"),
    ("<chloe.nguyen@example.com>", "chloe.nguyen@example.com"),
])
def test_emails_inside_sentences(text, email):
    assert find_email(text) == email
    assert find_contact(f"{text} or (555) 010-2005") == email  # an email first


def test_no_email():
    assert find_email("my email") is None and find_email("ana@example") is None and find_contact("") is None


@pytest.mark.parametrize("text, name", [
    ("her name is Mia", "Mia"),
    ("my daughter's name is Mia", "Mia"),
    ("my daughter\u2019s name is Mia", "Mia"),
    ("his name's Noah", "Noah"),
    ("my son is named jayden", "jayden"),
    ("my oldest is called Ada", None),        # "my oldest" names no child word
    ("my oldest son is called Ren", "Ren"),
    ("she's called Mia", "Mia"),
    ("my son is Jayden", "Jayden"),
    ("my son is missing from my account", None),
    ("my name is Ana", None),                 # the parent's own name
    ("my son Jayden", "Jayden"),              # the name right after, with a capital
    ("my daughter Emma was born January 20, 2009", "Emma"),
    ("my youngest daughter Zoë is missing", "Zoë"),
    ("my son jayden", None),                  # no capital: could be any word; only taken as an answer
    ("my son has a new phone", None),
    ("mi hija se llama Sofía", "Sofía"),
    ("my email is ana@example.com and her name is Sofia", "Sofia"),
])
def test_names_clearly_given(text, name):
    assert stated_name(text) == name


@pytest.mark.parametrize("text, name", [
    ("Mia", "Mia"), ("mia.", "mia"), ("my son Jayden", "Jayden"), ("her name is Mia", "Mia"),
    ("Sofia, born Sept 3 2012", "Sofia"), ("Lily 9/3/2012 ben.carter@example.com", "Lily"), ("May", "May"),
    ("oops I meant Lily", "Lily"),
    ("Emma and Noah", None), ("my name is Ana", None), ("sorry, wrong one", None), ("123", None), ("", None),
])
def test_the_answer_to_the_name_question(text, name):
    assert answered_name(text) == name


def test_first_names_keep_their_contract():
    assert first_names("his name is Noah") == ["Noah"]
    assert first_names("Emma and Noah") == ["Emma", "Noah"]
    assert first_names("my son's Jayden") == ["Jayden"]
    assert first_names("José") == ["José"] and first_names("123") == []


@pytest.mark.parametrize("text, corrects", [
    ("sorry, I meant 9/3", True), ("oops I meant 9/3/2012", True), ("no, it's Lily", True),
    ("actually it's ben.carter@example.com", True), ("I mean 9/3", True),
    ("9/3/2012", False), ("Noah", False), ("her name is Mia", False), ("I didn't know", False),
])
def test_corrections(text, corrects):
    assert is_correction(text) is corrects


@pytest.mark.parametrize("text, facts", [
    ("my email is ana@example.com and her name is Sofia", Facts("ana@example.com", "Sofia")),
    ("my email is ben.carter@example.com, my daughter's name is Lily and she was born on September 3rd, 2012",
     Facts("ben.carter@example.com", "Lily", date(2012, 9, 3))),
    ("you can reach me at (555) 010-2005, his name is Ivan, born 7/22/2010",
     Facts("+15550102005", "Ivan", date(2010, 7, 22))),
    ("oops I meant 9/3/2012", Facts(birth_date=date(2012, 9, 3), corrects=True)),
    ("oops I meant Lily", Facts(child_name="Lily", corrects=True)),
    ("Lily", Facts()),                                      # a bare name is an answer, not a fact given in passing
    ("my son Jayden was born in 2013", Facts(child_name="Jayden")),  # a year alone is no birth date
    ("it says my activation key has already been used", Facts()),
])
def test_facts_of_one_message(text, facts):
    assert stated_facts(text) == facts
    assert stated_facts(text).any() is bool(facts.contact or facts.child_name or facts.birth_date)


@pytest.mark.parametrize("text, readings", [
    ("nació el 12/3/2015", [date(2015, 12, 3), date(2015, 3, 12)]),
    ("9-3-12", [date(2012, 9, 3), date(2012, 3, 9)]),
    ("12.3.2015", [date(2015, 12, 3), date(2015, 3, 12)]),
    ("5/5/2015", [date(2015, 5, 5)]),
    ("15/3/2015", [date(2015, 3, 15)]),
    ("3/14/2013", [date(2013, 3, 14)]),
    ("2013-03-14", []),
    ("12 de marzo de 2015", []),
    ("llámeme al 555-010-2002", []),
    ("12/3/2099", []),
])
def test_a_numeric_date_can_read_two_ways(text, readings):
    assert list(date_readings(text)) == readings


def test_spanish_dates_are_written_out_and_read_back():
    assert spanish_date(date(2015, 3, 12)) == "12 de marzo de 2015"
    assert find_birth_date(spanish_date(date(2012, 9, 3))) == date(2012, 9, 3)
