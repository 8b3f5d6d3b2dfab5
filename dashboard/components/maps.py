"""Maps of the analysis frames: the UMAP scatter (WebGL) and an upload placed on it (the
cluster × character heatmap is ``contingency``).

Large scatter plots use ``go.Scattergl`` with numeric ``customdata`` only (no per-point strings),
which plotly serialises as compact base64 arrays, so 100 000 frames stay fast in the browser.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.components import PALETTE, char_groups

__all__ = [
    "HOVER_DETAIL_LIMIT",
    "placement_figure",
    "selected_rows",
    "umap_figure",
]


def _discrete_scale(n: int, palette: Sequence[str] = PALETTE) -> list[list[Any]]:
    """A stepped colorscale giving ``n`` consecutive integer codes one palette colour each
    (use with ``cmin = first - 0.5``, ``cmax = last + 0.5``)."""
    n = max(n, 1)
    scale: list[list[Any]] = []
    for i in range(n):
        colour = palette[i % len(palette)]
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


MAP_TEMPLATE = "plotly_white"
"""Maps are drawn with ``st.plotly_chart(..., theme=None)``: Streamlit's theming pass over a
100 000-point figure costs seconds in the browser, so the maps bring their own light style."""

HOVER_DETAIL_LIMIT = 30_000
"""Above this many points, each point carries only its row number (4 bytes) instead of
``(row, image, frame, cluster)``: 100 000 points then cost ~0.5 MB instead of ~2 MB to send."""


def _hover(frames: pd.DataFrame, color_by: str) -> tuple[np.ndarray, str]:
    """``(customdata int32, hovertemplate)``: ``customdata[:, 0]`` (or the 1-D array) is the
    row label in the full frames table."""
    rows = frames.index.to_numpy().astype(np.int32)
    colour = {
        "cluster": "<br>cluster %{marker.color}",
        "entropy": "<br>entropy %{marker.color:.2f}",
    }.get(color_by, "")
    if len(frames) > HOVER_DETAIL_LIMIT:
        return rows, "frame row %{customdata}" + colour
    columns = [
        rows,
        frames["image_id"].to_numpy(),
        frames["t"].to_numpy(),
        frames["cluster"].to_numpy(),
    ]
    hover = "image %{customdata[1]} · frame %{customdata[2]}<br>cluster %{customdata[3]}"
    if color_by == "entropy":
        hover += colour
    return np.column_stack(columns).astype(np.int32), hover


def selected_rows(points: Sequence[dict[str, Any]]) -> list[int]:
    """Row labels of the points of a plotly selection event (see ``umap_figure``).

    The browser reports a point's ``customdata`` as a number (1-D), a list, or, for rows of a
    typed (base64) array, a dict ``{"0": row, "1": ...}``.
    """
    rows = []
    for point in points:
        custom = point.get("customdata")
        if isinstance(custom, dict):
            custom = custom.get("0", custom.get(0))
        elif isinstance(custom, list | tuple):
            custom = custom[0] if custom else None
        if isinstance(custom, int | float):
            rows.append(int(custom))
    return rows


def umap_figure(
    frames: pd.DataFrame,
    color_by: str,
    correct: np.ndarray | None = None,
    point_size: float = 3.0,
) -> go.Figure:
    """UMAP scatter (WebGL) of ``frames`` (columns ``x, y, image_id, t, cluster, char`` ...).

    Each point's ``customdata`` starts with its row label in the full frames table (read back
    with ``selected_rows``). ``color_by``: ``cluster``, ``char``, ``entropy`` or ``correct``
    (then ``correct`` holds one code per frame: 1 right, 0 wrong, -1 not scorable).
    Coordinates are sent as float32 and per-point data as int32 (compact base64 arrays).
    """
    custom, hover = _hover(frames, color_by)
    xs = frames["x"].to_numpy(np.float32)
    ys = frames["y"].to_numpy(np.float32)
    fig = go.Figure()
    if color_by == "char":
        _char_traces(fig, frames, xs, ys, custom, hover, point_size)
    else:
        marker: dict[str, Any] = {"size": point_size}
        if color_by == "cluster":
            k = int(frames["cluster"].max()) + 1 if len(frames) else 1
            marker |= {
                "color": frames["cluster"].to_numpy(np.int16),
                "colorscale": _discrete_scale(k),
                "cmin": -0.5,
                "cmax": k - 0.5,
                "showscale": False,
            }
        elif color_by == "correct" and correct is not None:
            marker |= {
                "color": correct.astype(np.int8),
                "cmin": -1.5,
                "cmax": 1.5,
                "colorscale": _discrete_scale(3, ["#bbbbbb", "#d62728", "#2ca02c"]),
                "colorbar": {
                    "title": "word",
                    "tickvals": [-1, 0, 1],
                    "ticktext": ["no truth", "wrong", "right"],
                },
            }
        else:
            marker |= {
                "color": frames["entropy"].to_numpy(np.float32),
                "colorscale": "Inferno",
                "colorbar": {"title": "entropy"},
            }
        fig.add_trace(
            go.Scattergl(
                x=xs,
                y=ys,
                mode="markers",
                marker=marker,
                customdata=custom,
                hovertemplate=hover + "<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_layout(
        template=MAP_TEMPLATE,
        height=600,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        dragmode="lasso",
        xaxis={"title": "UMAP 1", "showgrid": False},
        yaxis={"title": "UMAP 2", "showgrid": False},
        legend={"itemsizing": "constant", "font": {"size": 12}, "title": {"text": "character"}},
    )
    return fig


def _char_traces(
    fig: go.Figure,
    frames: pd.DataFrame,
    xs: np.ndarray,
    ys: np.ndarray,
    custom: np.ndarray,
    hover: str,
    point_size: float,
) -> None:
    """One WebGL trace per character (its hover names it) coloured by ``char_groups``, and one
    legend entry per group: clicking it shows or hides the whole group."""
    chars = frames["char"].astype(str).to_numpy()
    colours = char_groups.group_colours(np.unique(chars))
    seen: dict[str, int] = {}
    for char in char_groups.char_order(chars):
        group = char_groups.char_group(char)
        seen[group] = seen.get(group, 0) + 1
        mask = chars == char
        fig.add_trace(
            go.Scattergl(
                x=xs[mask],
                y=ys[mask],
                mode="markers",
                name=char,
                legendgroup=group,
                showlegend=False,
                customdata=custom[mask],
                hovertemplate=f"<b>{html.escape(char)}</b> ({group}) · {hover}<extra></extra>",
                marker={"size": point_size, "color": colours[char]},
            )
        )
    for group, count in seen.items():  # legend-only entries, in GROUPS order
        fig.add_trace(
            go.Scattergl(
                x=[None],
                y=[None],
                mode="markers",
                name=f"{group} ({count})",
                legendgroup=group,
                showlegend=True,
                hoverinfo="skip",
                marker={"size": 10, "color": char_groups.group_colour(group)},
            )
        )


def placement_figure(
    reference: pd.DataFrame, x: np.ndarray, y: np.ndarray, chars: Sequence[str]
) -> go.Figure:
    """The reference UMAP map in grey with an upload's frames on it, numbered by frame."""
    fig = go.Figure(
        go.Scattergl(
            x=reference["x"].to_numpy(),
            y=reference["y"].to_numpy(),
            mode="markers",
            marker={"size": 2, "color": "rgba(140,140,140,0.35)"},
            hoverinfo="skip",
            name="reference",
        )
    )
    labels = [f"{t}:{c}" for t, c in enumerate(chars)]
    fig.add_trace(
        go.Scatter(
            x=x,
            y=y,
            mode="markers+text+lines",
            text=labels,
            textposition="top center",
            marker={"size": 9, "color": np.arange(len(x)), "colorscale": "Turbo"},
            line={"width": 1, "color": "rgba(0,0,0,0.3)"},
            name="this image",
            hovertemplate="frame %{text}<extra></extra>",
        )
    )
    fig.update_layout(
        template=MAP_TEMPLATE,
        height=420,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
    )
    return fig
