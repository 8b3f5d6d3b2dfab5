"""A read-only view over ``crnn_core.analysis.load_analysis(dir)`` in the pages' column names.

The analysis tables are documented in ``crnn_core.analysis.export``/``matching``/``confusion``;
this module is the one place that renames them, so the pages never depend on those spellings.

Frame columns used by the pages: ``image_id, t, col_start, col_end, label, char, max_prob,
margin, entropy, blank_prob, cluster, x, y`` (``x``/``y`` = UMAP, NaN for frames outside the
UMAP sample). Image columns: ``image_id, source, truth, greedy, beam, confidence`` plus the
analysis' ``*_correct_acc36`` / ``*_correct_case`` flags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AnalysisView", "summary_metric"]

FRAME_RENAMES = {"greedy_class": "label", "greedy_char": "char", "umap_x": "x", "umap_y": "y"}
IMAGE_RENAMES = {"greedy_text": "greedy", "beam_text": "beam", "greedy_confidence": "confidence"}


def summary_metric(summary: Mapping[str, Any], name: str, variant: str) -> float | None:
    """``summary["scores"][name][variant]`` (``name``: silhouette / purity; ``variant``: all /
    non_blank) as a float, or ``None`` when missing or not computable (NaN / null)."""
    scores = summary.get("scores", summary)
    value = scores.get(name, {}) if isinstance(scores, Mapping) else {}
    value = value.get(variant) if isinstance(value, Mapping) else None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@dataclass(frozen=True, eq=False)
class AnalysisView:
    """Tables of one analysis folder; ``raw`` is what ``load_analysis`` returned (passed back to
    ``place_new_frames`` and asked for word images)."""

    directory: Path
    frames: pd.DataFrame
    images: pd.DataFrame
    summary: dict[str, Any]
    clusters_table: pd.DataFrame | None
    contingency: pd.DataFrame | None
    pairs: pd.DataFrame | None
    pair_examples: pd.DataFrame | None
    raw: Any

    @classmethod
    def from_object(cls, raw: Any, directory: str | Path) -> AnalysisView:
        """Wrap an ``Analysis`` (``frames``, ``images``, ``summary``, ``clusters``,
        ``contingency_matrix()``, ``confusions``, ``image(id)``)."""
        frames = raw.frames.rename(columns=FRAME_RENAMES).reset_index(drop=True)
        images = raw.images.rename(columns=IMAGE_RENAMES)
        matrix = getattr(raw, "contingency_matrix", None)
        contingency = matrix() if callable(matrix) else None
        return cls(
            directory=Path(directory),
            frames=frames,
            images=images,
            summary=dict(raw.summary),
            clusters_table=getattr(raw, "clusters", None),
            contingency=contingency,
            pairs=getattr(raw, "confusions", None),
            pair_examples=getattr(raw, "confusion_examples", None),
            raw=raw,
        )

    @property
    def has_umap(self) -> bool:
        return {"x", "y"} <= set(self.frames.columns) and bool(self.frames["x"].notna().any())

    @property
    def model_sha256(self) -> str | None:
        """sha256 of the ``model.keras`` the analysis was made with (from its summary)."""
        model = self.summary.get("model")
        value = model.get("sha256") if isinstance(model, Mapping) else None
        return str(value) if value else None

    @property
    def has_truth(self) -> bool:
        return "truth" in self.images and bool(self.images["truth"].notna().any())

    def pixels(self, image_id: int) -> np.ndarray | None:
        """The stored model input (32, W) uint8 of ``image_id``, or ``None`` if unavailable."""
        getter = getattr(self.raw, "image", None)
        if not callable(getter):
            return None
        try:
            return np.asarray(getter(int(image_id)), dtype=np.uint8)
        except (KeyError, IndexError, ValueError, OSError):
            return None

    def characters(self) -> list[str]:
        return sorted(self.frames["char"].astype(str).unique()) if "char" in self.frames else []

    def clusters(self) -> list[int]:
        if "cluster" not in self.frames:
            return []
        return sorted(int(c) for c in self.frames["cluster"].unique() if c >= 0)

    def cluster_row(self, cluster: int) -> dict[str, Any]:
        """The analysis' row for ``cluster`` (matched character, majority share, ...) or ``{}``."""
        table = self.clusters_table
        if table is None or "cluster" not in table:
            return {}
        rows = table[table["cluster"] == cluster]
        return rows.iloc[0].to_dict() if len(rows) else {}

    def words_of(self, image_ids: np.ndarray) -> pd.DataFrame:
        """Image rows (truth, predictions) of ``image_ids``, first occurrence order."""
        table = self.images.set_index("image_id", drop=False)
        wanted = pd.unique(pd.Series(np.asarray(image_ids)))
        return table.loc[table.index.intersection(wanted)].reindex(wanted).dropna(how="all")
