"""The help desk's EXTERNAL_* intents come only from Rasa's trigger_intent API, never from what a parent types.

Rasa needs an example of every domain intent in the NLU data, so the model knows these intents and could
predict one for a typed message such as "EXTERNAL staff reply" (the parent would then read
"School staff: None"). trigger_intent builds its message without NLU, so dropping them here costs nothing.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Type

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY
from rasa.shared.nlu.training_data.message import Message

EXTERNAL_PREFIX = "EXTERNAL_"


def is_external(intent_name: Optional[str]) -> bool:
    """True for the intents only the help-desk service may trigger."""
    return bool(intent_name) and intent_name.startswith(EXTERNAL_PREFIX)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ExternalIntentFilter(GraphComponent, IntentClassifier):
    """Removes EXTERNAL_* intents from NLU predictions; the next intent in the ranking takes their place."""

    @classmethod
    def required_components(cls) -> List[Type]:
        return [IntentClassifier]

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "ExternalIntentFilter":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            drop_external_intents(message)
        return messages


def drop_external_intents(message: Message) -> None:
    """Rewrite one message's intent and ranking without the EXTERNAL_* intents."""
    ranking = [r for r in message.data.get(INTENT_RANKING_KEY) or [] if not is_external(r.get(INTENT_NAME_KEY))]
    if INTENT_RANKING_KEY in message.data:
        message.data[INTENT_RANKING_KEY] = ranking
    intent = message.data.get(INTENT) or {}
    if is_external(intent.get(INTENT_NAME_KEY)):
        message.data[INTENT] = dict(ranking[0]) if ranking else {INTENT_NAME_KEY: None, PREDICTED_CONFIDENCE_KEY: 0.0}
