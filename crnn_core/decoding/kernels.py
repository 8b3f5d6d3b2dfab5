"""Numba kernels of the CTC forward algorithm, shared by ``sequence_log_prob`` and the lexicon trie.

The forward variables of a prefix ``p`` (last character ``c``) over frames are kept as two arrays
of length ``frames + 1``; entry ``t + 1`` is the state after frame ``t`` and entry 0 is "before any
frame":
  ``b[t]``  = log P(frames collapse to ``p`` and the last frame is blank),
  ``nb[t]`` = log P(frames collapse to ``p`` and the last frame emits ``c``).
These are the even/odd states of the textbook 2L+1-state lattice, computed one label position at
a time instead of one frame at a time. That order lets a trie share a prefix's variables between
all words that start with it.
"""

from __future__ import annotations

import numpy as np
from numba import njit  # type: ignore[import-untyped]

NEG_INF = -np.inf


@njit(cache=True, inline="always")
def logaddexp(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without overflow; exact when either side is -inf."""
    if a == NEG_INF:
        return b
    if b == NEG_INF:
        return a
    if a > b:
        return a + np.log1p(np.exp(b - a))
    return b + np.log1p(np.exp(a - b))


@njit(cache=True)
def init_root(logp_item: np.ndarray, length: int, out_b: np.ndarray, out_nb: np.ndarray) -> None:
    """Forward variables of the empty prefix: only blanks so far."""
    out_b[0] = 0.0
    out_nb[0] = NEG_INF
    for t in range(length):
        out_b[t + 1] = out_b[t] + logp_item[t, 0]
        out_nb[t + 1] = NEG_INF


@njit(cache=True)
def extend_prefix(
    logp_item: np.ndarray,
    length: int,
    parent_b: np.ndarray,
    parent_nb: np.ndarray,
    parent_char: int,
    char: int,
    out_b: np.ndarray,
    out_nb: np.ndarray,
    tail: np.ndarray,
) -> float:
    """Forward variables of ``prefix + char`` from those of ``prefix`` (last char ``parent_char``).

    Returns a log upper bound on P(output = any word that extends ``prefix + char``): the sum
    over frames ``t`` of P(frame t opens the run of ``char``) times ``exp(tail[t])``, a bound on
    how the remaining frames can finish (``tail = 0`` gives P(output *starts with* the prefix);
    see ``tail_bounds``). Used to prune the lexicon trie.
    """
    out_b[0] = NEG_INF
    out_nb[0] = NEG_INF
    bound = NEG_INF
    for t in range(length):
        # A new run of `char` may follow a blank, or the parent's last character if it differs
        # (equal neighbours would merge, so "ll" needs a blank in between).
        before = parent_b[t] if char == parent_char else logaddexp(parent_b[t], parent_nb[t])
        enter = before + logp_item[t, char]
        bound = logaddexp(bound, enter + tail[t])
        out_nb[t + 1] = logaddexp(out_nb[t] + logp_item[t, char], enter)
        out_b[t + 1] = logaddexp(out_b[t], out_nb[t]) + logp_item[t, 0]
    return bound


@njit(cache=True)
def tail_bounds(logp_item: np.ndarray, length: int, max_more: int) -> np.ndarray:
    """``out[h, t]``: log upper bound on the probability that frames ``t+1..length-1`` finish a
    word with at most ``h`` more characters, given that frame ``t`` emitted a character.

    Relaxation: every character probability is replaced by the frame's largest one, ``m[t]``, so
    any particular finish is at most the sum over frame patterns (repeat, blank, new character)
    with ``r <= h`` new characters. ``in_run[t, r]`` / ``after_blank[t, r]`` sum those patterns
    from frame ``t`` on; capped at 0 because a probability never exceeds 1.
    """
    best_char = np.full(length, NEG_INF)
    for t in range(length):
        best_char[t] = np.max(logp_item[t, 1:])
    in_run = np.full((length + 1, max_more + 1), NEG_INF)
    after_blank = np.full((length + 1, max_more + 1), NEG_INF)
    in_run[length, 0] = after_blank[length, 0] = 0.0
    for t in range(length - 1, -1, -1):
        blank, char = logp_item[t, 0], best_char[t]
        for r in range(max_more + 1):
            stay = logaddexp(char + in_run[t + 1, r], blank + after_blank[t + 1, r])
            pause = blank + after_blank[t + 1, r]
            if r > 0:
                stay = logaddexp(stay, char + in_run[t + 1, r - 1])
                pause = logaddexp(pause, char + in_run[t + 1, r - 1])
            in_run[t, r], after_blank[t, r] = stay, pause
    out = np.empty((max_more + 1, max(length, 1)))
    for t in range(length):
        running = NEG_INF
        for h in range(max_more + 1):
            running = max(running, in_run[t + 1, h])
            out[h, t] = min(running, 0.0)
    return out


@njit(cache=True)
def label_log_probs(
    logp: np.ndarray,
    lengths: np.ndarray,
    item_of_row: np.ndarray,
    labels: np.ndarray,
    label_lengths: np.ndarray,
) -> np.ndarray:
    """Exact log P(label | image) for each row: ``labels[r, :label_lengths[r]]`` on image
    ``item_of_row[r]``. Impossible labels (too long for the frames) get -inf."""
    rows = labels.shape[0]
    frames = logp.shape[1]
    out = np.empty(rows)
    b = np.empty((2, frames + 1))
    nb = np.empty((2, frames + 1))
    no_tail = np.zeros(frames)
    for r in range(rows):
        item = item_of_row[r]
        length = lengths[item]
        init_root(logp[item], length, b[0], nb[0])
        prev_char = 0
        for j in range(label_lengths[r]):
            src, dst = j % 2, (j + 1) % 2
            char = labels[r, j]
            extend_prefix(
                logp[item], length, b[src], nb[src], prev_char, char, b[dst], nb[dst], no_tail
            )
            prev_char = char
        last = label_lengths[r] % 2
        out[r] = logaddexp(b[last, length], nb[last, length])
    return out


@njit(cache=True)
def viterbi_path(
    logp_item: np.ndarray, length: int, label: np.ndarray, out_path: np.ndarray
) -> float:
    """The most probable frame path of ``label`` over the first ``length`` frames.

    Writes the class of every frame (0 = blank) into ``out_path[:length]`` and returns the
    path's log-probability, -inf (``out_path`` then undefined) when the label cannot fit.
    Ties keep the earlier state (stay, then one step, then a skip over a blank), so the same
    logits always give the same path.
    """
    n = label.shape[0]
    if length == 0:
        return 0.0 if n == 0 else NEG_INF
    states = 2 * n + 1  # blank, c1, blank, c2, ..., cn, blank
    ext = np.zeros(states, dtype=np.int64)
    for j in range(n):
        ext[2 * j + 1] = label[j]
    score = np.full(states, NEG_INF)
    back = np.zeros((length, states), dtype=np.int8)  # how many states back we came from
    score[0] = logp_item[0, 0]
    if states > 1:
        score[1] = logp_item[0, ext[1]]
    for t in range(1, length):
        prev = score.copy()
        for s in range(states):
            best, step = prev[s], 0
            if s >= 1 and prev[s - 1] > best:
                best, step = prev[s - 1], 1
            if s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2] and prev[s - 2] > best:
                best, step = prev[s - 2], 2
            score[s] = best + logp_item[t, ext[s]]
            back[t, s] = step
    s = states - 1
    if states > 1 and score[states - 2] > score[states - 1]:
        s = states - 2
    total = score[s]
    if total == NEG_INF:
        return NEG_INF
    for t in range(length - 1, -1, -1):
        out_path[t] = ext[s]
        s -= back[t, s]
    return total


@njit(cache=True)
def alignment_confidences(
    logp: np.ndarray, lengths: np.ndarray, labels: np.ndarray, label_lengths: np.ndarray
) -> np.ndarray:
    """Per-character confidence from the most probable (Viterbi) alignment of each label.

    ``out[i, j]`` = max softmax probability of character ``j`` over the frames its best alignment
    gives it; 0 where the label cannot fit in the frames. Shape ``(batch, max label length)``.
    """
    batch = labels.shape[0]
    out = np.zeros((batch, labels.shape[1]))
    path = np.zeros(logp.shape[1], dtype=np.int64)
    for i in range(batch):
        length, n = lengths[i], label_lengths[i]
        if n == 0 or length == 0:
            continue
        if viterbi_path(logp[i], length, labels[i, :n], path) == NEG_INF:
            continue
        j = -1
        for t in range(length):
            c = path[t]
            if c == 0:
                continue
            if t == 0 or path[t - 1] != c:
                j += 1  # a new run: equal neighbours are one character (repeats need a blank)
            out[i, j] = max(out[i, j], np.exp(logp[i, t, c]))
    return out
