"""Exact match and F1 against hand-computed cases: SQuAD's English normalisation and CMRC 2018's Chinese pieces."""
from __future__ import annotations

import pytest

from engine.tasks.question_answering.metrics import chinese_pieces, exact_and_f1, normalize_answer, score_answer


def test_english_answers_are_normalised_as_squad_does() -> None:
    assert normalize_answer("The  Eiffel Tower!") == "eiffel tower"
    assert normalize_answer("an apple, a pear") == "apple pear"
    score = score_answer("the Eiffel tower.", ["Eiffel Tower"])
    assert (score.exact, score.f1) == (1.0, 1.0)


def test_english_f1_is_the_overlap_of_bags_of_words() -> None:
    # prediction "in the year 1921" -> [in, year, 1921]; reference "1921" -> [1921]: P 1/3, R 1, F1 0.5
    score = score_answer("in the year 1921", ["1921"])
    assert score.exact == 0.0 and score.f1 == pytest.approx(0.5)
    # [anna, park, library] against [anna, park]: P 2/3, R 1 -> F1 0.8
    assert score_answer("Anna Park library", ["Anna Park"]).f1 == pytest.approx(0.8)


def test_each_question_takes_its_best_reference() -> None:
    score = score_answer("Denver Broncos", ["Broncos", "Denver Broncos", "the Carolina Panthers"])
    assert (score.exact, score.f1) == (1.0, 1.0)
    # "Carolina" against [carolina, panthers] F1 2/3, against [broncos] 0: the best counts
    assert score_answer("Carolina", ["Broncos", "Carolina Panthers"]).f1 == pytest.approx(2 / 3)


def test_an_unanswerable_question_scores_only_an_empty_answer() -> None:
    assert score_answer("", []).exact == score_answer("", []).f1 == 1.0
    assert score_answer("Paris", []).f1 == 0.0
    assert score_answer("", ["Paris"]).f1 == 0.0


def test_chinese_is_scored_character_by_character_with_the_longest_common_run() -> None:
    assert chinese_pieces("《红楼梦》是 Cao Xueqin 写的") == ["红", "楼", "梦", "是", "cao", "xueqin", "写", "的"]
    # prediction 北京大学 against 北京: common run 2, P 2/4, R 2/2 -> F1 2/3
    score = score_answer("北京大学", ["北京"])
    assert score.exact == 0.0 and score.f1 == pytest.approx(2 / 3)
    # punctuation does not count: "1921年。" equals "1921年"
    assert score_answer("1921年。", ["1921年"]).exact == 1.0
    # a common run, not a bag: 学大 shares no run of 2 with 大学, one character of 2 -> F1 0.5
    assert score_answer("学大", ["大学"]).f1 == pytest.approx(0.5)


def test_means_over_questions() -> None:
    scores = exact_and_f1(["Anna Park", "1921", "wrong"], [["Anna Park"], ["in 1921"], ["right"]])
    # EM: 1, 0, 0; F1: 1, 2/3 (P 1, R 1/2), 0
    assert scores["exact_match"] == pytest.approx(1 / 3)
    assert scores["f1"] == pytest.approx((1 + 2 / 3) / 3)
