"""Per-frame features and tables from model outputs: what every later stage and the dashboard read.

Stored features are the logits shifted so each frame's maximum is 0 (``logits - max``), in float16.
Why shift: softmax, every CTC decoder and the frame's prediction are unchanged by a per-frame
constant, and the constant itself is a direction the CTC loss never constrains (noise for
clustering). Why it matters for float16: near 0 float16 has sub-1e-7 resolution, so every value
below the maximum stays strictly negative and the per-frame argmax (hence the greedy text) is
preserved exactly; ``to_float16_argmax_exact`` repairs the only remaining case (exact ties after
rounding) and ``greedy_mismatches`` proves it on every export.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crnn_core.analysis.io import RaggedArray
from crnn_core.charset import BLANK_INDEX, Charset, acc36_normalize
from crnn_core.decoding.greedy import greedy_decode
from crnn_core.preprocess import DOWNSAMPLE

__all__ = [
    "BLANK_DISPLAY",
    "FRAME_COLUMNS",
    "IMAGE_COLUMNS",
    "class_display",
    "frame_statistics",
    "frames_table",
    "greedy_mismatches",
    "greedy_texts",
    "images_table",
    "shift_to_max",
    "stored_features",
    "stored_greedy_mismatches",
    "to_float16_argmax_exact",
]

BLANK_DISPLAY = "∅"
"""How the CTC blank (class 0) is shown in tables; no charset contains it."""

IMAGE_COLUMNS = (
    "image_id", "source", "key", "truth", "greedy_text", "beam_text",
    "greedy_correct_acc36", "greedy_correct_case", "beam_correct_acc36", "beam_correct_case",
    "greedy_confidence", "beam_confidence", "width", "n_frames", "frame_start",
)  # fmt: skip
FRAME_COLUMNS = (
    "frame_id", "image_id", "t", "col_start", "col_end", "greedy_class", "greedy_char",
    "top2_class", "top2_char", "max_prob", "margin", "entropy", "blank_prob",
    "cluster", "cluster_non_blank", "umap_x", "umap_y",
)  # fmt: skip


def class_display(charset: Charset) -> list[str]:
    """Display string of every class index: the blank symbol, then the characters."""
    return [BLANK_DISPLAY, *charset.characters]


def shift_to_max(logits: np.ndarray) -> np.ndarray:
    """``logits - max`` per frame (last axis), float32; softmax-invariant, maximum exactly 0."""
    values = np.asarray(logits, dtype=np.float32)
    return values - values.max(axis=-1, keepdims=True)


def to_float16_argmax_exact(shifted: np.ndarray) -> tuple[np.ndarray, int]:
    """float16 copy of max-shifted features ``(frames, classes)`` with the same per-frame argmax.

    Returns ``(values, repaired)``: ``repaired`` frames had a value rounded up to a tie with the
    maximum; it is lowered to the smallest negative float16 (-6e-8), which changes no probability
    visibly but keeps ``argmax`` (first maximum wins) equal to the float32 one.
    """
    half = shifted.astype(np.float16)
    want = shifted.argmax(axis=-1)
    bad = np.flatnonzero(half.argmax(axis=-1) != want)
    tiny = np.float16(-(2.0**-24))
    for row in bad:
        ties = half[row] >= half[row, want[row]]
        ties[want[row]] = False
        half[row, ties] = tiny
    return half, int(bad.size)


def stored_features(logits: RaggedArray, chunk: int = 16384) -> tuple[RaggedArray, int]:
    """The stored float16 features of raw ``logits`` (e.g. memory-mapped), ``chunk`` frames at a
    time, so the float32 logits are never all in memory; ``(features, repaired frames)``."""
    values = logits.values
    half = np.empty(values.shape, np.float16)
    repaired = 0
    for lo in range(0, values.shape[0], chunk):
        block = shift_to_max(values[lo : lo + chunk])
        half[lo : lo + chunk], fixed = to_float16_argmax_exact(block)
        repaired += fixed
    return RaggedArray(half, logits.offsets), repaired


def _pad(items: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.array([item.shape[0] for item in items], dtype=np.int64)
    padded = np.zeros((len(items), max(int(lengths.max()), 1), items[0].shape[1]), np.float32)
    for i, item in enumerate(items):
        padded[i, : item.shape[0]] = item
    return padded, lengths


def greedy_texts(logits: Sequence[np.ndarray], charset: Charset, chunk: int = 512) -> list[str]:
    """Greedy CTC texts of per-image logits ``(frames_i, classes)`` (any float dtype)."""
    texts: list[str] = []
    for start in range(0, len(logits), chunk):
        padded, lengths = _pad(logits[start : start + chunk])
        texts.extend(d.text for d in greedy_decode(padded, lengths, charset))
    return texts


def greedy_mismatches(original: Sequence[np.ndarray], stored: RaggedArray, charset: Charset) -> int:
    """Images whose greedy text from the stored float16 features differs from the float32 one."""
    before = greedy_texts(original, charset)
    after = greedy_texts([stored[i] for i in range(len(stored))], charset)
    return sum(a != b for a, b in zip(before, after, strict=True))


def stored_greedy_mismatches(stored: RaggedArray, texts: Sequence[str], charset: Charset) -> int:
    """Images whose greedy text from the stored features differs from ``texts`` (the model
    stage's greedy texts of the float32 logits)."""
    chunk, mismatches = 512, 0
    for lo in range(0, len(stored), chunk):
        items = [stored[i] for i in range(lo, min(lo + chunk, len(stored)))]
        found = greedy_texts(items, charset, chunk)
        mismatches += sum(a != b for a, b in zip(found, texts[lo : lo + chunk], strict=True))
    return mismatches


def frame_statistics(values: np.ndarray, chunk: int = 8192) -> dict[str, np.ndarray]:
    """Per-frame softmax statistics of features ``(frames, classes)`` (logits, shifted or not).

    ``greedy_class``/``top2_class``: best and second-best class (blank included); ``max_prob``;
    ``margin`` = p1 - p2; ``entropy`` in nats; ``blank_prob`` = p(class 0). Computed in float64,
    ``chunk`` frames at a time (8192: ~30 MiB of temporaries; 65536 took ~240 MiB at 81k frames).
    """
    n = values.shape[0]
    out: dict[str, np.ndarray] = {
        "greedy_class": np.empty(n, np.int16),
        "top2_class": np.empty(n, np.int16),
        "max_prob": np.empty(n, np.float32),
        "margin": np.empty(n, np.float32),
        "entropy": np.empty(n, np.float32),
        "blank_prob": np.empty(n, np.float32),
    }
    for lo in range(0, n, chunk):
        block = np.asarray(values[lo : lo + chunk], dtype=np.float64)
        block = block - block.max(axis=1, keepdims=True)
        prob = np.exp(block)
        prob /= prob.sum(axis=1, keepdims=True)
        top = np.argsort(-prob, axis=1, kind="stable")[:, :2]
        rows = np.arange(prob.shape[0])
        p1, p2 = prob[rows, top[:, 0]], prob[rows, top[:, 1]]
        sl = slice(lo, lo + prob.shape[0])
        out["greedy_class"][sl] = top[:, 0]
        out["top2_class"][sl] = top[:, 1]
        out["max_prob"][sl] = p1
        out["margin"][sl] = p1 - p2
        out["entropy"][sl] = -(prob * np.log(np.maximum(prob, 1e-300))).sum(axis=1)
        out["blank_prob"][sl] = prob[:, BLANK_INDEX]
    return out


def frames_table(features: RaggedArray, widths: np.ndarray, charset: Charset) -> pd.DataFrame:
    """One row per valid frame, ordered by (image_id, t); row ``i`` is row ``i`` of the features.

    ``col_start``/``col_end``: the columns ``[4t, 4t+4)`` of the stored model-input image that the
    frame covers, ``col_end`` clipped to the image width (the rest was zero padding).
    """
    sizes = features.sizes()
    image_id = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    t = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(features.offsets[:-1], sizes)
    stats = frame_statistics(features.values)
    labels = np.array(class_display(charset), dtype=object)
    col_start = (t * DOWNSAMPLE).astype(np.int32)
    col_end = np.minimum(col_start + DOWNSAMPLE, np.repeat(widths, sizes)).astype(np.int32)
    table = pd.DataFrame(
        {
            "frame_id": np.arange(t.size, dtype=np.int32),
            "image_id": image_id,
            "t": t.astype(np.int32),
            "col_start": col_start,
            "col_end": col_end,
            "greedy_class": stats["greedy_class"],
            "greedy_char": labels[stats["greedy_class"]],
            "top2_class": stats["top2_class"],
            "top2_char": labels[stats["top2_class"]],
            "max_prob": stats["max_prob"],
            "margin": stats["margin"],
            "entropy": stats["entropy"],
            "blank_prob": stats["blank_prob"],
            "cluster": np.full(t.size, -1, np.int16),
            "cluster_non_blank": np.full(t.size, -1, np.int16),
            "umap_x": np.full(t.size, np.nan, np.float32),
            "umap_y": np.full(t.size, np.nan, np.float32),
        }
    )
    for name in ("greedy_char", "top2_char"):
        table[name] = table[name].astype("string")
    return table


def _correct(predicted: Sequence[str], truths: Sequence[str | None], acc36: bool) -> pd.Series:
    flags: list[bool | None] = []
    for text, truth in zip(predicted, truths, strict=True):
        if truth is None:
            flags.append(None)
        elif acc36:
            target = acc36_normalize(truth)
            flags.append(acc36_normalize(text) == target if target else None)
        else:
            flags.append(text == truth)
    return pd.Series(flags, dtype="boolean")


def images_table(
    sources: Sequence[str],
    keys: Sequence[str],
    truths: Sequence[str | None],
    greedy: Sequence[tuple[str, float]],
    beam: Sequence[tuple[str, float]],
    widths: np.ndarray,
    frame_offsets: np.ndarray,
) -> pd.DataFrame:
    """One row per image. ``*_correct_acc36`` is null when there is no truth or the truth has no
    ``[0-9a-z]`` character (the acc36 protocol cannot score it); ``*_confidence`` in [0, 1]."""
    greedy_text = [text for text, _ in greedy]
    beam_text = [text for text, _ in beam]
    return pd.DataFrame(
        {
            "image_id": np.arange(len(keys), dtype=np.int32),
            "source": pd.Series(sources, dtype="string"),
            "key": pd.Series(keys, dtype="string"),
            "truth": pd.Series(truths, dtype="string"),
            "greedy_text": pd.Series(greedy_text, dtype="string"),
            "beam_text": pd.Series(beam_text, dtype="string"),
            "greedy_correct_acc36": _correct(greedy_text, truths, acc36=True),
            "greedy_correct_case": _correct(greedy_text, truths, acc36=False),
            "beam_correct_acc36": _correct(beam_text, truths, acc36=True),
            "beam_correct_case": _correct(beam_text, truths, acc36=False),
            "greedy_confidence": np.array([c for _, c in greedy], np.float32),
            "beam_confidence": np.array([c for _, c in beam], np.float32),
            "width": np.asarray(widths, np.int32),
            "n_frames": np.diff(frame_offsets).astype(np.int32),
            "frame_start": np.asarray(frame_offsets[:-1], np.int64),
        }
    )
