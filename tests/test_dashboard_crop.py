"""Box crop on the Recognize page: a box chosen with the sliders (or drawn with box select) is
cut from the photo and only the box is read."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from dashboard_support import APP, TIMEOUT, two_words_png
from PIL import Image

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from dashboard.crop_box import box_from_selection, cropped_png


def test_cropped_png_cuts_the_box_and_clamps() -> None:
    data = two_words_png()
    cut = Image.open(io.BytesIO(cropped_png(data, (0.5, 0.5, 1.0, 1.0))))
    assert cut.size == (100, 50)
    whole = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    np.testing.assert_array_equal(np.asarray(cut.convert("RGB")), whole[50:, 100:])
    tiny = Image.open(io.BytesIO(cropped_png(data, (1.2, 0.3, 1.5, 0.3))))
    assert tiny.size == (1, 1)  # outside or empty boxes still give a readable image


def test_box_from_selection() -> None:
    event = {"selection": {"box": [{"x": [150, 50], "y": [10, 90]}], "points": []}}
    assert box_from_selection(event, (200, 100)) == (0.25, 0.1, 0.75, 0.9)
    assert box_from_selection({"selection": {"box": []}}, (200, 100)) is None
    assert box_from_selection(None, (200, 100)) is None
    wide = {"selection": {"box": [{"x": [-20, 400], "y": [0, 50]}]}}
    assert box_from_selection(wide, (200, 100)) == (0.0, 0.0, 1.0, 0.5)


def test_box_is_read_instead_of_the_whole_photo(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crnn_core.artifacts import load_recognizer

    recognizer = load_recognizer(artifacts)
    data = two_words_png()
    box = (0.55, 0.6, 1.0, 1.0)
    expected = recognizer.predict([cropped_png(data, box)])[0]
    cut_width = recognizer.prepare([cropped_png(data, box)])[0].shape[1]
    monkeypatch.setenv("CRNN_ARTIFACTS", str(artifacts))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.file_uploader[0].set_value(("scene.png", data, "image/png")).run()
    whole_width = at.metric[2].value
    at.toggle(key="crop_on").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(c.proto.id and "crop_select" in c.proto.id for c in at.get("plotly_chart"))
    at.slider(key="crop_x").set_value((55, 100)).run()
    at.slider(key="crop_y").set_value((60, 100)).run()
    assert not at.exception, [e.value for e in at.exception]
    html = " ".join(m.value for m in at.markdown if "prediction" in m.value)
    assert f"data-text='{expected.text}'" in html
    assert at.metric[0].value == f"{expected.confidence:.1%}"
    assert at.metric[2].value == f"32 × {cut_width} px" != whole_width
