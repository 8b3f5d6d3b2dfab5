"""The model stage in its own process: same logits and texts as in-process, failures as messages,
and a parent process that never loads TensorFlow."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from crnn_core.analysis.io import AnalysisError
from crnn_core.analysis.model_outputs import NpyAppender, open_model_outputs
from crnn_core.analysis.model_stage import (
    ModelRequest,
    run_model_stage,
    write_inputs,
    write_model_outputs,
)
from crnn_core.analysis.stages import StageTimer


def test_child_process_gives_the_in_process_logits_and_texts(
    tiny_artifacts: Path, tmp_path: Path
) -> None:
    from crnn_core.analysis.inputs import read_inputs
    from crnn_core.artifacts import load_recognizer

    request = ModelRequest(data=["synthetic:11"], artifacts=str(tiny_artifacts), seed=4,
                           progress=False, beam_width=3)  # fmt: skip
    seen: list[str] = []
    child = run_model_stage(request, tmp_path / "child", seen.append)
    assert seen[:2] == ["read_data", "load_model"]  # the words are read here, then the child
    assert {"model_logits", "decode_greedy_beam"} <= set(seen)

    recognizer = load_recognizer(tiny_artifacts)
    words, sources = read_inputs(
        request.data, recognizer.charset, recognizer.max_width, 4, None, False
    )
    here = tmp_path / "here"
    here.mkdir()
    write_inputs(words, sources, recognizer.charset, here)
    write_model_outputs(recognizer, here, request, StageTimer())
    (here / "result.json").write_text((tmp_path / "child" / "result.json").read_text())
    local = open_model_outputs(here)

    np.testing.assert_allclose(child.logits.values, local.logits.values, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(child.logits.offsets, local.logits.offsets)
    np.testing.assert_array_equal(child.pixels.values, local.pixels.values)
    assert child.words["greedy_text"].tolist() == local.words["greedy_text"].tolist()
    assert child.words["beam_text"].tolist() == local.words["beam_text"].tolist()
    assert child.words["truth"].tolist() == [w.truth for w in words]
    for i, word in enumerate(words):  # rows of image i are its logits, frames in order
        fresh = recognizer.frame_logits([word.image])[0].logits
        np.testing.assert_allclose(child.logits[i], fresh, rtol=1e-4, atol=1e-4)
    info = child.info
    assert info["pid"] != __import__("os").getpid() and info["peak_rss_mib"] > 0
    assert info["keras_extras_loaded"] == []  # pandas/sklearn kept out of the child's memory
    assert child.charset.num_classes == recognizer.charset.num_classes
    assert [d["kind"] for d in info["data"]] == ["synthetic"]
    assert {"read_data", "load_model", "model_logits"} <= set(info["timings_seconds"])


def test_child_failure_reaches_the_parent_as_a_message(
    tiny_artifacts: Path, tmp_path: Path
) -> None:
    request = ModelRequest(data=[str(tmp_path / "nowhere")], artifacts=str(tiny_artifacts),
                           progress=False)  # fmt: skip
    with pytest.raises(AnalysisError, match="Cannot open dataset"):
        run_model_stage(request, tmp_path / "stage")
    broken = ModelRequest(data=["synthetic:2"], artifacts=str(tmp_path), progress=False)
    with pytest.raises(AnalysisError, match="manifest"):
        run_model_stage(broken, tmp_path / "stage2")


def test_analysis_process_never_imports_tensorflow() -> None:
    code = (
        "import sys\n"
        "from crnn_core.cli import analyze\n"
        "from crnn_core.analysis import command, pipeline, model_stage, loader\n"
        "from crnn_core.analysis.projection import import_umap\n"
        "import_umap()\n"
        "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))\n"
    )
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True)  # fmt: skip
    assert found.stdout.strip() == "[]"


def test_npy_appender_streams_rows_and_checks_them(tmp_path: Path) -> None:
    path = tmp_path / "a.npy"
    data = np.arange(24, dtype=np.float32).reshape(6, 4)
    writer = NpyAppender(path, data.shape, "<f4")
    writer.append(data[:4])
    with pytest.raises(ValueError, match="does not fit"):
        writer.append(np.zeros((3, 4)))
    writer.append(data[4:])
    writer.close()
    np.testing.assert_array_equal(np.load(path, allow_pickle=False), data)
    short = NpyAppender(tmp_path / "b.npy", (3, 4), "<f4")
    short.append(data[:1])
    with pytest.raises(ValueError, match="wrote 1 of 3"):
        short.close()
