"""Recognize in a real browser (issue 11): turn and box-crop a photo, take a photo with the
camera (Chromium's fake camera plays a JPEG of a rendered word), and align a wrong typed text.

Every expectation is computed here with ``crnn_core`` on the same tiny model and the same bytes
the page reads (``dashboard.photo`` / ``dashboard.crop_box`` make them), then looked for in
the page. Skips only where no browser is installed *and* ``CI`` is unset.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from browser import (
    COLD_TIMEOUT_MS,
    NO_TRACEBACK,
    PREDICTION,
    chromium_page,
    fake_camera_args,
    open_app,
    require_browser,
    upload,
    wait_for_metric,
    wait_idle,
)
from dashboard_support import two_words_png, word_png
from PIL import Image

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

require_browser()


@pytest.fixture(scope="module")
def recognizer(artifacts: Path) -> Any:
    from crnn_core.artifacts import load_recognizer

    return load_recognizer(artifacts)


def _shown(recognizer: Any, data: bytes) -> tuple[str, str]:
    """What the page must show for ``data``: the model-input metric and the word confidence."""
    width = recognizer.prepare([data])[0].shape[1]
    confidence = recognizer.predict([data])[0].confidence
    return f"32 × {width} px", f"{confidence:.1%}"


def _wait_for_reading(page: Any, shown: tuple[str, str]) -> None:
    wait_for_metric(page, "Model input", shown[0])
    wait_for_metric(page, "Word confidence", shown[1])


def _image_caption(page: Any, text: str) -> None:
    page.locator("[data-testid='stImageCaption']", has_text=text).first.wait_for()


def test_turned_and_box_cropped_photo_is_what_is_read(server: str, recognizer: Any) -> None:
    from dashboard.crop_box import cropped_png
    from dashboard.photo import rotated_png

    data = two_words_png()
    turned = rotated_png(data, quarter_turns=1)  # ↺ 90°: 100 × 200
    cut = cropped_png(turned, (0.0, 0.5, 1.0, 1.0))  # its bottom half: 100 × 100
    whole, upright, boxed = (_shown(recognizer, d) for d in (data, turned, cut))
    assert len({whole[0], upright[0], boxed[0]}) == 3  # each step changes the model input
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server)
        upload(page, "scene.png", data)
        _wait_for_reading(page, whole)
        _image_caption(page, "Your image")

        page.locator("[data-testid='stButtonGroup']", has_text="upright").locator(
            "button", has_text="↺ 90°"
        ).click()
        _wait_for_reading(page, upright)
        _image_caption(page, "Your image (rotated)")

        page.get_by_text("Select a box to read").click()
        rows = page.locator("[data-testid='stSlider']", has_text="Box: top").locator(
            "input[type='range']"
        )
        rows.first.focus()
        for _ in range(5):  # the top edge from 0 % to 50 % in steps of 10 %
            page.keyboard.press("PageUp")
        _wait_for_reading(page, boxed)
        _image_caption(page, "Your image (rotated) (the box read)")
        assert page.locator("[data-testid='stPlotlyChart']").count() >= 2  # box preview too
        assert page.locator(NO_TRACEBACK).count() == 0


def test_a_camera_photo_is_read(server: str, tmp_path: Path) -> None:
    video = tmp_path / "word.mjpeg"  # one JPEG frame: Chromium's fake camera loops it
    Image.open(io.BytesIO(word_png())).convert("RGB").resize((640, 480)).save(video, "JPEG")
    with chromium_page(
        extra_args=fake_camera_args(video), permissions=["camera"], timeout_ms=COLD_TIMEOUT_MS
    ) as page:
        open_app(page, server)
        assert page.locator("[data-testid='stCameraInput']").count() == 0  # off until asked
        page.get_by_text("Use the camera").click()
        page.locator("[data-testid='stCameraInput'] video").wait_for()
        page.locator("[data-testid='stCameraInputButton']", has_text="Take Photo").click()
        page.locator(
            "[data-testid='stCaptionContainer']", has_text="camera.jpg · decoder: greedy"
        ).wait_for()
        page.locator(PREDICTION).wait_for()
        _image_caption(page, "Your image")
        metric = page.locator("[data-testid='stMetric']", has_text="Model input").first
        assert metric.inner_text().split("\n")[-1].startswith("32 × ")
        assert page.locator(NO_TRACEBACK).count() == 0


def test_a_wrong_typed_text_is_aligned_against_the_reading(server: str, recognizer: Any) -> None:
    from crnn_core.decode import sequence_log_prob
    from dashboard.typed_truth import compare, spans

    data = word_png()
    (frames,) = recognizer.frame_logits([data])
    read = recognizer.decode([frames.logits])[0].text
    typed = "zebra" if read != "zebra" else "quiet"
    n = frames.logits.shape[0]
    exact = sequence_log_prob(
        frames.logits[None].repeat(2, 0), [n, n], [typed, read], recognizer.charset
    )
    expected = compare(frames.logits, read, typed, recognizer.charset)
    parted = spans(list(expected.parting["frame"]))
    assert parted  # a wrong text must take another path somewhere
    where = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in parted)
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server)
        upload(page, "word.png", data)
        wait_idle(page)
        tables = page.locator("[data-testid='stDataFrame']").count()  # the Frames tab's
        box = page.get_by_label("Type the true text to see why the model read something else")
        box.fill(typed)
        box.press("Enter")
        wait_for_metric(page, "log P(typed | image)", f"{exact[0]:.3f}")
        wait_for_metric(page, "log P(read | image)", f"{exact[1]:.3f}")
        wait_for_metric(page, "Parting frames", str(len(expected.parting)))
        summary = page.get_by_text("The best paths part at frame").first.inner_text()
        assert f"frame{'s' if len(expected.parting) > 1 else ''} {where};" in summary
        page.locator("[data-testid='stCaptionContainer']", has_text=f"typed {typed}").wait_for()
        page.wait_for_function(  # and the table of the frames where the paths part
            "n => document.querySelectorAll('[data-testid=\"stDataFrame\"]').length > n",
            arg=tables,
            polling=100,
        )
        assert page.locator(NO_TRACEBACK).count() == 0


def test_copy_puts_the_reading_on_the_clipboard(server: str, recognizer: Any) -> None:
    data = word_png()
    read = recognizer.predict([data])[0].text
    with chromium_page(
        permissions=["clipboard-read", "clipboard-write"], timeout_ms=COLD_TIMEOUT_MS
    ) as page:
        open_app(page, server)
        upload(page, "word.png", data)
        wait_idle(page)
        page.evaluate("navigator.clipboard.writeText('before')")
        button = page.locator("[data-testid='copy-reading']")
        assert button.get_attribute("data-text") == read
        button.click()
        page.locator("[data-testid='copy-reading']", has_text="Copied").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == read


def test_downloads_are_built_on_click_and_hold_the_reading(server: str, recognizer: Any) -> None:
    """The CSV and JSON are deferred downloads (built on click, no rerun): both must still come
    with this upload's reading and its confidence."""
    import csv
    import json

    data = word_png()
    expected = recognizer.predict([data])[0]
    (frames,) = recognizer.frame_logits([data])
    with chromium_page(timeout_ms=COLD_TIMEOUT_MS) as page:
        open_app(page, server)
        upload(page, "word.png", data)
        wait_idle(page)
        with page.expect_download() as event:
            page.get_by_role("button", name="Download CSV").click()
        assert event.value.suggested_filename == "predictions.csv"
        (row,) = csv.DictReader(io.StringIO(Path(event.value.path()).read_text("utf-8")))
        assert (row["file"], row["text"]) == ("word.png", expected.text)
        assert float(row["confidence"]) == pytest.approx(expected.confidence, abs=1e-6)
        with page.expect_download() as event:
            page.get_by_role("button", name="Download JSON").click()
        (item,) = json.loads(Path(event.value.path()).read_text("utf-8"))
        assert item["text"] == expected.text
        assert len(item["frames_detail"]) == frames.logits.shape[0]  # one row per frame
        assert page.locator(NO_TRACEBACK).count() == 0
