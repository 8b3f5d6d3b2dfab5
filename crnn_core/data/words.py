"""Words to render: English by (flattened) frequency, plus the non-dictionary strings signs carry.

Scene text is mostly single words, often upper case, with a tail of numbers, prices, codes and
random letter strings. A recognizer trained only on dictionary words learns a language model and
fails on the rest, so ``WordSampler`` mixes sources (weights in ``SOURCE_WEIGHTS``) and case
variants (``CASE_WEIGHTS``). Frequencies are flattened (``rank ** -zipf_exponent``) so rare
words appear too; exponent 0.7 gives a mean word length of ~6 (real crops: 5-6) while the 1000
most common words get only ~29% of the draws. Every sampled word is encodable by the given charset.
"""

from __future__ import annotations

import logging
import re
import string
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from crnn_core.charset import Charset

__all__ = ["CASE_WEIGHTS", "SOURCE_WEIGHTS", "WordSampler", "english_vocabulary"]

log = logging.getLogger(__name__)

SOURCE_WEIGHTS: dict[str, float] = {
    "english": 0.71,
    "english_punct": 0.06,
    "letters": 0.08,
    "number": 0.07,
    "alnum": 0.05,
    "charset_random": 0.03,
}
# Measured on real crops (ICDAR03, IIIT5K labels): ~47% upper, ~25% title, ~20% lower case.
CASE_WEIGHTS: dict[str, float] = {"upper": 0.45, "title": 0.27, "lower": 0.24, "mixed": 0.04}

_WORD_RE = re.compile(r"^[a-z](?:[a-z'\-]*[a-z])?$")
_FALLBACK_WORDS = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "is",
    "you",
    "that",
    "it",
    "for",
    "on",
    "with",
    "as",
    "are",
    "this",
    "be",
    "at",
    "by",
    "from",
    "or",
    "open",
    "sale",
    "street",
    "hotel",
    "park",
    "road",
    "station",
    "exit",
    "stop",
    "bank",
    "police",
    "taxi",
    "pizza",
    "cafe",
    "bar",
    "shop",
    "city",
]
_CURRENCIES = "$£€"


@lru_cache(maxsize=4)
def english_vocabulary(size: int = 50000, max_length: int = 20) -> tuple[str, ...]:
    """Top ``size`` English words from ``wordfreq``, ASCII letters with inner ' or - only."""
    try:
        from wordfreq import top_n_list
    except ImportError:
        log.warning(
            "wordfreq is not installed; using a tiny built-in word list (pip install wordfreq)."
        )
        return tuple(_FALLBACK_WORDS)
    words = [w for w in top_n_list("en", size) if len(w) <= max_length and _WORD_RE.match(w)]
    return tuple(words)


def _cumulative(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    return cdf / cdf[-1]


def _pick(rng: np.random.Generator, cdf: np.ndarray) -> int:
    return int(np.searchsorted(cdf, rng.random(), side="right"))


class WordSampler:
    """Draws words with a caller-supplied ``np.random.Generator`` (no RNG state is kept here,
    so one sampler can be shared between threads)."""

    def __init__(
        self,
        charset: Charset,
        max_length: int = 20,
        zipf_exponent: float = 0.7,
        vocabulary: Sequence[str] | None = None,
        source_weights: dict[str, float] | None = None,
    ) -> None:
        if max_length < 1:
            raise ValueError(f"max_length must be >= 1, got {max_length}.")
        self.charset = charset
        self.max_length = max_length
        chars = set(charset.characters)
        self.has_upper = any(c in chars for c in string.ascii_uppercase)
        self.has_lower = any(c in chars for c in string.ascii_lowercase)
        words = tuple(vocabulary) if vocabulary is not None else english_vocabulary()
        self.words = tuple(w for w in words if 0 < len(w) <= max_length) or tuple(_FALLBACK_WORDS)
        ranks = np.arange(1, len(self.words) + 1, dtype=np.float64)
        self._word_cdf = _cumulative(ranks**-zipf_exponent)
        weights = source_weights or SOURCE_WEIGHTS
        self._sources = list(weights)
        self._source_cdf = _cumulative(list(weights.values()))
        self._case_names = list(CASE_WEIGHTS)
        self._case_cdf = _cumulative(list(CASE_WEIGHTS.values()))

    # ----- sources -------------------------------------------------------------------------
    def _english(self, rng: np.random.Generator) -> str:
        return self.words[min(_pick(rng, self._word_cdf), len(self.words) - 1)]

    def _english_punct(self, rng: np.random.Generator) -> str:
        word = self._english(rng)
        kind = rng.integers(6)
        if kind == 0:
            return word + "'s"
        if kind == 1:
            return word + str(rng.choice(list(".!,:?")))
        if kind == 2:
            return f"{word}-{self._english(rng)}"
        if kind == 3:
            return f"{word[:4]}&{self._english(rng)[:4]}"
        if kind == 4:
            return f"({word})" if rng.random() < 0.5 else f'"{word}"'
        return word[0] + "." if rng.random() < 0.5 else word + "..."

    def _letters(self, rng: np.random.Generator) -> str:
        n = int(rng.integers(1, 13))
        return "".join(rng.choice(list(string.ascii_lowercase), size=n))

    def _number(self, rng: np.random.Generator) -> str:
        kind = rng.integers(7)
        if kind == 0:
            return str(rng.integers(0, 10 ** int(rng.integers(1, 7))))
        if kind == 1:
            cur = _CURRENCIES[int(rng.integers(len(_CURRENCIES)))]
            cents = f".{rng.integers(100):02d}" if rng.random() < 0.6 else ""
            return f"{cur}{rng.integers(1, 1000)}{cents}"
        if kind == 2:
            a, b = rng.integers(100, 1000), rng.integers(1000, 10000)
            return f"{a}-{b}" if rng.random() < 0.7 else f"0{rng.integers(1000, 10000)}{b}"
        if kind == 3:
            return str(rng.integers(1900, 2030))
        if kind == 4:
            return f"{rng.integers(0, 100)}%" if rng.random() < 0.5 else f"{rng.random() * 100:.1f}"
        if kind == 5:
            return f"{rng.integers(0, 24)}:{rng.integers(0, 60):02d}"
        return "".join(str(d) for d in rng.integers(0, 10, size=int(rng.integers(1, 11))))

    def _alnum(self, rng: np.random.Generator) -> str:
        kind = rng.integers(4)
        letters = list(string.ascii_lowercase)
        if kind == 0:  # road / room codes: A12, M25, B4
            return str(rng.choice(letters)) + str(rng.integers(1, 1000))
        if kind == 1:  # ordinals and units: 3rd, 24h, 500ml
            n = rng.integers(1, 1000)
            return f"{n}" + str(
                rng.choice(["st", "nd", "rd", "th", "h", "km", "ml", "kg", "am", "pm"])
            )
        if kind == 2:
            return f"{self._english(rng)[:8]}{rng.integers(1, 100)}"
        pool = list(string.ascii_lowercase + string.digits)
        return "".join(rng.choice(pool, size=int(rng.integers(2, 9))))

    def _charset_random(self, rng: np.random.Generator) -> str:
        n = int(rng.integers(1, 11))
        chars = list(self.charset.characters)
        return "".join(rng.choice(chars, size=n))

    # ----- case and charset ----------------------------------------------------------------
    def _apply_case(self, word: str, rng: np.random.Generator) -> str:
        case = self._case_names[_pick(rng, self._case_cdf)]
        if case == "upper":
            return word.upper()
        if case == "title":
            return word[:1].upper() + word[1:]
        if case == "lower":
            return word
        flips = rng.random(len(word)) < 0.5
        return "".join(c.upper() if f else c for c, f in zip(word, flips, strict=True))

    def _fit_charset(self, word: str) -> str:
        if not self.has_upper and self.has_lower:
            word = word.lower()
        elif not self.has_lower and self.has_upper:
            word = word.upper()
        return "".join(c for c in word if c in self.charset.characters)[: self.max_length]

    def sample(self, rng: np.random.Generator) -> str:
        """One non-empty word, encodable by ``self.charset``, at most ``max_length`` long."""
        for _ in range(20):
            source = self._sources[_pick(rng, self._source_cdf)]
            word = getattr(self, f"_{source}")(rng)
            if source != "charset_random":
                word = self._apply_case(word, rng)
            word = self._fit_charset(word)
            if word:
                return word
        return str(self.charset.characters[int(rng.integers(len(self.charset.characters)))])
