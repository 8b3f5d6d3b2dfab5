"""``analyze``'s model stage (load model → read data → logits → greedy/beam texts), in a child.

Why a child: importing TensorFlow alone costs ~750 MiB RSS, and a process never gives that back.
``run_model_stage`` starts ``python -m crnn_core.analysis.model_stage FOLDER``, which streams
its results into ``FOLDER`` (``model_outputs``: ``.npy`` files written block by block, no
pickles) and exits; the parent, which never imports TensorFlow, then clusters and maps them.
So the peak of the run is the larger of the two processes, not their sum.

The child reports each stage on its stdout as ``STAGE_PREFIX + name`` (the parent forwards it to
its ``on_stage`` hook, so a dashboard job shows progress), its stage timings and peak RSS in
``result.json``, and a failure as ``error.json`` ``{"message": ...}`` (shown to the user as an
``AnalysisError``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import traceback
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from crnn_core.analysis.inputs import InputSource, WordImage
from crnn_core.analysis.io import AnalysisError, RaggedArray, read_json, write_json
from crnn_core.analysis.model_outputs import (
    OUTPUT_FILES,
    ModelOutputs,
    NpyAppender,
    open_model_outputs,
    peak_rss_mib,
)
from crnn_core.analysis.stages import StageHook, StageTimer, chunks
from crnn_core.geometry import frames_for_width
from crnn_core.tf_import import import_tensorflow_silently

if TYPE_CHECKING:
    from crnn_core.recognizer import Recognizer

__all__ = ["STAGE_PREFIX", "ModelRequest", "run_model_stage", "write_model_outputs"]

STAGE_PREFIX = "crnn-analysis-stage "
CHUNK_IMAGES = 512
"""Images per inference + decoding block: the child holds one block's logits at a time."""
BEAM_CHUNK = 256


@dataclass(frozen=True)
class ModelRequest:
    """What the child needs (saved as ``request.json``). ``artifacts=None``: the default
    model folder (``$CRNN_ARTIFACTS`` or the repository's ``artifacts/``)."""

    data: list[str]
    artifacts: str | None = None
    seed: int = 1
    max_frames: int | None = None
    batch_size: int = 64
    beam_width: int = 10
    progress: bool = True
    verbose: bool = False


def write_model_outputs(
    recognizer: Recognizer,
    words: Sequence[WordImage],
    folder: Path,
    request: ModelRequest,
    timer: StageTimer,
) -> None:
    """Logits and decoded texts of ``words`` into ``folder``, ``CHUNK_IMAGES`` at a time."""
    sizes = frames_for_width(np.array([w.image.shape[1] for w in words], dtype=np.int64))
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    np.save(folder / OUTPUT_FILES["frame_offsets"], offsets)
    pixels = RaggedArray.from_items([w.image for w in words], axis=1, dtype=np.uint8)
    np.save(folder / OUTPUT_FILES["pixels"], pixels.values)
    np.save(folder / OUTPUT_FILES["pixel_offsets"], pixels.offsets)
    del pixels
    classes = recognizer.charset.num_classes
    logits_file = NpyAppender(folder / OUTPUT_FILES["logits"], (int(offsets[-1]), classes), "<f4")
    greedy: list[tuple[str, float]] = []
    beam: list[tuple[str, float]] = []
    for part in chunks(len(words), CHUNK_IMAGES, "logits + decoding", request.progress):
        with timer.stage("model_logits"):
            found = recognizer.frame_logits([w.image for w in words[part]], request.batch_size)
            logits = [f.logits for f in found]
            if [lg.shape[0] for lg in logits] != sizes[part].tolist():
                raise AssertionError("frame counts differ from frames_for_width (geometry bug)")
            logits_file.append(np.concatenate(logits))
        with timer.stage("decode_greedy_beam"):
            greedy.extend((p.text, p.confidence) for p in recognizer.decode(logits, "greedy"))
            for lo in range(0, len(logits), BEAM_CHUNK):
                found_beam = recognizer.decode(
                    logits[lo : lo + BEAM_CHUNK], "beam", request.beam_width, top_k=1
                )
                beam.extend((p.text, p.confidence) for p in found_beam)
    logits_file.close()
    table = pd.DataFrame(
        {
            "source": pd.Series([w.source for w in words], dtype="string"),
            "key": pd.Series([w.key for w in words], dtype="string"),
            "truth": pd.Series([w.truth for w in words], dtype="string"),
            "greedy_text": pd.Series([t for t, _ in greedy], dtype="string"),
            "greedy_confidence": np.array([c for _, c in greedy], np.float32),
            "beam_text": pd.Series([t for t, _ in beam], dtype="string"),
            "beam_confidence": np.array([c for _, c in beam], np.float32),
        }
    )
    table.to_parquet(folder / OUTPUT_FILES["words"], index=False)


def _result(
    recognizer: Recognizer, artifacts: Path, sources: list[InputSource], timer: StageTimer
) -> dict[str, Any]:
    from crnn_core.artifacts import load_manifest

    manifest = load_manifest(artifacts)
    return {
        "charset": recognizer.charset.to_dict(),
        "max_width": recognizer.max_width,
        "model": {
            "artifacts": str(artifacts),
            "sha256": manifest.get("files", {}).get("model.keras"),
        },
        "data": [s.to_dict() for s in sources],
        "timings_seconds": timer.seconds,
        "timings_cpu_seconds": timer.cpu_seconds,
        "pid": os.getpid(),
        "peak_rss_mib": peak_rss_mib(),
    }


def _announce(stage: str) -> None:
    print(STAGE_PREFIX + stage, flush=True)


def _child(folder: Path) -> None:
    request = ModelRequest(**read_json(folder / OUTPUT_FILES["request"]))
    if not request.verbose:
        import_tensorflow_silently()
    from crnn_core.analysis.inputs import read_inputs
    from crnn_core.artifacts import artifacts_dir, load_recognizer

    artifacts = Path(request.artifacts) if request.artifacts else artifacts_dir()
    timer = StageTimer(_announce)
    with timer.stage("load_model"):
        recognizer = load_recognizer(artifacts)
    with timer.stage("read_data"):
        words, sources = read_inputs(
            request.data, recognizer.charset, recognizer.max_width, request.seed,
            request.max_frames, request.progress,
        )  # fmt: skip
    write_model_outputs(recognizer, words, folder, request, timer)
    write_json(_result(recognizer, artifacts, sources, timer), folder / OUTPUT_FILES["result"])


def main(argv: Sequence[str] | None = None) -> int:
    """Child entry: ``python -m crnn_core.analysis.model_stage FOLDER``."""
    folder = Path((sys.argv[1:] if argv is None else argv)[0])
    try:
        _child(folder)
    except Exception as exc:  # the parent shows the message; the traceback goes to stderr
        from crnn_core.artifacts import ArtifactError

        known = isinstance(exc, AnalysisError | ArtifactError)
        if not known:
            traceback.print_exc()
        message = str(exc) if known else f"{type(exc).__name__}: {exc}"
        write_json({"message": message}, folder / OUTPUT_FILES["error"])
        return 1
    return 0


def run_model_stage(
    request: ModelRequest, folder: str | Path, on_stage: StageHook | None = None
) -> ModelOutputs:
    """Run the model stage in a child process writing into ``folder``; return its outputs.

    Raises ``AnalysisError`` with the child's message when it fails (bad data, broken model
    folder) or dies (killed, out of memory)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_json(asdict(request), folder / OUTPUT_FILES["request"])
    package_root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (package_root, os.environ.get("PYTHONPATH")) if p)}  # fmt: skip
    if not request.verbose:
        env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    command = [sys.executable, "-m", "crnn_core.analysis.model_stage", str(folder)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               text=True, env=env)  # fmt: skip
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith(STAGE_PREFIX):
                if on_stage is not None:
                    on_stage(line[len(STAGE_PREFIX) :].strip())
            else:
                sys.stdout.write(line)
        status = process.wait()
    finally:
        if process.poll() is None:  # interrupted: never leave the child running
            process.kill()
            process.wait()
    error = folder / OUTPUT_FILES["error"]
    if error.is_file():
        raise AnalysisError(str(read_json(error).get("message", "the model stage failed")))
    if status != 0:
        raise AnalysisError(
            f"The model stage (child process) stopped with status {status} before finishing "
            "(killed, or out of memory?)."
        )
    return open_model_outputs(folder)


if __name__ == "__main__":
    raise SystemExit(main())
