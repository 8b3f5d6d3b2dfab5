"""Forced alignment (``crnn_core.decoding.alignment``) against brute force over every frame path,
and the per-character confidences that now come from the same Viterbi kernel."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from crnn_core.charset import Charset, CharsetError
from crnn_core.decode import greedy_decode, log_softmax, sequence_log_prob
from crnn_core.decoding.alignment import best_alignments, parting_frames
from crnn_core.geometry import frames_needed

TINY = settings(max_examples=80, deadline=None)


def collapse(path: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(c for t, c in enumerate(path) if c and (t == 0 or path[t - 1] != c))


def brute_best_path(logp: np.ndarray, length: int, label: tuple[int, ...]) -> tuple[float, set]:
    """Best log-probability of a frame path collapsing to ``label`` and every path reaching it."""
    best, winners = -np.inf, set()
    for path in itertools.product(range(logp.shape[1]), repeat=length):
        if collapse(path) != label:
            continue
        value = float(logp[np.arange(length), list(path)].sum()) if length else 0.0
        if value > best + 1e-12:
            best, winners = value, {path}
        elif abs(value - best) <= 1e-12:
            winners.add(path)
    return best, winners


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, int, tuple[int, ...], Charset]:
    classes = draw(st.integers(2, 4))
    frames = draw(st.integers(1, 6))
    logits = draw(arrays(np.float64, (1, frames, classes), elements=st.floats(-5, 5)))
    length = draw(st.integers(0, frames))
    label = tuple(draw(st.lists(st.integers(1, classes - 1), max_size=4)))
    return logits, length, label, Charset("abc"[: classes - 1])


@TINY
@given(problems())
def test_best_path_is_the_brute_force_argmax(problem: tuple) -> None:
    logits, length, label, charset = problem
    (found,) = best_alignments(logits, [length], [list(label)], charset)
    logp = log_softmax(logits)[0]
    best, winners = brute_best_path(logp, length, label)
    if best == -np.inf:
        assert not found.fits and found.path == () and found.log_prob == -np.inf
        assert frames_needed(charset.decode(label)) > length
        return
    assert found.fits and frames_needed(charset.decode(label)) <= length
    assert found.path in winners
    assert found.path_log_prob == pytest.approx(best, abs=1e-9)
    exact = sequence_log_prob(logits, [length], [list(label)], charset)[0]
    assert found.log_prob == pytest.approx(exact, abs=1e-12)
    assert found.log_prob >= found.path_log_prob - 1e-12
    assert collapse(found.path) == label
    runs = [j for j in found.char_index if j >= 0]
    assert sorted(set(runs)) == list(range(len(label)))
    assert all(
        (c == 0) == (j == -1) and (j < 0 or label[j] == c)
        for c, j in zip(found.path, found.char_index, strict=True)
    )


def test_greedy_text_aligns_to_the_greedy_path() -> None:
    rng = np.random.default_rng(3)
    charset = Charset("abcd")
    logits = rng.normal(0.0, 3.0, (40, 10, charset.num_classes))
    lengths = np.full(40, 10)
    texts = [g.text for g in greedy_decode(logits, lengths, charset)]
    for i, found in enumerate(best_alignments(logits, lengths, texts, charset)):
        assert found.path == tuple(logits[i].argmax(axis=1).tolist())


def test_too_long_and_unknown_texts() -> None:
    charset = Charset("ab")
    logits = np.zeros((1, 3, charset.num_classes))
    (long,) = best_alignments(logits, [3], ["aab"], charset)  # needs a blank between the a's
    assert frames_needed("aab") == 4 and not long.fits
    (empty,) = best_alignments(logits, [3], [""], charset)
    assert empty.path == (0, 0, 0) and empty.char_index == (-1, -1, -1) and empty.fits
    with pytest.raises(CharsetError):
        best_alignments(logits, [3], ["abc"], charset)


def test_parting_frames() -> None:
    assert parting_frames((0, 1, 1, 0, 2), (0, 1, 2, 0, 2)) == [2]
    assert parting_frames((), ()) == []
    with pytest.raises(ValueError, match="same frames"):
        parting_frames((0,), (0, 1))
