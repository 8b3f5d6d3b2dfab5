"""Read an analysis folder back: what the dashboard uses (``load_analysis``, ``place_new_frames``).

Tables load eagerly (small); logits, images and the placement index load on first use and are
then kept, so a cached ``Analysis`` answers every later request from memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crnn_core.analysis.clustering import apply_standardize
from crnn_core.analysis.export import class_display, shift_to_max
from crnn_core.analysis.io import (
    FILES,
    FORMAT,
    READABLE_FORMATS,
    AnalysisError,
    RaggedArray,
    load_ragged,
    read_json,
    read_table,
)
from crnn_core.analysis.projection import FramePlacer
from crnn_core.charset import BLANK_INDEX, Charset
from crnn_core.geometry import frame_columns

__all__ = ["Analysis", "assign_clusters", "load_analysis", "place_new_frames"]

HINT = "Re-create it with `python -m crnn_core analyze --data ... --out DIR`."


@dataclass
class Analysis:
    """One analysis folder. Tables are pandas DataFrames (columns documented in ``export``,
    ``matching`` and ``confusion``); ``frames`` row ``i`` is row ``i`` of the stored logits."""

    directory: Path
    summary: dict[str, Any]
    images: pd.DataFrame
    frames: pd.DataFrame
    clusters: pd.DataFrame
    contingency: pd.DataFrame
    confusions: pd.DataFrame
    confusion_examples: pd.DataFrame

    @cached_property
    def charset(self) -> Charset:
        return Charset.from_dict(self.summary["charset"])

    @property
    def class_names(self) -> list[str]:
        """Display string per class index (blank first)."""
        return class_display(self.charset)

    @cached_property
    def _logits(self) -> RaggedArray:
        return _load(self.directory / FILES["logits"])

    @cached_property
    def _pixels(self) -> RaggedArray:
        return _load(self.directory / FILES["pixels"])

    def all_logits(self) -> np.ndarray:
        """Every frame's stored features ``(frames, classes)`` float16 (logits minus frame max)."""
        return self._logits.values

    def logits(self, image_id: int) -> np.ndarray:
        """Image ``image_id``'s features ``(frames, classes)`` float32, decodable as logits."""
        return self._logits[int(image_id)].astype(np.float32)

    def image(self, image_id: int) -> np.ndarray:
        """The model input of ``image_id``: uint8 ``(32, W)``."""
        return self._pixels[int(image_id)]

    def frame_image(self, image_id: int, t: int) -> np.ndarray:
        """Columns ``[4t, 4t + 4)`` (clipped to the width) of the image: uint8 ``(32, <=4)``."""
        start, end = frame_columns(int(t))
        return self.image(image_id)[:, start:end]

    @property
    def views(self) -> list[str]:
        """Clusterings present: ``all``, then ``non_blank`` (own clustering of the non-blank
        frames) when the analysis has it (format /2 with non-blank frames)."""
        found = self.summary.get("views", {})
        return ["all"] + (["non_blank"] if found.get("non_blank", {}).get("k") else [])

    def view_k(self, view: str = "all") -> int:
        """Clusters of clustering ``view``."""
        if view == "all":
            return int(self.summary["k"])
        return int(self.summary.get("views", {}).get(view, {}).get("k", 0))

    def clusters_of(self, view: str = "all") -> pd.DataFrame:
        """Rows of the clusters table for clustering ``view``."""
        return self.clusters[self.clusters["view"] == view].reset_index(drop=True)

    def contingency_matrix(self, view: str = "all") -> pd.DataFrame:
        """Clusters × class display names, frame counts (zeros filled in), of ``view``."""
        cells = self.contingency[self.contingency["view"] == view]
        wide = cells.pivot_table(
            index="cluster", columns="class_index", values="count", aggfunc="sum", fill_value=0
        )
        wide = wide.reindex(
            index=range(self.view_k(view)), columns=range(len(self.class_names)), fill_value=0
        )
        wide.columns = pd.Index(self.class_names, name="char")
        return wide

    @cached_property
    def _placement(self) -> dict[str, np.ndarray]:
        path = self.directory / FILES["placement"]
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}

    def standardize(self, logits: np.ndarray) -> np.ndarray:
        """Raw (or stored) logits ``(frames, classes)`` → the standardized space of the analysis."""
        logits = np.asarray(logits, dtype=np.float32)
        if logits.ndim != 2 or logits.shape[1] != len(self.class_names):
            raise AnalysisError(
                f"Expected logits (frames, {len(self.class_names)}) from the analysed model; got "
                f"{logits.shape}. Was the analysis made with another model?"
            )
        p = self._placement
        return apply_standardize(shift_to_max(logits), p["scaler_mean"], p["scaler_scale"])

    @cached_property
    def placer(self) -> FramePlacer:
        """The reference frames' standardized vectors and UMAP positions, indexed once."""
        p = self._placement
        rows = p["reference_frames"].astype(np.int64)
        reference = apply_standardize(
            self.all_logits()[rows].astype(np.float32), p["scaler_mean"], p["scaler_scale"]
        )
        coords = self.frames[["umap_x", "umap_y"]].to_numpy(np.float64)[rows]
        return FramePlacer(reference, coords, int(p["n_neighbors"]))


def _load(path: Path) -> RaggedArray:
    if not path.is_file():
        raise AnalysisError(f"{path} is missing. {HINT}")
    return load_ragged(path)


def load_analysis(directory: str | Path) -> Analysis:
    """Read the tables and summary of an analysis folder (arrays load lazily)."""
    directory = Path(directory)
    missing = [name for name in FILES.values() if not (directory / name).is_file()]
    if missing:
        raise AnalysisError(
            f"{directory} is not a complete analysis folder: missing {missing}. {HINT}"
        )
    summary = read_json(directory / FILES["summary"])
    if summary.get("format") not in READABLE_FORMATS:
        raise AnalysisError(
            f"{directory} has format {summary.get('format')!r}, expected {FORMAT!r}. {HINT}"
        )
    tables = {
        name: read_table(directory / FILES[name])
        for name in (
            "images",
            "frames",
            "clusters",
            "contingency",
            "confusions",
            "confusion_examples",
        )
    }
    _upgrade_format_1(tables)
    return Analysis(directory, summary, **tables)


def _upgrade_format_1(tables: dict[str, pd.DataFrame]) -> None:
    """Give a /1 folder's tables the /2 columns: its one clustering is the ``all`` view."""
    for name in ("clusters", "contingency"):
        if "view" not in tables[name]:
            tables[name].insert(0, "view", pd.Series(["all"] * len(tables[name]), dtype="string"))
    if "cluster_non_blank" not in tables["frames"]:
        where = tables["frames"].columns.get_loc("cluster") + 1
        tables["frames"].insert(where, "cluster_non_blank", np.int16(-1))


def place_new_frames(analysis: Analysis, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map positions ``(x, y)``, each ``(frames,)`` float32, of new frames' raw logits
    ``(frames, classes)`` (e.g. ``Recognizer.frame_logits(...)[0].logits``). No UMAP call:
    nearest-reference weighting, see ``crnn_core.analysis.projection``."""
    return analysis.placer.place(analysis.standardize(logits))


CENTERS_OF_VIEW = {"all": "centers", "non_blank": "centers_non_blank"}
"""The placement.npz array holding each clustering's KMeans centres."""


def assign_clusters(analysis: Analysis, logits: np.ndarray, view: str = "all") -> np.ndarray:
    """Cluster ids (int16) of new frames' raw logits ``(frames, classes)`` in clustering
    ``view``: the nearest of *that* view's KMeans centres. In ``non_blank`` a frame whose
    greedy label is blank is outside the clustering and gets ``-1``, as in
    ``frames.cluster_non_blank``."""
    if view not in CENTERS_OF_VIEW:
        known = list(CENTERS_OF_VIEW)
        raise AnalysisError(f"Unknown clustering {view!r}; expected one of {known}.")
    features = analysis.standardize(logits)
    centers = analysis._placement.get(CENTERS_OF_VIEW[view])
    out = np.full(features.shape[0], -1, dtype=np.int16)
    inside = np.ones(features.shape[0], bool)
    if view == "non_blank":
        inside = np.asarray(logits).argmax(axis=1) != BLANK_INDEX
    if centers is None or centers.shape[0] == 0 or not inside.any():
        return out
    squared = (centers.astype(np.float64) ** 2).sum(axis=1)
    distances = squared[None, :] - 2.0 * (features[inside] @ centers.T)
    out[inside] = distances.argmin(axis=1)
    return out
