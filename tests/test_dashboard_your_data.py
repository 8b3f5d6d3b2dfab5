"""Your data page: a generated labelled zip evaluated with the CLI's code path (table, error
gallery with the truth aligned, confusions, breakdown charts, CSV) and hostile zips refused."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import pytest
from dashboard_support import APP, TIMEOUT
from PIL import Image, ImageDraw

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from crnn_core.analysis.zipdata import extract_zip
from crnn_core.data.readers import open_source
from crnn_core.evaluate import evaluate_source
from dashboard import evaluation_report as report
from dashboard.evaluation_job import UnsafeZip, evaluate_zip

WORDS = ("cat", "dog", "tree", "moon", "sun", "ok", "42", "street", "Upper", "hello")
USABLE = len(WORDS) - 1  # "Upper" is outside the tiny model's lower-case charset: skipped


def word_zip(extra: dict[str, bytes] | None = None) -> bytes:
    """Pillow-drawn words of several heights with a labels.tsv, in the CLI's folder format."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = []
        for i, text in enumerate(WORDS):
            height = (24, 48, 90)[i % 3]
            image = Image.new("L", (16 + 8 * len(text) * height // 24, height), 255)
            ImageDraw.Draw(image).text((3, height // 3), text, fill=0)
            png = io.BytesIO()
            image.save(png, format="PNG")
            path = "=cmd.png" if text == "hello" else f"img/{i}.png"  # a formula-like name
            archive.writestr(f"words/{path}", png.getvalue())
            lines.append(f"{path}\t{text}")
        archive.writestr("words/labels.tsv", "\n".join(lines) + "\n")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_evaluate_zip_is_the_cli_code_path_and_cleans_up(
    artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crnn_core.artifacts import load_recognizer

    recognizer = load_recognizer(artifacts)
    data = word_zip()
    folder = extract_zip(io.BytesIO(data), tmp_path / "cli")
    source = open_source(folder, charset=recognizer.charset)

    def cli_predict(images: list) -> list[tuple[str, float]]:  # as crnn_core/cli/evaluate.py
        return [(p.text, p.confidence) for p in recognizer.predict(images)]

    expected = evaluate_source(cli_predict, source, progress=False)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen: list[tuple[int, int]] = []
    found = evaluate_zip(
        recognizer, "my words.zip", data, on_progress=lambda d, t: seen.append((d, t))
    )
    assert list(scratch.iterdir()) == []  # the extracted files are gone
    assert found.result.dataset == "my_words"
    assert [(r.key, r.prediction) for r in found.result.records] == [
        (r.key, r.prediction) for r in expected.records
    ]
    assert found.result.scores.acc36 == expected.scores.acc36
    assert seen[-1] == (USABLE, USABLE)
    wrong = [i for i, r in enumerate(found.result.records) if r.correct_acc36 is False]
    assert sorted(found.kept) == wrong
    csv = report.records_csv([found])
    assert "'=cmd.png" in csv and len(csv.strip().splitlines()) == USABLE + 1
    assert report.skipped_lines(found) == ["label has characters outside the charset: 1"]
    table = report.dataset_table([found, found])
    assert list(table["dataset"]) == ["my_words", "my_words", "Combined"]


def test_char_confusions_count_edits() -> None:
    from crnn_core.evaluate import SampleRecord

    rec = SampleRecord(0, "a.png", "Cat", "cot", 0.5, False, False)
    drop = SampleRecord(1, "b.png", "dog", "dg", 0.5, False, False)
    counts = report.char_confusions([rec, drop])
    assert counts[("a", "o")] == 1 and counts[("o", report.GAP)] == 1
    assert counts[("c", "c")] == 1 and counts[("t", "t")] == 1
    matrix = report.confusion_matrix(counts)
    assert matrix.loc["a", "o"] == 1 and matrix.loc["o", report.GAP] == 1


def test_hostile_zip_never_writes_outside(artifacts: Path, tmp_path: Path) -> None:
    from crnn_core.artifacts import load_recognizer

    hostile = word_zip({"../evil.png": b"\x89PNG\r\n\x1a\n"})
    with pytest.raises(UnsafeZip, match="path traversal"):
        evaluate_zip(load_recognizer(artifacts), "evil.zip", hostile)
    assert not (Path(tempfile.gettempdir()) / "evil.png").exists()


def your_data_page(monkeypatch: pytest.MonkeyPatch, artifacts: Path) -> AppTest:
    monkeypatch.setenv("CRNN_ARTIFACTS", str(artifacts))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    return at.switch_page("views/your_data.py").run()


def test_zip_upload_shows_table_gallery_charts_and_csv(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crnn_core.artifacts import load_recognizer

    at = your_data_page(monkeypatch, artifacts)
    assert not at.exception and at.title[0].value == "Evaluate your own data"
    data = word_zip()
    at.file_uploader(key="your_zips").set_value(("street.zip", data, "application/zip")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error
    expected = evaluate_zip(load_recognizer(artifacts), "street.zip", data)
    frames = {tuple(d.value.columns)[:3]: d.value for d in at.dataframe}
    table = next(v for k, v in frames.items() if k[:2] == ("dataset", "n"))
    assert list(table["dataset"]) == ["street"] and int(table["n"][0]) == USABLE
    assert float(table["acc36"][0]) == pytest.approx(expected.result.scores.acc36)
    gallery = next(v for k, v in frames.items() if k[:2] == ("image", "dataset"))
    assert len(gallery) == len(expected.kept) > 0
    assert set(gallery["truth"]) <= set(WORDS)
    assert "outside the charset: 1" in " ".join(c.value for c in at.caption)
    assert {m.label for m in at.metric} >= {"log P(typed | image)", "log P(read | image)"}
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert len(at.get("plotly_chart")) >= 3, keys  # alignment, length, height (+ confusions)
    assert any("your_csv" in str(b.proto.id) for b in at.get("download_button"))


def test_hostile_zips_are_refused_with_a_message(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = your_data_page(monkeypatch, artifacts)
    hostile = word_zip({"../../etc/evil.png": b"\x89PNG\r\n\x1a\n"})
    at.file_uploader(key="your_zips").set_value(
        [("evil.zip", hostile, "application/zip"), ("notes.png", b"not a zip", "image/png")]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = " ".join(e.value for e in at.error)
    assert "path traversal" in errors and "`evil.zip`" in errors
    assert "not a readable zip" in errors and "`notes.png`" in errors
    assert not at.dataframe


def test_broken_artifacts_are_listed_on_the_page(
    artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    root = tmp_path / "broken"
    shutil.copytree(artifacts, root)
    (root / "charset.json").unlink()
    at = your_data_page(monkeypatch, root)
    assert not at.exception, [e.value for e in at.exception]
    banner = next(e.value for e in at.error if "not usable" in e.value)
    assert "`charset.json` is missing" in banner and str(root) not in banner
