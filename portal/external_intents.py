"""The intents the help desk triggers in the parent's conversation through Rasa's trigger_intent API: the one
place that knows their names (the contract with the assistant's domain, `domain.yml`).

Only the help desk may trigger them: the NLU drops them from predictions (`pipeline/external_intents.py`) and
the channels refuse them as payloads (`channels/inbound.py`).
"""
from __future__ import annotations

from typing import Optional

PREFIX = "EXTERNAL_"
STAFF_REPLY = "EXTERNAL_staff_reply"          # entities: staff_message, ticket_id
TICKET_RESOLVED = "EXTERNAL_ticket_resolved"  # entities: staff_message, ticket_id
HANDOFF_ENDED = "EXTERNAL_handoff_ended"      # entities: ticket_id
ALL = (STAFF_REPLY, TICKET_RESOLVED, HANDOFF_ENDED)


def is_external_intent(intent_name: Optional[str]) -> bool:
    """True for the intents only the help desk may trigger (in any case: a typed payload may shout)."""
    return bool(intent_name) and intent_name.upper().startswith(PREFIX)
