"""How bench/nlu_eval.py scores a parsed evaluation set (English real wording and Spanish)."""
from __future__ import annotations

import pytest

from bench.nlu_eval import real_wording_metrics, spanish_metrics


def row(intent: str, predicted: str, topic: str | None = None, language: str | None = None) -> dict:
    return {"intent": intent, "text": f"{intent} {predicted} {topic}", "predicted": predicted, "faq_topic": topic,
            "diet_ranking": [(predicted, 0.9)], "language": language}


def test_spanish_accuracy_counts_knowledge_topics_and_keeping_out_of_scope_out():
    rows = [
        row("get_account", "get_account", language="es"),
        row("faq/grades", "faq", "faq/grades", language="es"),
        row("faq/grades", "faq", "faq/fees"),                  # wrong topic: a miss
        row("out_of_scope", "nlu_fallback", language="es"),   # kept out: right
        row("forgot_password", "nlu_fallback"),                # clarified: a miss
    ]
    scored = spanish_metrics(rows)
    assert scored["accuracy"] == pytest.approx(3 / 5)
    assert scored["detected_es"] == pytest.approx(3 / 5)
    assert [miss[:2] for miss in scored["misses"]] == [("faq/grades", "faq/fees"), ("forgot_password", "nlu_fallback")]
    assert 0 < scored["macro_f1"] < 1


def test_spanish_macro_f1_is_one_only_when_every_label_is_right():
    rows = [row("get_account", "get_account"), row("faq/grades", "faq", "faq/grades"), row("out_of_scope", "out_of_scope")]
    assert spanish_metrics(rows)["macro_f1"] == pytest.approx(1.0)


def test_a_knowledge_question_sent_down_a_guided_flow_is_a_wrong_path():
    rows = [row("faq/lunch_money", "missing_students"), row("faq/fees", "faq", "faq/fees"),
            row("get_account", "get_account"), row("no_key_email", "activation_key_help")]
    real = real_wording_metrics(rows)
    assert real["outside_to_guided"] == pytest.approx(0.5)
    assert real["guided"] == pytest.approx(0.5)
    assert real["guided_wrong_flow"] == pytest.approx(0.5)
