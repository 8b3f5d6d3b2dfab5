from __future__ import annotations

import numpy as np
import pytest

from crnn_core.charset import Charset
from crnn_core.decoding.beam import beam_search
from crnn_core.decoding.charlm import BOUNDARY, CharNgramLM, english_char_lm, symbol_of

CHARSET = Charset.preset("94_full")
WORDS = ["city", "cite", "cities", "state", "stats", "sale", "open", "hotel"] * 3


def test_every_context_is_a_distribution_and_case_is_folded() -> None:
    lm = CharNgramLM.train(WORDS, order=3)
    np.testing.assert_allclose(np.exp(lm.table).sum(axis=1), 1.0, atol=1e-5)
    assert lm.log_prob("CITY") == lm.log_prob("city")
    assert lm.log_prob("city") > lm.log_prob("cty") > lm.log_prob("xqzv")
    assert symbol_of("A") == symbol_of("a") != symbol_of("7") != symbol_of("!") != BOUNDARY


def test_english_lm_knows_words_and_numbers() -> None:
    lm = english_char_lm()
    assert lm.log_prob("state") > lm.log_prob("statte") + 2
    assert lm.log_prob("2024") > lm.log_prob("s4le")


def test_bad_orders_and_empty_training_set_are_rejected() -> None:
    with pytest.raises(ValueError, match="order"):
        CharNgramLM.train(WORDS, order=6)
    with pytest.raises(ValueError, match="at least one word"):
        CharNgramLM.train([], order=3)


def _logits(frames: list[dict[str, float]]) -> np.ndarray:
    """One row per frame: the given characters' probabilities, the rest on blank."""
    probs = np.full((len(frames), CHARSET.num_classes), 1e-6)
    for t, frame in enumerate(frames):
        for ch, p in frame.items():
            probs[t, CHARSET.encode(ch)[0]] = p
        probs[t, 0] = 1.0 - sum(frame.values())
    return np.log(probs)[None].astype(np.float32)


def _best(logits: np.ndarray, lm: CharNgramLM | None, weight: float) -> str:
    found = beam_search(logits, np.array([logits.shape[1]]), CHARSET, 8, 1, lm=lm, lm_weight=weight)
    return found[0].best.text


def test_fusion_restores_a_dropped_letter_but_never_forces_a_word() -> None:
    lm = CharNgramLM.train(WORDS, order=4)
    # "c", then an unsure "i" (40 %), then "t", "y": the image alone reads "cty"
    unsure = _logits([{"c": 0.99}, {"i": 0.4}, {"t": 0.99}, {"y": 0.99}])
    assert _best(unsure, None, 0.0) == "cty"
    assert _best(unsure, lm, 0.0) == "cty"  # weight 0: the LM is ignored
    assert _best(unsure, lm, 0.5) == "city"
    # a confident non-word stays what the image says
    code = _logits([{"x": 0.99}, {"q": 0.99}, {"z": 0.99}, {"7": 0.99}])
    assert _best(code, lm, 0.5) == "xqz7"


def test_negative_weight_or_weight_without_lm_is_an_error() -> None:
    logits = _logits([{"a": 0.9}])
    with pytest.raises(ValueError, match="lm_weight"):
        _best(logits, None, 0.5)
    with pytest.raises(ValueError, match="lm_weight"):
        _best(logits, CharNgramLM.train(WORDS, 3), -1.0)
