"""AppTest: analyse your own photos from the Clusters page (upload → background job → the new
folder offered and selected), refusals of hostile zips, and what a cluster looks like (column
grid, top characters with their words, frames of wrongly read words)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from dashboard_support import APP, TIMEOUT, FakeAnalysis, wait_for_job
from PIL import Image, ImageDraw

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest

from crnn_core.analysis import jobs

WORDS = ("cat", "dog", "tree", "moon", "sun", "ok", "42")


def word_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = []
        for i, text in enumerate(WORDS):
            image = Image.new("L", (24 + 12 * len(text), 24), 255)
            ImageDraw.Draw(image).text((3, 6), text, fill=0)
            png = io.BytesIO()
            image.save(png, format="PNG")
            archive.writestr(f"img/{i}.png", png.getvalue())
            lines.append(f"img/{i}.png\t{text}")
        archive.writestr("labels.tsv", "\n".join(lines) + "\n")
    return buffer.getvalue()


def clusters_page(monkeypatch: pytest.MonkeyPatch, artifacts: Path) -> AppTest:
    monkeypatch.setenv("CRNN_ARTIFACTS", str(artifacts))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    return at.switch_page("views/clusters.py").run()


def _texts(at: AppTest) -> str:
    return " ".join(str(m.value) for m in [*at.markdown, *at.caption, *at.success, *at.error])


def test_upload_runs_a_job_and_offers_the_new_folder(
    artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = clusters_page(monkeypatch, artifacts)
    assert not at.exception
    assert at.button(key="photos_start").disabled  # nothing uploaded yet
    at.file_uploader[0].set_value(("street.zip", word_zip(), "application/zip")).run()
    at.text_input(key="photos_name").input("street words").run()
    at.button(key="photos_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    folder = jobs.analyses_root() / "street-words"
    assert (folder / jobs.JOB_FILE).is_file()
    progress = at.get("progress")  # the polling fragment, while the worker runs
    assert progress and "Analysing `street-words`: step" in progress[0].proto.text
    assert "of 6" in progress[0].proto.text
    status = wait_for_job(folder, 170.0)
    assert status.state == "done", status.message
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Your analysis `street-words` is ready" in _texts(at)
    picker = at.selectbox(key="analysis_dir")
    assert "your photos: street-words" in picker.options
    assert Path(picker.value) == folder
    summary = json.loads((folder / "summary.json").read_text())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Frames"] == f"{summary['counts']['frames']:,}"
    assert not at.checkbox(key="wrong_only").disabled  # the zip has truths
    at.checkbox(key="wrong_only").check().run()
    assert not at.exception


@pytest.mark.parametrize(
    ("members", "why"),
    [
        ({"labels.tsv": b"a.png\tx\n", "../a.png": b"\x89PNG\r\n\x1a\n"}, "path traversal"),
        ({"labels.tsv": b"a.sh\tx\n", "a.sh": b"echo hi"}, "not images"),
    ],
)
def test_a_hostile_zip_is_refused_with_its_reason(
    members: dict[str, bytes], why: str, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    at = clusters_page(monkeypatch, artifacts)
    at.file_uploader[0].set_value(("bad.zip", buffer.getvalue(), "application/zip")).run()
    at.button(key="photos_start").click().run()
    assert not at.exception
    assert any("This zip cannot be analysed" in e.value and why in e.value for e in at.error)
    assert not jobs.analyses_root().exists() or not list(jobs.analyses_root().iterdir())


def test_cluster_column_grid_and_words(with_analysis: FakeAnalysis) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    at.session_state["clusters_tab"] = "Cluster inspector"
    at.run()
    at.selectbox(key="inspect").set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    members = with_analysis.frames[with_analysis.frames["cluster"] == 2]
    assert f"Column grid: {len(members):,} of {len(members):,} frames" in _texts(at)
    words = next(d.value for d in at.dataframe if "words" in d.value.columns)
    top = words.iloc[0]
    assert top["char"] == "b" and top["frames"] == int((members["greedy_char"] == "b").sum())
    truth = with_analysis.images.set_index("image_id")["truth"]
    expected = members[members["greedy_char"] == "b"]["image_id"].map(truth).value_counts()
    assert top["words"].startswith(f"{expected.index[0]} ×{expected.iloc[0]}")


def test_wrongly_read_words_filter(with_analysis: FakeAnalysis) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    frames, images = with_analysis.frames, with_analysis.images
    wrong_images = images["image_id"][images["greedy_text"] != images["truth"]]
    shown = frames["umap_x"].notna() & (frames["greedy_class"] != 0)
    wrong = shown & frames["image_id"].isin(wrong_images)
    at.checkbox(key="wrong_only").check().run()
    assert not at.exception
    assert f"{int(wrong.sum()):,} frames shown" in _texts(at)
    at.selectbox(key="colour").set_value("correct").run()
    assert not at.exception
    assert np.isclose(wrong.sum() / shown.sum(), 1 / 3, atol=0.1)


def test_confusable_pair_frames_side_by_side(with_analysis: FakeAnalysis) -> None:
    frames = with_analysis.frames
    names = {"a": "b", "b": "a", "c": "d", "d": "c", "∅": "a"}
    frames["top2_char"] = frames["greedy_char"].map(names).astype("string")
    frames["margin"] = frames["max_prob"] * 0.5  # the second choice is half as likely
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    at.session_state["clusters_tab"] = "Confusable pairs"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="pair").value == 0  # a / b
    second = frames["max_prob"] - frames["margin"]
    for x, y in (("a", "b"), ("b", "a")):
        n = int(((frames["greedy_char"] == x) & (frames["top2_char"] == y) & (second >= 0.1)).sum())
        assert f"read `{x}`, `{y}` second · {min(n, 12)} frames" in _texts(at)
    assert "hesitated between `a` and `b`" in _texts(at)
