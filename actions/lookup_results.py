"""After verification: answer from the parent's own account and household records."""
from __future__ import annotations

from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import current_school, district, utter
from actions.store import StoreUnavailable, run_in_store
from actions.tickets import offer_ticket, open_ticket_now
from actions.verification import MAX_VERIFY_ATTEMPTS, attempts_used, first_names
from portal.accounts import account_for_guardian
from portal.district import School
from portal.households import diagnose_household

TICKET_KIND_FOR_TOPIC = {"missing_students": "household_fix"}
LOCKED_STATUSES = ("disabled", "locked")


def unverified(dispatcher: CollectingDispatcher, tracker: Tracker, school: Optional[School]) -> list[EventType]:
    """Verification failed (or the store was down): nothing is disclosed; offer an unverified ticket."""
    if attempts_used(tracker) >= MAX_VERIFY_ATTEMPTS:
        utter(dispatcher, "utter_verify_failed_final", school=school)
    else:
        utter(dispatcher, "utter_store_unavailable", school=school)
    utter(dispatcher, "utter_offer_unverified_ticket", school=school)
    kind = TICKET_KIND_FOR_TOPIC.get(tracker.get_slot("topic"), "account_reset")
    return offer_ticket(kind, school, {"verified": False})


async def answer_account(dispatcher: CollectingDispatcher, tracker: Tracker, guardian_id: str,
                         school: Optional[School]) -> list[EventType]:
    """Key already used, forgot password or username: masked username, self-service or a reset ticket."""
    topic = tracker.get_slot("topic")
    account = await run_in_store(account_for_guardian, guardian_id)
    if account is None or not account.masked_username:
        utter(dispatcher, "utter_no_account_found", school=school)
        return []
    utter(dispatcher, "utter_masked_username", school=school, masked_username=account.masked_username)
    if account.account_status in LOCKED_STATUSES:
        utter(dispatcher, "utter_account_locked", school=school)
        await open_ticket_now(dispatcher, tracker, "account_reset", school, {"account_status": account.account_status})
        return []
    if topic in ("forgot_password", "forgot_username") and account.has_security_email:
        utter(dispatcher, f"utter_self_service_{topic.split('_')[1]}", school=school)
        return []
    if not account.has_security_email:
        utter(dispatcher, "utter_no_security_email", school=school)
    utter(dispatcher, "utter_offer_account_reset", school=school)
    return offer_ticket("account_reset", school)


async def answer_household(dispatcher: CollectingDispatcher, tracker: Tracker, guardian_id: str,
                           school: Optional[School]) -> list[EventType]:
    """Compare the children the parent named with the guardian records; open a household fix if split."""
    named = first_names(tracker.get_slot("missing_child_name"))
    diagnosis = await run_in_store(diagnose_household, guardian_id, named)
    if diagnosis.outcome == "all_linked":
        utter(dispatcher, "utter_household_all_linked", school=school,
              children=", ".join(diagnosis.linked_children) or "no children yet")
        return []
    missing = " and ".join(diagnosis.missing_children) or " and ".join(named)
    response = "utter_household_split" if diagnosis.outcome == "split_duplicates" else "utter_household_not_linked"
    utter(dispatcher, response, school=school, missing_children=missing)
    ticket_school = district().school_by_id(diagnosis.school_id) or school
    details = {
        "outcome": diagnosis.outcome,
        "missing_children": list(diagnosis.missing_children),
        "guardian_record_ids": list(diagnosis.guardian_record_ids),
        "duplicate_guardian_ids": list(diagnosis.duplicate_guardian_ids),
    }
    await open_ticket_now(dispatcher, tracker, "household_fix", ticket_school, details)
    return []


class ActionAfterLookup(Action):
    """Runs when the lookup form ends: answers the topic from the verified parent's records."""

    def name(self) -> str:
        return "action_after_lookup"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        school = current_school(tracker)
        guardian_id = tracker.get_slot("verified_guardian_id")
        events: list[EventType] = [SlotSet("pending_offer", None)]
        if not guardian_id:
            return events + unverified(dispatcher, tracker, school)
        try:
            if tracker.get_slot("topic") == "missing_students":
                return events + await answer_household(dispatcher, tracker, guardian_id, school)
            return events + await answer_account(dispatcher, tracker, guardian_id, school)
        except StoreUnavailable:
            utter(dispatcher, "utter_store_unavailable", school=school)
            return events
