"""Exact log P(text | image) with the CTC forward algorithm (log space, blank = class 0)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from crnn_core.charset import Charset
from crnn_core.decoding.common import Labels, prepare_inputs
from crnn_core.decoding.kernels import label_log_probs

__all__ = ["encode_labels", "sequence_log_prob"]


def encode_labels(
    texts: Labels, charset: Charset
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Texts or index sequences -> ``(labels (n, max_len) zero-padded, label_lengths (n,))``.

    Raises CharsetError (a ValueError) for characters outside the charset and ValueError for
    indices that are not characters (0 is the blank, which a label never contains).
    """
    encoded: list[Sequence[int]] = [
        charset.encode(text) if isinstance(text, str) else text for text in texts
    ]
    label_lengths = np.array([len(label) for label in encoded], dtype=np.int64)
    labels = np.zeros((len(encoded), max(label_lengths, default=0)), dtype=np.int64)
    for row, label in enumerate(encoded):
        labels[row, : len(label)] = label
    if labels.size and (labels.min() < 0 or labels.max() >= charset.num_classes):
        raise ValueError(f"Label indices must be 0 < index < {charset.num_classes}.")
    inside = np.arange(labels.shape[1])[None, :] < label_lengths[:, None]
    if (labels[inside] == 0).any():
        raise ValueError("Label indices must not contain the blank (index 0); characters are 1..N.")
    return labels, label_lengths


def sequence_log_prob(
    logits: npt.ArrayLike, lengths: npt.ArrayLike, texts: Labels, charset: Charset
) -> npt.NDArray[np.float64]:
    """Exact log P(texts[i] | image i), summed over every frame alignment. Shape (batch,).

    logits: (batch, frames, classes) unnormalised; lengths: (batch,) valid frames.
    A text that cannot fit in its frames (each character needs a frame, plus a blank between
    equal neighbours) gets -inf. Equals ``-keras.ops.ctc_loss(..., mask_index=0)``.
    """
    logp, lengths = prepare_inputs(logits, lengths, charset)
    if len(texts) != logp.shape[0]:
        raise ValueError(f"Need one text per image: got {len(texts)} texts for {logp.shape[0]}.")
    labels, label_lengths = encode_labels(texts, charset)
    rows = np.arange(logp.shape[0], dtype=np.int64)
    result: npt.NDArray[np.float64] = label_log_probs(logp, lengths, rows, labels, label_lengths)
    return result
