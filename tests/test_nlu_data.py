"""The evaluation sets measure honestly: none of their sentences is also a training example."""
from __future__ import annotations

from pathlib import Path

import pytest

from bench.nlu_eval import EVALUATION_SETS, REAL_WORDING, SPANISH_REAL_WORDING, TRAIN_DATA, _examples

ROOT = Path(__file__).resolve().parents[1]


def training_texts() -> dict[str, str]:
    return {text.lower(): intent for path in sorted((ROOT / TRAIN_DATA).rglob("*.yml"))
            for intent, text in _examples(path)}


@pytest.mark.parametrize("evaluation_set", EVALUATION_SETS)
def test_no_evaluation_sentence_is_a_training_example(evaluation_set):
    training = training_texts()
    overlap = [text for _, text in _examples(ROOT / evaluation_set) if text.lower() in training]
    assert overlap == []


def test_real_wording_set_is_large_enough_and_labels_knowledge_topics():
    labels = [intent for intent, _ in _examples(ROOT / REAL_WORDING)]
    assert len(labels) >= 300
    assert sum(label.startswith("faq/") for label in labels) >= 100


def test_training_data_in_subfolders_is_checked_too():
    """data/nlu/es/ (Spanish) is training data as much as data/nlu/*.yml: its sentences are in the overlap check."""
    spanish = [text.lower() for path in (ROOT / TRAIN_DATA / "es").glob("*.yml") for _, text in _examples(path)]
    assert len(spanish) > 1000
    training = training_texts()
    assert all(text in training for text in spanish)


def test_spanish_real_wording_set_is_large_enough():
    labels = [intent for intent, _ in _examples(ROOT / SPANISH_REAL_WORDING)]
    assert len(labels) >= 250
    assert sum(label.startswith("faq/") for label in labels) >= 100
