"""District configuration (`district.yml`): schools, contacts, office hours and portal feature switches."""
from __future__ import annotations

import difflib
import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, Optional

import yaml

try:  # Python 3.9+: stdlib time zones
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover
    ZoneInfo = None  # type: ignore

from portal.db import PROJECT_ROOT  # noqa: E402 - after the optional import above

DEFAULT_DISTRICT_FILE = PROJECT_ROOT / "district.yml"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# How the weekdays read in a Spanish reply (OfficeHours.describe("es")).
WEEKDAYS_ES = {"mon": "lun", "tue": "mar", "wed": "mié", "thu": "jue", "fri": "vie", "sat": "sáb", "sun": "dom"}
_MATCH_CUTOFF = 0.72
_NOISE_WORDS = {"school", "the", "at", "my", "kid", "kids", "child", "is", "in", "of", "son", "daughter", "goes", "to",
                # Spanish answers: "va en la primaria Maple Ridge", "mis hijos estudian en la escuela Riverbend"
                "la", "el", "los", "las", "de", "del", "mi", "mis", "su", "sus", "en", "va", "van", "a", "al",
                "escuela", "colegio", "hijo", "hija", "hijos", "hijas", "nino", "nina", "ninos", "ninas",
                "estudia", "estudian", "esta", "estan", "asiste", "asisten"}
# Spanish names of a kind of school, read as the English word the district's names use ("la secundaria" is the
# Mexican middle school, grades 7-9; "la prepa" the high school).
_SPANISH_TYPE_WORDS = {"primaria": "elementary", "elemental": "elementary", "secundaria": "middle",
                       "prepa": "high", "preparatoria": "high", "academia": "academy"}
_SCHOOL_TYPE_WORDS = {"elementary", "elem", "es", "middle", "ms", "high", "hs", "academy", "primary", "junior",
                      "senior", "charter"}


class DistrictConfigError(ValueError):
    """`district.yml` is missing a required value or has one of the wrong shape."""


@dataclass(frozen=True)
class OfficeHours:
    """Days and opening times of a school office, in the district's time zone."""

    days: tuple[str, ...]
    open: time
    close: time

    def is_open(self, moment: datetime) -> bool:
        """True when `moment` (already in the district's time zone) falls inside office hours."""
        return WEEKDAYS[moment.weekday()] in self.days and self.open <= moment.time() < self.close

    def describe(self, language: str = "en") -> str:
        """Short human text such as 'Mon-Fri 7:30am-3:30pm' ('lun-vie 7:30am-3:30pm' in Spanish)."""
        return f"{_describe_days(self.days, language)} {_clock(self.open)}-{_clock(self.close)}"


@dataclass(frozen=True)
class School:
    """One school of the district, keyed by its roster sourcedId."""

    id: str
    name: str
    phone: str
    office_hours: OfficeHours
    request_form_url: str
    creates_accounts: bool
    aliases: tuple[str, ...] = ()
    features: dict[str, Any] = field(default_factory=dict)
    name_es: str = ""  # the school's name as Spanish replies say it ("Secundaria Willow Creek"); else `name`

    def name_in(self, language: str) -> str:
        """The school's name in `language` (its English name when the district file gives no Spanish one)."""
        return (self.name_es if language == "es" else "") or self.name

    @property
    def button_payload(self) -> str:
        """What the school question's button for this school sends (and parent channels let through)."""
        return f'/inform{{"school":"{self.id}"}}'


@dataclass(frozen=True)
class District:
    """The whole district configuration."""

    name: str
    short_name: str
    portal_url: str
    website_url: str
    phone: str
    office_hours: str
    timezone: str
    features: dict[str, Any]
    schools: tuple[School, ...]
    # The district office's hours as a Spanish reply shows them ('' when district.yml gives none).
    office_hours_es: str = ""

    def hours(self, language: str = "en") -> str:
        """The district office's hours in `language` (the English text when there is no Spanish one)."""
        return (self.office_hours_es if language == "es" else "") or self.office_hours

    def school_by_id(self, school_id: Optional[str]) -> Optional[School]:
        """The school with this roster id, or None."""
        return next((s for s in self.schools if s.id == school_id), None)

    def feature(self, name: str, school: Optional[School] = None) -> Any:
        """A portal feature switch, the school's override first, then the district's value."""
        if school is not None and name in school.features:
            return school.features[name]
        return self.features.get(name)

    def features_differ_by_school(self, name: str) -> bool:
        """True when at least two schools see a different value of this feature."""
        return len({repr(self.feature(name, s)) for s in self.schools}) > 1

    def now(self) -> datetime:
        """The current time in the district's time zone."""
        return datetime.now(ZoneInfo(self.timezone)) if ZoneInfo else datetime.now()

    def match_school(self, text: str) -> Optional[School]:
        """Find the school a parent meant: exact id or name, aliases, partial names and typos."""
        return match_school(self.schools, text)


def _clock(value: time) -> str:
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    return f"{hour}{suffix}" if value.minute == 0 else f"{hour}:{value.minute:02d}{suffix}"


def _describe_days(days: tuple[str, ...], language: str = "en") -> str:
    indexes = sorted(WEEKDAYS.index(d) for d in days)
    name = (lambda i: WEEKDAYS_ES[WEEKDAYS[i]]) if language == "es" else (lambda i: WEEKDAYS[i].title())
    if indexes and indexes == list(range(indexes[0], indexes[-1] + 1)) and len(indexes) > 2:
        return f"{name(indexes[0])}-{name(indexes[-1])}"
    return ", ".join(name(i) for i in indexes)


def _normalise(text: str) -> str:
    unaccented = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", unaccented).split())


def _core_words(text: str) -> list[str]:
    return [_SPANISH_TYPE_WORDS.get(w, w) for w in _normalise(text).split() if w not in _NOISE_WORDS]


def _candidate_names(school: School) -> list[str]:
    names = [school.name, *school.aliases, *([school.name_es] if school.name_es else [])]
    distinctive = " ".join(w for w in _core_words(school.name) if w not in _SCHOOL_TYPE_WORDS)
    return [_normalise(n) for n in names] + ([distinctive] if distinctive else [])


def match_school(schools: tuple[School, ...], text: str) -> Optional[School]:
    """Best school for free text, or None when nothing is close enough or two schools tie."""
    typed = _normalise(text or "")
    wanted = " ".join(_core_words(text or ""))
    if not wanted:
        return None
    for school in schools:
        names = _candidate_names(school)
        if wanted == _normalise(school.id) or wanted in names or typed in names:
            return school
    if names_only_a_type(wanted):
        return _only_school_of_type(schools, wanted)
    scored = sorted(((_score(wanted, s), s) for s in schools), key=lambda pair: pair[0], reverse=True)
    best_score, best = scored[0]
    runner_up = scored[1][0] if len(scored) > 1 else 0.0
    if best_score >= _MATCH_CUTOFF and best_score - runner_up >= 0.05:
        return best
    return None


def names_only_a_type(text: str) -> bool:
    """True for answers such as "the high school" or "academy" that name a kind of school, not one school."""
    words = _core_words(text or "")
    return bool(words) and all(w in _SCHOOL_TYPE_WORDS for w in words)


def _only_school_of_type(schools: tuple[School, ...], wanted: str) -> Optional[School]:
    """"The high school" names a school only when the district has exactly one whose name says so."""
    words = set(wanted.split())
    of_type = [s for s in schools if words <= set(_normalise(s.name).split())]
    return of_type[0] if len(of_type) == 1 else None


def _score(wanted: str, school: School) -> float:
    """Similarity of the parent's words to a school's names (0..1), forgiving typos and extra words."""
    best = 0.0
    for name in _candidate_names(school):
        best = max(best, difflib.SequenceMatcher(None, wanted, name).ratio())
        if name and (name in wanted or (len(wanted) >= 4 and wanted in name)):
            best = max(best, 0.9)
        name_words = name.split()
        word_hits = sum(
            1 for w in wanted.split()
            if w not in _SCHOOL_TYPE_WORDS and difflib.get_close_matches(w, name_words, n=1, cutoff=0.8)
        )
        if name_words and word_hits:
            best = max(best, 0.6 + 0.3 * word_hits / max(len(name_words), len(wanted.split())))
    return best


def _parse_time(value: Any, where: str) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError) as error:
        raise DistrictConfigError(f"{where}: expected a time like '07:30', got {value!r}") from error


def _parse_school(raw: dict[str, Any], index: int) -> School:
    where = f"schools[{index}]"
    missing = [k for k in ("id", "name", "phone", "office_hours", "request_form_url") if not raw.get(k)]
    if missing:
        raise DistrictConfigError(f"{where}: missing {', '.join(missing)}")
    hours = raw["office_hours"]
    days = tuple(str(d).lower()[:3] for d in hours.get("days", []))
    unknown = [d for d in days if d not in WEEKDAYS]
    if unknown or not days:
        raise DistrictConfigError(f"{where}.office_hours.days: expected weekdays like mon, tue; got {hours.get('days')!r}")
    return School(
        id=str(raw["id"]),
        name=str(raw["name"]),
        phone=str(raw["phone"]),
        office_hours=OfficeHours(days, _parse_time(hours.get("open"), where), _parse_time(hours.get("close"), where)),
        request_form_url=str(raw["request_form_url"]),
        creates_accounts=bool(raw.get("creates_accounts", False)),
        aliases=tuple(str(a) for a in raw.get("aliases", []) or []),
        features=dict(raw.get("features") or {}),
        name_es=str(raw.get("name_es") or ""),
    )


def parse_district(raw: dict[str, Any]) -> District:
    """Build a District from the parsed YAML mapping, with clear errors for missing values."""
    if not isinstance(raw, dict) or "district" not in raw or "schools" not in raw:
        raise DistrictConfigError("district.yml needs a 'district' section and a 'schools' list")
    info = raw["district"]
    missing = [k for k in ("name", "portal_url", "phone") if not info.get(k)]
    if missing:
        raise DistrictConfigError(f"district: missing {', '.join(missing)}")
    schools = tuple(_parse_school(s, i) for i, s in enumerate(raw["schools"] or []))
    if not schools:
        raise DistrictConfigError("schools: at least one school is needed")
    ids = [s.id for s in schools]
    if len(ids) != len(set(ids)):
        raise DistrictConfigError("schools: each school id must be unique")
    return District(
        name=str(info["name"]),
        short_name=str(info.get("short_name") or info["name"]),
        portal_url=str(info["portal_url"]),
        website_url=str(info.get("website_url", "")),
        phone=str(info["phone"]),
        office_hours=str(info.get("office_hours", "")),
        timezone=str(info.get("timezone", "UTC")),
        features=dict(info.get("features") or {}),
        schools=schools,
        office_hours_es=str(info.get("office_hours_es") or ""),
    )


def district_file() -> Path:
    """Path of the district file: `DISTRICT_FILE` from the environment, else the project's district.yml."""
    return Path(os.environ.get("DISTRICT_FILE") or DEFAULT_DISTRICT_FILE)


@functools.lru_cache(maxsize=4)
def _load_cached(path: str, mtime: float) -> District:
    with open(path, encoding="utf-8") as handle:
        return parse_district(yaml.safe_load(handle))


def load_district(path: Optional[Path] = None) -> District:
    """Load (and cache until the file changes) the district configuration."""
    target = Path(path or district_file())
    return _load_cached(str(target), target.stat().st_mtime)
