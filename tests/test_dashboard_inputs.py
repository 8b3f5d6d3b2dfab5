"""Recognize page inputs (issue 11): the user's photo shown and rotated before reading, the
camera (a JPEG file stands in for it), "Remove all" and thumbnails for many files (AppTest)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from dashboard_support import APP, TIMEOUT, word_png
from PIL import Image

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from dashboard.photo import rotated_png, viewable


@pytest.fixture()
def app(artifacts: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CRNN_ARTIFACTS", str(artifacts))
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def _encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _shown_text(at: AppTest) -> str:
    html = " ".join(m.value for m in at.markdown if "prediction" in m.value)
    return html.split("data-text='", 1)[1].split("'", 1)[0]


def _no_trouble(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_rotations_are_lossless_for_quarter_turns() -> None:
    upright = Image.open(io.BytesIO(word_png())).convert("RGB")
    sideways = _encode(upright.rotate(90, expand=True))  # photographed on its side
    back = Image.open(io.BytesIO(rotated_png(sideways, quarter_turns=3)))
    assert back.size == upright.size and back.tobytes() == upright.tobytes()
    tilted = Image.open(io.BytesIO(rotated_png(word_png(), angle=10)))
    assert tilted.width > upright.width and tilted.height > upright.height  # corners kept
    assert viewable(_encode(Image.new("RGB", (3000, 500))), side=900).shape == (150, 900, 3)


def test_the_photo_is_shown_and_read_after_turning_it(app: AppTest, artifacts: Path) -> None:
    from crnn_core.artifacts import load_recognizer

    data = word_png()
    expected = load_recognizer(artifacts).predict([data])[0].text
    sideways = _encode(Image.open(io.BytesIO(data)).rotate(90, expand=True))
    app.file_uploader[0].set_value(("side.png", sideways, "image/png")).run()
    _no_trouble(app)
    assert len(app.image) >= 1 and "Your image" in " ".join(app.image[0].captions)
    app.segmented_control(key="turns").set_value(3).run()  # ↻ 90°: upright again
    _no_trouble(app)
    assert _shown_text(app) == expected
    assert "(rotated)" in " ".join(app.image[0].captions)
    app.slider(key="tilt").set_value(4.5).run()
    _no_trouble(app)
    assert any("prediction" in m.value for m in app.markdown)


def test_camera_photo_is_read(app: AppTest, artifacts: Path) -> None:
    from crnn_core.artifacts import load_recognizer

    jpeg = _encode(Image.open(io.BytesIO(word_png())).convert("RGB"), "JPEG")
    app.toggle(key="camera_on").set_value(True).run()
    app.camera_input(key="camera").set_value(("shot.jpg", jpeg, "image/jpeg")).run()
    _no_trouble(app)
    assert _shown_text(app) == load_recognizer(artifacts).predict([jpeg])[0].text
    assert any("`camera.jpg`" in c.value for c in app.caption)


def test_many_files_get_thumbnails_and_remove_all(app: AppTest) -> None:
    files = [(f"w{i}.png", word_png(index=i), "image/png") for i in range(3)]
    app.file_uploader[0].set_value(files).run()
    _no_trouble(app)
    table = next(d.value for d in app.dataframe if "file" in d.value.columns)
    assert list(table["file"]) == ["w0.png", "w1.png", "w2.png"]
    assert all(uri.startswith("data:image/png;base64,") for uri in table["image"])
    app.button(key="remove_all").click().run()
    _no_trouble(app)
    assert not app.file_uploader[0].value
    assert any("Upload one or more" in i.value for i in app.info)
