"""Clarify, don't guess: no identity check or ticket starts on a middling or close guess.

Rasa's FallbackClassifier turns a low-confidence or ambiguous prediction into `nlu_fallback`, with one
threshold for every intent. A wrong guess costs more for some intents than for others: the guarded ones
start a flow that asks for the parent's identity or opens a ticket, so they need a surer guess (a higher
confidence and a wider margin over the runner-up). The dialogue then asks which of the likely topics the
parent means (`actions/clarify.py`); the ranking stays in the message for that.

The knowledge-base intent `faq` is broad: DIETClassifier gives it to almost any "how do I ...?" question, also
ones that are not about the portal at all ("how do I cook rice"). The ResponseSelector, which names the topic,
is unsure then, so a `faq` prediction whose topic is below `faq_topic_threshold` falls back too.
"""
from __future__ import annotations

from typing import Any, Dict, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

GUARDED_INTENTS_KEY = "guarded_intents"
GUARDED_THRESHOLD_KEY = "guarded_threshold"
GUARDED_AMBIGUITY_KEY = "guarded_ambiguity_threshold"
FAQ_TOPIC_THRESHOLD_KEY = "faq_topic_threshold"
RETRIEVAL_INTENT = "faq"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class TopicGuard(FallbackClassifier):
    """FallbackClassifier, plus a stricter threshold and margin for the intents that start risky flows."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **FallbackClassifier.get_default_config(),
            GUARDED_INTENTS_KEY: [],
            GUARDED_THRESHOLD_KEY: 0.7,
            GUARDED_AMBIGUITY_KEY: 0.2,
            FAQ_TOPIC_THRESHOLD_KEY: 0.0,
        }

    def _should_fallback(self, message: Message) -> bool:
        return (super()._should_fallback(message) or self._guarded_guess_unsure(message)
                or self._knowledge_topic_unsure(message))

    def _knowledge_topic_unsure(self, message: Message) -> bool:
        """A knowledge question whose topic the ResponseSelector is not sure of."""
        if (message.data.get(INTENT) or {}).get(INTENT_NAME_KEY) != RETRIEVAL_INTENT:
            return False
        return knowledge_topic_confidence(message.data) < self.component_config[FAQ_TOPIC_THRESHOLD_KEY]

    def _guarded_guess_unsure(self, message: Message) -> bool:
        """A guarded intent predicted below its confidence, or too close to the runner-up."""
        intent = message.data.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) not in self.component_config[GUARDED_INTENTS_KEY]:
            return False
        return guarded_guess_unsure(intent.get(PREDICTED_CONFIDENCE_KEY) or 0.0,
                                    message.data.get(INTENT_RANKING_KEY) or [],
                                    self.component_config[GUARDED_THRESHOLD_KEY],
                                    self.component_config[GUARDED_AMBIGUITY_KEY])


def knowledge_topic_confidence(data: dict[str, Any]) -> float:
    """The ResponseSelector's confidence in the knowledge topic it picked (0 when it picked none)."""
    selector = (data.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    return float((selector.get("response") or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)


def guarded_guess_unsure(confidence: float, ranking: list[dict[str, Any]], threshold: float,
                         margin: float) -> bool:
    """True when `confidence` is below `threshold` or within `margin` of the second-ranked intent."""
    if confidence < threshold:
        return True
    runner_up = ranking[1].get(PREDICTED_CONFIDENCE_KEY, 0.0) if len(ranking) >= 2 else 0.0
    return confidence - runner_up < margin
