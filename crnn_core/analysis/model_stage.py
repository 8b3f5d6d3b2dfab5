"""``analyze``'s model stage: the parent reads the words, a child runs the model on them.

Why a child: importing TensorFlow alone costs ~750 MiB RSS, and a process never gives that back.
``run_model_stage`` first reads and renders the words *here* (``read_inputs``; no TensorFlow, so
the font faces and buffers of rendering never share a process with it) and writes them as model
inputs (``write_inputs``). Then it starts ``python -m crnn_core.analysis.model_stage FOLDER``,
which loads the model, runs it on those inputs and streams the logits and texts into ``FOLDER``
(``model_outputs``: ``.npy`` files written block by block, no pickles) and exits; the parent, which
never imports TensorFlow, then clusters and maps them. So the peak of the run is the larger of the
two processes, not their sum, and the child's peak is TensorFlow, the model and one block.

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

from crnn_core.analysis.children import child_command, child_environment
from crnn_core.analysis.inputs import InputSource, WordImage
from crnn_core.analysis.io import AnalysisError, RaggedArray, read_json, write_json
from crnn_core.analysis.model_outputs import (
    INPUT_FILES,
    OUTPUT_FILES,
    ModelOutputs,
    NpyAppender,
    open_model_outputs,
    peak_rss_mib,
)
from crnn_core.analysis.stages import StageHook, StageTimer, chunks
from crnn_core.artifact_files import ArtifactError, artifacts_dir, load_input_contract
from crnn_core.charset import Charset
from crnn_core.geometry import frames_for_width
from crnn_core.tf_import import import_tensorflow_silently

if TYPE_CHECKING:
    from crnn_core.recognizer import Recognizer

__all__ = [
    "BATCH_SIZE", "STAGE_PREFIX", "ModelRequest", "run_model_stage", "write_inputs",
    "write_model_outputs",
]  # fmt: skip

STAGE_PREFIX = "crnn-analysis-stage "
CHUNK_IMAGES = 512
"""Images per inference + decoding block: the child holds one block's logits at a time."""
BEAM_CHUNK = 256
KERAS_EXTRAS = ("pandas", "sklearn")
"""Optional imports of Keras that the child blocks (``without_keras_extras``)."""


BATCH_SIZE = 32
"""Images per model call in the child. Its peak memory is TensorFlow plus one batch's
activations at full resolution: with the stage-15 model's wider first convs, 3,000 images peaked
at 1,018 MiB with batches of 64 and 910 MiB with 32 (the budget is 1 GiB), for 0.7 s more
(bench/README.md)."""


@dataclass(frozen=True)
class ModelRequest:
    """One model stage: ``data``, ``seed`` and ``max_frames`` are read by the parent, the rest
    reaches the child as ``request.json``. ``artifacts=None``: the default model folder
    (``$CRNN_ARTIFACTS`` or the repository's ``artifacts/``)."""

    data: list[str]
    artifacts: str | None = None
    seed: int = 1
    max_frames: int | None = None
    batch_size: int = BATCH_SIZE
    beam_width: int = 10
    progress: bool = True
    verbose: bool = False


def write_inputs(words: Sequence[WordImage], sources: Sequence[InputSource], charset: Charset,
                 folder: Path) -> None:  # fmt: skip
    """The parent's half: the model inputs of ``words`` side by side (``pixels``), their frame
    offsets (from the geometry, checked against the model later), labels and sources."""
    sizes = frames_for_width(np.array([w.image.shape[1] for w in words], dtype=np.int64))
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    np.save(folder / OUTPUT_FILES["frame_offsets"], offsets)
    pixels = RaggedArray.from_items([w.image for w in words], axis=1, dtype=np.uint8)
    np.save(folder / OUTPUT_FILES["pixels"], pixels.values)
    np.save(folder / OUTPUT_FILES["pixel_offsets"], pixels.offsets)
    import pandas as pd  # here, in the parent: the child never loads it

    labels = pd.DataFrame({
        "source": pd.Series([w.source for w in words], dtype="string"),
        "key": pd.Series([w.key for w in words], dtype="string"),
        "truth": pd.Series([w.truth for w in words], dtype="string"),
    })  # fmt: skip
    labels.to_parquet(folder / INPUT_FILES["labels"], index=False)
    write_json({"charset": charset.to_dict(), "data": [s.to_dict() for s in sources]},
               folder / INPUT_FILES["info"])  # fmt: skip


def write_model_outputs(
    recognizer: Recognizer, folder: Path, request: ModelRequest, timer: StageTimer
) -> None:
    """The child's half: logits and decoded texts of the inputs in ``folder``, ``CHUNK_IMAGES``
    at a time (pixels memory-mapped, one block's logits in memory). No pandas: the texts go
    to ``texts.json`` and ``open_model_outputs`` joins them to the labels."""
    offsets = np.load(folder / OUTPUT_FILES["frame_offsets"], allow_pickle=False)
    pixels = RaggedArray(
        np.load(folder / OUTPUT_FILES["pixels"], mmap_mode="r", allow_pickle=False),
        np.load(folder / OUTPUT_FILES["pixel_offsets"], allow_pickle=False), axis=1,
    )  # fmt: skip
    sizes = np.diff(offsets)
    classes = recognizer.charset.num_classes
    logits_file = NpyAppender(folder / OUTPUT_FILES["logits"], (int(offsets[-1]), classes), "<f4")
    greedy: list[tuple[str, float]] = []
    beam: list[tuple[str, float]] = []
    for part in chunks(len(sizes), CHUNK_IMAGES, "logits + decoding", request.progress):
        with timer.stage("model_logits"):
            images = [np.array(pixels[i]) for i in range(part.start, part.stop)]
            logits = [f.logits for f in recognizer.frame_logits(images, request.batch_size)]
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
    texts = {
        "greedy_text": [t for t, _ in greedy], "greedy_confidence": [c for _, c in greedy],
        "beam_text": [t for t, _ in beam], "beam_confidence": [c for _, c in beam],
    }  # fmt: skip
    write_json(texts, folder / OUTPUT_FILES["texts"])


def _result(
    recognizer: Recognizer, artifacts: Path, sources: list[dict[str, Any]], timer: StageTimer
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
        "data": sources,
        "timings_seconds": timer.seconds,
        "timings_cpu_seconds": timer.cpu_seconds,
        "pid": os.getpid(),
        "keras_extras_loaded": [m for m in KERAS_EXTRAS if sys.modules.get(m) is not None],
        "peak_rss_mib": peak_rss_mib(),
    }


def _announce(stage: str) -> None:
    print(STAGE_PREFIX + stage, flush=True)


def _child(folder: Path) -> None:
    request = ModelRequest(**read_json(folder / OUTPUT_FILES["request"]))
    artifacts = Path(request.artifacts) if request.artifacts else artifacts_dir()
    timer = StageTimer(_announce)
    with timer.stage("load_model"):  # importing TensorFlow included: seconds of its own
        if not request.verbose:
            import_tensorflow_silently()
        from crnn_core.artifacts import load_recognizer

        recognizer = load_recognizer(artifacts)
    inputs = read_json(folder / INPUT_FILES["info"])
    if inputs["charset"] != recognizer.charset.to_dict():
        raise AnalysisError(
            f"The model in {artifacts} has another charset than the one the words were read "
            "with: were the artifacts replaced during the run? Run the analysis again."
        )
    write_model_outputs(recognizer, folder, request, timer)
    write_json(
        _result(recognizer, artifacts, inputs["data"], timer), folder / OUTPUT_FILES["result"]
    )


def without_keras_extras() -> None:
    """Make ``import pandas`` / ``import sklearn`` fail in this process (``None`` in
    ``sys.modules``), unless already imported. Keras imports both when installed, for
    DataFrame inputs to ``fit`` and its scikit-learn wrappers, and skips them on ImportError;
    the model stage uses neither, and they are ~120 MiB of the child's peak."""
    for name in KERAS_EXTRAS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    """Child entry: ``python -m crnn_core.analysis.model_stage FOLDER``."""
    folder = Path((sys.argv[1:] if argv is None else argv)[0])
    without_keras_extras()
    try:
        _child(folder)
    except Exception as exc:  # the parent shows the message; the traceback goes to stderr
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
    """Read the words here, then run the model on them in a child process writing into
    ``folder``; return its outputs (``read_data`` timed here, the rest in the child).

    Raises ``AnalysisError`` with a message when the data or the model folder is bad, or the
    child fails or dies (killed, out of memory)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    timer = StageTimer(on_stage)
    with timer.stage("read_data"):
        _read_into(request, folder)
    write_json(asdict(request), folder / OUTPUT_FILES["request"])
    command = child_command("crnn_core.analysis.model_stage", folder)
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               text=True, env=child_environment(request.verbose))  # fmt: skip
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
    outputs = open_model_outputs(folder)
    for key, times in (
        ("timings_seconds", timer.seconds),
        ("timings_cpu_seconds", timer.cpu_seconds),
    ):
        outputs.info[key] = {**times, **outputs.info.get(key, {})}
    return outputs


def _read_into(request: ModelRequest, folder: Path) -> None:
    """Read ``request.data`` as the artifacts' model inputs into ``folder`` (``write_inputs``)."""
    from crnn_core.analysis.inputs import read_inputs

    artifacts = Path(request.artifacts) if request.artifacts else artifacts_dir()
    try:
        contract = load_input_contract(artifacts)
    except ArtifactError as exc:
        raise AnalysisError(str(exc)) from exc
    words, sources = read_inputs(
        request.data, contract.charset, contract.max_width, request.seed, request.max_frames,
        request.progress,
    )  # fmt: skip
    write_inputs(words, sources, contract.charset, folder)


if __name__ == "__main__":
    raise SystemExit(main())
