"""Rasa's response generator, choosing the most specific matching variation of a response.

Replies live in domain.yml, with conditional variations: the parent's language (slot `language`) and, for some
replies, why a question is asked again (slot `lookup_feedback`). Rasa 3.6's `TemplatedNaturalLanguageGenerator`
picks at random among *all* variations whose conditions match, so a Spanish reply to a bad date would be chosen
at random between "¿Cuál es la fecha de nacimiento?" (language=es) and "No pude leer esa fecha" (language=es,
lookup_feedback=bad_date). Here only the matching variations with the most conditions are candidates; Rasa's own
filter (channel first, then conditions, then the default) and its slot filling are unchanged.

endpoints.yml:
    nlg:
      type: channels.response_variations.MostSpecificResponseGenerator
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.constants import RESPONSE_CONDITION
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

# The `nlg:` section of an endpoints file, for the ones that tests and benchmarks write for themselves.
NLG_ENDPOINT_YAML = f"nlg:\n  type: {__name__}.MostSpecificResponseGenerator\n"


def most_specific(variations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The variations with the most conditions (all of them when none has a condition)."""
    if not variations:
        return []
    most = max(len(v.get(RESPONSE_CONDITION) or []) for v in variations)
    return [v for v in variations if len(v.get(RESPONSE_CONDITION) or []) == most]


class MostSpecificResponseGenerator(TemplatedNaturalLanguageGenerator):
    """`TemplatedNaturalLanguageGenerator` that prefers the matching variation with the most conditions."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None,
                 responses: Optional[dict[str, list[dict[str, Any]]]] = None) -> None:
        super().__init__(responses if responses is not None else (domain.responses if domain else {}))

    def _random_response_for(self, utter_action: str, output_channel: str,
                             filled_slots: dict[str, Any]) -> Optional[dict[str, Any]]:
        if utter_action not in self.responses:
            return None
        suitable = ResponseVariationFilter(self.responses).responses_for_utter_action(
            utter_action, output_channel, filled_slots)
        candidates = most_specific(suitable)
        return candidates[np.random.randint(len(candidates))] if candidates else None
