"""Result types, input validation and log-softmax shared by every CTC decoder (blank = class 0).

Every decoder takes ``logits: (batch, frames, classes)`` *unnormalised* scores and
``lengths: (batch,)`` valid frames per image, and normalises them here, exactly once, in float64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

import numpy as np
import numpy.typing as npt

from crnn_core.charset import Charset

__all__ = [
    "BeamResult",
    "Candidate",
    "DecodedText",
    "Labels",
    "Lengths",
    "LogProbs",
    "log_softmax",
    "prepare_inputs",
    "validate_inputs",
]

LogProbs: TypeAlias = npt.NDArray[np.float64]
"""(batch, frames, classes) natural-log probabilities; each frame's row sums to 1 after ``exp``."""
Lengths: TypeAlias = npt.NDArray[np.int64]
"""(batch,) number of valid frames per image; frames at or after it are padding."""
Labels: TypeAlias = Sequence[str] | Sequence[Sequence[int]]
"""Texts, or class-index sequences (1-based, no blanks), one per batch item."""


@dataclass(frozen=True)
class DecodedText:
    """One decoded word.

    ``log_prob`` is a natural log whose meaning is set by the decoder that made it:
    greedy: log-probability of the single best frame path (a lower bound on log P(text | image));
    beam search: the prefix-beam score (exact when nothing was pruned);
    lexicon: exact log P(text | image) from the CTC forward algorithm.

    ``char_confidences[i]`` is the largest softmax probability of character ``i`` over the frames
    that the most probable alignment of ``text`` assigns to it (for greedy, its argmax run).
    """

    text: str
    indices: tuple[int, ...]
    log_prob: float
    char_confidences: tuple[float, ...]

    @property
    def confidence(self) -> float:
        """Word confidence in [0, 1]: product of ``char_confidences``.

        An empty text has no characters to multiply, so it reports ``exp(log_prob)`` instead.
        """
        if not self.char_confidences:
            return math.exp(self.log_prob)
        return math.prod(self.char_confidences)


class Candidate(NamedTuple):
    """One beam-search hypothesis: its text and natural-log probability."""

    text: str
    log_prob: float


@dataclass(frozen=True)
class BeamResult:
    """Beam-search output for one image: ``candidates`` sorted by ``log_prob``, best first."""

    candidates: tuple[Candidate, ...]
    best: DecodedText

    @property
    def text(self) -> str:
        return self.best.text


def log_softmax(logits: npt.ArrayLike) -> LogProbs:
    """Stable log-softmax over the last axis, computed in float64 (max-shifted, no overflow)."""
    shifted = np.array(logits, dtype=np.float64)
    shifted -= shifted.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def prepare_inputs(
    logits: npt.ArrayLike, lengths: npt.ArrayLike, charset: Charset
) -> tuple[LogProbs, Lengths]:
    """Validate decoder inputs and return ``(log_softmax(logits) in float64, int64 lengths)``."""
    checked, lengths = validate_inputs(logits, lengths, charset)
    return log_softmax(checked), lengths


def validate_inputs(
    logits: npt.ArrayLike, lengths: npt.ArrayLike, charset: Charset
) -> tuple[npt.NDArray[np.floating], Lengths]:
    """Check shapes, dtypes and ranges; return ``(logits, lengths as int64)``, else unchanged."""
    logits = np.asarray(logits)
    lengths = np.asarray(lengths)
    if logits.ndim != 3:
        raise ValueError(
            f"logits must have shape (batch, frames, classes); got shape {logits.shape}. "
            "For a single image pass logits[None] and lengths=[frames]."
        )
    if not np.issubdtype(logits.dtype, np.floating):
        raise ValueError(
            f"logits must be a float array of unnormalised scores; got {logits.dtype}."
        )
    batch, frames, classes = logits.shape
    if classes != charset.num_classes:
        raise ValueError(
            f"logits have {classes} classes but charset {charset.name!r} needs "
            f"{charset.num_classes} ({len(charset.characters)} characters + blank at index 0). "
            "Decode with the charset the model was trained with."
        )
    if lengths.shape != (batch,):
        raise ValueError(
            f"lengths must have shape (batch,) = ({batch},), one frame count per image; "
            f"got shape {lengths.shape}."
        )
    if not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be integers (valid frames per image); got {lengths.dtype}.")
    if batch and lengths.min() < 0:
        raise ValueError(f"lengths must be >= 0; got minimum {int(lengths.min())}.")
    if batch and lengths.max() > frames:
        raise ValueError(
            f"lengths must be <= frames ({frames}), the logits' second axis; "
            f"got maximum {int(lengths.max())}."
        )
    if not np.isfinite(logits).all():
        raise ValueError("logits contain NaN or inf; check the model output before decoding.")
    return logits, lengths.astype(np.int64)
