"""CTC decoders checked against brute-force enumeration of every frame path, Keras' CTC loss and
simple reference implementations. Blank is class 0 throughout."""

from __future__ import annotations

import functools
import itertools
import logging
import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from crnn_core.charset import Charset
from crnn_core.decode import (
    Lexicon,
    beam_search,
    decode,
    greedy_decode,
    lexicon_decode,
    log_softmax,
    sequence_log_prob,
)

TINY = settings(max_examples=60, deadline=None)


# --- brute force -------------------------------------------------------------------------------


@functools.cache
def _paths(frames: int, classes: int) -> tuple[np.ndarray, list[tuple[int, ...]], np.ndarray]:
    """Every frame path, the distinct collapsed labels, and which label each path collapses to."""
    product = list(itertools.product(range(classes), repeat=frames))
    paths = np.array(product, dtype=np.int64).reshape(len(product), frames)
    keys: dict[tuple[int, ...], int] = {}
    owner = np.empty(len(paths), dtype=np.int64)
    for row, path in enumerate(paths.tolist()):
        merged = [c for t, c in enumerate(path) if c != 0 and (t == 0 or path[t - 1] != c)]
        owner[row] = keys.setdefault(tuple(merged), len(keys))
    return paths, list(keys), owner


def brute_force(logp: np.ndarray, length: int) -> dict[tuple[int, ...], float]:
    """log P(label) for every label with non-zero probability, by summing over all paths."""
    paths, labels, owner = _paths(length, logp.shape[1])
    path_log_prob = logp[np.arange(length), paths].sum(axis=1)
    top = path_log_prob.max()
    totals = np.bincount(owner, weights=np.exp(path_log_prob - top), minlength=len(labels))
    return {label: float(np.log(total) + top) for label, total in zip(labels, totals, strict=True)}


Problem = tuple[np.ndarray, np.ndarray, Charset]


@st.composite
def tiny_problems(draw: st.DrawFn) -> Problem:
    classes = draw(st.integers(2, 4))
    frames = draw(st.integers(1, 6))
    batch = draw(st.integers(1, 3))
    logits = draw(arrays(np.float64, (batch, frames, classes), elements=st.floats(-5, 5)))
    lengths = draw(arrays(np.int64, (batch,), elements=st.integers(0, frames)))
    return logits, lengths, Charset("abc"[: classes - 1])


def peaky_logits(
    rng: np.random.Generator, texts: list[str], charset: Charset, frames: int
) -> np.ndarray:
    """Logits of a confident model that wrote each text spread over ``frames`` (blank between)."""
    logits = rng.normal(0.0, 1.0, (len(texts), frames, charset.num_classes))
    logits[:, :, 0] += 4.0
    for i, text in enumerate(texts):
        for j, char in enumerate(charset.encode(text)):
            logits[i, 2 * j + 1, char] += 9.0
    return logits


# --- exactness against brute force -------------------------------------------------------------


@TINY
@given(tiny_problems())
def test_beam_search_without_pruning_returns_most_probable_strings(problem: Problem) -> None:
    logits, lengths, charset = problem
    results = beam_search(logits, lengths, charset, beam_width=2000, top_k=8, max_candidates=3)
    logp = log_softmax(logits)
    for i, result in enumerate(results):
        truth = {charset.decode(k): v for k, v in brute_force(logp[i], int(lengths[i])).items()}
        expected = sorted(truth.values(), reverse=True)[:8]
        got = [c.log_prob for c in result.candidates]
        assert len({c.text for c in result.candidates}) == len(got) == len(expected)
        # Order by probability (ties may come in any order) and each text's own probability.
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
        for candidate in result.candidates:
            assert candidate.log_prob == pytest.approx(truth[candidate.text], abs=1e-9)
        assert result.best.text == result.candidates[0].text


@TINY
@given(tiny_problems())
def test_sequence_log_prob_matches_brute_force_for_every_string(problem: Problem) -> None:
    logits, lengths, charset = problem
    logp = log_softmax(logits)
    frames = logits.shape[1]
    alphabet = range(1, charset.num_classes)
    labels = [list(s) for n in range(frames + 2) for s in itertools.product(alphabet, repeat=n)]
    for i in range(len(logits)):
        truth = brute_force(logp[i], int(lengths[i]))
        batch_logits = np.repeat(logits[i : i + 1], len(labels), axis=0)
        batch_lengths = np.full(len(labels), lengths[i])
        got = sequence_log_prob(batch_logits, batch_lengths, labels, charset)
        expected = [truth.get(tuple(label), -math.inf) for label in labels]
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)


@TINY
@given(tiny_problems())
def test_greedy_is_the_collapsed_argmax_path(problem: Problem) -> None:
    logits, lengths, charset = problem
    probs = np.exp(log_softmax(logits))
    for i, result in enumerate(greedy_decode(logits, lengths, charset)):
        path = logits[i, : lengths[i]].argmax(axis=1).tolist()
        chars: list[int] = []
        confidences: list[float] = []
        for t, c in enumerate(path):
            if t > 0 and c == path[t - 1]:
                if c:
                    confidences[-1] = max(confidences[-1], probs[i, t, c])
            elif c:
                chars.append(c)
                confidences.append(probs[i, t, c])
        assert result.indices == tuple(chars)
        assert result.text == charset.decode(chars)
        np.testing.assert_allclose(result.char_confidences, confidences, rtol=1e-12)
        path_prob = np.prod(probs[i, np.arange(lengths[i]), path])
        assert math.exp(result.log_prob) == pytest.approx(path_prob, rel=1e-9)


def test_greedy_float32_input_matches_float64() -> None:
    rng = np.random.default_rng(6)
    charset = Charset.preset("36_lowercase")
    logits = rng.normal(0.0, 4.0, (32, 25, charset.num_classes))
    lengths = rng.integers(0, 26, 32)
    wide = greedy_decode(logits, lengths, charset)
    narrow = greedy_decode(logits.astype(np.float32), lengths, charset)
    assert [r.text for r in narrow] == [r.text for r in wide]
    for a, b in zip(narrow, wide, strict=True):
        np.testing.assert_allclose(a.char_confidences, b.char_confidences, rtol=1e-5)
        assert a.log_prob == pytest.approx(b.log_prob, rel=1e-5, abs=1e-5)


def test_confidences_come_from_the_best_alignment() -> None:
    # The greedy path is the best alignment of its own text, so every decoder that returns that
    # text must report the greedy run confidences for it.
    rng = np.random.default_rng(7)
    charset = Charset("abcd")
    logits = rng.normal(0.0, 3.0, (64, 12, charset.num_classes))
    lengths = rng.integers(1, 13, 64)
    greedy = greedy_decode(logits, lengths, charset)
    beams = beam_search(logits, lengths, charset, beam_width=8, top_k=1)
    checked = 0
    for i, (g, b) in enumerate(zip(greedy, beams, strict=True)):
        if g.text and b.text == g.text:
            np.testing.assert_allclose(b.best.char_confidences, g.char_confidences, rtol=1e-12)
            checked += 1
        if g.text:
            (word,) = lexicon_decode(logits[i : i + 1], lengths[i : i + 1], [g.text], charset)
            np.testing.assert_allclose(word.char_confidences, g.char_confidences, rtol=1e-12)
            assert word.confidence == pytest.approx(math.prod(g.char_confidences))
    assert checked > 10


def test_default_candidate_pruning_matches_trying_every_character() -> None:
    rng = np.random.default_rng(1)
    charset = Charset("abcdefghijk")
    logits = rng.normal(0.0, 2.0, (20, 9, charset.num_classes))
    lengths = rng.integers(0, 10, 20)
    full = beam_search(logits, lengths, charset, beam_width=3, top_k=3, max_candidates=11)
    auto = beam_search(logits, lengths, charset, beam_width=3, top_k=3)
    narrow = beam_search(logits, lengths, charset, beam_width=3, top_k=3, max_candidates=1)
    assert [r.candidates for r in auto] == [r.candidates for r in full]
    assert [r.candidates for r in narrow] != [r.candidates for r in full]  # pruning does bite
    # The lossy threshold: nothing is above log(1) = 0, so only the all-blank path survives.
    nothing = beam_search(logits, lengths, charset, beam_width=3, top_k=3, prune_log_prob=0.0)
    blank_only = log_softmax(logits)[:, :, 0] * (np.arange(9) < lengths[:, None])
    assert [r.candidates for r in nothing] == [
        ((("", pytest.approx(s)),)) for s in blank_only.sum(1)
    ]


# --- hand-made cases ---------------------------------------------------------------------------


def test_beam_beats_greedy_when_best_path_is_not_best_string() -> None:
    # Two frames, P(blank) = 0.6 and P(a) = 0.4 each: best path is blank-blank ("" = 0.36), but
    # "a" collects a-a, a-blank and blank-a = 0.16 + 0.24 + 0.24 = 0.64.
    logits = np.log(np.array([[[0.6, 0.4], [0.6, 0.4]]]))
    charset = Charset("a")
    assert greedy_decode(logits, [2], charset)[0].text == ""
    result = beam_search(logits, [2], charset, beam_width=2, top_k=2)[0]
    assert [c.text for c in result.candidates] == ["a", ""]
    np.testing.assert_allclose([c.log_prob for c in result.candidates], np.log([0.64, 0.36]))


def test_double_letters_need_a_blank_between() -> None:
    charset = Charset("lo")
    probs = {"l": [0.05, 0.9, 0.05], "-": [0.9, 0.05, 0.05]}
    l_blank_l = np.log(np.array([[probs["l"], probs["-"], probs["l"]]]))
    l_l_l = np.log(np.array([[probs["l"], probs["l"], probs["l"]]]))
    assert greedy_decode(l_blank_l, [3], charset)[0].text == "ll"
    assert greedy_decode(l_l_l, [3], charset)[0].text == "l"
    assert beam_search(l_blank_l, [3], charset)[0].text == "ll"
    assert beam_search(l_l_l, [3], charset)[0].text == "l"
    # "ll" in 3 frames has exactly one alignment (l, blank, l) and none in 2 frames.
    assert sequence_log_prob(l_blank_l, [3], ["ll"], charset)[0] == pytest.approx(np.log(0.9**3))
    assert sequence_log_prob(l_blank_l, [2], ["ll"], charset)[0] == -math.inf


def test_labels_may_be_texts_or_indices_but_never_blank() -> None:
    rng = np.random.default_rng(2)
    charset = Charset("abc")
    logits, lengths = rng.normal(size=(2, 5, 4)), np.array([5, 4])
    by_text = sequence_log_prob(logits, lengths, ["ab", "cc"], charset)
    by_index = sequence_log_prob(logits, lengths, [[1, 2], [3, 3]], charset)
    np.testing.assert_array_equal(by_text, by_index)
    with pytest.raises(ValueError, match="blank"):
        sequence_log_prob(logits, lengths, [[1, 0], [3]], charset)
    with pytest.raises(ValueError, match="one text per image"):
        sequence_log_prob(logits, lengths, ["a"], charset)


def test_log_softmax_is_normalised_and_stable() -> None:
    logits = np.array([[1000.0, 1001.0, 999.0], [-1e4, 0.0, 5.0]])
    logp = log_softmax(logits)
    np.testing.assert_allclose(np.exp(logp).sum(axis=-1), 1.0)
    np.testing.assert_allclose(logp, log_softmax(logits - 123.0))
    assert np.isfinite(logp).all()


# --- agreement with Keras ----------------------------------------------------------------------


def test_sequence_log_prob_equals_keras_ctc_loss() -> None:
    import os

    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(3)
    charset = Charset("abcdefghijk")
    batch, frames = 16, 20
    logits = rng.normal(0.0, 3.0, (batch, frames, charset.num_classes)).astype(np.float32)
    lengths = rng.integers(10, frames + 1, batch)
    label_lengths = rng.integers(1, 6, batch)
    labels = np.zeros((batch, 5), dtype=np.int32)
    for i, n in enumerate(label_lengths):
        labels[i, :n] = rng.integers(1, charset.num_classes, n)
    loss = keras.ops.ctc_loss(labels, logits, label_lengths, lengths, mask_index=0)
    texts = [labels[i, :n].tolist() for i, n in enumerate(label_lengths)]
    ours = sequence_log_prob(logits, lengths, texts, charset)
    np.testing.assert_allclose(ours, -keras.ops.convert_to_numpy(loss), rtol=1e-5, atol=1e-4)


# --- lexicon -----------------------------------------------------------------------------------


def _random_words(rng: np.random.Generator, alphabet: str, count: int) -> list[str]:
    return ["".join(rng.choice(list(alphabet), rng.integers(1, 7))) for _ in range(count)]


def test_lexicon_decode_is_argmax_of_sequence_log_prob() -> None:
    rng = np.random.default_rng(4)
    charset = Charset("abcde")
    words = _random_words(rng, "abcde", 60)
    logits = np.concatenate(
        [peaky_logits(rng, words[:4], charset, 14), rng.normal(0, 1.5, (4, 14, 6))]
    )
    lengths = np.array([14, 14, 12, 13, 14, 9, 5, 1])
    results = lexicon_decode(logits, lengths, words, charset)
    for i, result in enumerate(results):
        n = len(words)
        scores = sequence_log_prob(
            np.repeat(logits[i : i + 1], n, axis=0), np.full(n, lengths[i]), words, charset
        )
        assert result.text == words[int(scores.argmax())]
        assert result.log_prob == pytest.approx(scores.max(), abs=1e-12)
    assert [r.text for r in results[:4]] == words[:4]


def test_lexicon_trie_equals_exhaustive_search() -> None:
    rng = np.random.default_rng(5)
    charset = Charset("abcdefgh")
    words = _random_words(rng, "abcdefgh", 400)
    lexicon = Lexicon.build(words, charset)
    targets = list(rng.choice(words, 10))
    logits = np.concatenate(
        [peaky_logits(rng, targets, charset, 16), rng.normal(0, 1.0, (10, 16, 9))]
    )
    lengths = rng.integers(0, 17, 20)
    trie = lexicon_decode(logits, lengths, lexicon, charset)
    exhaustive = lexicon_decode(logits, lengths, lexicon, charset, method="exhaustive")
    assert trie == exhaustive
    assert sum(r.text == "" for r in trie) == sum(lengths == 0)


def test_lexicon_skips_unknown_words_and_rejects_unusable_lexicons(
    caplog: pytest.LogCaptureFixture,
) -> None:
    charset = Charset("abc")
    with caplog.at_level(logging.WARNING):
        lexicon = Lexicon.build(["ab", "ab", "xyz", "", "cab", "aB"], charset)
    assert lexicon.words == ("ab", "cab")
    assert lexicon.skipped == 3
    assert "skipped 3 of 6" in caplog.text
    with pytest.raises(ValueError, match="empty"):
        lexicon_decode(np.zeros((1, 3, 4)), [3], [], charset)
    with pytest.raises(ValueError, match="No lexicon word"):
        Lexicon.build(["xyz"], charset)
    with pytest.raises(ValueError, match="rebuild"):
        lexicon_decode(np.zeros((1, 3, 5)), [3], lexicon, Charset("abcd"))


# --- input validation --------------------------------------------------------------------------

DECODERS = {
    "greedy": lambda lg, ln, cs: greedy_decode(lg, ln, cs),
    "beam": lambda lg, ln, cs: beam_search(lg, ln, cs, beam_width=2, top_k=1),
    "sequence": lambda lg, ln, cs: sequence_log_prob(lg, ln, ["a"] * len(np.atleast_1d(ln)), cs),
    "lexicon": lambda lg, ln, cs: lexicon_decode(lg, ln, ["ab"], cs),
}


@pytest.mark.parametrize("decoder", DECODERS.values(), ids=DECODERS.keys())
@pytest.mark.parametrize(
    ("logits_shape", "lengths", "message"),
    [
        ((5, 4), [5], r"\(batch, frames, classes\)"),
        ((1, 5, 4), [6], r"<= frames \(5\)"),
        ((1, 5, 4), [-1], ">= 0"),
        ((2, 5, 4), [5], r"shape \(batch,\)"),
        ((1, 5, 4), [2.5], "integers"),
        ((1, 5, 7), [5], "needs 4"),
    ],
)
def test_bad_inputs_raise_clear_errors(
    decoder: Callable[..., object],
    logits_shape: tuple[int, ...],
    lengths: list[float],
    message: str,
) -> None:
    with pytest.raises(ValueError, match=message):
        decoder(np.zeros(logits_shape), np.array(lengths), Charset("abc"))


def test_beam_search_rejects_bad_settings() -> None:
    logits, charset = np.zeros((1, 3, 4)), Charset("abc")
    with pytest.raises(ValueError, match="top_k"):
        beam_search(logits, [3], charset, beam_width=2, top_k=3)
    with pytest.raises(ValueError, match="beam_width"):
        beam_search(logits, [3], charset, beam_width=0, top_k=1)


@TINY
@given(tiny_problems())
def test_trie_pruning_bound_is_never_below_a_word_it_covers(problem: Problem) -> None:
    from crnn_core.decoding.kernels import extend_prefix, init_root, tail_bounds

    logits, lengths, _ = problem
    logp = log_softmax(logits)
    for i in range(len(logits)):
        length = int(lengths[i])
        tails = tail_bounds(logp[i], length, length)
        for word, log_prob in brute_force(logp[i], length).items():
            b, nb = np.empty((2, length + 1)), np.empty((2, length + 1))
            init_root(logp[i], length, b[0], nb[0])
            for k, char in enumerate(word):  # bound of prefix word[:k+1], covering `word`
                parent = word[k - 1] if k else 0
                row = tails[len(word) - k - 1]
                bound = extend_prefix(
                    logp[i], length, b[k % 2], nb[k % 2], parent, char, b[1 - k % 2],
                    nb[1 - k % 2], row,
                )  # fmt: skip
                assert bound >= log_prob - 1e-9


def test_decode_dispatches_to_each_decoder() -> None:
    logits = np.log(np.array([[[0.6, 0.4], [0.6, 0.4]]]))  # greedy says "", beam says "a"
    charset = Charset("a")
    assert decode(logits, [2], charset).pop().text == ""
    assert decode(logits, [2], charset, decoder="beam", beam_width=2).pop().text == "a"
    assert decode(logits, [2], charset, lexicon=["aa", "a"]).pop().text == "a"
    with pytest.raises(ValueError, match="decoder must be one of"):
        decode(logits, [2], charset, decoder="viterbi")  # type: ignore[arg-type]
