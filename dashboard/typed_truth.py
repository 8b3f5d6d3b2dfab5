"""A typed truth against the model's reading on the same logits (no Streamlit here).

Both texts are force-aligned with ``crnn_core.decoding.alignment`` (the project's Viterbi and
forward kernels); the frames where the two best paths emit different classes are where the
model "chose" its reading, and their per-frame probabilities say by how much.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crnn_core.analysis.export import class_display
from crnn_core.charset import Charset
from crnn_core.decode import log_softmax
from crnn_core.decoding.alignment import Alignment, best_alignments, parting_frames
from crnn_core.geometry import DOWNSAMPLE, frames_needed

__all__ = ["Comparison", "TypedTextError", "compare", "path_table"]


class TypedTextError(ValueError):
    """The typed text cannot be aligned; the message is meant for the user."""


@dataclass(frozen=True)
class Comparison:
    """``typed`` and ``read`` aligned on the same frames; ``parting`` lists the frames where
    their paths differ; ``note`` says how the typed text was adapted (e.g. lower-cased)."""

    typed_text: str
    read_text: str
    typed: Alignment
    read: Alignment
    parting: pd.DataFrame
    logp: np.ndarray  # (frames, classes) log-softmax of the logits
    note: str = ""


def _usable(typed: str, charset: Charset) -> tuple[str, str]:
    """The typed text as the charset can write it, and a note when it had to be lower-cased."""
    unknown = charset.unknown_characters(typed)
    if not unknown:
        return typed, ""
    folded = typed.lower()
    if not charset.unknown_characters(folded):
        return folded, "This model reads lower case only, so the text was lower-cased."
    shown = " ".join(repr(c) for c in sorted(charset.unknown_characters(folded)))
    raise TypedTextError(
        f"The model cannot write {shown}: its charset has {len(charset.characters)} characters "
        f"({charset.name}). Type only those."
    )


def compare(logits: np.ndarray, read_text: str, typed: str, charset: Charset) -> Comparison:
    """Align ``typed`` and the reading ``read_text`` to one image's ``logits`` (frames, classes).

    Raises ``TypedTextError`` for characters outside the charset or a text too long for the
    image's frames."""
    text, note = _usable(typed.strip(), charset)
    frames = int(logits.shape[0])
    needed = frames_needed(text)
    if needed > frames:
        raise TypedTextError(
            f"{len(text)} characters need at least {needed} frames (one per character, plus a "
            f"blank between doubled letters), but this image gives only {frames} (one per "
            f"{DOWNSAMPLE} columns of the 32-px model input). Type a shorter text or use a wider "
            "crop."
        )
    both = best_alignments(logits[None].repeat(2, axis=0), [frames, frames], [text, read_text],
                           charset)  # fmt: skip
    typed_al, read_al = both
    logp = log_softmax(logits[None])[0]
    table = _parting_table(typed_al, read_al, logp, charset)
    return Comparison(text, read_text, typed_al, read_al, table, logp, note)


def _parting_table(
    typed: Alignment, read: Alignment, logp: np.ndarray, charset: Charset
) -> pd.DataFrame:
    symbols = np.array(class_display(charset), dtype=object)
    ts = np.array(parting_frames(typed.path, read.path), dtype=np.int64)
    a = np.array(typed.path, dtype=np.int64)[ts] if len(ts) else np.zeros(0, np.int64)
    b = np.array(read.path, dtype=np.int64)[ts] if len(ts) else np.zeros(0, np.int64)
    return pd.DataFrame(
        {
            "frame": ts,
            "columns": [f"{DOWNSAMPLE * t}–{DOWNSAMPLE * t + DOWNSAMPLE - 1}" for t in ts],
            "typed emits": symbols[a] if len(ts) else [],
            "P(typed)": np.exp(logp[ts, a]) if len(ts) else [],
            "read emits": symbols[b] if len(ts) else [],
            "P(read)": np.exp(logp[ts, b]) if len(ts) else [],
            "log P(read) − log P(typed)": logp[ts, b] - logp[ts, a] if len(ts) else [],
        }
    )


def path_table(alignment: Alignment, logp: np.ndarray, charset: Charset) -> pd.DataFrame:
    """One row per frame of a path: the class it emits, which character, its probability."""
    symbols = np.array(class_display(charset), dtype=object)
    path = np.array(alignment.path, dtype=np.int64)
    t = np.arange(len(path))
    return pd.DataFrame(
        {
            "frame": t,
            "emits": symbols[path] if len(path) else [],
            "char": list(alignment.char_index),
            "P": np.exp(logp[t, path]) if len(path) else [],
        }
    )


def spans(frames: list[int]) -> list[tuple[int, int]]:
    """Consecutive frames grouped into inclusive ``(first, last)`` runs."""
    runs: list[tuple[int, int]] = []
    for t in frames:
        if runs and runs[-1][1] == t - 1:
            runs[-1] = (runs[-1][0], t)
        else:
            runs.append((t, t))
    return runs
