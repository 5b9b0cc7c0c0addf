"""After the identity check: answer from the parent's own account and household records."""
from __future__ import annotations


from rasa_sdk import Tracker
from rasa_sdk.events import EventType

from actions.common import PortalAction, conversation_language, outcome
from actions.outcomes import Outcome
from actions.store import StoreUnavailable, run_in_store
from actions.verification import MAX_VERIFY_ATTEMPTS, attempts_used, first_names
from portal.accounts import LOCKED_STATUSES, account_for_guardian
from portal.households import diagnose_household

TICKET_KIND_FOR_TOPIC = {"missing_students": "household_fix"}


def unverified(tracker: Tracker) -> list[EventType]:
    """Nothing is disclosed; a ticket marked unverified is offered instead."""
    kind = TICKET_KIND_FOR_TOPIC.get(tracker.get_slot("topic"), "account_reset")
    found = Outcome.UNVERIFIED if attempts_used(tracker) >= MAX_VERIFY_ATTEMPTS else Outcome.STORE_UNAVAILABLE_UNVERIFIED
    return outcome(found, ticket_kind=kind)


async def account_answer(tracker: Tracker, guardian_id: str) -> list[EventType]:
    """Key already used, forgot password or username: masked username, self-service or a reset ticket."""
    topic = tracker.get_slot("topic")
    account = await run_in_store(account_for_guardian, guardian_id)
    if account is None or not account.masked_username:
        return outcome(Outcome.NO_ACCOUNT)
    shown = {"masked_username": account.masked_username, "ticket_kind": "account_reset"}
    if account.account_status in LOCKED_STATUSES:
        return outcome(Outcome.ACCOUNT_LOCKED, **shown)
    if topic in ("forgot_password", "forgot_username") and account.has_security_email:
        return outcome(Outcome(f"self_service_{topic.split('_')[1]}"), **shown)
    return outcome(Outcome.OFFER_RESET if account.has_security_email else Outcome.OFFER_RESET_NO_SECURITY_EMAIL, **shown)


async def household_answer(tracker: Tracker, guardian_id: str) -> list[EventType]:
    """Compare the children the parent named with the guardian records; a split means a household fix."""
    named = first_names(tracker.get_slot("missing_child_name"))
    diagnosis = await run_in_store(diagnose_household, guardian_id, named)
    if diagnosis.outcome == "all_linked":
        return outcome(Outcome.HOUSEHOLD_ALL_LINKED, children=", ".join(diagnosis.linked_children))
    details = {
        "outcome": diagnosis.outcome,
        "missing_children": list(diagnosis.missing_children),
        "guardian_record_ids": list(diagnosis.guardian_record_ids),
        "duplicate_guardian_ids": list(diagnosis.duplicate_guardian_ids),
    }
    found = Outcome.HOUSEHOLD_SPLIT if diagnosis.outcome == "split_duplicates" else Outcome.HOUSEHOLD_NOT_LINKED
    joiner = " y " if conversation_language(tracker) == "es" else " and "
    return outcome(found, missing_children=joiner.join(diagnosis.missing_children or named),
                   ticket_kind="household_fix", ticket_school=diagnosis.school_id, ticket_details=details)


class ActionAfterLookup(PortalAction):
    """Runs when the lookup form ends: answers the topic from the verified parent's records."""

    def name(self) -> str:
        return "action_after_lookup"

    async def decide(self, tracker: Tracker) -> list[EventType]:
        guardian_id = tracker.get_slot("verified_guardian_id")
        if not guardian_id:
            return unverified(tracker)
        try:
            if tracker.get_slot("topic") == "missing_students":
                return await household_answer(tracker, guardian_id)
            return await account_answer(tracker, guardian_id)
        except StoreUnavailable:
            return outcome(Outcome.STORE_UNAVAILABLE)
