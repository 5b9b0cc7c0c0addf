"""Identity facts that a parent states in a sentence: an email or phone number, a child's first name, a birth date.

Dates are found by dateparser (English and Spanish, US month-first) and phone numbers by phonenumbers (Google's
libphonenumber). On top of them only what makes a birth date strict: a year must be stated (a day and month alone
count only as a correction of a date that had a year), numbers are read month first, as in the US (day first only
when the first number cannot be a month), two-digit years are the most recent such year, and a birth date is never
before 1900 nor in the future. A name counts as clearly given only after words such as "her name is" or "my son is
named"; a bare answer ("Mia", "my son Jayden") counts only as the answer to the name question.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Iterator, Optional

import phonenumbers
from dateparser.search import search_dates

from portal.normalise import PHONE_DIGITS

LANGUAGES = ["en", "es"]
DATE_SETTINGS = {"PREFER_DATES_FROM": "past", "DATE_ORDER": "MDY"}
WITH_YEAR = ["day", "month", "year"]
WITHOUT_YEAR = ["day", "month"]
PHONE_REGION = "US"
EARLIEST_YEAR = 1900
MAX_NAME_LENGTH = 40

_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[A-Za-z]{2,}")
_WORD = r"[^\W\d_](?:[^\W\d_]|['\-](?=[^\W\d_]))*"  # letters, with ' or - inside: O'Brien, Mary-Kate
_NAME = rf"({_WORD})"
_CHILD = r"(?:son|daughter|child|kid|boy|girl|hij[oa]|niñ[oa])"
# A name is clearly given only after one of these (case-insensitive); "my son is Jayden" below needs a capital.
_STATED_NAME = [
    re.compile(rf"\b(?:his|her|their|my\s+{_CHILD}'s)\s+(?:first\s+)?name(?:'s|\s+is)\s+{_NAME}", re.IGNORECASE),
    re.compile(rf"\b(?:he|she|my\s+(?:\w+\s+)?{_CHILD})(?:'s|\s+is)?\s+(?:named|called)\s+{_NAME}", re.IGNORECASE),
    re.compile(rf"\b(?:se\s+llama|su\s+nombre\s+es)\s+{_NAME}", re.IGNORECASE),
]
_MY_CHILD_IS = re.compile(rf"\b[Mm]y\s+{_CHILD}\s+is\s+(?=[A-ZÀ-Þ]){_NAME}")
# "my daughter Emma was born ...", "my oldest son Jayden": the name right after, with a capital.
_MY_CHILD_NAME = re.compile(rf"\b[Mm]y\s+(?:[a-z]+\s+)?{_CHILD}\s+(?=[A-ZÀ-Þ]){_NAME}")
_PARENTS_OWN_NAME = re.compile(r"\bmy\s+name\s+is\b|\bme\s+llamo\b", re.IGNORECASE)
_CORRECTED_NAME = re.compile(rf"\b(?:meant|mean|should\s+be|it'?s|it\s+is)\s+{_NAME}\W*$", re.IGNORECASE)
_CORRECTION = re.compile(r"^\W*(?:sorry|oops|whoops|actually|correction|wait|no|nope)\b"
                         r"|\b(?:i\s+meant|i\s+mean|my\s+bad|typo|should\s+(?:be|have\s+been)|perd[oó]n|quise\s+decir)\b",
                         re.IGNORECASE)
_NAME_WORD = re.compile(_WORD)
_NAME_FILLER = {
    "his", "her", "their", "name", "names", "is", "are", "its", "it's", "my", "son", "daughter", "kid", "child",
    "boy", "girl", "the", "first", "and", "called", "named", "i", "think", "oldest", "youngest", "one", "she", "he",
    "it", "s", "missing", "can't", "cant", "see", "not", "only", "was", "born", "on", "in", "sorry", "oops", "meant",
    "mean", "actually", "oh", "no", "wait", "hi", "yes", "mi", "su", "hijo", "hija", "se", "llama", "nombre", "es",
    "isn't", "doesn't", "don't", "i'm", "he's", "she's", "that's",
}


@dataclass(frozen=True)
class Facts:
    """What one message clearly states; `corrects` when it corrects an earlier answer ("sorry, I meant ...")."""

    contact: Optional[str] = None
    child_name: Optional[str] = None
    birth_date: Optional[date] = None
    corrects: bool = False

    def any(self) -> bool:
        """Does the message state any fact at all?"""
        return bool(self.contact or self.child_name or self.birth_date)


def stated_facts(text: Optional[str], correction_year: Optional[int] = None) -> Facts:
    """The facts clearly given in `text`. A correction may give a day and month only ("sorry, I meant 9/3"): the
    year is then `correction_year`, the year of the date it corrects; and a bare name ("oops, I meant Lilly")."""
    return _stated_facts(text or "", correction_year, date.today())


@lru_cache(maxsize=1024)
def _stated_facts(text: str, correction_year: Optional[int], today: date) -> Facts:
    corrects = is_correction(text)
    name = answered_name(text) if corrects else stated_name(text)
    return Facts(contact=find_contact(text), child_name=name, corrects=corrects,
                 birth_date=find_birth_date(text, correction_year if corrects else None))


def is_correction(text: Optional[str]) -> bool:
    """Does the message correct an earlier answer ("sorry, I meant 9/3", "oops I meant ...", "no, it's ...")?"""
    return bool(_CORRECTION.search(_tidy_quotes(text or "")))


# --- Contact -------------------------------------------------------------------------------------------------------

def find_email(text: Optional[str]) -> Optional[str]:
    """The first email address in `text`, lower-case: "my email is Ana@Example.com." -> "ana@example.com"."""
    match = _EMAIL.search(text or "")
    return match[0].lower() if match else None


def find_phone(text: Optional[str]) -> Optional[str]:
    """The first phone number with area code in `text`, as E.164: "reach me at (555) 010-2005" -> "+15550102005".

    libphonenumber's POSSIBLE leniency (length only): the 555-01xx numbers of the demo roster are not assigned."""
    for match in _phone_matches(text or ""):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def find_contact(text: Optional[str]) -> Optional[str]:
    """An email address, else a phone number, found in `text` (normalised), or None."""
    return find_email(text) or find_phone(text)


def _phone_matches(text: str) -> Iterator[Any]:
    for match in phonenumbers.PhoneNumberMatcher(text, PHONE_REGION, leniency=phonenumbers.Leniency.POSSIBLE):
        if len(str(match.number.national_number)) >= PHONE_DIGITS:
            yield match


def _without_contacts(text: str) -> str:
    text = _EMAIL.sub(" ", text)
    for match in reversed(list(_phone_matches(text))):
        text = f"{text[:match.start]} {text[match.end:]}"
    return text


# --- Birth date ----------------------------------------------------------------------------------------------------

def find_birth_date(text: Optional[str], year_if_missing: Optional[int] = None) -> Optional[date]:
    """The first plausible birth date stated in `text` with its year ("he was born on 3/14/2013", "Sept 3 2012",
    "12 de marzo de 2015"); with `year_if_missing`, also a day and month alone ("9/3") in that year.

    None when there is none, or when it is impossible, before 1900 or in the future.
    """
    cleaned = _tidy_dates(_without_contacts(text or ""))
    for found, parsed in _date_mentions(cleaned, WITH_YEAR):
        born = _read_full_date(found, parsed)
        if born and _plausible(born):
            return born
    if year_if_missing is None:
        return None
    for found, parsed in _date_mentions(cleaned, WITHOUT_YEAR):
        month_day = _read_month_day(found, parsed)
        born = _make_date(year_if_missing, *month_day) if month_day else None
        if born and _plausible(born):
            return born
    return None


SPANISH_MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
                  "noviembre", "diciembre")
_NUMERIC_DATE = re.compile(r"(?<![\d/.-])(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?![\d/.-])")


def date_readings(text: Optional[str]) -> tuple[date, ...]:
    """The plausible dates a numeric birth date in `text` can be: two for "12/3/2015" (December 3 as in the US,
    March 12 as in Latin America), one for "3/14/2013" or "2013-03-14", none when there is no such date."""
    match = _NUMERIC_DATE.search(_without_contacts(text or ""))
    if not match:
        return ()
    first, second, year = int(match[1]), int(match[2]), full_year(match[3])
    readings = [_make_date(year, first, second), _make_date(year, second, first)]
    return tuple(dict.fromkeys(born for born in readings if born and _plausible(born)))


def spanish_date(born: date) -> str:
    """ "12 de marzo de 2015": how a date is shown to a parent writing in Spanish (never read two ways)."""
    return f"{born.day} de {SPANISH_MONTHS[born.month - 1]} de {born.year}"


def full_year(text: str) -> int:
    """A stated year; two digits mean the most recent year ending in them that is not in the future."""
    if len(text) != 2:
        return int(text)
    this_year = datetime.now().year
    year = this_year - this_year % 100 + int(text)
    return year if year <= this_year else year - 100


def _date_mentions(text: str, parts: list[str]) -> list[tuple[str, datetime]]:
    """Date mentions dateparser finds in `text` that state at least `parts` (day, month, year)."""
    if not text.strip():
        return []
    return search_dates(text, languages=LANGUAGES, settings={**DATE_SETTINGS, "REQUIRE_PARTS": parts}) or []


def _read_full_date(found: str, parsed: datetime) -> Optional[date]:
    """The date a mention states, with its year stated in it; numbers read month first (or year first)."""
    numbers = re.findall(r"\d+", found)
    if len(numbers) == 3:  # 4/12/2016, 2016-04-12, 9-3-12
        if len(numbers[0]) == 4:
            year, month, day = numbers
        else:
            (month, day), year = _month_first(numbers[0], numbers[1]), numbers[2]
        return _make_date(full_year(year), int(month), int(day)) if len(year) in (2, 4) else None
    if len(numbers) == 2:  # a month by name: "Sept 3 2012", "12 de marzo de 2015", "the 3rd of September 2012"
        day, year = sorted(numbers, key=len)
        if len(year) == 4 and (int(day), int(year)) == (parsed.day, parsed.year):
            return parsed.date()
    return None


def _read_month_day(found: str, parsed: datetime) -> Optional[tuple[int, int]]:
    """Month and day of a mention that states no year ("9/3", "Sept 3"), else None."""
    numbers = re.findall(r"\d+", found)
    if any(len(number) > 2 for number in numbers):
        return None
    if len(numbers) == 2:
        month, day = _month_first(*numbers)
        return int(month), int(day)
    if len(numbers) == 1 and int(numbers[0]) == parsed.day:
        return parsed.month, parsed.day
    return None


def _month_first(first: str, second: str) -> tuple[str, str]:
    """(month, day): month first as in the US, day first only when the first number cannot be a month."""
    return (second, first) if int(first) > 12 >= int(second) else (first, second)


def _make_date(year: int, month: int, day: int) -> Optional[date]:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _plausible(born: date) -> bool:
    return EARLIEST_YEAR <= born.year and born <= date.today()


def _tidy_dates(text: str) -> str:
    """What dateparser's search misses: "4.12.2016" (dots between numbers) and "Apr. 12" (a dot after a word)."""
    text = re.sub(r"(?<=\d)\.(?=\d)", "/", text)
    return re.sub(r"(?<=[^\W\d_])\.(?=\s)", "", text)


# --- Names ---------------------------------------------------------------------------------------------------------

def stated_name(text: Optional[str]) -> Optional[str]:
    """A child's first name clearly given: "her name is Mia", "my daughter's name is Mia", "my son is named
    Jayden", "my son is Jayden", "my daughter Emma was born ...", "se llama Sofía". Never the parent's own
    ("my name is Ana")."""
    cleaned = _tidy_quotes(text or "")
    for pattern in [*_STATED_NAME, _MY_CHILD_IS, _MY_CHILD_NAME]:
        for match in pattern.finditer(cleaned):
            if name := _one_name(match[1]):
                return name
    return None


def answered_name(text: Optional[str]) -> Optional[str]:
    """The one first name in an answer to "what is your child's first name?": "Mia", "my son Jayden", "her name
    is Mia", "Sofia, born 4/2/2014", "oops, I meant Lily"; None for none or several ("Emma and Noah"), for the
    parent's own name, and for a correction that names no one ("sorry, wrong one")."""
    cleaned = _tidy_quotes(text or "")
    if name := stated_name(cleaned):
        return name
    if _PARENTS_OWN_NAME.search(cleaned):
        return None
    if is_correction(cleaned):
        match = _CORRECTED_NAME.search(_without_facts(cleaned))
        return _one_name(match[1]) if match else None
    names = first_names(_without_facts(cleaned))
    return names[0] if len(names) == 1 and len(names[0]) <= MAX_NAME_LENGTH else None


def first_names(value: Any) -> list[str]:
    """First names in a short answer such as 'his name is Noah', "my son's Jayden" or 'Emma and Noah'."""
    words = (_without_possessive(word) for word in _NAME_WORD.findall(_tidy_quotes(str(value or ""))))
    return [word for word in words if word.lower() not in _NAME_FILLER][:5]


def _one_name(word: str) -> Optional[str]:
    name = _without_possessive(word)
    return name if name.lower() not in _NAME_FILLER and len(name) <= MAX_NAME_LENGTH else None


def _without_possessive(word: str) -> str:
    """ "daughter's" -> "daughter", "Lily's" -> "Lily" (but "it's" and "she's" stay)."""
    return word[:-2] if word.lower().endswith("'s") and word.lower() not in _NAME_FILLER else word


def _tidy_quotes(text: str) -> str:
    return text.replace("\u2019", "'")


def _without_facts(text: str) -> str:
    """`text` without its contact details and the dates written with numbers in it (names stay: "May", "Luna")."""
    cleaned = _tidy_dates(_without_contacts(_tidy_quotes(text)))
    for found, _parsed in _date_mentions(cleaned, WITHOUT_YEAR):
        if re.search(r"\d", found):
            cleaned = cleaned.replace(found, " ")
    return cleaned
