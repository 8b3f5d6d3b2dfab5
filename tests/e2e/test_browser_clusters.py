"""Clusters in a real browser (issue 12): analyse your own labelled photos (a zip made here)
as a background job with visible progress, the new analysis offered and selected in the
picker with its map drawn; the lazy "Cluster inspector" tab's column grid; and the map
recoloured by word correctness and by character without an error on the page.

The server keeps user analyses in a folder of this module (``CRNN_USER_DATA``). The tiny
model ships no analysis, so the one made from the zip is the only one the picker offers; the
inspector and colouring tests reuse it (or make it here, with the same job code, when they
run on their own). Expectations are computed with the dashboard's own modules on that
folder. Skips only where no browser is installed *and* ``CI`` is unset.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser import (
    COLD_TIMEOUT_MS,
    NO_TRACEBACK,
    chromium_page,
    metric_value,
    open_app,
    require_browser,
    wait_for_plot,
    wait_idle,
)
from dashboard_support import wait_for_job
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

require_browser()

NAME = "street words"  # the analysis' name as typed; its folder is "street-words"
FOLDER = "street-words"
N_WORDS = 8
JOB_SECONDS = 540.0  # model, logits, KMeans and UMAP in a niced worker on a busy machine
CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"
PROGRESS = re.compile(r"Analysing street-words: step ([1-6]) of 6, ")
GRID = re.compile(r"Column grid: ([\d,]+) of ([\d,]+) frames")


@pytest.fixture(scope="module")
def user_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("user-data")


@pytest.fixture(scope="module")
def server(artifacts: Path, user_data: Path, start_server: Callable[..., str]) -> str:
    """User analyses go to ``user_data``, set for the server (it starts before the per-test
    ``CRNN_USER_DATA`` of ``tests/conftest.py``)."""
    return start_server(artifacts, env={"CRNN_USER_DATA": str(user_data)})


def labelled_zip() -> tuple[bytes, list[str]]:
    """Rendered words with their true texts, in the analysis folder format at the zip's top
    (``labels.tsv`` + ``img/*.png``); returns the zip and the texts."""
    from crnn_core.charset import Charset
    from crnn_core.data.synthetic import SyntheticWordGenerator

    generator = SyntheticWordGenerator(Charset.preset("36_lowercase"), seed=7)
    buffer = io.BytesIO()
    texts = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = []
        for i in range(N_WORDS):
            image, text = generator.sample(i)
            png = io.BytesIO()
            Image.fromarray(image, mode="L").save(png, format="PNG")
            archive.writestr(f"img/{i}.png", png.getvalue())
            lines.append(f"img/{i}.png\t{text}")
            texts.append(text)
        archive.writestr("labels.tsv", "\n".join(lines) + "\n")
    return buffer.getvalue(), texts


@pytest.fixture(scope="module")
def analysed(user_data: Path, artifacts: Path) -> Path:
    """The finished analysis of the zip: the one the upload test made through the page, or,
    where that did not run (a test picked on its own), one made here by the same job code."""
    from crnn_core.analysis import jobs

    root = user_data / "analyses"
    folder = root / FOLDER
    if (folder / jobs.JOB_FILE).is_file():
        status = wait_for_job(folder, JOB_SECONDS, poll=1.0)
    else:
        folder = jobs.prepare_job(io.BytesIO(labelled_zip()[0]), NAME, "street.zip", root=root)
        jobs.run_job(folder, artifacts)
        status = jobs.read_status(folder)
    assert status.state == "done", status.message
    return folder


def _no_error(page: Any) -> None:
    assert page.locator(NO_TRACEBACK).count() == 0
    assert page.locator("[data-testid='stAlertContentError']").count() == 0
    assert "Traceback" not in page.locator("body").inner_text()


def _watch_progress(page: Any) -> None:
    """Record every text a progress bar shows (the bar is gone once the job is over)."""
    page.evaluate(
        """() => { window.seenProgress = [];
        new MutationObserver(() => document.querySelectorAll('[data-testid="stProgress"]')
            .forEach(e => window.seenProgress.push(e.textContent)))
        .observe(document.body, {childList: true, subtree: true, characterData: true}); }"""
    )


def _selected(page: Any, label: str) -> str:
    """The option a selectbox shows (its combobox input holds it)."""
    combobox = page.locator(f"[data-testid='stSelectbox'] input[aria-label='{label}']")
    return str(combobox.input_value())


def _choose(page: Any, label: str, option: str) -> None:
    page.locator("[data-testid='stSelectbox']", has_text=label).first.click()
    page.get_by_role("option", name=option, exact=True).click()


def _chart_text(page: Any) -> str:
    """The text plotly draws in the map's SVG (axes, colour bar, legend)."""
    return str(page.evaluate(f"() => document.querySelector(\"{CHART}\")?.textContent ?? ''"))


def _wait_for_chart(page: Any, present: str, absent: str) -> None:
    """Wait until the map's SVG text contains ``present`` and not ``absent`` (a redraw)."""
    page.wait_for_function(
        "([selector, present, absent]) => { const t = document.querySelector(selector)"
        "?.textContent ?? ''; return t.includes(present) && !t.includes(absent); }",
        arg=[CHART, present, absent],
        polling=200,
    )


def test_a_labelled_zip_is_analysed_and_offered_in_the_picker(server: str, user_data: Path) -> None:
    data, texts = labelled_zip()
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server, "clusters")
        page.get_by_text("Analyse your own photos").first.click()
        page.locator("[data-testid='stFileUploader'] input[type='file']").first.set_input_files(
            files=[{"name": "street.zip", "mimeType": "application/zip", "buffer": data}]
        )
        page.locator("[data-testid='stFileChipName']", has_text="street.zip").wait_for()
        wait_idle(page)
        name = page.get_by_label("Name of the analysis", exact=True)
        name.fill(NAME)
        name.press("Enter")
        wait_idle(page)
        start = page.locator("[data-testid='stButton'] button", has_text="Analyse")
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=\"stButton\"] button')]"
            ".some(b => b.textContent.trim() === 'Analyse' && !b.disabled)",
            polling=100,
        )
        _watch_progress(page)
        start.click()

        ready = page.get_by_text(f"Your analysis {FOLDER} is ready")
        ready.wait_for(timeout=JOB_SECONDS * 1000)
        status = wait_for_job(user_data / "analyses" / FOLDER, 5.0, poll=1.0)
        assert status.state == "done", status.message
        assert f"({status.message})" in ready.inner_text()  # "(8 images, 161 frames)"
        seen = page.evaluate("() => window.seenProgress")
        # A quiet machine may finish between two polls; what was caught must be the job's
        # steps, in order.
        steps = [PROGRESS.search(text) for text in seen]
        assert all(steps), seen[:3]
        numbers = [int(step[1]) for step in steps if step]
        assert numbers == sorted(numbers), numbers

        wait_for_plot(page)
        wait_idle(page)
        assert _selected(page, "Analysis folder") == f"your photos: {FOLDER}"
        summary = json.loads((status.directory / "summary.json").read_text())
        assert summary["counts"]["images"] == len(texts)
        assert status.message == f"{len(texts)} images, {summary['counts']['frames']} frames"
        assert metric_value(page, "Frames") == f"{summary['counts']['frames']:,}"
        captions = page.locator("[data-testid='stCaptionContainer']").all_inner_texts()
        assert any("frames shown" in c for c in captions), captions
        _no_error(page)


def _expected_grid(folder: Path) -> tuple[int, int, int, tuple[int, int]]:
    """What the inspector starts on for ``folder``: its cluster, the frames in the column grid,
    the cluster's frames and the grid image's (height, width) in pixels."""
    from crnn_core.analysis.loader import load_analysis
    from dashboard import cluster_look, insights
    from dashboard.analysis_view import AnalysisView

    analysis = AnalysisView.from_object(load_analysis(folder), folder)
    frames = analysis.frames_of(next(iter(analysis.views)))
    ids = sorted(int(c) for c in frames["cluster"].unique() if c >= 0)
    start = insights.largest_non_blank_cluster(frames)
    cluster = start if start in ids else ids[0]
    members = frames[frames["cluster"] == cluster]
    look = cluster_look.cluster_columns(analysis, members, context=0, polarity=True)
    assert look is not None, "the analysis stores no word images"
    return cluster, look.shown, look.total, (look.grid.shape[0], look.grid.shape[1])


def test_the_cluster_inspector_tab_shows_the_column_grid(server: str, analysed: Path) -> None:
    cluster, shown, total, (height, width) = _expected_grid(analysed)
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server, "clusters")
        wait_for_plot(page)  # the Map tab is open first
        wait_idle(page)
        assert page.get_by_text("Column grid:").count() == 0  # lazy: not rendered yet
        page.get_by_role("tab", name="Cluster inspector").click()
        caption = page.locator("[data-testid='stCaptionContainer']", has_text="Column grid:")
        caption.first.wait_for()
        wait_idle(page)
        found = GRID.search(caption.first.inner_text())
        assert found, caption.first.inner_text()
        assert (int(found[1].replace(",", "")), int(found[2].replace(",", ""))) == (shown, total)
        assert metric_value(page, "Frames in cluster") == f"{total:,}"
        assert _selected(page, "Cluster") == str(cluster)
        # The grid is an image of exactly the computed size, loaded and drawn (images arrive
        # from the media endpoint after the caption, so wait for it).
        page.wait_for_function(
            "([w, h]) => [...document.querySelectorAll('[role=\"tabpanel\"] img')]"
            ".some(i => i.complete && i.naturalWidth === w && i.naturalHeight === h "
            "&& i.getBoundingClientRect().width > 0)",
            arg=[width, height],
            polling=200,
        )
        _no_error(page)


def test_colouring_by_word_correctness_and_by_character_redraws_the_map(
    server: str, analysed: Path
) -> None:
    del analysed
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server, "clusters")
        wait_for_plot(page)
        wait_idle(page)
        before = _chart_text(page)  # KMeans cluster: no colour bar, no legend
        assert "UMAP 1" in before and "wrong" not in before and "character" not in before

        _choose(page, "Colour by", "word correct (greedy, acc36)")
        _wait_for_chart(page, "right", "character")
        wait_idle(page)
        text = _chart_text(page)
        assert all(tick in text for tick in ("word", "no truth", "wrong", "right")), text
        assert _selected(page, "Colour by") == "word correct (greedy, acc36)"
        _no_error(page)

        _choose(page, "Colour by", "greedy character")
        _wait_for_chart(page, "character", "no truth")
        wait_idle(page)
        assert "UMAP 1" in _chart_text(page)
        assert _selected(page, "Colour by") == "greedy character"
        # Redrawn in place, not a second chart: the old element may linger until the run that
        # replaced it has finished, so wait for one chart rather than count at once.
        page.wait_for_function(
            "() => document.querySelectorAll(\"[data-testid='stPlotlyChart']\").length === 1",
            polling=200,
            timeout=30_000,
        )
        _no_error(page)
