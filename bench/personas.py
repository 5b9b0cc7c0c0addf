"""Scripted multi-turn paths of the demo personas (portal/demo/PERSONAS.md), five phrasings each.

A path is the parent's messages in order and the outcome that counts as success: a phrase the last
reply must contain, and the ticket the conversation must leave in the store (kind and school), or none.
The phrasings differ in the opening question, how the school is typed, which contact fact is given and
how the birth date is written, so a success rate says something about understanding, not only plumbing.
The fifth answers every question in a full sentence ("my email is ...", "her name is Lily", "she was born
on September 3rd, 2012"); Ben gives his email, Lily's name and her birth date in one message.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Expected:
    """What the conversation must end in."""

    reply: str                           # a phrase of the last reply (case-sensitive)
    ticket_kind: Optional[str] = None    # None: the conversation must open no ticket
    ticket_school: Optional[str] = None


class Aside(str):
    """A question the parent asks in the middle of the identity questions ("what is a security email?").

    It answers nothing, so the question it interrupted is rightly asked again after the explanation.
    """


@dataclass(frozen=True)
class Path:
    persona: str
    variant: int
    messages: tuple[str, ...]
    expected: Expected


def _paths(persona: str, expected: Expected, *variants: tuple[str, ...]) -> list[Path]:
    return [Path(persona, number, messages, expected) for number, messages in enumerate(variants, start=1)]


ANA = _paths(
    "1 Ana Rivera: new parent, unused key", Expected("valid and not used yet"),
    ("my activation key 4F2A9C1E-7B3D-4A6F-8E0C-2B5D9A1F3E7C doesn't work",),
    ("what do I do with this code 4f2a9c1e7b3d4a6f8e0c2b5d9a1f3e7c",),
    ("I got a letter with an activation key, how do I use it?", "4F2A 9C1E 7B3D 4A6F 8E0C 2B5D 9A1F 3E7C"),
    ("hi", "school gave me a 32 digit code wat do i do w it", "4F2A9C1E7B3D4A6F8E0C2B5D9A1F3E7C"),
    ("I got a letter from the school with an activation key and I don't know how to use it",
     "The key in my letter is 4F2A-9C1E-7B3D-4A6F-8E0C-2B5D-9A1F-3E7C"),
)

BEN = _paths(
    "2 Ben Carter: key already used -> account_reset", Expected("#", "account_reset", "org-willow-creek-ms"),
    ("it says my activation key has already been used", "yes", "willow creek", "ben.carter@example.com", "Lily",
     "9/3/2012", "yes please"),
    ("activation key already used??", "sure", "Willow Creek Middle", "(555) 010-2002", "lily", "2012-09-03", "yes"),
    ("the portal says my key was used already", "ok", "willow", "555.010.2002", "Lily", "September 3 2012", "yes"),
    ("activation key alredy used", "y", "wilow creek", Aside("what is a security email?"), "ben.carter@example.com",
     "Lily", "9-3-2012", "ok"),
    ("My activation key says it has already been used", "Yes, that's fine",
     "My daughter goes to Willow Creek Middle School",
     "My email is ben.carter@example.com, her name is Lily and she was born on September 3rd, 2012", "Yes please"),
)

CHLOE = _paths(
    "3 Chloe Nguyen: split duplicate records -> household_fix", Expected("second copy of your name", "household_fix",
                                                                        "org-maple-ridge-es"),
    ("I can't see all my kids in the portal", "yes", "cvhs", "chloe.nguyen@example.com", "Emma", "January 20, 2009",
     "Noah"),
    ("only one of my children shows up in campus parent", "yes", "cedar valley high", "chloe.nguyen@example.com",
     "emma", "1/20/2009", "his name is Noah"),
    ("my son is missing from my account", "yes please", "Cedar Valley High School", "chloe.nguyen@example.com",
     "Emma", "2009-01-20", "Noah"),
    ("cant see my 2nd kid on campus parent", "yes", "the high school", "chloe.nguyen@example.com", "Emma",
     "01/20/2009", "noah"),
    ("I can't see all of my kids in the portal", "yes", "My daughter goes to Cedar Valley High",
     "My email is chloe.nguyen@example.com", "Her name is Emma", "She was born on January 20th, 2009",
     "His name is Noah"),
)

DAVID = _paths(
    "4 David Okafor: all children linked, no ticket", Expected("Campus Parent app"),
    ("my son doesn't show up on my account", "yes", "willow", "david.okafor@example.com", "Ada", "2/14/2013", "Sam"),
    ("I can't see all my kids", "yes", "willow creek", "(555) 010-2004", "ada", "February 14 2013", "Sam"),
    ("one of my children is missing in the portal", "ok", "Willow Creek Middle School", "david.okafor@example.com",
     "Ada", "2013-02-14", "sam"),
    ("my kids arent all showing", "yes", "willow creek", "david.okafor@example.com", "Sam", "11/5/2015", "Ada"),
    ("My son doesn't show up on my account", "yes", "They go to Willow Creek", "My email is david.okafor@example.com",
     "My daughter's name is Ada", "She was born on February 14th, 2013", "My son's name is Sam"),
)

ELENA = _paths(
    "5 Elena Petrova: forgot password, self-service", Expected("reset the password yourself"),
    ("I forgot my password", "yes", "cvhs", "(555) 010-2005", "ivan", "7/22/2010"),
    ("how do I reset my portal password", "yes", "cedar valley high", "elena.petrova@example.com", "Ivan",
     "July 22, 2010"),
    ("can't remember my password for campus parent", "sure", "Cedar Valley High School", "555-010-2005", "Ivan",
     "2010-07-22"),
    ("forgot pasword", "yes", "cedar valley hs", "elena.petrova@example.com", "Ivan", "7-22-2010"),
    ("I forgot my password", "yes", "My son goes to Cedar Valley High School", "My number is (555) 010-2005",
     "His name is Ivan", "He was born on July 22nd, 2010"),
)

FRANK = _paths(
    "6 Frank Miller: forgot username, no security email -> account_reset",
    Expected("#", "account_reset", "org-summit-ridge-academy"),
    ("i forgot my username", "yes", "summit", "frank.miller@example.com", "Zoe", "3/9/2014", "yes"),
    ("what is my username for the parent portal", "yes", "summit ridge", "(555) 010-2006", "zoe", "March 9 2014",
     "yes please"),
    ("I don't remember my user name", "ok", "Summit Ridge Academy", "frank.miller@example.com", "Zoe", "2014-03-09",
     "yes"),
    ("forgot my login name", "yes", "summit", Aside("wait, why do you need this?"), "frank.miller@example.com", "Zoe",
     "3/9/2014", "yes"),
    ("I forgot my username", "yes", "My daughter goes to Summit Ridge Academy", "My email is frank.miller@example.com",
     "My daughter's name is Zoe", "She was born on March 9th, 2014", "Yes please"),
)

GRACE = _paths(
    "7 Grace Kim: locked out -> account_reset", Expected("locked or turned off", "account_reset",
                                                        "org-willow-creek-ms"),
    ("my account is locked out", "yes", "willow creek", "grace.kim@example.com", "Leo", "12/01/2011"),
    ("it says my account is locked", "yes", "willow", "(555) 010-2007", "leo", "December 1 2011"),
    ("I'm locked out of campus parent", "sure", "Willow Creek Middle School", "grace.kim@example.com", "Leo",
     "2011-12-01"),
    ("too many tries now it wont let me log in", "yes", "willow creek", "grace.kim@example.com", "Leo",
     "12/1/2011"),
    ("My account is locked out", "yes", "My son goes to Willow Creek", "My number is 555-010-2007",
     "My son's name is Leo", "He was born on December 1st, 2011"),
)

HANA = _paths(
    "8 Hana Suzuki: child not linked -> household_fix", Expected("isn't linked to you", "household_fix",
                                                                "org-willow-creek-ms"),
    ("only one of my children shows up", "yes", "riverbend", "hana.suzuki@example.com", "Yuki", "5/5/2015", "Ren"),
    ("my older son is not on my portal account", "yes", "riverbend elementary", "(555) 010-2008", "yuki",
     "May 5 2015", "Ren"),
    ("I can't see all my kids", "ok", "Riverbend", "hana.suzuki@example.com", "Yuki", "2015-05-05", "his name is Ren"),
    ("my other son isnt there", "yes", "riverbend", "555 010 2008", "Yuki", "5/5/15", "Ren"),
    ("Only one of my children shows up in the portal", "yes", "My child goes to Riverbend Elementary",
     "My email is hana.suzuki@example.com", "My child's name is Yuki", "Yuki was born on May 5th, 2015",
     "My son's name is Ren"),
)

PATHS: list[Path] = [*ANA, *BEN, *CHLOE, *DAVID, *ELENA, *FRANK, *GRACE, *HANA]
