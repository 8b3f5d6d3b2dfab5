"""The UMAP map drawn as a picture (``map_image``), read back through selection geometry
(``map_selection``), and the ``"image"`` figure the Clusters page shows for large maps."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dashboard.components import PALETTE, map_image, map_selection, maps


def _frames(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "image_id": np.arange(n) // 10,
            "t": np.arange(n) % 10,
            "cluster": rng.integers(0, 40, n),
            "entropy": rng.random(n),
            "char": rng.choice(list("abcXY7"), n),
        }
    )
    frames.index = frames.index + 100  # row labels of a full table, not positions
    return frames


def _picture(fig: object) -> np.ndarray:
    (image,) = fig.layout.images  # type: ignore[attr-defined]
    header, data = image.source.split(",", 1)
    assert header == "data:image/png;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGBA"))


def test_points_land_on_their_pixels_and_later_points_cover_earlier_ones() -> None:
    canvas = map_image.Canvas((0.0, 10.0), (0.0, 5.0), width=100, height=50)
    cols, rows = canvas.to_pixels(np.array([0.05, 9.95, 5.0]), np.array([4.95, 0.05, 2.5]))
    assert list(cols) == [0, 99, 50] and list(rows) == [0, 49, 25]  # y up, rows down

    rgb = np.array([[255, 0, 0], [0, 0, 255]], np.uint8)
    picture = map_image.draw_points(canvas, np.array([5.0, 5.0]), np.array([2.5, 2.5]), rgb, 3)
    assert picture.shape == (50, 100, 4)
    assert list(picture[25, 50]) == [0, 0, 255, 255]  # the second (later) point is on top
    assert picture[..., 3].sum() // 255 == 9  # a 3-pixel disc: 3 × 3 here
    assert picture[0, 0, 3] == 0  # transparent ground

    # A point on the edge is clipped, not wrapped around.
    edge = map_image.draw_points(canvas, np.array([0.0]), np.array([0.0]), rgb[:1], 5)
    assert edge[:, 90:, 3].sum() == 0 and edge[:5, :, 3].sum() == 0


def test_rgb_array_reads_hex_and_rgb_strings() -> None:
    assert map_image.rgb_array(["#ff8000", "rgb(1, 2, 3)"]).tolist() == [[255, 128, 0], [1, 2, 3]]


def test_box_and_lasso_select_what_they_enclose() -> None:
    xs = np.array([0.5, 1.5, 2.5, 0.5, 2.5])
    ys = np.array([0.5, 0.5, 0.5, 2.5, 2.5])
    box = {"box": [{"x": [2.0, 0.0], "y": [0.0, 1.0]}], "lasso": []}  # corners in any order
    assert map_selection.in_selection(xs, ys, box).tolist() == [True, True, False, False, False]
    # A concave "L": the bottom row and the left column, not the point at (2.5, 2.5).
    ell = {"x": [0, 3, 3, 1, 1, 0], "y": [0, 0, 1, 1, 3, 3]}
    chosen = map_selection.in_selection(xs, ys, {"lasso": [ell]})
    assert chosen.tolist() == [True, True, True, True, False]
    both = {"box": [{"x": [2, 3], "y": [2, 3]}], "lasso": [ell]}  # shift-drawn: the union
    assert map_selection.in_selection(xs, ys, both).all()
    assert not map_selection.in_selection(xs, ys, {"box": [], "lasso": []}).any()
    assert not map_selection.has_geometry({"points": [], "box": [], "lasso": []})
    assert map_selection.has_geometry(box)


@pytest.mark.parametrize("colour", ["cluster", "char", "entropy", "correct"])
def test_an_image_map_draws_every_point_in_its_colouring(colour: str) -> None:
    frames = _frames(3000)
    correct = np.where(np.arange(3000) % 3 == 0, 0, 1)
    fig = maps.umap_figure(frames, colour, correct=correct, draw="image")
    picture = _picture(fig)
    width, height = maps.PLOT_SIZE
    assert picture.shape == (height * map_image.SCALE, width * map_image.SCALE, 4)
    assert not [t for t in fig.data if t.type == "scattergl"]  # no WebGL at all
    # The axes show exactly the picture's extent, and every point lies inside it.
    (x0, x1), (y0, y1) = fig.layout.xaxis.range, fig.layout.yaxis.range
    assert x0 < frames["x"].min() and frames["x"].max() < x1
    assert y0 < frames["y"].min() and frames["y"].max() < y1
    # The last point drawn shows its own colour at its centre pixel.
    scale = map_image.SCALE
    canvas = map_image.Canvas((x0, x1), (y0, y1), width * scale, height * scale)
    cols, rows = canvas.to_pixels(frames["x"].to_numpy(), frames["y"].to_numpy())
    last = frames.iloc[-1]
    expected = {
        "cluster": map_image.rgb_array([PALETTE[int(last["cluster"]) % len(PALETTE)]])[0],
        "correct": map_image.rgb_array([maps.CORRECT_COLOURS[int(correct[-1])]])[0],
    }
    if colour in expected:
        assert picture[rows[-1], cols[-1], :3].tolist() == expected[colour].tolist()
    assert picture[rows[-1], cols[-1], 3] == 255
    legend = [t.name for t in fig.data if t.showlegend]
    if colour == "char":
        assert legend == ["digits (1)", "upper case (2)", "lower case (3)"]
    bars = [t for t in fig.data if t.type == "scatter" and t.marker.colorbar.title.text]
    assert len(bars) == (1 if colour in ("entropy", "correct") else 0)


def test_the_hover_grid_says_what_lies_in_each_cell() -> None:
    frames = pd.DataFrame(
        {
            "x": [0.0, 0.0, 0.0, 10.0],
            "y": [0.0, 0.0, 0.0, 10.0],
            "image_id": [1, 1, 2, 3],
            "t": [0, 1, 0, 0],
            "cluster": [4, 4, 7, 9],
            "char": ["a", "a", "<", "b"],
            "entropy": [0.1, 0.3, 0.5, 1.0],
        }
    )
    fig = maps.umap_figure(frames, "entropy", draw="image")
    (grid,) = [t for t in fig.data if t.type == "heatmap"]
    text = np.asarray(grid.text)
    filled = sorted(str(t) for t in text.ravel() if t)
    assert filled == [
        "1 frame · cluster 9 (100%)<br>b (1)<br>mean entropy 1.00",
        "3 frames · cluster 4 (67%)<br>a (2) · &lt; (1)<br>mean entropy 0.30",
    ]
    assert int(np.isnan(np.asarray(grid.z, float)).sum()) == text.size - 2  # empty: no hover
    assert grid.hoverongaps is False


def test_draw_mode_keeps_points_for_small_maps_or_when_asked() -> None:
    limit = maps.SVG_POINT_LIMIT
    assert maps.draw_mode(limit, False) == "points"
    assert maps.draw_mode(limit + 1, False) == "image"
    assert maps.draw_mode(100_000, True) == "points"
    small = maps.umap_figure(_frames(limit), "cluster")
    assert small.data[0].type == "scatter"  # SVG: no WebGL context to start
    assert maps.umap_figure(_frames(limit + 1), "cluster").data[0].type == "scattergl"


def test_the_recognize_map_is_a_grey_picture_under_the_words_frames() -> None:
    reference = _frames(5000)
    word = maps.PlacedWord(np.array([0.0, 1.0, 2.0]), np.array([0.0, 0.5, 1.0]), ["<", "a", "∅"])
    fig = maps.placement_figure(reference, word)
    picture = _picture(fig)
    drawn = picture[picture[..., 3] == 255][:, :3]
    assert len(drawn) > 5000 and (drawn == map_image.rgb_array([maps.REFERENCE_GREY])).all()
    (trace,) = fig.data  # the word only: no WebGL reference trace, no lines or labels
    assert trace.type == "scatter" and trace.mode == "markers"
    assert list(trace.text) == ["0:&lt;", "1:a", "2:∅"] and "frame %{text}" in trace.hovertemplate
    assert trace.marker.showscale  # the frame colour bar
    (x0, x1) = fig.layout.xaxis.range
    assert x0 < min(reference["x"].min(), 0.0) and max(reference["x"].max(), 2.0) < x1

    on_clusters = maps.umap_figure(reference, "entropy", draw="image", word=word)
    assert on_clusters.data[-1].name == "your word"  # on top of everything
    assert not on_clusters.data[-1].marker.showscale  # the map's own colour bar stays alone
