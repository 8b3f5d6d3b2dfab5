"""A character n-gram language model of English words, for shallow fusion in beam search.

Scene text is mostly words, so a prior over letter sequences resolves what the image leaves
open (CITY vs CTY, STATE vs STATTE) without a closed vocabulary: the LM only re-weights the
beam, so non-words (codes, prices, names) still win whenever the image says so.

The model is case-folded (signs are written in every case; the image decides the case) over 38
symbols: a-z, 0-9, one "other" symbol for punctuation, and a word boundary. It is built from the
same ``wordfreq`` list the synthetic renderer draws from (each word type once), with
interpolated absolute discounting (D = 0.75) down to an add-one unigram, and stored as a dense
table ``log P(symbol | previous order-1 symbols)`` so the numba beam search can look it up.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from crnn_core.charset import Charset

__all__ = ["BOUNDARY", "NUM_SYMBOLS", "CharNgramLM", "english_char_lm", "symbol_of"]

_LETTERS, _DIGITS = string.ascii_lowercase, string.digits
OTHER = len(_LETTERS) + len(_DIGITS)  # 36
BOUNDARY = OTHER + 1  # 37: before the first and after the last character
NUM_SYMBOLS = BOUNDARY + 1
DISCOUNT = 0.75


def symbol_of(ch: str) -> int:
    low = ch.lower()
    if low in _LETTERS and len(low) == 1:
        return _LETTERS.index(low)
    if ch in _DIGITS:
        return len(_LETTERS) + _DIGITS.index(ch)
    return OTHER


@dataclass(frozen=True)
class CharNgramLM:
    """``table[context, symbol]``: float32 log-probs; ``context`` encodes the previous
    ``order - 1`` symbols in base ``NUM_SYMBOLS`` (oldest first), boundary-padded."""

    order: int
    table: np.ndarray

    @property
    def start_context(self) -> int:
        return self.shift_all(BOUNDARY)

    def shift_all(self, symbol: int) -> int:
        context = 0
        for _ in range(self.order - 1):
            context = context * NUM_SYMBOLS + symbol
        return context

    def next_context(self, context: int, symbol: int) -> int:
        return (context % NUM_SYMBOLS ** (self.order - 2)) * NUM_SYMBOLS + symbol

    def class_symbols(self, charset: Charset) -> np.ndarray:
        """LM symbol of every model class (blank: boundary, never looked up)."""
        return np.array([BOUNDARY, *(symbol_of(ch) for ch in charset.characters)], np.int64)

    def log_prob(self, text: str) -> float:
        """log P(text) including the end-of-word boundary (natural log)."""
        context, total = self.start_context, 0.0
        for symbol in [*(symbol_of(ch) for ch in text), BOUNDARY]:
            total += float(self.table[context, symbol])
            context = self.next_context(context, symbol)
        return total

    @classmethod
    def train(cls, words: Iterable[str], order: int = 4) -> CharNgramLM:
        if not 2 <= order <= 4:
            raise ValueError(f"order must be 2, 3 or 4 (a dense table); got {order}.")
        pad = order - 1
        grams: list[list[int]] = []
        for word in words:
            symbols = [BOUNDARY] * pad + [symbol_of(ch) for ch in word] + [BOUNDARY]
            grams.extend(symbols[i - pad : i + 1] for i in range(pad, len(symbols)))
        if not grams:
            raise ValueError("CharNgramLM.train needs at least one word.")
        ngrams = np.array(grams, dtype=np.int64)
        s = NUM_SYMBOLS
        counts = np.bincount(ngrams[:, -1], minlength=s).astype(np.float64)
        probs = (counts + 1.0) / (counts.sum() + s)  # add-one unigram: every symbol possible
        for n in range(2, order + 1):  # interpolate order n on order n - 1
            context = np.zeros(len(ngrams), dtype=np.int64)
            for j in range(order - n + 1, order):
                context = context * s + ngrams[:, j - 1]
            table = np.bincount(context * s + ngrams[:, -1], minlength=s**n).astype(np.float64)
            table = table.reshape(s ** (n - 1), s)
            totals = table.sum(axis=1, keepdims=True)
            distinct = (table > 0).sum(axis=1, keepdims=True)
            lower = np.tile(probs, (s, 1)) if n > 2 else np.broadcast_to(probs, table.shape)
            lower = lower.reshape(table.shape)
            with np.errstate(invalid="ignore", divide="ignore"):
                mixed = (np.maximum(table - DISCOUNT, 0) + DISCOUNT * distinct * lower) / totals
            probs = np.where(totals > 0, mixed, lower)
        return cls(order, np.log(probs).astype(np.float32))


@lru_cache(maxsize=2)
def english_char_lm(order: int = 4, vocabulary: int = 50_000) -> CharNgramLM:
    """The LM of the ``wordfreq`` English vocabulary plus the numbers 0-2099 (signs carry house
    numbers, years and prices; without them every digit would cost ~8 nats). Built in a few
    seconds, then cached."""
    from crnn_core.data.words import english_vocabulary

    numbers = [str(n) for n in range(2100)]
    return CharNgramLM.train([*english_vocabulary(vocabulary), *numbers], order)
