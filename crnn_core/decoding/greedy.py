"""Greedy (best-path) CTC decoding: argmax per frame, merge repeats, drop blanks. Vectorised."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from crnn_core.charset import BLANK_INDEX, Charset
from crnn_core.decoding.common import DecodedText, validate_inputs

__all__ = ["greedy_decode"]


def greedy_decode(
    logits: npt.ArrayLike, lengths: npt.ArrayLike, charset: Charset
) -> list[DecodedText]:
    """Decode the most probable frame path of each image.

    logits: (batch, frames, classes) unnormalised; lengths: (batch,) valid frames.
    ``log_prob`` is the log-probability of that best *path* (sum of the per-frame max log-probs),
    which under-counts the text's probability; use ``sequence_log_prob`` for the exact value.
    ``char_confidences[i]`` is the max softmax probability over the run of frames that emitted
    character ``i``.
    """
    scores, lengths = validate_inputs(logits, lengths, charset)
    batch, frames, _ = scores.shape
    if frames == 0 or batch == 0:
        return [DecodedText("", (), 0.0, ()) for _ in range(batch)]
    # log_softmax evaluated only where it is needed, at each frame's argmax:
    # log p(best) = -log(sum(exp(x - x_best))). Float32 input stays float32 (stable: exponents
    # are <= 0); the full float64 log-softmax would cost most of the time here.
    scores = scores.astype(np.result_type(scores.dtype, np.float32), copy=False)
    best = scores.argmax(axis=-1)
    peak = np.take_along_axis(scores, best[..., None], axis=-1)
    shifted = scores - peak
    best_logp = -np.log(np.exp(shifted, out=shifted).sum(axis=-1, dtype=np.float64))
    valid = np.arange(frames)[None, :] < lengths[:, None]
    path_log_prob = np.where(valid, best_logp, 0.0).sum(axis=1)

    # Runs of equal labels; padding frames get label -1 so they form runs we drop. Every item's
    # frame 0 starts a run, so runs never cross items in the flattened (batch * frames) view.
    labels = np.where(valid, best, -1)
    run_start = np.ones_like(valid)
    run_start[:, 1:] = labels[:, 1:] != labels[:, :-1]
    starts = np.flatnonzero(run_start.ravel())
    run_label = labels.ravel()[starts]
    run_conf = np.exp(np.maximum.reduceat(best_logp.ravel(), starts))
    keep = run_label > BLANK_INDEX
    run_item = starts[keep] // frames
    run_label, run_conf = run_label[keep], run_conf[keep]
    bounds = np.searchsorted(run_item, np.arange(batch + 1))

    characters = ["", *charset.characters]
    all_labels, all_confidences = run_label.tolist(), run_conf.tolist()
    results = []
    for i in range(batch):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        indices = all_labels[lo:hi]
        results.append(
            DecodedText(
                text="".join([characters[c] for c in indices]),
                indices=tuple(indices),
                log_prob=float(path_log_prob[i]),
                char_confidences=tuple(all_confidences[lo:hi]),
            )
        )
    return results
