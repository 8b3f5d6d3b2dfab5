"""The background analysis of a user's zip: steps recorded in job.json, the analysis folder
written (and loadable), the temporary data removed, failures reported as messages."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from crnn_core.analysis import jobs, load_analysis
from crnn_core.analysis.io import AnalysisError
from crnn_core.analysis.zipdata import UnsafeZip

WORDS = ("cat", "Dog", "tree", "42", "moon", "ok")


def word_zip(words: tuple[str, ...] = WORDS, missing: bool = False) -> io.BytesIO:
    """A labelled zip of generated word images (``missing``: labels only, no images)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = []
        for i, text in enumerate(words):
            image = Image.new("L", (24 + 12 * len(text), 24), 255)
            ImageDraw.Draw(image).text((3, 6), text, fill=0)
            png = io.BytesIO()
            image.save(png, format="PNG")
            if not missing:
                archive.writestr(f"photos/w{i}.png", png.getvalue())
            lines.append(f"w{i}.png\t{text}")
        archive.writestr("photos/labels.tsv", "\n".join(lines) + "\n")
    buffer.seek(0)
    return buffer


def test_a_job_runs_every_step_and_leaves_an_analysis(
    tmp_path: Path, tiny_artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    original = jobs._write

    def spy(directory: Path, **fields: object) -> None:
        if "stage" in fields:
            seen.append(str(fields["stage"]))
        original(directory, **fields)

    monkeypatch.setattr(jobs, "_write", spy)
    root = tmp_path / "analyses"
    folder = jobs.prepare_job(word_zip(), "my photos!", "mine.zip", root=root)
    assert folder == root / "my-photos"
    status = jobs.read_status(folder)
    assert status is not None and status.state == "queued" and status.source == "mine.zip"
    scratch = Path(json.loads((folder / jobs.JOB_FILE).read_text())["scratch"])
    assert (scratch / "data" / "photos" / "labels.tsv").is_file()

    assert jobs.run_job(folder, tiny_artifacts)
    status = jobs.read_status(folder)
    assert status is not None and status.state == "done" and status.fraction == 1.0
    assert status.message == f"{len(WORDS)} images, " + status.message.split(", ")[1]
    assert seen[:3] == ["read_data", "load_model", "model_logits"] and seen[-1] == "write"
    assert {"kmeans", "scores", "umap"} <= set(seen)
    assert not scratch.exists()
    analysis = load_analysis(folder)
    assert sorted(analysis.images["truth"]) == sorted(WORDS)
    assert [s.name for s in jobs.list_jobs(root)] == ["my-photos"]
    with pytest.raises(AnalysisError, match="exists already"):
        jobs.prepare_job(word_zip(), "my-photos", root=root)
    jobs.discard_job(folder, root)
    assert not folder.exists()


def test_a_failing_job_reports_why(tmp_path: Path, tiny_artifacts: Path) -> None:
    folder = jobs.prepare_job(word_zip(missing=True), "empty", root=tmp_path)
    assert not jobs.run_job(folder, tiny_artifacts)
    status = jobs.read_status(folder)
    assert status is not None and status.state == "failed" and status.finished
    assert "No usable images" in status.message
    assert not (folder / "summary.json").exists()


def test_an_unsafe_zip_leaves_nothing_behind(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("labels.tsv", "../x.png\tx\n")
        archive.writestr("../x.png", b"\x89PNG\r\n\x1a\n")
    with pytest.raises(UnsafeZip, match="path traversal"):
        jobs.prepare_job(buffer, "bad", root=tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_dead_worker_reads_as_failed(tmp_path: Path) -> None:
    folder = jobs.prepare_job(word_zip(), "dead", root=tmp_path)
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    (folder / jobs.PID_FILE).write_text(str(finished.pid))
    status = jobs.read_status(folder)
    assert status is not None and status.state == "failed" and "unexpectedly" in status.message
    scratch = Path(json.loads((folder / jobs.JOB_FILE).read_text())["scratch"])
    assert scratch.is_dir()
    jobs.discard_job(folder, tmp_path)  # removes the killed worker's temporary data too
    assert not scratch.exists() and not folder.exists()


def test_names_are_made_safe() -> None:
    assert jobs.safe_name(" ../etc/passwd ") == "etc-passwd"
    assert jobs.safe_name("Street signs 2024") == "Street-signs-2024"
    with pytest.raises(AnalysisError):
        jobs.safe_name("../")
