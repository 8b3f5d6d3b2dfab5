"""Figures and slices kept between script runs of one server.

A rerun that leaves a chart's inputs alone (a decoder toggle, a box selection, another cluster
in the inspector) reuses the figure object instead of building it again: building and
validating a Plotly figure is most of a rerun's Python time (the UMAP map coloured by character:
~0.2 s of CPU), and an unchanged figure keeps its element, so the browser does not redraw it.

Analyses are keyed by ``analysis_key`` (folder and object identity: a reloaded analysis is a new
key); arrays by a digest of their bytes. Entries are shared read-only: callers must not modify
a returned figure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from crnn_core.charset import Charset
from dashboard import insights, services
from dashboard.analysis_view import AnalysisView
from dashboard.components import alignment, contingency, maps

__all__ = [
    "alignment_figure",
    "analysis_key",
    "contingency_figure",
    "digest",
    "largest_non_blank_cluster",
    "placed_frames",
    "placement_figure",
    "umap_figure",
]

PLACEMENT_BACKGROUND = 8_000  # grey reference frames behind an upload on the map


def analysis_key(analysis: AnalysisView) -> tuple[str, int]:
    return str(analysis.directory), id(analysis)


def digest(*arrays: np.ndarray) -> str:
    """A short digest of the arrays' shapes and bytes (a cache key for images and logits)."""
    h = hashlib.blake2b(digest_size=16)
    for array in arrays:
        h.update(str(array.shape).encode())
        h.update(np.ascontiguousarray(array).tobytes())
    return h.hexdigest()


@st.cache_resource(show_spinner=False, max_entries=32)
def _umap(
    _analysis: AnalysisView,
    key: tuple[str, int],
    view: str,
    color_by: str,
    hide_blank: bool,
    wrong_only: bool,
    chars: tuple[str, ...],
    clusters: tuple[int, ...],
    size: float,
    points: bool,
    word_key: str | None,
    _word: maps.PlacedWord | None,
) -> tuple[go.Figure, pd.DataFrame]:
    del key, word_key
    frames = _analysis.frames_of(view)
    codes = insights.frame_correct(_analysis)
    wrong = codes == 0 if wrong_only and codes is not None else None
    shown = insights.filter_frames(
        frames, hide_blank, chars, clusters, mapped_only=True, rows=wrong
    )
    colour_codes = codes if color_by == "correct" else None
    correct = colour_codes[shown.index.to_numpy()] if colour_codes is not None else None
    draw = maps.draw_mode(len(shown), points)
    return maps.umap_figure(shown, color_by, correct, size, draw, _word), shown


def umap_figure(
    analysis: AnalysisView,
    view: str,
    color_by: str,
    hide_blank: bool,
    wrong_only: bool,
    chars: Sequence[str],
    clusters: Sequence[int],
    size: float,
    points: bool = False,
    word: maps.PlacedWord | None = None,
) -> tuple[go.Figure, pd.DataFrame]:
    """The Clusters page's map with its filters applied, and the frames it shows (drawn as
    ``maps.draw_mode(len(frames), points)``), with ``word``'s frames on top."""
    word_key = (
        None
        if word is None
        else digest(np.asarray(word.x), np.asarray(word.y)) + "".join(word.chars)
    )
    return _umap(
        analysis, analysis_key(analysis), view, color_by, hide_blank, wrong_only,
        tuple(chars), tuple(clusters), size, points, word_key, word,
    )  # fmt: skip


@st.cache_resource(show_spinner=False, max_entries=16)
def _placed(
    _analysis: AnalysisView, _logits: np.ndarray, key: tuple[tuple[str, int], str]
) -> tuple[np.ndarray, np.ndarray]:
    del key
    return services.place_frames(_analysis, _logits)


def placed_frames(analysis: AnalysisView, logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UMAP coordinates of a read word's frames on the analysis map (raises
    ``services.AnalysisUnavailable``), kept for reruns."""
    return _placed(analysis, logits, (analysis_key(analysis), digest(logits)))


@st.cache_resource(show_spinner=False, max_entries=16)
def _contingency(
    _analysis: AnalysisView, key: tuple[str, int], view: str, normalise: bool, no_blank: bool
) -> go.Figure | None:
    del key
    table = insights.contingency(_analysis, hide_blank=no_blank, view=view)
    if table is None or table.empty:
        return None
    return contingency.contingency_figure(table, normalise, _analysis.matched_chars(view))


def contingency_figure(
    analysis: AnalysisView, view: str, normalise: bool, no_blank: bool
) -> go.Figure | None:
    """The cluster × character heatmap of ``view`` (``None``: no frames to count)."""
    return _contingency(analysis, analysis_key(analysis), view, normalise, no_blank)


@st.cache_resource(show_spinner=False, max_entries=8)
def _largest(_analysis: AnalysisView, key: tuple[str, int], view: str) -> int | None:
    del key
    return insights.largest_non_blank_cluster(_analysis.frames_of(view))


def largest_non_blank_cluster(analysis: AnalysisView, view: str) -> int | None:
    return _largest(analysis, analysis_key(analysis), view)


@st.cache_resource(show_spinner=False, max_entries=32)
def _alignment(
    _image: np.ndarray,
    _logits: np.ndarray,
    _frames: pd.DataFrame,
    _charset: Charset,
    key: tuple[str, str],
) -> go.Figure:
    del key
    return alignment.alignment_figure(_image, _logits, _frames, _charset)


def alignment_figure(
    image: np.ndarray, logits: np.ndarray, frames: pd.DataFrame, charset: Charset
) -> go.Figure:
    """The Recognize alignment chart of one model input (the same whatever the decoder)."""
    return _alignment(image, logits, frames, charset, (digest(image, logits), charset.characters))


@st.cache_resource(show_spinner=False, max_entries=32)
def _placement(
    _analysis: AnalysisView, _logits: np.ndarray, key: tuple[tuple[str, int], str, tuple[str, ...]]
) -> go.Figure:
    x, y = placed_frames(_analysis, _logits)
    reference = insights.map_sample(_analysis.frames, PLACEMENT_BACKGROUND)
    return maps.placement_figure(reference, maps.PlacedWord(x, y, list(key[2])))


def placement_figure(analysis: AnalysisView, logits: np.ndarray, chars: Sequence[str]) -> go.Figure:
    """An upload's frames on the analysis map (raises ``services.AnalysisUnavailable``)."""
    return _placement(analysis, logits, (analysis_key(analysis), digest(logits), tuple(chars)))
