"""The dashboard's upload processing, without Streamlit: bytes in, predictions and frame
statistics out, bad files turned into messages."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from dashboard_support import bad_uploads, make_tiny_artifacts, rgb_array, word_png
from PIL import Image

from crnn_core.charset import Charset
from crnn_core.decode import greedy_decode
from dashboard.recognition import (
    BLANK_SYMBOL,
    DecodeOptions,
    Recognition,
    UploadError,
    frame_statistics,
    parse_lexicon,
    process_uploads,
    results_csv,
    results_json,
)

CHARSET = Charset.preset("36_lowercase")


@pytest.fixture(scope="module")
def recognizer(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from crnn_core.artifacts import load_recognizer

    return load_recognizer(make_tiny_artifacts(tmp_path_factory.mktemp("art")))


def test_frame_statistics_match_the_softmax() -> None:
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 3, size=(9, CHARSET.num_classes)).astype(np.float32)
    stats = frame_statistics(logits, CHARSET)
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    ordered = np.sort(probs, axis=1)[:, ::-1]
    np.testing.assert_allclose(stats["max_prob"], ordered[:, 0], rtol=1e-5)
    np.testing.assert_allclose(stats["margin"], ordered[:, 0] - ordered[:, 1], rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(stats["blank_prob"], probs[:, 0], rtol=1e-5)
    np.testing.assert_allclose(stats["entropy"], -(probs * np.log(probs)).sum(1), rtol=1e-4)
    assert list(stats["col_start"]) == [4 * t for t in range(9)]
    assert list(stats["col_end"] - stats["col_start"]) == [4] * 9
    symbols = [BLANK_SYMBOL, *CHARSET.characters]
    assert list(stats["char"]) == [symbols[i] for i in probs.argmax(1)]


def test_frame_statistics_of_certain_frames() -> None:
    logits = np.full((3, CHARSET.num_classes), -50.0, dtype=np.float32)
    logits[0, 0] = logits[1, 5] = 50.0
    logits[2] = 0.0  # uniform frame: maximal entropy
    stats = frame_statistics(logits, CHARSET)
    assert list(stats["char"][:2]) == [BLANK_SYMBOL, CHARSET.characters[4]]
    assert stats["blank_prob"][0] == pytest.approx(1.0)
    assert stats["entropy"][0] == pytest.approx(0.0, abs=1e-6)
    assert stats["entropy"][2] == pytest.approx(math.log(CHARSET.num_classes))
    assert stats["margin"][2] == pytest.approx(0.0)


def test_parse_lexicon_splits_and_deduplicates() -> None:
    assert parse_lexicon("open, shop\nopen  exit;") == ("open", "shop", "exit")
    assert parse_lexicon("   ") == ()


def test_process_uploads_agrees_with_crnn_core(recognizer) -> None:  # type: ignore[no-untyped-def]
    data = word_png()
    (result,) = process_uploads(recognizer, [("w.png", data)], DecodeOptions())
    assert isinstance(result, Recognition)
    frames = recognizer.frame_logits([data])[0]
    np.testing.assert_array_equal(result.image, frames.image)
    expected = greedy_decode(frames.logits[None], [len(frames.logits)], recognizer.charset)[0]
    assert result.prediction.text == expected.text
    assert result.prediction.decoder == "greedy"
    assert len(result.frames) == result.logits.shape[0] == math.ceil(result.image.shape[1] / 4)


def test_decoder_choice_is_used(recognizer) -> None:  # type: ignore[no-untyped-def]
    data = word_png()
    (greedy,) = process_uploads(recognizer, [("w", data)], DecodeOptions("greedy"))
    (beam,) = process_uploads(recognizer, [("w", data)], DecodeOptions("beam", 8, 4))
    (lexicon,) = process_uploads(
        recognizer, [("w", data)], DecodeOptions(lexicon=("ab", "cd"), lexicon_mode="force")
    )
    assert isinstance(greedy, Recognition) and isinstance(beam, Recognition)
    assert isinstance(lexicon, Recognition)
    assert (greedy.prediction.decoder, beam.prediction.decoder) == ("greedy", "beam")
    assert len(beam.prediction.candidates) == 4 and not greedy.prediction.candidates
    assert lexicon.prediction.decoder == "lexicon" and lexicon.prediction.text in ("ab", "cd")


def test_bad_uploads_become_messages_not_exceptions(recognizer) -> None:  # type: ignore[no-untyped-def]
    uploads = [*bad_uploads().items(), ("ok.png", word_png())]
    results = process_uploads(recognizer, uploads, DecodeOptions())
    assert [type(r) for r in results] == [UploadError] * (len(uploads) - 1) + [Recognition]
    messages = {r.name: r.message for r in results if isinstance(r, UploadError)}
    assert "not an image" in messages["notes.png"]
    assert "1×1" in messages["dot.png"]
    assert "empty" in messages["empty.png"]
    assert "corrupt or truncated" in messages["truncated.png"]


def _encode(image: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_unusual_but_valid_images_are_read(recognizer) -> None:  # type: ignore[no-untyped-def]
    rgb = Image.fromarray(rgb_array())
    frames = [Image.fromarray(rgb_array(64, 24)), Image.fromarray(rgb_array(64, 24)[::-1])]
    rotated = Image.fromarray(rgb_array(32, 96))  # stored upright as 32 wide, 96 high
    exif = rotated.getexif()
    exif[0x0112] = 6  # viewer rotates it 90° to 96 × 32
    uploads = [
        ("cmyk.jpg", _encode(rgb.convert("CMYK"), "JPEG")),
        (
            "deep.png",
            _encode(Image.fromarray(rgb_array()[..., 0].astype(np.uint16) * 257), "PNG"),
        ),
        ("anim.gif", _encode(frames[0], "GIF", save_all=True, append_images=frames[1:])),
        ("photo.jpg", _encode(rotated, "JPEG", exif=exif)),
        ("pic.webp", _encode(rgb, "WEBP")),
        ("pic.bmp", _encode(rgb, "BMP")),
        ("pic.tiff", _encode(rgb, "TIFF")),
    ]
    results = process_uploads(recognizer, uploads, DecodeOptions())
    assert all(isinstance(r, Recognition) for r in results), results
    widths = {r.name: r.image.shape for r in results if isinstance(r, Recognition)}
    assert widths["photo.jpg"] == (32, 96)  # EXIF orientation applied before resizing


def test_exports_hold_every_result(recognizer) -> None:  # type: ignore[no-untyped-def]
    uploads = [("a.png", word_png(index=1)), ("bad.png", b"nope"), ("b.png", word_png(index=2))]
    results = process_uploads(recognizer, uploads, DecodeOptions("beam", 5, 3))
    table = pd.read_csv(io.StringIO(results_csv(results)), keep_default_na=False)
    assert list(table["file"]) == ["a.png", "bad.png", "b.png"]
    good = [r for r in results if isinstance(r, Recognition)]
    assert list(table["text"][[0, 2]]) == [r.prediction.text for r in good]
    assert "not an image" in table["error"][1]
    items = json.loads(results_json(results))
    assert len(items[0]["candidates"]) == 3
    assert len(items[0]["frames_detail"]) == good[0].logits.shape[0]
    assert items[1]["error"]


def test_artifacts_dir_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from dashboard import services

    monkeypatch.setenv(services.ARTIFACTS_ENV, str(tmp_path))
    assert services.artifacts_dir() == tmp_path.resolve()
    monkeypatch.delenv(services.ARTIFACTS_ENV)
    assert (
        services.artifacts_dir() == (Path(services.__file__).parent.parent / "artifacts").resolve()
    )


def test_csv_export_cannot_run_formulas(recognizer) -> None:  # type: ignore[no-untyped-def]
    name = '=HYPERLINK("http://e.com","x").png'
    results = process_uploads(
        recognizer, [(name, word_png()), ("-bad.png", b"nope")], DecodeOptions()
    )
    table = pd.read_csv(io.StringIO(results_csv(results)), keep_default_na=False)
    assert list(table["file"]) == ["'" + name, "'-bad.png"]
    assert json.loads(results_json(results))[0]["file"] == name  # JSON keeps the name as is
