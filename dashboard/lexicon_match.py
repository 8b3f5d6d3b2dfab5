"""The lexicon as a suggestion next to the free reading, with case-insensitive matching.

``Recognizer.decode(..., lexicon=...)`` returns the most probable lexicon word, exactly and
case-sensitively, and always a word, however unlikely ("litter" at 0.0 % for a photo of THE).
Here the user's words are expanded to their usual case variants (as typed, lower, UPPER,
Capitalised) unless case must match, so "centre" finds a "Centre" photo, and both the lexicon
word and the free reading get their exact CTC probability, log P(text | image), from
``crnn_core.decode.sequence_log_prob``, so the page can show them side by side. No Streamlit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from crnn_core.charset import Charset
from crnn_core.decode import sequence_log_prob

if TYPE_CHECKING:  # crnn_core.recognizer imports Keras: not needed to draw a page
    from crnn_core.recognizer import Prediction, Recognizer

__all__ = ["LexiconMatch", "case_variants", "match_lexicon"]


@dataclass(frozen=True)
class LexiconMatch:
    """For one image: the lexicon ``word`` (as the user wrote it), the case variant ``matched``
    that scored best, its ``prediction`` (per-character confidences) and exact ``log_prob``;
    the free ``reading`` and its exact ``reading_log_prob``."""

    word: str
    matched: str
    prediction: Prediction
    log_prob: float
    reading: str
    reading_log_prob: float

    @property
    def probability(self) -> float:
        return math.exp(self.log_prob) if self.log_prob > -math.inf else 0.0

    @property
    def reading_probability(self) -> float:
        return math.exp(self.reading_log_prob) if self.reading_log_prob > -math.inf else 0.0

    @property
    def agrees(self) -> bool:
        """The free reading already is the lexicon word (case as matched)."""
        return self.matched == self.reading


def case_variants(
    words: Sequence[str], charset: Charset, match_case: bool = False
) -> dict[str, str]:
    """``{variant: word}`` for every variant the charset can write (first word wins a clash);
    with ``match_case`` only the words themselves."""
    variants: dict[str, str] = {}
    for word in words:
        forms = [word] if match_case else [word, word.lower(), word.upper(), word.capitalize()]
        for form in forms:
            if form and charset.can_encode(form):
                variants.setdefault(form, word)
    return variants


def _exact_log_prob(logits: np.ndarray, text: str, charset: Charset) -> float:
    if not charset.can_encode(text) and text:
        return -math.inf
    lengths = np.array([logits.shape[0]], dtype=np.int64)
    return float(sequence_log_prob(logits[None], lengths, [text], charset)[0])


def match_lexicon(
    recognizer: Recognizer,
    logits: Sequence[np.ndarray],
    readings: Sequence[str],
    words: Sequence[str],
    match_case: bool = False,
) -> list[LexiconMatch | None] | None:
    """One ``LexiconMatch`` per image (``None`` where no word fits in its frames); ``None`` when
    no lexicon word can be written with the model's characters."""
    variants = case_variants(words, recognizer.charset, match_case)
    if not variants:
        return None
    found = recognizer.decode(list(logits), lexicon=list(variants))
    matches: list[LexiconMatch | None] = []
    for frames, reading, prediction in zip(logits, readings, found, strict=True):
        if not prediction.text:
            matches.append(None)
            continue
        matches.append(
            LexiconMatch(
                word=variants[prediction.text],
                matched=prediction.text,
                prediction=prediction,
                log_prob=_exact_log_prob(frames, prediction.text, recognizer.charset),
                reading=reading,
                reading_log_prob=_exact_log_prob(frames, reading, recognizer.charset),
            )
        )
    return matches
