from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crnn_core.charset import acc36_normalize
from crnn_core.metrics import (
    RecognitionScores,
    acc36,
    acc36_pairs,
    acc_case,
    cer,
    edit_distance,
    one_minus_ned,
    score,
)

# (prediction, truth), scored by hand in the comments below.
PAIRS = [
    ("hello", "hello"),  # acc36 yes, case yes, lev 0
    ("Hello", "hello"),  # acc36 yes, case no, lev 1 (raw), 0 (acc36)
    ("helo", "hello"),  # acc36 no, case no, lev 1
    ("", "&"),  # excluded from acc36 (truth normalises to ""), case no, lev 1 raw
    ("abc", "ABC!"),  # acc36 yes ("abc"), case no, lev 4 raw, 0 acc36
]


def reference_levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, start=1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


@given(st.text(alphabet="abcAB1 ", max_size=12), st.text(alphabet="abcAB1 ", max_size=12))
def test_edit_distance_matches_dynamic_programming(a: str, b: str) -> None:
    assert edit_distance(a, b) == reference_levenshtein(a, b)


def test_acc36_excludes_truths_that_normalise_to_empty() -> None:
    kept, excluded = acc36_pairs(PAIRS)
    assert excluded == 1
    assert kept == [("hello", "hello"), ("hello", "hello"), ("helo", "hello"), ("abc", "abc")]
    assert acc36(PAIRS) == pytest.approx(3 / 4)


def test_acc_case_counts_every_pair() -> None:
    assert acc_case(PAIRS) == pytest.approx(1 / 5)


def test_one_minus_ned_raw_and_under_acc36() -> None:
    # raw: 1, 1 - 1/5, 1 - 1/5, 1 - 1/1, 1 - 4/4
    assert one_minus_ned(PAIRS) == pytest.approx((1 + 0.8 + 0.8 + 0 + 0) / 5)
    kept, _ = acc36_pairs(PAIRS)
    assert one_minus_ned(kept) == pytest.approx((1 + 1 + 0.8 + 1) / 4)
    assert one_minus_ned([("", "")]) == 1.0


def test_cer_is_corpus_level_and_can_exceed_one() -> None:
    assert cer(PAIRS) == pytest.approx((0 + 1 + 1 + 1 + 4) / (5 + 5 + 5 + 1 + 4))
    assert cer(PAIRS, normalize=acc36_normalize) == pytest.approx(1 / 18)
    assert cer([("abcdef", "a")]) == pytest.approx(5.0)


def test_empty_input_is_nan_not_zero() -> None:
    assert math.isnan(acc36([]))
    assert math.isnan(acc_case([]))
    assert math.isnan(one_minus_ned([]))
    assert math.isnan(cer([("x", "")]))
    assert math.isnan(acc36([("a", "!!")]))


def test_score_combines_everything() -> None:
    scores = score(PAIRS, confidences=[0.9, 0.8, 0.5, 0.1, 0.7], seconds=0.5)
    assert scores.to_dict() == pytest.approx(
        {
            "n": 5,
            "acc36": 0.75,
            "acc_case": 0.2,
            "one_minus_ned": 0.95,
            "cer": 1 / 18,
            "mean_confidence": 0.6,
            "ms_per_word": 100.0,
            "n_excluded": 1,
        }
    )
    assert isinstance(scores, RecognitionScores)


def test_score_of_nothing_serialises_nan_as_none() -> None:
    data = score([]).to_dict()
    assert data["n"] == 0
    assert data["acc36"] is None and data["ms_per_word"] is None and data["mean_confidence"] is None


def test_score_rejects_mismatched_confidences() -> None:
    with pytest.raises(ValueError, match="2 confidences for 5 predictions"):
        score(PAIRS, confidences=[0.1, 0.2])
