"""Issue 11 in the app (AppTest, tiny model): hostile file names stay text, every page lists
every artifact fault with its fix, no server path is shown, refused uploads say why on the page,
blank images read as "no text found", and the lexicon is a case-insensitive suggestion."""

from __future__ import annotations

import io
import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from dashboard_support import APP, TIMEOUT, word_png
from PIL import Image

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

PAGES = [
    "views/recognize.py",
    "views/clusters.py",
    "views/evaluation.py",
    "views/model.py",
    "views/your_data.py",
]
HOSTILE = "[x](http://e.com) ![i](http://e.com/a.png)"


@pytest.fixture()
def app(artifacts: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CRNN_ARTIFACTS", str(artifacts))
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def _elements(at: AppTest) -> Iterator[str]:
    for group in (at.markdown, at.caption, at.error, at.warning, at.info, at.success, at.code):
        yield from (str(e.value) for e in group)


def _html(markdown: str) -> str:
    """What a CommonMark renderer makes of an element's text (Streamlit renders Markdown)."""
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark").render(markdown))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _no_trouble(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_hostile_file_names_are_shown_as_text(app: AppTest) -> None:
    pytest.importorskip("markdown_it")
    files = [
        (f"{HOSTILE} broken.png", b"not an image", "image/png"),
        ("\u202egnp.exe.png", word_png(index=4), "image/png"),  # right-to-left override
        ("../../etc/passwd.png", word_png(index=5), "image/png"),
        (f"{HOSTILE}.png", word_png(), "image/png"),  # the last one is the one detailed
    ]
    app.file_uploader[0].set_value(files).run()
    _no_trouble(app)
    shown = [text for text in _elements(app) if "e.com" in text]
    assert len(shown) >= 2  # the error of the broken one and the caption of the chosen one
    for text in shown:
        html = _html(text)
        assert "<a " not in html and "<img" not in html, text
        assert "<code>" in html and HOSTILE.replace("&", "&amp;") in html
    table = next(d.value for d in app.dataframe if "file" in d.value.columns)
    assert "\\u202egnp.exe.png" in list(table["file"])  # the bidi mark made visible
    assert "../../etc/passwd.png" in list(table["file"])


def test_refused_types_say_why_on_the_page(app: AppTest) -> None:
    app.file_uploader[0].set_value([("notes.txt", b"hello", "text/plain")]).run()
    _no_trouble(app)
    (error,) = [e.value for e in app.error]
    assert "`notes.txt` was not read" in error and ".txt files are not accepted" in error
    assert not [i for i in app.info if "Upload one or more" in i.value]


@pytest.mark.parametrize(
    "image",
    [Image.new("L", (120, 32), 255), Image.new("RGBA", (120, 40), (0, 0, 0, 0))],
    ids=["white", "transparent"],
)
def test_blank_images_read_as_no_text(app: AppTest, image: Image.Image) -> None:
    app.file_uploader[0].set_value(("blank.png", _png(image), "image/png")).run()
    _no_trouble(app)
    assert any("No text found" in i.value and "blank" in i.value for i in app.info)
    prediction = " ".join(m.value for m in app.markdown if "prediction" in m.value)
    assert "no-text" in prediction and "data-text=''" in prediction


def test_lexicon_is_a_case_insensitive_suggestion(app: AppTest, artifacts: Path) -> None:
    from crnn_core.artifacts import load_recognizer
    from crnn_core.decode import sequence_log_prob

    recognizer = load_recognizer(artifacts)
    data = word_png()
    reading = recognizer.predict([data])[0].text
    logits = recognizer.frame_logits([data])[0].logits
    app.file_uploader[0].set_value(("word.png", data, "image/png")).run()
    app.text_area(key="lexicon").input("zzzz qq").run()
    _no_trouble(app)
    prediction = " ".join(m.value for m in app.markdown if "prediction" in m.value)
    assert f"data-text='{reading}'" in prediction  # soft: the free reading stays the answer
    (note,) = [i.value for i in app.info if "Lexicon suggests" in i.value]
    assert f"free reading `{reading}`" in note
    metrics = {m.label: m.value for m in app.metric}
    lengths = np.array([len(logits)])
    p_read = math.exp(sequence_log_prob(logits[None], lengths, [reading], recognizer.charset)[0])
    assert metrics["Free reading · P(text | image)"] == f"{p_read:.2%}"
    word = next(w for w in ("zzzz", "qq") if f"suggests `{w}`" in note)
    p_word = math.exp(sequence_log_prob(logits[None], lengths, [word], recognizer.charset)[0])
    assert metrics["Lexicon word · P(text | image)"] == f"{p_word:.2%}"
    # The reading typed in capitals still matches this lower-case model's reading.
    app.text_area(key="lexicon").input(f"zzzz {reading.upper()}").run()
    (agrees,) = [s.value for s in app.success if "Lexicon agrees" in s.value]
    assert f"`{reading.upper()}` (as `{reading}`)" in agrees
    app.checkbox(key="match_case").check().run()
    _no_trouble(app)
    assert not [s for s in app.success if "Lexicon agrees" in s.value]


@pytest.fixture()
def broken(artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "broken"
    shutil.copytree(artifacts, root)
    (root / "model.keras").write_bytes(b"garbage")
    (root / "charset.json").unlink()
    monkeypatch.setenv("CRNN_ARTIFACTS", str(root))
    return root


@pytest.mark.parametrize("page", PAGES)
def test_every_page_lists_every_artifact_fault(broken: Path, page: str) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    if page != PAGES[0]:
        at.switch_page(page).run()
    _no_trouble(at)
    banner = next(e.value for e in at.error if "not usable" in e.value)
    assert "`model.keras` is not a Keras archive" in banner
    assert "`model.keras` differs from the manifest" in banner
    assert "`charset.json` is missing" in banner
    assert banner.count("fix: `python -m crnn_core export") == 3
    assert any("crnn_core export" in c.value for c in at.code)
    for text in _elements(at):  # no absolute server path anywhere on the page
        assert str(broken) not in text and str(broken.parent) not in text, text


def test_copy_button_keeps_any_reading_inside_its_attribute() -> None:
    from html.parser import HTMLParser

    from dashboard.components.copy_button import COPY_SCRIPT, copy_button_html

    text = "a'b\"<img src=x onerror=alert(1)>&"
    markup = copy_button_html(text)
    found: list[tuple[str, dict[str, str | None]]] = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, dict(attrs)))

    Tags().feed(markup)
    assert [tag for tag, _ in found] == ["button", "script"]  # no <img> got out
    assert found[0][1]["data-text"] == text
    assert markup.endswith(COPY_SCRIPT) and text not in COPY_SCRIPT
