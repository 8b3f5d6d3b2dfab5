"""CTC prefix beam search in log space (blank = class 0), compiled with numba.

Each prefix keeps two scores: ``pb`` (its frames so far end in blank) and ``pnb`` (they end in its
last character). Only ``pb`` may be extended by the same character again, which is why "ll" needs
a blank between the two l's. Prefixes are nodes of a per-image trie, so two hypotheses that reach
the same text always merge into one node.

Per-frame candidate pruning that changes nothing: if ``c`` is not among the ``beam_width + 1``
most probable characters of a frame, then for any prefix ``p`` at least ``beam_width`` other
extensions ``p + c'`` score at least as high as a new ``p + c`` (at most one ``c'`` repeats the
last character of ``p`` and is handicapped), so ``p + c`` could not enter the beam (up to exact
ties). The one case where ``p + c`` is *not* new, because it is already in the beam, is added
explicitly. So trying ``beam_width + 1`` characters per frame gives the same beams and scores as
trying all of them (tested). ``prune_log_prob`` (skip characters below that per-frame log-prob)
is faster still but lossy.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit  # type: ignore[import-untyped]

from crnn_core.charset import Charset
from crnn_core.decoding.charlm import CharNgramLM
from crnn_core.decoding.common import BeamResult, Candidate, DecodedText, prepare_inputs
from crnn_core.decoding.kernels import NEG_INF, alignment_confidences, logaddexp

__all__ = ["beam_search"]

_HASH_MULTIPLIER = np.uint64(11400714819323198485)  # 2**64 / golden ratio (Fibonacci hashing)


@njit(cache=True)
def _child(
    table: np.ndarray,
    owner: np.ndarray,
    item: int,
    hash_shift: np.uint64,
    node_parent: np.ndarray,
    node_char: np.ndarray,
    n_nodes: int,
    parent: int,
    char: int,
    key: int,
) -> tuple[int, int]:
    """Node id of ``parent + char`` (hash ``key``), created if new. Returns ``(node, n_nodes)``.

    ``table[slot] = (key, node)`` is open addressing; a slot is empty unless ``owner[slot]`` is
    the current item, so the table never needs clearing between images.
    """
    mask = owner.shape[0] - 1
    slot = np.int64((np.uint64(key) * _HASH_MULTIPLIER) >> hash_shift)
    while owner[slot] == item:
        if table[slot, 0] == key:
            return table[slot, 1], n_nodes
        slot = (slot + 1) & mask
    owner[slot] = item
    table[slot, 0] = key
    table[slot, 1] = n_nodes
    node_parent[n_nodes] = parent
    node_char[n_nodes] = char
    return n_nodes, n_nodes + 1


@njit(cache=True)
def _top_indices(
    values: np.ndarray, start: int, stop: int, k: int, threshold: float, out: np.ndarray
) -> int:
    """Indices of the ``k`` largest ``values[start:stop]`` that are >= ``threshold``, written to
    ``out`` best first (earlier index first among ties); returns how many. No allocation, so it
    is cheap to call every frame."""
    n = 0
    for i in range(start, stop):
        v = values[i]
        if v < threshold or (n == k and v <= values[out[n - 1]]):
            continue
        j = min(n, k - 1)  # insertion sort: shift smaller entries down
        while j > 0 and values[out[j - 1]] < v:
            out[j] = out[j - 1]
            j -= 1
        out[j] = i
        n = min(n + 1, k)
    return n


@njit(cache=True)
def _prefix_beam_search(
    logp: np.ndarray,
    lengths: np.ndarray,
    beam_width: int,
    top_k: int,
    prune_log_prob: float,
    max_candidates: int,
    lm_table: np.ndarray,
    class_symbol: np.ndarray,
    lm_weight: float,
    lm_bonus: float,
    lm_start: int,
    lm_shift: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Returns ``(labels (B, top_k, T), label_lengths (B, top_k), scores (B, top_k))``; unused
    candidate rows (fewer hypotheses than ``top_k``) have score -inf.

    Shallow fusion when ``lm_weight != 0``: a prefix ranks by its CTC score plus
    ``lm_weight * log P_LM(prefix) + lm_bonus * len(prefix)`` (and the LM's end-of-word term
    at the end); ``lm_table[context, symbol]``, contexts advance as ``context % lm_shift *
    n_symbols + symbol``."""
    batch, frames, classes = logp.shape
    max_nodes = 1 + frames * beam_width * max_candidates
    table_size = 1
    while table_size < 2 * max_nodes:
        table_size *= 2
    hash_shift = np.uint64(64 - int(np.log2(table_size)))
    table = np.empty((table_size, 2), dtype=np.int64)
    owner = np.full(table_size, -1, dtype=np.int64)
    node_parent = np.empty(max_nodes, dtype=np.int64)
    node_char = np.empty(max_nodes, dtype=np.int64)
    new_pb = np.empty(max_nodes)
    new_pnb = np.empty(max_nodes)
    # Frame stamps (never repeat across images): new_pb/new_pnb are valid, node is in the beam.
    touched_at = np.full(max_nodes, -1, dtype=np.int64)
    beam_at = np.full(max_nodes, -1, dtype=np.int64)
    beam_slot = np.empty(max_nodes, dtype=np.int64)
    touched = np.empty(beam_width * (max_candidates + 1), dtype=np.int64)
    totals = np.empty(touched.shape[0])
    is_candidate = np.zeros(classes, dtype=np.bool_)
    candidates = np.empty(classes, dtype=np.int64)
    n_cand = 0
    keep = np.empty(beam_width, dtype=np.int64)
    beam_node = np.empty(beam_width, dtype=np.int64)
    beam_pb = np.empty(beam_width)
    beam_pnb = np.empty(beam_width)
    out_labels = np.zeros((batch, top_k, frames), dtype=np.int64)
    out_lengths = np.zeros((batch, top_k), dtype=np.int64)
    out_scores = np.full((batch, top_k), NEG_INF)
    stamp = 0
    use_lm = lm_weight != 0.0
    n_symbols = lm_table.shape[1]
    boundary = n_symbols - 1
    node_lm = np.zeros(max_nodes)  # fused LM score of each prefix (0 without an LM)
    node_ctx = np.zeros(max_nodes, dtype=np.int64)

    for item in range(batch):
        node_parent[0], node_char[0], n_nodes = -1, 0, 1  # node 0 = empty prefix
        node_lm[0], node_ctx[0] = 0.0, lm_start
        beam_node[0], beam_pb[0], beam_pnb[0], n_beams = 0, 0.0, NEG_INF, 1
        for t in range(lengths[item]):
            stamp += 1
            lp = logp[item, t]
            # Candidate characters of this frame: the best `max_candidates` above the threshold.
            for k in range(n_cand):
                is_candidate[candidates[k]] = False
            n_cand = _top_indices(lp, 1, classes, max_candidates, prune_log_prob, candidates)
            for k in range(n_cand):
                is_candidate[candidates[k]] = True
            for i in range(n_beams):
                beam_at[beam_node[i]] = stamp
                beam_slot[beam_node[i]] = i
            n_touched = 0
            for i in range(n_beams):
                node, pb, pnb = beam_node[i], beam_pb[i], beam_pnb[i]
                total = logaddexp(pb, pnb)
                last = node_char[node]
                if touched_at[node] != stamp:
                    touched_at[node], new_pb[node], new_pnb[node] = stamp, NEG_INF, NEG_INF
                    touched[n_touched] = node
                    n_touched += 1
                new_pb[node] = logaddexp(new_pb[node], total + lp[0])  # a blank frame
                if last != 0:  # repeat the last character: same prefix
                    new_pnb[node] = logaddexp(new_pnb[node], pnb + lp[last])
                parent = node_parent[node]
                if parent >= 0 and beam_at[parent] == stamp and not is_candidate[last]:
                    # parent + last lands on this node; add it even though `last` was pruned.
                    j = beam_slot[parent]
                    if last == node_char[parent]:
                        src = beam_pb[j]
                    else:
                        src = logaddexp(beam_pb[j], beam_pnb[j])
                    new_pnb[node] = logaddexp(new_pnb[node], src + lp[last])
                for k in range(n_cand):
                    c = candidates[k]
                    before = n_nodes
                    child, n_nodes = _child(
                        table, owner, item, hash_shift, node_parent, node_char, n_nodes,
                        node, c, node * classes + c,
                    )  # fmt: skip
                    if n_nodes != before:
                        node_lm[child] = node_lm[node]
                        node_ctx[child] = node_ctx[node]
                        if use_lm:
                            sym = class_symbol[c]
                            node_lm[child] += lm_weight * lm_table[node_ctx[node], sym] + lm_bonus
                            node_ctx[child] = (node_ctx[node] % lm_shift) * n_symbols + sym
                    if touched_at[child] != stamp:
                        touched_at[child], new_pb[child], new_pnb[child] = stamp, NEG_INF, NEG_INF
                        touched[n_touched] = child
                        n_touched += 1
                    src = pb if c == last else total
                    new_pnb[child] = logaddexp(new_pnb[child], src + lp[c])
            for k in range(n_touched):
                totals[k] = logaddexp(new_pb[touched[k]], new_pnb[touched[k]]) + node_lm[touched[k]]
            n_beams = _top_indices(totals, 0, n_touched, beam_width, NEG_INF, keep)
            for i in range(n_beams):
                node = touched[keep[i]]
                beam_node[i], beam_pb[i], beam_pnb[i] = node, new_pb[node], new_pnb[node]

        for i in range(n_beams):
            totals[i] = logaddexp(beam_pb[i], beam_pnb[i]) + node_lm[beam_node[i]]
            if use_lm:
                totals[i] += lm_weight * lm_table[node_ctx[beam_node[i]], boundary]
        for rank in range(_top_indices(totals, 0, n_beams, top_k, NEG_INF, keep)):
            node = beam_node[keep[rank]]
            out_scores[item, rank] = totals[keep[rank]]
            n = 0
            walk = node
            while walk > 0:
                n += 1
                walk = node_parent[walk]
            out_lengths[item, rank] = n
            for j in range(n - 1, -1, -1):
                out_labels[item, rank, j] = node_char[node]
                node = node_parent[node]
    return out_labels, out_lengths, out_scores


def beam_search(
    logits: npt.ArrayLike,
    lengths: npt.ArrayLike,
    charset: Charset,
    beam_width: int = 10,
    top_k: int = 5,
    prune_log_prob: float | None = None,
    max_candidates: int | None = None,
    lm: CharNgramLM | None = None,
    lm_weight: float = 0.0,
    lm_bonus: float = 0.0,
) -> list[BeamResult]:
    """CTC prefix beam search; ``top_k`` texts per image with log-probabilities, best first.

    With ``lm`` and ``lm_weight > 0`` (shallow fusion) candidates rank by
    ``log P(text | image) + lm_weight * log P_LM(text) + lm_bonus * len(text)`` and their
    ``log_prob`` is that fused score; the pruning argument below then no longer makes the
    search exact. The LM never restricts the output to words.

    logits: (batch, frames, classes) unnormalised; lengths: (batch,) valid frames.
    ``max_candidates``: characters tried per frame; None means ``beam_width + 1``, which gives
    the same result as trying all of them (see module docstring). ``prune_log_prob``: also skip
    characters whose log-prob in a frame is below it (faster, may lose hypotheses); None = off.
    With a beam wider than the number of distinct prefixes the scores are exact log P(text).
    """
    if beam_width < 1:
        raise ValueError(f"beam_width must be >= 1; got {beam_width}.")
    if not 1 <= top_k <= beam_width:
        raise ValueError(f"top_k must be between 1 and beam_width ({beam_width}); got {top_k}.")
    if max_candidates is not None and max_candidates < 1:
        raise ValueError(
            f"max_candidates must be >= 1 or None (= beam_width + 1); got {max_candidates}."
        )
    logp, lengths = prepare_inputs(logits, lengths, charset)
    per_frame = min(beam_width + 1 if max_candidates is None else max_candidates, logp.shape[2] - 1)
    threshold = -math.inf if prune_log_prob is None else float(prune_log_prob)
    if lm_weight < 0 or (lm_weight > 0 and lm is None):
        raise ValueError(f"lm_weight must be >= 0 and needs an lm; got {lm_weight}.")
    # without fusion the kernel gets a 1x1 dummy table and weight 0 (its LM code then idles)
    lm_table, symbols, start, shift = np.zeros((1, 1), np.float32), np.zeros(1, np.int64), 0, 1
    weight, bonus = 0.0, 0.0
    if lm is not None and lm_weight > 0:
        lm_table, symbols, start = lm.table, lm.class_symbols(charset), lm.start_context
        shift = lm.table.shape[0] // lm.table.shape[1]
        weight, bonus = float(lm_weight), float(lm_bonus)
    labels, label_lengths, scores = _prefix_beam_search(
        logp, lengths, beam_width, top_k, threshold, per_frame, lm_table, symbols,
        weight, bonus, start, shift,
    )  # fmt: skip
    confidences = alignment_confidences(logp, lengths, labels[:, 0], label_lengths[:, 0]).tolist()
    characters = ["", *charset.characters]
    results = []
    for rows, ends, row_scores, char_confidences in zip(
        labels.tolist(), label_lengths.tolist(), scores.tolist(), confidences, strict=True
    ):
        indices = [tuple(row[:end]) for row, end in zip(rows, ends, strict=True)]
        texts = ["".join([characters[c] for c in label]) for label in indices]
        candidates = tuple(
            Candidate(text, score)
            for text, score in zip(texts, row_scores, strict=True)
            if score > -math.inf
        )
        best = DecodedText(texts[0], indices[0], row_scores[0], tuple(char_confidences[: ends[0]]))
        results.append(BeamResult(candidates=candidates, best=best))
    return results
