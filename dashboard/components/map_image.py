"""The UMAP map drawn as one picture on the server, for maps of many frames.

Why: in a browser without a GPU (and on many laptops) WebGL is drawn by the CPU, and a plotly
``Scattergl`` of 13 000–100 000 points costs most of the Clusters page's first paint, and the
same again on every recolour and selection. A PNG of the same points is decoded once and needs
no WebGL context. Plotly still draws the axes, the box and lasso tools (the page reads their
geometry, ``map_selection.in_selection``) and a hover grid that says what lies under the
pointer (``maps.umap_figure`` with ``draw="image"``).

Pixels are drawn at ``SCALE`` × the CSS size, so the picture stays sharp on high-density screens
and when zoomed in twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from plotly import colors as pcolors

__all__ = ["SCALE", "Canvas", "draw_points", "rgb_array"]

SCALE = 2
"""Picture pixels per CSS pixel of the plot area."""


@dataclass(frozen=True)
class Canvas:
    """A picture of ``width`` × ``height`` pixels covering ``x_range`` × ``y_range`` (data
    units; y grows upwards, rows downwards)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    width: int
    height: int

    @classmethod
    def around(
        cls, xs: np.ndarray, ys: np.ndarray, width: int, height: int, pad: float = 0.02
    ) -> Canvas:
        """The canvas around the points, with ``pad`` of each span added on every side."""
        if len(xs) == 0:
            return cls((0.0, 1.0), (0.0, 1.0), width, height)
        x0, x1 = float(np.nanmin(xs)), float(np.nanmax(xs))
        y0, y1 = float(np.nanmin(ys)), float(np.nanmax(ys))
        dx, dy = max(x1 - x0, 1e-6) * pad, max(y1 - y0, 1e-6) * pad
        return cls((x0 - dx, x1 + dx), (y0 - dy, y1 + dy), width, height)

    def to_pixels(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(columns, rows)`` of the pixels holding the points (unclipped, int64)."""
        (x0, x1), (y0, y1) = self.x_range, self.y_range
        cols = np.floor((np.asarray(xs, np.float64) - x0) / (x1 - x0) * self.width)
        rows = np.floor((y1 - np.asarray(ys, np.float64)) / (y1 - y0) * self.height)
        return cols.astype(np.int64), rows.astype(np.int64)


def rgb_array(colours: Sequence[str]) -> np.ndarray:
    """``(n, 3)`` uint8 RGB of plotly colour strings (``#rrggbb`` or ``rgb(r, g, b)``)."""
    tuples = pcolors.convert_colors_to_same_type(list(colours), colortype="tuple")[0]
    return np.clip(np.rint(np.asarray(tuples, np.float64) * 255), 0, 255).astype(np.uint8)


def _disc(diameter: float) -> tuple[np.ndarray, np.ndarray]:
    """Pixel offsets ``(drow, dcol)`` of a filled disc of ``diameter`` pixels."""
    radius = max(diameter, 1.0) / 2
    reach = int(np.ceil(radius))
    d = np.arange(-reach, reach + 1)
    drow, dcol = np.meshgrid(d, d, indexing="ij")
    inside = drow**2 + dcol**2 <= radius**2 + 0.25
    return drow[inside], dcol[inside]


def draw_points(
    canvas: Canvas, xs: np.ndarray, ys: np.ndarray, rgb: np.ndarray, diameter: float
) -> np.ndarray:
    """``(height, width, 4)`` uint8 RGBA: opaque discs of ``diameter`` pixels on a transparent
    ground. Later points lie on top of earlier ones, as plotly draws them."""
    n = len(xs)
    picture = np.zeros((canvas.height, canvas.width, 4), np.uint8)
    if n == 0:
        return picture
    cols, rows = canvas.to_pixels(xs, ys)
    drow, dcol = _disc(diameter)
    rr = (rows[:, None] + drow[None, :]).ravel()
    cc = (cols[:, None] + dcol[None, :]).ravel()
    owner = np.repeat(np.arange(n), len(drow))
    inside = (rr >= 0) & (rr < canvas.height) & (cc >= 0) & (cc < canvas.width)
    flat = rr[inside] * canvas.width + cc[inside]
    top = np.full(canvas.height * canvas.width, -1, np.int64)
    np.maximum.at(top, flat, owner[inside])  # the last point drawn on a pixel wins
    covered = np.flatnonzero(top >= 0)
    pixels = picture.reshape(-1, 4)
    pixels[covered, :3] = rgb[top[covered]]
    pixels[covered, 3] = 255
    return picture
