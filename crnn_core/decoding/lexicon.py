"""Lexicon-constrained decoding: the word of a list with the highest exact log P(word | image).

The words are compiled once into a prefix trie (``Lexicon.build``). Decoding is a best-first
search over the trie: every node carries the CTC forward variables of its prefix (computed once
from its parent's, so words sharing a prefix share the work) and the probability that the output
*starts with* that prefix, which bounds every word below it. Subtrees whose bound cannot beat the
best word found so far are never expanded, so 50 000+ word lexicons stay fast. The answer is the
same as scoring every word (``method="exhaustive"``), which the tests check.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from numba import njit  # type: ignore[import-untyped]

from crnn_core.charset import Charset
from crnn_core.decoding.common import DecodedText, prepare_inputs
from crnn_core.decoding.forward import encode_labels
from crnn_core.decoding.kernels import (
    NEG_INF,
    alignment_confidences,
    extend_prefix,
    init_root,
    label_log_probs,
    logaddexp,
    tail_bounds,
)

__all__ = ["Lexicon", "lexicon_decode"]

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Lexicon:
    """A word list compiled into a prefix trie for one charset. Build once, decode many batches.

    Trie arrays, node 0 = root; a node's children are ``child_start[n]:child_end[n]``.
    """

    words: tuple[str, ...]  # the usable words, de-duplicated, in input order
    skipped: int  # input words dropped: empty or with characters outside the charset
    charset: Charset
    node_char: IntArray  # class index on the edge into each node (0 for the root)
    node_word: IntArray  # index into ``words`` of the word ending at each node, or -1
    node_height: IntArray  # most characters a word below each node adds to its prefix
    child_start: IntArray
    child_end: IntArray

    @classmethod
    def build(cls, words: Iterable[str], charset: Charset) -> Lexicon:
        words = list(words)
        if not words:
            raise ValueError("The lexicon is empty; pass at least one word.")
        kept = list(dict.fromkeys(w for w in words if charset.can_encode(w)))
        skipped = sum(1 for w in words if not charset.can_encode(w))
        if skipped:
            example = next(w for w in words if not charset.can_encode(w))
            logger.warning(
                "Lexicon: skipped %d of %d words that are empty or use characters outside "
                "charset %r (e.g. %r).", skipped, len(words), charset.name, example,
            )  # fmt: skip
        if not kept:
            raise ValueError(
                f"No lexicon word can be written with charset {charset.name!r}; "
                "check the lexicon file's case and alphabet."
            )
        children: list[dict[int, int]] = [{}]
        chars, word_at = [0], [-1]
        for word_index, word in enumerate(kept):
            node = 0
            for char in charset.encode(word):
                if char not in children[node]:
                    children[node][char] = len(children)
                    children.append({})
                    chars.append(char)
                    word_at.append(-1)
                node = children[node][char]
            word_at[node] = word_index
        # Renumber breadth-first so each node's children get consecutive ids.
        order, starts, ends = [0], [], []
        for old in order:  # `order` grows while we walk it
            starts.append(len(order))
            order.extend(children[old].values())
            ends.append(len(order))
        height = np.zeros(len(order), dtype=np.int64)
        for node in range(len(order) - 1, -1, -1):  # children have larger ids
            for child in range(starts[node], ends[node]):
                height[node] = max(height[node], height[child] + 1)
        return cls(
            words=tuple(kept),
            skipped=skipped,
            charset=charset,
            node_char=np.array(chars, dtype=np.int64)[order],
            node_word=np.array(word_at, dtype=np.int64)[order],
            node_height=height,
            child_start=np.array(starts, dtype=np.int64),
            child_end=np.array(ends, dtype=np.int64),
        )


@njit(cache=True)
def _heap_push(keys: np.ndarray, values: np.ndarray, size: int, key: float, value: int) -> int:
    """Push onto a max-heap held in ``keys``/``values``; returns the new size."""
    i = size
    while i > 0 and keys[(i - 1) // 2] < key:
        keys[i], values[i] = keys[(i - 1) // 2], values[(i - 1) // 2]
        i = (i - 1) // 2
    keys[i], values[i] = key, value
    return size + 1


@njit(cache=True)
def _heap_pop(keys: np.ndarray, values: np.ndarray, size: int) -> tuple[float, int, int]:
    """Pop the largest key; returns ``(key, value, new size)``."""
    top_key, top_value = keys[0], values[0]
    size -= 1
    key, value = keys[size], values[size]
    i = 0
    while 2 * i + 1 < size:
        child = 2 * i + 1
        if child + 1 < size and keys[child + 1] > keys[child]:
            child += 1
        if keys[child] <= key:
            break
        keys[i], values[i] = keys[child], values[child]
        i = child
    keys[i], values[i] = key, value
    return top_key, top_value, size


@njit(cache=True)
def _trie_search(
    logp: np.ndarray,
    lengths: np.ndarray,
    node_char: np.ndarray,
    node_word: np.ndarray,
    node_height: np.ndarray,
    child_start: np.ndarray,
    child_end: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Best word index (-1 if none fits) and its log-prob per image, by best-first trie search."""
    batch, frames, _ = logp.shape
    best_words = np.full(batch, -1, dtype=np.int64)
    best_scores = np.full(batch, NEG_INF)
    heap_key = np.empty(node_char.shape[0])
    heap_slot = np.empty(node_char.shape[0], dtype=np.int64)
    # Pool of forward-variable rows for nodes waiting in the heap; freed rows are reused.
    pool_b, pool_nb = np.empty((64, frames + 1)), np.empty((64, frames + 1))
    slot_node, free = np.empty(64, dtype=np.int64), np.empty(64, dtype=np.int64)
    for item in range(batch):
        lp, length = logp[item], lengths[item]
        init_root(lp, length, pool_b[0], pool_nb[0])
        tails = tail_bounds(lp, length, node_height[0])
        slot_node[0], n_slots, n_free = 0, 1, 0
        heap_size = _heap_push(heap_key, heap_slot, 0, 0.0, 0)
        best, best_word = NEG_INF, -1
        while heap_size > 0:
            bound, slot, heap_size = _heap_pop(heap_key, heap_slot, heap_size)
            if bound <= best:
                break  # the heap is ordered: nothing left can beat `best`
            node = slot_node[slot]
            for child in range(child_start[node], child_end[node]):
                if n_free > 0:
                    n_free -= 1
                    new = free[n_free]
                else:
                    if n_slots == pool_b.shape[0]:
                        pool_b = np.concatenate((pool_b, np.empty_like(pool_b)))
                        pool_nb = np.concatenate((pool_nb, np.empty_like(pool_nb)))
                        slot_node = np.concatenate((slot_node, np.empty_like(slot_node)))
                        free = np.concatenate((free, np.empty_like(free)))
                    new, n_slots = n_slots, n_slots + 1
                bound = extend_prefix(
                    lp, length, pool_b[slot], pool_nb[slot], node_char[node], node_char[child],
                    pool_b[new], pool_nb[new], tails[node_height[child]],
                )  # fmt: skip
                if node_word[child] >= 0:
                    score = logaddexp(pool_b[new, length], pool_nb[new, length])
                    if score > best:
                        best, best_word = score, node_word[child]
                if bound > best and child_start[child] < child_end[child]:
                    slot_node[new] = child
                    heap_size = _heap_push(heap_key, heap_slot, heap_size, bound, new)
                else:
                    free[n_free], n_free = new, n_free + 1
            free[n_free], n_free = slot, n_free + 1
        best_words[item], best_scores[item] = best_word, best
    return best_words, best_scores


def _exhaustive_search(
    logp: npt.NDArray[np.float64], lengths: IntArray, lexicon: Lexicon
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Reference: score every word with the forward algorithm; first maximum wins."""
    labels, label_lengths = encode_labels(lexicon.words, lexicon.charset)
    best_words = np.full(logp.shape[0], -1, dtype=np.int64)
    best_scores = np.full(logp.shape[0], -np.inf)
    for item in range(logp.shape[0]):
        rows = np.full(len(labels), item, dtype=np.int64)
        scores = label_log_probs(logp, lengths, rows, labels, label_lengths)
        if scores.max() > -np.inf:
            best_words[item] = int(scores.argmax())
            best_scores[item] = scores.max()
    return best_words, best_scores


def lexicon_decode(
    logits: npt.ArrayLike,
    lengths: npt.ArrayLike,
    lexicon: Sequence[str] | Lexicon,
    charset: Charset,
    method: Literal["trie", "exhaustive"] = "trie",
) -> list[DecodedText]:
    """The lexicon word with the highest exact log P(word | image), per image.

    logits: (batch, frames, classes) unnormalised; lengths: (batch,) valid frames.
    Pass a prebuilt ``Lexicon`` to reuse its trie across batches. When no word fits in an image's
    frames the result is the empty text with ``log_prob = -inf``.
    """
    if not isinstance(lexicon, Lexicon):
        lexicon = Lexicon.build(lexicon, charset)
    elif lexicon.charset.characters != charset.characters:
        raise ValueError(
            f"Lexicon was built for charset {lexicon.charset.name!r}, not {charset.name!r}; "
            "rebuild it with Lexicon.build(words, charset)."
        )
    logp, lengths = prepare_inputs(logits, lengths, charset)
    if method == "trie":
        words, scores = _trie_search(
            logp, lengths, lexicon.node_char, lexicon.node_word, lexicon.node_height,
            lexicon.child_start, lexicon.child_end,
        )  # fmt: skip
    elif method == "exhaustive":
        words, scores = _exhaustive_search(logp, lengths, lexicon)
    else:
        raise ValueError(f"method must be 'trie' or 'exhaustive'; got {method!r}.")
    texts = [lexicon.words[w] if w >= 0 else "" for w in words]
    labels, label_lengths = encode_labels(texts, charset)
    confidences = alignment_confidences(logp, lengths, labels, label_lengths)
    return [
        DecodedText(
            text=text,
            indices=tuple(labels[i, : label_lengths[i]].tolist()),
            log_prob=float(scores[i]),
            char_confidences=tuple(confidences[i, : label_lengths[i]].tolist()),
        )
        for i, text in enumerate(texts)
    ]
