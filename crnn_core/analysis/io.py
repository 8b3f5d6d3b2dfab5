"""Files of an analysis folder and the ragged-array format they use (no pickles anywhere).

Per-image arrays have different lengths (frames) or widths (columns), so each is stored as one
concatenated array plus ``offsets`` (int64, ``n_items + 1``): item ``i`` is
``values[offsets[i]:offsets[i + 1]]`` along the ragged axis. ``np.savez_compressed`` keeps it
small and ``np.load(..., allow_pickle=False)`` reads it safely.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pandas is imported where tables are read or written: the model stage's
    import pandas as pd  # TensorFlow child uses this module and must not load it (~80 MiB)

__all__ = [
    "FILES",
    "FORMAT",
    "READABLE_FORMATS",
    "AnalysisError",
    "RaggedArray",
    "load_ragged",
    "read_json",
    "read_table",
    "save_ragged",
    "write_json",
    "write_table",
]

FORMAT = "crnn-ocr-lab-analysis/2"
"""``summary.json["format"]``; bump when a file or column changes meaning. /2: two clusterings
(``view`` column in clusters/contingency, ``frames.cluster_non_blank``, ``summary["views"]``
with baselines, ``summary["matching_rule"]``)."""
READABLE_FORMATS = ("crnn-ocr-lab-analysis/1", FORMAT)
"""Formats ``load_analysis`` reads; /1 folders load as the ``all`` clustering alone."""

FILES: dict[str, str] = {
    "summary": "summary.json",
    "images": "images.parquet",
    "frames": "frames.parquet",
    "clusters": "clusters.parquet",
    "contingency": "contingency.parquet",
    "confusions": "confusions.parquet",
    "confusion_examples": "confusion_examples.parquet",
    "logits": "logits.npz",
    "pixels": "images.npz",
    "placement": "placement.npz",
}
"""Every file ``run_analysis`` writes, by role; ``load_analysis`` reads the same names."""


class AnalysisError(ValueError):
    """Bad input or a damaged analysis folder; the message says what to do."""


class RaggedArray:
    """Items of different lengths along ``axis``, backed by one array and ``offsets``."""

    def __init__(self, values: np.ndarray, offsets: np.ndarray, axis: int = 0) -> None:
        offsets = np.asarray(offsets, dtype=np.int64)
        if offsets.ndim != 1 or offsets.size == 0 or offsets[0] != 0:
            raise AnalysisError("offsets must be a 1-D array starting at 0 (n_items + 1 entries).")
        if np.any(np.diff(offsets) < 0) or offsets[-1] != values.shape[axis]:
            raise AnalysisError(
                f"offsets must be non-decreasing and end at values.shape[{axis}] = "
                f"{values.shape[axis]}; got last offset {int(offsets[-1])}. The file is corrupt: "
                "re-run `python -m crnn_core analyze`."
            )
        self.values = values
        self.offsets = offsets
        self.axis = axis

    @classmethod
    def from_items(
        cls, items: Sequence[np.ndarray], axis: int = 0, dtype: Any = None
    ) -> RaggedArray:
        """Concatenate ``items`` along ``axis`` (all other dimensions must agree)."""
        if not items:
            raise ValueError("Cannot build a ragged array from zero items.")
        sizes = np.array([item.shape[axis] for item in items], dtype=np.int64)
        values = np.concatenate(items, axis=axis)
        if dtype is not None:
            values = values.astype(dtype, copy=False)
        return cls(values, np.concatenate([[0], np.cumsum(sizes)]), axis)

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def __getitem__(self, i: int) -> np.ndarray:
        if not -len(self) <= i < len(self):
            raise IndexError(f"item {i} out of range for {len(self)} items")
        i %= len(self)
        lo, hi = int(self.offsets[i]), int(self.offsets[i + 1])
        return self.values[(slice(None),) * self.axis + (slice(lo, hi),)]

    def sizes(self) -> np.ndarray:
        """Length of every item along the ragged axis."""
        return np.diff(self.offsets)


def save_ragged(path: str | Path, ragged: RaggedArray) -> None:
    """Write ``values``, ``offsets`` and ``axis`` with ``np.savez_compressed``."""
    np.savez_compressed(
        path, values=ragged.values, offsets=ragged.offsets, axis=np.int64(ragged.axis)
    )


def load_ragged(path: str | Path) -> RaggedArray:
    """Read a file written by ``save_ragged`` (``allow_pickle=False``)."""
    with np.load(path, allow_pickle=False) as data:
        return RaggedArray(data["values"], data["offsets"], int(data["axis"]))


def write_table(frame: pd.DataFrame, path: str | Path) -> None:
    """Parquet (zstd), without the pandas index: every table keeps its ids in columns."""
    frame.to_parquet(path, index=False, compression="zstd")


def read_table(path: str | Path) -> pd.DataFrame:
    import pandas as pd

    return pd.read_parquet(path)


def write_json(data: dict[str, Any], path: str | Path) -> None:
    """Indented JSON; NaN becomes null so any JSON reader accepts the file."""
    Path(path).write_text(json.dumps(_clean(data), indent=2, sort_keys=False) + "\n", "utf-8")


def read_json(path: str | Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(Path(path).read_text("utf-8"))
    return result


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
