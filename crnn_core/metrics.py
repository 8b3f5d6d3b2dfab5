"""Word-recognition metrics under the protocols the literature reports (CRNN, clovaai, PARSeq).

Every function takes a sequence of ``(prediction, truth)`` pairs and returns a fraction in [0, 1]
(``nan`` when nothing can be scored, so an empty dataset never looks like 0 % or 100 %).

- ``acc36``: exact match after ``acc36_normalize`` on both sides (lower-case, keep ``[0-9a-z]``).
  Truths that normalise to ``""`` (e.g. ``"&"``, ``"!!"``) are *excluded*: the 36-character
  protocol cannot score them, and PARSeq drops such labels from its test sets too. How many were
  excluded is reported (``RecognitionScores.n_excluded``), never hidden.
- ``acc_case``: case-sensitive exact match of the raw strings, every pair counted.
- ``one_minus_ned``: mean of ``1 - lev(p, t) / max(len(p), len(t))`` (PARSeq / ICDAR 2019).
- ``cer``: total edit distance / total truth characters (corpus-level, so long words weigh more).

``one_minus_ned`` and ``cer`` accept ``normalize``; ``score`` computes both under the acc36
protocol (same normalisation and exclusions as ``acc36``), as PARSeq computes 1 - NED on the same
strings as its accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

from rapidfuzz.distance import Levenshtein

from crnn_core.charset import acc36_normalize

__all__ = [
    "Pair",
    "RecognitionScores",
    "acc36",
    "acc36_pairs",
    "acc_case",
    "cer",
    "edit_distance",
    "one_minus_ned",
    "score",
]

Pair = tuple[str, str]
"""``(prediction, truth)``."""

Normalizer = Callable[[str], str]


def edit_distance(prediction: str, truth: str) -> int:
    """Levenshtein distance (unit costs for insertion, deletion, substitution)."""
    return int(Levenshtein.distance(prediction, truth))


def _normalized(pairs: Sequence[Pair], normalize: Normalizer | None) -> list[Pair]:
    if normalize is None:
        return list(pairs)
    return [(normalize(p), normalize(t)) for p, t in pairs]


def acc36_pairs(pairs: Sequence[Pair]) -> tuple[list[Pair], int]:
    """Pairs normalised with ``acc36_normalize``, minus those whose truth becomes empty.

    Returns the scorable pairs and the number excluded.
    """
    normalised = _normalized(pairs, acc36_normalize)
    kept = [(p, t) for p, t in normalised if t]
    return kept, len(normalised) - len(kept)


def _exact(pairs: Sequence[Pair]) -> float:
    return sum(p == t for p, t in pairs) / len(pairs) if pairs else math.nan


def acc36(pairs: Sequence[Pair]) -> float:
    """Exact match after acc36 normalisation; truths normalising to ``""`` are excluded."""
    kept, _ = acc36_pairs(pairs)
    return _exact(kept)


def acc_case(pairs: Sequence[Pair]) -> float:
    """Case-sensitive exact match of the raw strings."""
    return _exact(pairs)


def one_minus_ned(pairs: Sequence[Pair], normalize: Normalizer | None = None) -> float:
    """Mean ``1 - lev(p, t) / max(len(p), len(t))``; two empty strings count as a match."""
    normalised = _normalized(pairs, normalize)
    if not normalised:
        return math.nan
    total = 0.0
    for p, t in normalised:
        longest = max(len(p), len(t))
        total += 1.0 - (edit_distance(p, t) / longest if longest else 0.0)
    return total / len(normalised)


def cer(pairs: Sequence[Pair], normalize: Normalizer | None = None) -> float:
    """Character error rate: summed edit distance / summed truth length (may exceed 1)."""
    normalised = _normalized(pairs, normalize)
    chars = sum(len(t) for _, t in normalised)
    if not chars:
        return math.nan
    return sum(edit_distance(p, t) for p, t in normalised) / chars


@dataclass(frozen=True)
class RecognitionScores:
    """Scores of one dataset (or a combination). Rates are fractions in [0, 1]; ``nan`` if n = 0.

    n: pairs scored for ``acc_case``; n_excluded: pairs excluded from the acc36 protocol
    (``acc36``, ``one_minus_ned`` and ``cer`` use ``n - n_excluded`` pairs);
    mean_confidence: mean of the recognizer's word confidences; ms_per_word: recognizer time
    (milliseconds) divided by n.
    """

    n: int
    acc36: float
    acc_case: float
    one_minus_ned: float
    cer: float
    mean_confidence: float
    ms_per_word: float
    n_excluded: int = 0

    def to_dict(self) -> dict[str, float | int | None]:
        """JSON-safe: ``nan`` becomes ``None``."""
        return {
            k: None if isinstance(v, float) and math.isnan(v) else v
            for k, v in asdict(self).items()
        }


def score(
    pairs: Sequence[Pair],
    confidences: Sequence[float] | None = None,
    seconds: float = math.nan,
) -> RecognitionScores:
    """All metrics of one dataset; ``seconds`` is the time spent inside the recognizer."""
    if confidences is not None and len(confidences) != len(pairs):
        raise ValueError(f"Got {len(confidences)} confidences for {len(pairs)} predictions.")
    kept, excluded = acc36_pairs(pairs)
    n = len(pairs)
    mean_conf = math.fsum(confidences) / n if confidences is not None and n else math.nan
    return RecognitionScores(
        n=n,
        acc36=_exact(kept),
        acc_case=acc_case(pairs),
        one_minus_ned=one_minus_ned(kept),
        cer=cer(kept),
        mean_confidence=mean_conf,
        ms_per_word=seconds * 1000.0 / n if n else math.nan,
        n_excluded=excluded,
    )
