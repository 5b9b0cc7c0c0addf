"""What a custom action found, as one enum: the contract between actions and the rules that speak.

Actions never choose words: they set the `outcome` slot (and the values the replies show), and a rule in
data/rules/ picks the response for each outcome. Every member is a value of the `outcome` slot in domain.yml
and has a rule (tests/actions/test_outcomes.py checks both directions); `answers_parent` marks the outcomes that
answer the parent's question (they count towards the deflection rate: answered, no ticket).
"""
from __future__ import annotations

from enum import Enum


class Outcome(str, Enum):
    """An action's outcome; `Outcome("step_" + step)` checks a name built at run time."""

    answers_parent: bool

    def __new__(cls, value: str, answers_parent: bool = False) -> "Outcome":
        member = str.__new__(cls, value)
        member._value_ = value
        member.answers_parent = answers_parent
        return member

    KEY_HELP = ("key_help", True)
    KEY_TOO_SHORT = ("key_too_short", True)
    KEY_TOO_LONG = ("key_too_long", True)
    KEY_BAD_CHARACTERS = ("key_bad_characters", True)
    KEY_GAVE_UP = "key_gave_up"
    KEY_UNKNOWN = ("key_unknown", True)
    KEY_UNUSED = ("key_unused", True)
    KEY_REDEEMED = "key_redeemed"
    KEY_ACCOUNT_LOCKED = "key_account_locked"
    SCHOOL_CREATES_ACCOUNTS = ("school_creates_accounts", True)
    ACCOUNT_STEP_ONE = ("account_step_one", True)
    REQUEST_FORM = ("request_form", True)
    NO_KEY_EMAIL = "no_key_email"
    ATTENDANCE_HIDDEN = ("attendance_hidden", True)
    ATTENDANCE_HIDDEN_DISTRICT = ("attendance_hidden_district", True)
    ATTENDANCE_VISIBLE = ("attendance_visible", True)
    ATTENDANCE_VISIBLE_DISTRICT = ("attendance_visible_district", True)
    OPEN_HANDOFF = "open_handoff"
    STEP_REQUEST_FORM = ("step_request_form", True)
    STEP_KEY_EMAIL = ("step_key_email", True)
    STEP_NEW_USER = ("step_new_user", True)
    STEP_ENTER_KEY = ("step_enter_key", True)
    STEP_CREATE_LOGIN = ("step_create_login", True)
    STEP_BACK_TO_LOGIN = ("step_back_to_login", True)
    STEP_SECURITY_STEP = ("step_security_step", True)
    STEP_DONE = ("step_done", True)
    STUCK_WHERE = "stuck_where"
    STUCK_REQUEST_FORM = ("stuck_request_form", True)
    STUCK_REQUEST_FORM_DISTRICT = ("stuck_request_form_district", True)
    STUCK_KEY_EMAIL = ("stuck_key_email", True)
    STUCK_KEY_EMAIL_DISTRICT = ("stuck_key_email_district", True)
    STUCK_NEW_USER = ("stuck_new_user", True)
    STUCK_ENTER_KEY = ("stuck_enter_key", True)
    STUCK_CREATE_LOGIN = ("stuck_create_login", True)
    STUCK_BACK_TO_LOGIN = ("stuck_back_to_login", True)
    STUCK_SECURITY_STEP = ("stuck_security_step", True)
    WHAT_NEXT = "what_next"
    TICKET_OPENED = "ticket_opened"
    TICKET_ALREADY_OPEN = "ticket_already_open"
    TICKET_FAILED = "ticket_failed"
    HANDOFF_OPENED = "handoff_opened"
    DECLINED = "declined"
    DECLINED_DISTRICT = "declined_district"
    TICKETS_LISTED = ("tickets_listed", True)
    NO_TICKETS = ("no_tickets", True)
    STORE_UNAVAILABLE = "store_unavailable"
    STORE_UNAVAILABLE_DISTRICT = "store_unavailable_district"
    UNVERIFIED = "unverified"
    STORE_UNAVAILABLE_UNVERIFIED = "store_unavailable_unverified"
    NO_ACCOUNT = "no_account"
    ACCOUNT_LOCKED = "account_locked"
    SELF_SERVICE_PASSWORD = ("self_service_password", True)
    SELF_SERVICE_USERNAME = ("self_service_username", True)
    OFFER_RESET = "offer_reset"
    OFFER_RESET_NO_SECURITY_EMAIL = "offer_reset_no_security_email"
    HOUSEHOLD_ALL_LINKED = ("household_all_linked", True)
    HOUSEHOLD_SPLIT = "household_split"
    HOUSEHOLD_NOT_LINKED = "household_not_linked"
    SCHOOL_NOTED = "school_noted"
    KEY_FOUND = "key_found"
    NOT_UNDERSTOOD = "not_understood"
    STARTED_OVER = "started_over"
    CANCELLED = "cancelled"
    HANDOFF_AFTER_HOURS = "handoff_after_hours"
    RELAYED = "relayed"
    RELAYED_QUIET = "relayed_quiet"
    HANDOFF_OVER = "handoff_over"
    HANDOFF_ENDED = "handoff_ended"
    TICKET_UPDATE = "ticket_update"
    KB_ANSWER = "kb_answer"
    KB_ANSWER_OFFER_TICKET = "kb_answer_offer_ticket"
    KB_UNKNOWN = "kb_unknown"
    OPEN_KB_TICKET = "open_kb_ticket"
    CLARIFY = "clarify"
    FALLBACK = "fallback"


ANSWERED_OUTCOMES = frozenset(o.value for o in Outcome if o.answers_parent)
