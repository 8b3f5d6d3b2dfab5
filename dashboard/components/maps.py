"""Maps of the analysis frames: the UMAP map and an upload placed on it (the cluster ×
character heatmap is ``contingency``).

The UMAP map is drawn one of two ways (``umap_figure``'s ``draw``):

- ``"points"``: one plotly point per frame, with its own hover. Few points are SVG; more are
  ``go.Scattergl`` with numeric ``customdata`` only (compact base64 arrays).
- ``"image"``: the points drawn on the server as one picture (``map_image``) under a transparent
  hover grid. A browser without a GPU draws it several times faster (bench/README.md).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly import colors as pcolors

from dashboard.components import PALETTE, char_groups, map_image, png

__all__ = [
    "CORRECT_COLOURS",
    "HOVER_DETAIL_LIMIT",
    "PLACEMENT_SIZE",
    "PLOT_SIZE",
    "SVG_POINT_LIMIT",
    "PlacedWord",
    "draw_mode",
    "placement_figure",
    "selected_rows",
    "umap_figure",
    "word_trace",
]

Draw = Literal["points", "image"]

CORRECT_COLOURS = {-1: "#bbbbbb", 0: "#d62728", 1: "#2ca02c"}
"""Word-correctness code (no truth, wrong, right) → colour."""

PLOT_SIZE = (1000, 520)
"""CSS pixels of the map's plot area in the wide layout (``"image"`` maps are drawn for it)."""

SVG_POINT_LIMIT = 2_000
"""Up to this many points a ``"points"`` map is SVG: it needs no WebGL context, whose start-up
alone costs ~0.2 s in a browser without a GPU."""

HOVER_CELL = 8
"""CSS pixels per side of a hover-grid cell on an ``"image"`` map."""


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


def draw_mode(count: int, points_wanted: bool) -> Draw:
    """``"points"`` if asked for or for at most ``SVG_POINT_LIMIT`` frames, else ``"image"``."""
    return "points" if points_wanted or count <= SVG_POINT_LIMIT else "image"


def _marker_colour(
    frames: pd.DataFrame, color_by: str, correct: np.ndarray | None
) -> dict[str, Any]:
    """The plotly marker colour settings of a non-character colouring (with its colour bar)."""
    if color_by == "cluster":
        k = int(frames["cluster"].max()) + 1 if len(frames) else 1
        return {
            "color": frames["cluster"].to_numpy(np.int16),
            "colorscale": _discrete_scale(k),
            "cmin": -0.5,
            "cmax": k - 0.5,
            "showscale": False,
        }
    if color_by == "correct" and correct is not None:
        return {
            "color": correct.astype(np.int8),
            "cmin": -1.5,
            "cmax": 1.5,
            "colorscale": _discrete_scale(3, list(CORRECT_COLOURS.values())),
            "colorbar": {
                "title": "word",
                "tickvals": [-1, 0, 1],
                "ticktext": ["no truth", "wrong", "right"],
            },
        }
    return {
        "color": frames["entropy"].to_numpy(np.float32),
        "colorscale": "Inferno",
        "colorbar": {"title": "entropy"},
    }


def umap_figure(
    frames: pd.DataFrame,
    color_by: str,
    correct: np.ndarray | None = None,
    point_size: float = 3.0,
    draw: Draw = "points",
    word: PlacedWord | None = None,
) -> go.Figure:
    """UMAP map of ``frames`` (columns ``x, y, image_id, t, cluster, char`` ...).

    ``color_by``: ``cluster``, ``char``, ``entropy`` or ``correct`` (then ``correct`` holds one
    code per frame: 1 right, 0 wrong, -1 not scorable). ``draw="points"``: each point's
    ``customdata`` starts with its row label in the full frames table (read back with
    ``selected_rows``). ``draw="image"``: one picture and a hover grid; selections are read from
    their geometry (``map_selection``). ``word``: a read word's frames on top (``word_trace``).
    """
    # Both ways of drawing show the same extent, so a box or lasso drawn in the same place
    # selects the same frames whichever is on (and switching keeps the view).
    xs = frames["x"].to_numpy(np.float64)
    ys = frames["y"].to_numpy(np.float64)
    canvas = _canvas(xs, ys, PLOT_SIZE)
    fig = go.Figure()
    if draw == "image":
        _image_map(fig, frames, canvas, color_by, correct, point_size)
    elif color_by == "char":
        _char_traces(fig, frames, point_size)
    else:
        custom, hover = _hover(frames, color_by)
        scatter = go.Scattergl if len(frames) > SVG_POINT_LIMIT else go.Scatter
        fig.add_trace(
            scatter(
                x=frames["x"].to_numpy(np.float32),
                y=frames["y"].to_numpy(np.float32),
                mode="markers",
                marker={"size": point_size} | _marker_colour(frames, color_by, correct),
                customdata=custom,
                hovertemplate=hover + "<extra></extra>",
                showlegend=False,
            )
        )
    if word is not None and len(word.x):
        fig.add_trace(word_trace(word, colour_bar=False))
    fig.update_layout(
        template=MAP_TEMPLATE,
        height=600,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        dragmode="lasso",
        xaxis={"title": "UMAP 1", "showgrid": False, "zeroline": False},
        yaxis={"title": "UMAP 2", "showgrid": False, "zeroline": False},
        legend={"itemsizing": "constant", "font": {"size": 12}, "title": {"text": "character"}},
    )
    fig.update_xaxes(range=list(canvas.x_range), autorange=False)
    fig.update_yaxes(range=list(canvas.y_range), autorange=False)
    return fig


def _canvas(xs: np.ndarray, ys: np.ndarray, size: tuple[int, int]) -> map_image.Canvas:
    """The picture around the points for a plot area of ``size`` CSS pixels (``SCALE`` ×)."""
    width, height = size
    return map_image.Canvas.around(xs, ys, width * map_image.SCALE, height * map_image.SCALE)


def _char_traces(fig: go.Figure, frames: pd.DataFrame, point_size: float) -> None:
    """One trace per character (its hover names it) coloured by ``char_groups``, and one
    legend entry per group: clicking it shows or hides the whole group."""
    custom, hover = _hover(frames, "char")
    xs = frames["x"].to_numpy(np.float32)
    ys = frames["y"].to_numpy(np.float32)
    scatter = go.Scattergl if len(frames) > SVG_POINT_LIMIT else go.Scatter
    chars = frames["char"].astype(str).to_numpy()
    colours = char_groups.group_colours(np.unique(chars))
    for char in char_groups.char_order(chars):
        group = char_groups.char_group(char)
        mask = chars == char
        fig.add_trace(
            scatter(
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
    _group_legend(fig, chars)


def _group_legend(fig: go.Figure, chars: np.ndarray) -> None:
    """Legend-only entries, one per character group present, in ``GROUPS`` order."""
    seen: dict[str, int] = {}
    for char in char_groups.char_order(chars):
        group = char_groups.char_group(char)
        seen[group] = seen.get(group, 0) + 1
    for group, count in seen.items():
        fig.add_trace(
            go.Scatter(
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


def _point_rgb(frames: pd.DataFrame, color_by: str, correct: np.ndarray | None) -> np.ndarray:
    """``(n, 3)`` uint8 colours of the frames, the same as the ``"points"`` map gives them."""
    if color_by == "char":
        chars = frames["char"].astype(str).to_numpy()
        distinct, codes = np.unique(chars, return_inverse=True)
        colours = char_groups.group_colours(distinct)
        return map_image.rgb_array([colours[c] for c in distinct])[codes.reshape(-1)]
    if color_by == "cluster":
        codes = np.maximum(frames["cluster"].to_numpy(np.int64), 0)
        return map_image.rgb_array(PALETTE)[codes % len(PALETTE)]
    if color_by == "correct" and correct is not None:
        table = map_image.rgb_array(list(CORRECT_COLOURS.values()))
        return table[np.clip(np.asarray(correct, np.int64), -1, 1) + 1]
    entropy = frames["entropy"].to_numpy(np.float64)
    low, high = (float(np.nanmin(entropy)), float(np.nanmax(entropy))) if len(entropy) else (0, 1)
    steps = np.linspace(0.0, 1.0, 256)
    table = map_image.rgb_array(pcolors.sample_colorscale("Inferno", list(steps)))
    scaled = (entropy - low) / (high - low) if high > low else np.zeros_like(entropy)
    return table[np.clip(np.rint(np.nan_to_num(scaled) * 255), 0, 255).astype(np.int64)]


def _image_map(
    fig: go.Figure,
    frames: pd.DataFrame,
    canvas: map_image.Canvas,
    color_by: str,
    correct: np.ndarray | None,
    point_size: float,
) -> None:
    """The frames as one picture on ``canvas``, a transparent hover grid over it, an invisible
    trace that keeps plotly's box and lasso tools, and the colouring's legend."""
    xs = frames["x"].to_numpy(np.float64)
    ys = frames["y"].to_numpy(np.float64)
    rgb = _point_rgb(frames, color_by, correct)
    picture = map_image.draw_points(canvas, xs, ys, rgb, point_size * map_image.SCALE)
    (x0, x1), (y0, y1) = canvas.x_range, canvas.y_range
    _add_picture(fig, picture, canvas)
    fig.add_trace(_hover_grid(frames, canvas, color_by, correct))
    fig.add_trace(
        go.Scatter(
            x=[x0, x1], y=[y0, y1], mode="markers", marker={"size": 1, "opacity": 0},
            hoverinfo="skip", showlegend=False, name="extent",
        )
    )  # fmt: skip
    if color_by == "char":
        _group_legend(fig, frames["char"].astype(str).to_numpy())
        fig.update_layout(legend={"itemclick": False, "itemdoubleclick": False})
    elif color_by in ("entropy", "correct") and len(frames):
        marker = _marker_colour(frames, color_by, correct)
        values = np.asarray(marker["color"])
        marker |= {"color": [values.min(), values.max()], "opacity": 0, "size": 1}
        if color_by == "entropy":
            marker |= {"cmin": float(values.min()), "cmax": float(values.max())}
        fig.add_trace(
            go.Scatter(
                x=[x0, x0], y=[y0, y0], mode="markers", marker=marker,
                hoverinfo="skip", showlegend=False, name="colour scale",
            )
        )  # fmt: skip


def _hover_grid(
    frames: pd.DataFrame,
    canvas: map_image.Canvas,
    color_by: str,
    correct: np.ndarray | None,
) -> go.Heatmap:
    """A transparent heatmap of ``HOVER_CELL``-pixel cells whose hover says what lies there:
    how many frames, their main cluster and their most common characters."""
    width, height = PLOT_SIZE
    nx, ny = max(width // HOVER_CELL, 1), max(height // HOVER_CELL, 1)
    (x0, x1), (y0, y1) = canvas.x_range, canvas.y_range
    col = np.clip(((frames["x"].to_numpy() - x0) / (x1 - x0) * nx).astype(np.int64), 0, nx - 1)
    row = np.clip(((frames["y"].to_numpy() - y0) / (y1 - y0) * ny).astype(np.int64), 0, ny - 1)
    cells = pd.DataFrame(
        {
            "cell": row * nx + col,
            "cluster": frames["cluster"].to_numpy(),
            "char": frames["char"].astype(str).to_numpy(),
        }
    )
    extra = ""
    if color_by == "entropy":
        cells["value"] = frames["entropy"].to_numpy(np.float64)
        extra = "mean entropy {:.2f}"
    elif color_by == "correct" and correct is not None:
        cells["value"] = (np.asarray(correct) == 0).astype(np.float64)
        extra = "{:.0%} from wrongly read words"
    table = pd.DataFrame({"n": cells.groupby("cell").size()})
    by_cluster = cells.groupby(["cell", "cluster"]).size().rename("k").reset_index()
    by_cluster = by_cluster.sort_values("k", ascending=False, kind="stable")  # ties: lowest id
    by_cluster = by_cluster.drop_duplicates("cell")
    table = table.join(by_cluster.set_index("cell"))
    by_char = cells.groupby(["cell", "char"]).size().rename("k").reset_index()
    by_char = by_char.sort_values(["cell", "k"], ascending=[True, False], kind="stable")
    by_char = by_char.groupby("cell").head(3)
    by_char["part"] = [
        f"{html.escape(c)} ({k})" for c, k in zip(by_char["char"], by_char["k"], strict=True)
    ]
    table["chars"] = by_char.groupby("cell")["part"].agg(" · ".join)
    lines = [
        f"{n} frame{'s' if n != 1 else ''} · cluster {c} ({k / n:.0%})<br>{chars}"
        for n, c, k, chars in zip(
            table["n"], table["cluster"], table["k"], table["chars"], strict=True
        )
    ]
    if extra:
        means = cells.groupby("cell")["value"].mean().reindex(table.index)
        lines = [f"{line}<br>{extra.format(v)}" for line, v in zip(lines, means, strict=True)]
    z = np.full(nx * ny, np.nan)
    text = np.full(nx * ny, "", dtype=object)
    z[table.index.to_numpy()] = table["n"].to_numpy()
    text[table.index.to_numpy()] = lines
    return go.Heatmap(
        x=x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx,
        y=y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny,
        z=z.reshape(ny, nx),
        text=text.reshape(ny, nx),
        hovertemplate="%{text}<extra></extra>",
        hoverongaps=False,
        colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
        showscale=False,
        name="hover grid",
    )


class PlacedWord(NamedTuple):
    """A read word's frames placed on an analysis map: coordinates and greedy characters."""

    x: np.ndarray
    y: np.ndarray
    chars: Sequence[str]


def word_trace(word: PlacedWord, colour_bar: bool = True) -> go.Scatter:
    """A read word's frames as large outlined points, coloured from its first frame to its
    last; each names ``frame:character`` on hover only (no labels or lines across the map)."""
    frame = np.arange(len(word.x))
    marker: dict[str, Any] = {
        "size": 11,
        "color": frame,
        "colorscale": "Turbo",
        "line": {"width": 1.5, "color": "black"},
        "showscale": colour_bar,
    }
    if colour_bar:
        marker["colorbar"] = {"title": "frame", "len": 0.6}
    return go.Scatter(
        x=np.asarray(word.x, np.float64),
        y=np.asarray(word.y, np.float64),
        mode="markers",
        marker=marker,
        text=[f"{t}:{html.escape(str(c))}" for t, c in enumerate(word.chars)],
        hovertemplate="frame %{text}<extra>your word</extra>",
        name="your word",
        showlegend=False,
    )


PLACEMENT_SIZE = (1000, 400)
"""CSS pixels of the Recognize page's map (its reference picture is drawn for it)."""

REFERENCE_GREY = "#d2d2d2"


def placement_figure(reference: pd.DataFrame, word: PlacedWord) -> go.Figure:
    """The reference UMAP map as a grey picture with a read word's frames on it."""
    xs = np.concatenate([reference["x"].to_numpy(np.float64), np.asarray(word.x, np.float64)])
    ys = np.concatenate([reference["y"].to_numpy(np.float64), np.asarray(word.y, np.float64)])
    canvas = _canvas(xs, ys, PLACEMENT_SIZE)
    grey = map_image.rgb_array([REFERENCE_GREY])[np.zeros(len(reference), np.int64)]
    picture = map_image.draw_points(
        canvas, reference["x"].to_numpy(), reference["y"].to_numpy(), grey, 2 * map_image.SCALE
    )
    fig = go.Figure(word_trace(word))
    _add_picture(fig, picture, canvas)
    fig.update_layout(
        template=MAP_TEMPLATE,
        height=420,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        showlegend=False,
        xaxis={"showgrid": False, "zeroline": False, "range": list(canvas.x_range)},
        yaxis={"showgrid": False, "zeroline": False, "range": list(canvas.y_range)},
    )
    return fig


def _add_picture(fig: go.Figure, picture: np.ndarray, canvas: map_image.Canvas) -> None:
    """``picture`` under the traces, stretched over the canvas's extent in data units."""
    (x0, x1), (y0, y1) = canvas.x_range, canvas.y_range
    fig.add_layout_image(
        source=png.data_uri(picture, fast=True),
        xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
        xanchor="left", yanchor="top", sizing="stretch", layer="below",
    )  # fmt: skip
