"""Forced alignment: the most probable frame path of a given text, and where two paths part.

Answers "why did the model read X and not Y?": align both texts to the same logits, compare
their exact log P(text | image) (forward algorithm) and look at the frames where their best
(Viterbi) paths emit different classes. Same kernels as ``sequence_log_prob`` and the
per-character confidences (``crnn_core.decoding.kernels``), so there is one CTC implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from crnn_core.charset import Charset
from crnn_core.decoding.common import Labels, prepare_inputs
from crnn_core.decoding.forward import encode_labels
from crnn_core.decoding.kernels import label_log_probs, viterbi_path

__all__ = ["Alignment", "best_alignments", "parting_frames"]


@dataclass(frozen=True)
class Alignment:
    """The best frame path of one text on one image.

    ``path[t]`` is the class frame ``t`` emits (0 = blank) and ``char_index[t]`` which character
    of the text it belongs to (-1 for a blank). ``log_prob`` is the exact log P(text | image),
    summed over every path; ``path_log_prob`` is the log-probability of ``path`` alone. When
    the text cannot fit in the frames both are -inf and the paths are empty.
    """

    indices: tuple[int, ...]
    log_prob: float
    path_log_prob: float
    path: tuple[int, ...]
    char_index: tuple[int, ...]

    @property
    def fits(self) -> bool:
        return self.path_log_prob > -np.inf


def _char_index(path: npt.NDArray[np.int64]) -> tuple[int, ...]:
    out, j = [], -1
    for t, c in enumerate(path.tolist()):
        if c and (t == 0 or path[t - 1] != c):
            j += 1
        out.append(j if c else -1)
    return tuple(out)


def best_alignments(
    logits: npt.ArrayLike, lengths: npt.ArrayLike, texts: Labels, charset: Charset
) -> list[Alignment]:
    """The Viterbi path and exact log-probability of ``texts[i]`` on image ``i``.

    logits: (batch, frames, classes) unnormalised; lengths: (batch,) valid frames. Raises
    CharsetError (a ValueError) for characters outside the charset.
    """
    logp, lengths = prepare_inputs(logits, lengths, charset)
    if len(texts) != logp.shape[0]:
        raise ValueError(f"Need one text per image: got {len(texts)} texts for {logp.shape[0]}.")
    labels, label_lengths = encode_labels(texts, charset)
    rows = np.arange(logp.shape[0], dtype=np.int64)
    totals = label_log_probs(logp, lengths, rows, labels, label_lengths)
    path = np.zeros(logp.shape[1], dtype=np.int64)
    out = []
    for i in range(logp.shape[0]):
        length, label = int(lengths[i]), labels[i, : label_lengths[i]]
        best = float(viterbi_path(logp[i], length, label, path))
        found = path[:length].copy() if best > -np.inf else np.zeros(0, dtype=np.int64)
        out.append(
            Alignment(
                indices=tuple(label.tolist()),
                log_prob=float(totals[i]),
                path_log_prob=best,
                path=tuple(found.tolist()),
                char_index=_char_index(found),
            )
        )
    return out


def parting_frames(a: Sequence[int], b: Sequence[int]) -> list[int]:
    """Frames where two paths over the same frames emit different classes."""
    if len(a) != len(b):
        raise ValueError(f"Paths must cover the same frames; got {len(a)} and {len(b)}.")
    return [t for t, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
