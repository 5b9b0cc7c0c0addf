"""Notifying the parent through Rasa's HTTP API.

    POST {RASA_URL}/conversations/{conversation_id}/trigger_intent?output_channel=latest&token={RASA_AUTH_TOKEN}
    {"name": "EXTERNAL_staff_reply" | "EXTERNAL_ticket_resolved" | "EXTERNAL_handoff_ended",
     "entities": {"staff_message": "...", "ticket_id": "..."}}

Rasa runs the intent in that conversation and sends the bot's reply through the channel the parent
last used (`output_channel=latest`). Only a 2xx answer counts as delivered.
"""
from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote

import requests

from helpdesk.http import DeliveryError, check_response, describe_exception


class RasaNotifier:
    """Sends outbox payloads to Rasa's `trigger_intent` endpoint."""

    def __init__(self, base_url: str, token: Optional[str], http: requests.Session,
                 timeout: tuple[float, float]) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.http = http
        self.timeout = timeout

    def url(self, conversation_id: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/trigger_intent"

    def trigger(self, conversation_id: str, payload: dict[str, Any]) -> None:
        """Trigger the payload's intent in the conversation; DeliveryError unless Rasa answered 2xx."""
        params = {"output_channel": "latest"}
        if self.token:
            params["token"] = self.token
        try:
            response = self.http.post(self.url(conversation_id), params=params, json=payload, timeout=self.timeout)
        except requests.RequestException as error:
            raise DeliveryError(describe_exception(error, "Rasa", (self.token,))) from None
        check_response(response, "Rasa", (self.token,))
