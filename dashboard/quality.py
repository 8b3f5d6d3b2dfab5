"""The Clusters page's "how good are these clusters" block: both clusterings side by side, each
figure next to what a trivial clustering scores on the same frames, and one line on what the
figures mean, so a bare 0.81 or 0.13 can be judged (0.81 purity is little when one single
cluster already scores 0.74)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from dashboard.analysis_view import AnalysisView, ViewFigures, view_figures

__all__ = [
    "PURITY_LINE",
    "SILHOUETTE_LINE",
    "VIEW_LABELS",
    "baseline_line",
    "heading",
    "matching_line",
    "show_quality",
]

SILHOUETTE_LINE = (
    "**Silhouette** (−1 to 1): how much nearer a frame is to its own cluster than to the next "
    "one; about 0 means the clusters overlap, and so do randomly labelled frames."
)
PURITY_LINE = (
    "**Purity** (0 to 1): the share of frames whose cluster's most common character is their "
    "own; one single cluster already scores the share of the most common character."
)
VIEW_LABELS = {"all": "All frames", "non_blank": "Non-blank frames, clustered on their own"}
K_RULES = {"all": "one per output class, blank included", "non_blank": "one per character seen"}
SUFFIX = {"all": "all", "non_blank": "non-blank"}
RERUN = "re-run `python -m crnn_core analyze`"


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def heading(figures: ViewFigures) -> str:
    """``**All frames** · K = 95 (one per output class, blank included) · 54,490 frames``."""
    title = VIEW_LABELS[figures.view]
    if figures.legacy and figures.view == "non_blank":
        title = "Non-blank frames, in the all-frame clusters"
    parts = [f"**{title}**"]
    if figures.k is not None:
        rule = "" if figures.legacy else f" ({K_RULES[figures.view]})"
        parts.append(f"K = {figures.k}{rule}")
    if figures.frames is not None:
        parts.append(f"{int(figures.frames):,} frames")
    return " · ".join(parts)


def baseline_line(figures: ViewFigures) -> str:
    """What trivial clusterings score on the same frames (or why it is not known)."""
    if figures.legacy:
        return f"This analysis predates the baselines; {RERUN} to see them."
    return (
        f"Baselines on the same frames: one single cluster, purity "
        f"{_fmt(figures.purity_one_cluster)}; random clusters of the same sizes, purity "
        f"{_fmt(figures.purity_random)} and silhouette {_fmt(figures.silhouette_random)}."
    )


def matching_line(rule: tuple[float, int] | None, figures: ViewFigures | None) -> str:
    """The naming rule of the matching, and how many clusters it named."""
    if rule is None:
        return (
            "Clusters are named after characters by a one-to-one (Hungarian) matching; this "
            f"analysis applied no minimum share or count ({RERUN} for the stricter rule)."
        )
    share, count = rule
    text = (
        f"A cluster is named after a character only if that character holds at least "
        f"{share:.0%} and at least {count} of the cluster's frames (one-to-one Hungarian "
        "matching; the other clusters stay unnamed)."
    )
    if figures is not None and figures.matched_clusters is not None and figures.k:
        text += f" All frames: {figures.matched_clusters} of {figures.k} clusters named"
        present = figures.classes_present
        if present is not None:
            text += (
                f"; {present - figures.matched_clusters} of the {present} classes seen "
                "(blank included) have no cluster"
            )
        text += "."
    return text


def _delta(value: float | None, baseline: float | None, what: str) -> str | None:
    if value is None or baseline is None:
        return None
    return f"{value - baseline:+.3f} {what}"


def _restricted(summary: Mapping[str, Any]) -> str | None:
    """The all-frame clusters on non-blank frames only (the old "non-blank" figures)."""
    entry = summary.get("views", {}).get("all", {}).get("non_blank_frames")
    if not isinstance(entry, Mapping):
        return None
    return (
        f"The same clusters on their non-blank frames only: purity "
        f"{_fmt(entry.get('purity'))}, silhouette {_fmt(entry.get('silhouette'))}."
    )


def show_quality(analysis: AnalysisView) -> None:
    """Both clusterings' silhouette and purity with baselines, explanations and the rule."""
    st.subheader("How well the clusters separate characters")
    st.caption(f"{SILHOUETTE_LINE}  \n{PURITY_LINE}")
    figures = {view: view_figures(analysis.summary, view) for view in VIEW_LABELS}
    heads, metrics, notes = st.columns(2), st.columns(4), st.columns(2)
    for i, (view, found) in enumerate(figures.items()):
        if found is None:
            heads[i].markdown(f"**{VIEW_LABELS[view]}** · not computed (no non-blank frames)")
            continue
        heads[i].markdown(heading(found))
        suffix = SUFFIX[view]
        sil = _delta(found.silhouette, found.silhouette_random, "vs random labels")
        pur = _delta(found.purity, found.purity_one_cluster, "vs one cluster")
        metrics[2 * i].metric(
            f"Silhouette · {suffix}", _fmt(found.silhouette), sil, help=SILHOUETTE_LINE
        )
        metrics[2 * i + 1].metric(f"Purity · {suffix}", _fmt(found.purity), pur, help=PURITY_LINE)
        note = baseline_line(found)
        extra = _restricted(analysis.summary) if view == "all" else None
        notes[i].caption(note + (f"  \n{extra}" if extra else ""))
    st.caption(matching_line(analysis.matching_rule(), figures["all"]))
