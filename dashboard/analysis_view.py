"""A read-only view over ``crnn_core.analysis.load_analysis(dir)`` in the pages' column names.

The analysis tables are documented in ``crnn_core.analysis.export``/``matching``/``confusion``;
this module is the one place that renames them, so the pages never depend on those spellings.

Frame columns used by the pages: ``image_id, t, col_start, col_end, label, char, max_prob,
margin, entropy, blank_prob, cluster, cluster_nb, x, y`` (``x``/``y`` = UMAP, NaN for frames
outside the UMAP sample; ``cluster_nb`` = cluster of the non-blank clustering, -1 for blank
frames or where the analysis has none). Image columns: ``image_id, source, truth, greedy, beam,
confidence`` plus the analysis' ``*_correct_acc36`` / ``*_correct_case`` flags.

Two clusterings ("views", ``crnn_core.analysis.views``): ``all`` frames and ``non_blank`` frames
clustered on their own. Folders of format /1 (and test doubles) have only ``all``; their
summary has no baselines, and ``view_figures`` says so instead of inventing them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["AnalysisView", "ViewFigures", "summary_metric", "view_figures"]

FRAME_RENAMES = {
    "greedy_class": "label",
    "greedy_char": "char",
    "cluster_non_blank": "cluster_nb",
    "umap_x": "x",
    "umap_y": "y",
}
IMAGE_RENAMES = {"greedy_text": "greedy", "beam_text": "beam", "greedy_confidence": "confidence"}


def summary_metric(summary: Mapping[str, Any], name: str, variant: str) -> float | None:
    """``summary["scores"][name][variant]`` (``name``: silhouette / purity; ``variant``: all /
    non_blank) as a float, or ``None`` when missing or not computable (NaN / null)."""
    scores = summary.get("scores", summary)
    value = scores.get(name, {}) if isinstance(scores, Mapping) else {}
    return _number(value.get(variant) if isinstance(value, Mapping) else None)


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


@dataclass(frozen=True)
class ViewFigures:
    """One clustering's figures and baselines as the Clusters page shows them (None = not in
    the summary). ``legacy``: a format /1 summary, which recorded no baselines."""

    view: str
    k: int | None
    frames: int | None
    silhouette: float | None
    purity: float | None
    silhouette_random: float | None = None
    purity_one_cluster: float | None = None
    purity_random: float | None = None
    matched_clusters: int | None = None
    classes_present: int | None = None
    legacy: bool = False


def view_figures(summary: Mapping[str, Any], view: str) -> ViewFigures | None:
    """Figures of clustering ``view`` (``all`` / ``non_blank``) from ``summary["views"]``;
    for a summary without views, the format /1 ``scores`` (``non_blank`` = the all-frame
    clusters restricted to non-blank frames). ``None`` if the view was not computed."""
    views = summary.get("views")
    if isinstance(views, Mapping):
        entry = views.get(view)
        if not isinstance(entry, Mapping) or "purity" not in entry:
            return None
        sil, pur = entry.get("silhouette", {}), entry.get("purity", {})
        match = entry.get("matching", {})
        return ViewFigures(
            view=view,
            k=entry.get("k"),
            frames=entry.get("frames"),
            silhouette=_number(sil.get("value")),
            purity=_number(pur.get("value")),
            silhouette_random=_number(sil.get("random_labels")),
            purity_one_cluster=_number(pur.get("one_cluster")),
            purity_random=_number(pur.get("random_assignment")),
            matched_clusters=match.get("matched_clusters"),
            classes_present=match.get("classes_present"),
        )
    counts = summary.get("counts", {})
    frames = counts.get("frames" if view == "all" else "non_blank_frames")
    return ViewFigures(
        view=view,
        k=summary.get("k"),
        frames=frames,
        silhouette=summary_metric(summary, "silhouette", view),
        purity=summary_metric(summary, "purity", view),
        legacy=True,
    )


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
    views: tuple[str, ...] = ("all",)
    view_contingency: Mapping[str, pd.DataFrame] | None = None

    @classmethod
    def from_object(cls, raw: Any, directory: str | Path) -> AnalysisView:
        """Wrap an ``Analysis`` (``frames``, ``images``, ``summary``, ``clusters``,
        ``contingency_matrix()``, ``confusions``, ``image(id)``)."""
        frames = raw.frames.rename(columns=FRAME_RENAMES).reset_index(drop=True)
        images = raw.images.rename(columns=IMAGE_RENAMES)
        matrix = getattr(raw, "contingency_matrix", None)
        contingency = matrix() if callable(matrix) else None
        views = tuple(getattr(raw, "views", ("all",)))
        if "cluster_nb" not in frames or not (frames["cluster_nb"] >= 0).any():
            views = ("all",)
        per_view = {"all": contingency} if contingency is not None else {}
        if callable(matrix):
            per_view |= {v: matrix(v) for v in views if v != "all"}
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
            views=views,
            view_contingency=per_view,
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

    def frames_of(self, view: str = "all") -> pd.DataFrame:
        """The frames clustering ``view`` covers, its cluster ids in ``cluster`` (row labels
        kept: they are the rows of ``frames``). ``non_blank``: the non-blank frames only."""
        if view == "all" or view not in self.views:
            return self.frames
        covered = self.frames[self.frames["cluster_nb"] >= 0]
        return covered.assign(cluster=covered["cluster_nb"])

    def contingency_of(self, view: str = "all") -> pd.DataFrame | None:
        """Cluster × character counts of clustering ``view``."""
        tables = self.view_contingency or {}
        return tables.get(view, self.contingency if view == "all" else None)

    def _clusters_of(self, view: str) -> pd.DataFrame | None:
        table = self.clusters_table
        if table is None or "cluster" not in table:
            return None
        if "view" in table:
            return table[table["view"] == view]
        return table if view == "all" else None

    def cluster_row(self, cluster: int, view: str = "all") -> dict[str, Any]:
        """The analysis' row for ``cluster`` of clustering ``view`` (matched character,
        majority share, ...) or ``{}``."""
        table = self._clusters_of(view)
        if table is None:
            return {}
        rows = table[table["cluster"] == cluster]
        return rows.iloc[0].to_dict() if len(rows) else {}

    def matched_chars(self, view: str = "all") -> dict[int, str]:
        """Cluster id → the character the matching named it after (unnamed clusters left out)."""
        table = self._clusters_of(view)
        if table is None or "matched_char" not in table:
            return {}
        named = table[table["matched_char"].notna()]
        return {
            int(c): str(m) for c, m in zip(named["cluster"], named["matched_char"], strict=True)
        }

    def matching_rule(self) -> tuple[float, int] | None:
        """``(min_share, min_count)`` a match needs, or ``None`` (format /1: no rule)."""
        rule = self.summary.get("matching_rule")
        if not isinstance(rule, Mapping):
            return None
        return float(rule.get("min_share", 0.0)), int(rule.get("min_count", 0))

    def words_of(self, image_ids: np.ndarray) -> pd.DataFrame:
        """Image rows (truth, predictions) of ``image_ids``, first occurrence order."""
        table = self.images.set_index("image_id", drop=False)
        wanted = pd.unique(pd.Series(np.asarray(image_ids)))
        return table.loc[table.index.intersection(wanted)].reindex(wanted).dropna(how="all")
