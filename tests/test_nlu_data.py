"""The evaluation sets measure honestly: none of their sentences is also a training example."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.nlu_eval import HELDOUT, OOS_HELDOUT, REAL_WORDING, TRAIN_DATA, _examples

ROOT = Path(__file__).resolve().parents[1]


def training_texts() -> dict[str, str]:
    return {text.lower(): intent for path in sorted((ROOT / TRAIN_DATA).glob("*.yml"))
            for intent, text in _examples(path)}


@pytest.mark.parametrize("evaluation_set", [HELDOUT, OOS_HELDOUT, REAL_WORDING])
def test_no_evaluation_sentence_is_a_training_example(evaluation_set):
    training = training_texts()
    overlap = [text for _, text in _examples(ROOT / evaluation_set) if text.lower() in training]
    assert overlap == []


def test_real_wording_set_is_large_enough_and_labels_knowledge_topics():
    labels = [intent for intent, _ in _examples(ROOT / REAL_WORDING)]
    assert len(labels) >= 300
    assert sum(label.startswith("faq/") for label in labels) >= 100
