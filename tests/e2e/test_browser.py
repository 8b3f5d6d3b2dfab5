"""The dashboard in a real browser: ``streamlit run`` on a free port, Debian's Chromium through
Playwright. Upload a rendered word, read the prediction, switch to beam search, open Clusters.

Skips only where no browser is installed *and* ``CI`` is unset; in CI a missing browser fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import (
    NO_TRACEBACK,
    choose_beam,
    chromium_page,
    lasso_select,
    open_app,
    open_page,
    prediction_text,
    require_browser,
    upload,
    wait_for_plot,
    wait_idle,
    whole_page,
)
from dashboard_support import make_tiny_artifacts, word_png

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

require_browser()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model plus an analysis of 24 synthetic words made by the real ``analyze``."""
    from crnn_core.analysis.command import analyze
    from crnn_core.analysis.pipeline import AnalysisConfig

    root = make_tiny_artifacts(tmp_path_factory.mktemp("artifacts"))
    analyze(["synthetic:24"], root / "analysis", root, AnalysisConfig(progress=False))
    return root


def test_upload_beam_and_clusters(server: str, artifacts: Path, tmp_path: Path) -> None:
    from crnn_core.artifacts import load_recognizer

    data = word_png(index=4)
    recognizer = load_recognizer(artifacts)
    greedy = recognizer.predict([data])[0].text
    beam = recognizer.predict([data], decoder="beam", beam_width=10, top_k=5)[0].text
    with chromium_page() as page:
        open_app(page, server)
        upload(page, "word.png", data)
        assert prediction_text(page) == greedy
        wait_idle(page)
        (tmp_path / "recognize.png").write_bytes(whole_page(page))

        choose_beam(page)
        assert prediction_text(page) == beam
        assert page.get_by_text("Beam candidates").count() == 1
        (tmp_path / "beam.png").write_bytes(whole_page(page))

        open_page(page, "Clusters")
        wait_for_plot(page)
        assert page.locator("[data-testid='stMetric']").first.is_visible()
        wait_idle(page)
        heading = lasso_select(page)
        assert int(heading.split("·")[1].split()[0].replace(",", "")) > 0
        assert page.locator(NO_TRACEBACK).count() == 0
        (tmp_path / "clusters.png").write_bytes(whole_page(page))
    assert all((tmp_path / f"{name}.png").stat().st_size > 0 for name in ("recognize", "clusters"))


def test_bad_upload_shows_a_message_and_the_app_keeps_working(server: str) -> None:
    with chromium_page() as page:
        open_app(page, server)
        page.locator("input[type='file']").first.set_input_files(
            files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image"}]
        )
        alert = page.locator("[data-testid='stAlertContentError']")
        alert.first.wait_for(state="visible")
        assert "not an image" in alert.first.inner_text()
        assert page.locator(NO_TRACEBACK).count() == 0  # no stack trace
        upload(page, "good.png", word_png(index=6))
        assert prediction_text(page) is not None


@pytest.mark.parametrize("title", ["Evaluation", "Model"])
def test_other_pages_render(server: str, title: str) -> None:
    with chromium_page() as page:
        open_app(page, server)
        open_page(page, title)
        wait_idle(page)
        assert page.locator(NO_TRACEBACK).count() == 0
        if title == "Model":
            wait_for_plot(page)  # the learning curve
