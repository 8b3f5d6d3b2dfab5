"""Frame-level slices of the analysis for the Clusters page (no Streamlit, no model here):
map filters, the cluster inspector, per-frame word correctness and the contingency table."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crnn_core.analysis.export import BLANK_DISPLAY
from crnn_core.charset import BLANK_INDEX
from dashboard.analysis_view import AnalysisView
from dashboard.scoring import word_correct

__all__ = [
    "cluster_profile",
    "contingency",
    "filter_frames",
    "frame_correct",
    "largest_non_blank_cluster",
    "map_sample",
]


def filter_frames(
    frames: pd.DataFrame,
    hide_blank: bool = True,
    chars: Sequence[str] = (),
    clusters: Sequence[int] = (),
    mapped_only: bool = False,
    rows: np.ndarray | None = None,
) -> pd.DataFrame:
    """Rows of ``frames`` kept by the Clusters page filters (empty selections keep all);
    ``mapped_only`` keeps only frames with UMAP coordinates; ``rows``: a boolean mask over the
    full frames table (indexed by ``frames``' row labels), e.g. frames of wrongly read words."""
    keep = np.ones(len(frames), dtype=bool)
    if rows is not None:
        keep &= np.asarray(rows, dtype=bool)[frames.index.to_numpy()]
    if hide_blank:
        keep &= frames["label"].to_numpy() != BLANK_INDEX
    if chars:
        keep &= frames["char"].astype(str).isin(list(chars)).to_numpy()
    if clusters:
        keep &= frames["cluster"].isin(list(clusters)).to_numpy()
    if mapped_only:
        keep &= frames["x"].notna().to_numpy() & frames["y"].notna().to_numpy()
    return frames[keep]


def map_sample(frames: pd.DataFrame, limit: int, seed: int = 0) -> pd.DataFrame:
    """At most ``limit`` frames that have UMAP coordinates (seeded sample), as map background."""
    mapped = frames[frames["x"].notna() & frames["y"].notna()]
    return mapped if len(mapped) <= limit else mapped.sample(limit, random_state=seed)


def cluster_profile(
    frames: pd.DataFrame, cluster: int, top: int = 8
) -> tuple[int, float, pd.DataFrame]:
    """``(size, purity, top characters)`` of one KMeans cluster.

    Purity = share of the cluster's frames whose greedy character is its most common one.
    """
    members = frames[frames["cluster"] == cluster]
    if members.empty:
        return 0, float("nan"), pd.DataFrame(columns=["char", "frames", "share"])
    counts = members["char"].astype(str).value_counts()
    table = pd.DataFrame({"char": counts.index, "frames": counts.to_numpy()})
    table["share"] = table["frames"] / len(members)
    return len(members), float(table["share"].iloc[0]), table.head(top)


def largest_non_blank_cluster(frames: pd.DataFrame) -> int | None:
    """The biggest cluster whose most common greedy label is not the blank (``None`` if none)."""
    if frames.empty:
        return None
    counts = pd.crosstab(frames["cluster"], frames["label"] != BLANK_INDEX)
    if True not in counts:
        return None
    mostly_chars = counts[counts[True] > counts.get(False, 0)]
    if mostly_chars.empty:
        return None
    return int(mostly_chars.sum(axis=1).idxmax())


def frame_correct(analysis: AnalysisView, protocol: str = "acc36") -> np.ndarray | None:
    """Per frame: 1 if its image's greedy text is right, 0 if wrong, -1 if it cannot be scored
    (int8, aligned with ``analysis.frames``); ``None`` if the analysis has no truth."""
    if not analysis.has_truth or "greedy" not in analysis.images:
        return None
    right = word_correct(analysis.images, "greedy", protocol)
    codes = right.astype("Int8").fillna(-1).to_numpy(dtype=np.int8)
    lookup = pd.Series(codes, index=analysis.images["image_id"].to_numpy())
    mapped = analysis.frames["image_id"].map(lookup)
    return mapped.fillna(-1).to_numpy(dtype=np.int8)


def contingency(
    analysis: AnalysisView, hide_blank: bool = False, view: str = "all"
) -> pd.DataFrame | None:
    """Cluster × character frame counts of clustering ``view``: the analysis' own table, else
    counted from the frames. Columns that are all zero are dropped (characters the model never
    predicted); with ``hide_blank`` the blank column and the clusters left empty without it are
    dropped too."""
    table = analysis.contingency_of(view)
    if table is None or table.empty:
        frames = analysis.frames_of(view)
        if not {"cluster", "char"} <= set(frames.columns):
            return None
        table = pd.crosstab(frames["cluster"], frames["char"].astype(str))
    if hide_blank:
        table = table.drop(columns=[BLANK_DISPLAY], errors="ignore")
        table = table.loc[table.to_numpy().sum(axis=1) > 0]
    return table.loc[:, table.to_numpy().sum(axis=0) > 0]
