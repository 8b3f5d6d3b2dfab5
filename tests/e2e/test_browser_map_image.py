"""A large Clusters map in a real browser: drawn as a picture (no WebGL), its hover grid names
what lies under the pointer, and a lasso selects the same frames as on the map of points."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from browser import (
    NO_TRACEBACK,
    chromium_page,
    lasso_select,
    open_app,
    require_browser,
    wait_for_plot,
    wait_idle,
)
from dashboard_support import make_tiny_artifacts

from dashboard.components import map_selection, maps

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

require_browser()

CHART = "[data-testid='stPlotlyChart']"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model and a real analysis of enough words for more than ``SVG_POINT_LIMIT``
    frames on the map."""
    from crnn_core.analysis.command import analyze
    from crnn_core.analysis.pipeline import AnalysisConfig

    root = make_tiny_artifacts(tmp_path_factory.mktemp("artifacts"))
    analyze(["synthetic:130"], root / "analysis", root, AnalysisConfig(progress=False))
    return root


def _map_caption(page: Any) -> str:
    caption = page.locator("[data-testid='stCaptionContainer']", has_text="frames shown").first
    return str(caption.inner_text())


def _pixel_of(page: Any, x: float, y: float) -> tuple[float, float]:
    """Where the data point ``(x, y)`` is on the screen (plotly's own axis mapping)."""
    left, top = page.evaluate(
        """([x, y]) => {
            const gd = document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot");
            const area = gd.querySelector('.nsewdrag').getBoundingClientRect();
            const layout = gd._fullLayout;
            return [area.left + layout.xaxis.l2p(x), area.top + layout.yaxis.l2p(y)];
        }""",
        [float(x), float(y)],  # numpy floats do not serialise
    )
    return float(left), float(top)


def _count(heading: str) -> int:
    return int(heading.split("·")[1].split()[0].replace(",", ""))


def _inside_lasso(page: Any, frames: pd.DataFrame) -> int:
    """How many of ``frames`` lie inside the lasso plotly holds (its path in data units),
    by ``map_selection``'s rule."""
    path = page.evaluate(
        """() => document.querySelector("[data-testid='stPlotlyChart'] .js-plotly-plot")
            .layout.selections[0].path"""
    )
    numbers = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e-?\d+)?", path)]
    xs, ys = numbers[0::2], numbers[1::2]
    inside = map_selection.in_polygon(frames["umap_x"], frames["umap_y"], xs, ys)
    return int(inside.sum())


def test_a_large_map_is_a_picture_that_hovers_and_selects_like_the_points(
    server: str, artifacts: Path
) -> None:
    frames = pd.read_parquet(artifacts / "analysis" / "frames.parquet")
    shown = frames[frames["umap_x"].notna() & (frames["greedy_class"] != 0)]
    assert len(shown) > maps.SVG_POINT_LIMIT  # else the fixture is too small to test this
    with chromium_page() as page:
        open_app(page, server, "clusters")
        wait_for_plot(page)
        wait_idle(page)
        assert f"{len(shown):,} frames shown" in _map_caption(page)
        assert "drawn as a picture" in _map_caption(page)
        assert page.locator(f"{CHART} .imagelayer image").count() == 1
        assert page.locator(f"{CHART} canvas").count() == 0  # no WebGL context

        # Hover the very pixel of one frame: the grid cell there counts it. The frame nearest
        # the middle of the map, away from the mode bar in the top corner.
        mid_x, mid_y = shown["umap_x"].median(), shown["umap_y"].median()
        distance = (shown["umap_x"] - mid_x) ** 2 + (shown["umap_y"] - mid_y) ** 2
        frame = shown.loc[distance.idxmin()]
        page.locator(f"{CHART} .nsewdrag").first.scroll_into_view_if_needed()
        page.mouse.move(*_pixel_of(page, frame["umap_x"], frame["umap_y"]))
        hover = page.locator(f"{CHART} .hoverlayer .hovertext").first
        hover.wait_for(state="visible")
        text = str(hover.text_content())  # SVG text: no inner_text
        assert "cluster" in text and "frame" in text

        # The page selects what lies inside the lasso's geometry ...
        in_picture = _count(lasso_select(page, 0.5))
        assert 0 < in_picture < len(shown)
        assert in_picture == _inside_lasso(page, shown)

        page.get_by_text("Draw every point").click()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
            ".some(e => e.innerText.includes('each point hovers its frame'))"
        )
        # A new map, no selection: the old heading goes when the rerun ends (it can outlive
        # the idle check by a few hundred ms, so wait for it rather than count it at once).
        page.locator("h3", has_text="Selection ·").first.wait_for(state="detached", timeout=30_000)
        wait_for_plot(page)
        wait_idle(page)
        # ... and on a map of points plotly's own point-in-lasso agrees with that rule.
        in_points = _count(lasso_select(page, 0.5))
        assert in_points == _inside_lasso(page, shown)
        assert abs(in_points - in_picture) <= 0.05 * in_picture  # the same extent on screen
        assert page.locator(NO_TRACEBACK).count() == 0
