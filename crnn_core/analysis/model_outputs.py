"""The hand-over folder of ``analyze``'s model stage: what the TensorFlow child leaves behind.

The model stage (``model_stage``) runs in a child process so the parent never imports
TensorFlow (~750 MiB RSS on its own). The parent writes the model inputs (``pixels``,
``frame_offsets``, ``INPUT_FILES``); the child adds the rest. Together they leave plain ``.npy``
files, read back memory-mapped with ``allow_pickle=False`` (no pickles cross the process
boundary), Parquet tables and JSON:

- ``logits.npy`` float32 ``(frames, classes)`` raw logits, images one after another, and
  ``frame_offsets.npy`` int64 ``(images + 1)``: image ``i`` is rows ``[o[i], o[i + 1])``;
- ``pixels.npy`` uint8 ``(32, columns)`` model inputs side by side, ``pixel_offsets.npy``;
- ``inputs.parquet`` (the parent's: ``source, key, truth``) and ``texts.json`` (the child's:
  ``greedy_text, greedy_confidence, beam_text, beam_confidence`` per image), joined into
  ``ModelOutputs.words`` when opened, so the child never loads pandas;
- ``result.json``: charset, data sources, model path and sha256, the child's stage timings and
  its peak RSS (``VmHWM``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

if TYPE_CHECKING:  # imported when the outputs are opened, never in the TensorFlow child
    import pandas as pd

from crnn_core.analysis.io import AnalysisError, RaggedArray, read_json
from crnn_core.charset import Charset

__all__ = [
    "INPUT_FILES",
    "OUTPUT_FILES",
    "WORD_COLUMNS",
    "ModelOutputs",
    "NpyAppender",
    "open_model_outputs",
    "peak_rss_mib",
]

OUTPUT_FILES = {
    "logits": "logits.npy",
    "frame_offsets": "frame_offsets.npy",
    "pixels": "pixels.npy",
    "pixel_offsets": "pixel_offsets.npy",
    "texts": "texts.json",
    "result": "result.json",
    "error": "error.json",
    "request": "request.json",
}
INPUT_FILES = {"labels": "inputs.parquet", "info": "inputs.json"}
"""What the parent writes for the child besides ``frame_offsets`` and ``pixels``: per image
``source, key, truth``; the charset the words were read with and the data sources."""
WORD_COLUMNS = (
    "source", "key", "truth", "greedy_text", "greedy_confidence", "beam_text", "beam_confidence",
)  # fmt: skip


class NpyAppender:
    """Write a ``.npy`` of known shape row block by row block, so no process holds it whole."""

    def __init__(self, path: Path, shape: tuple[int, ...], dtype: Any) -> None:
        self.dtype = np.dtype(dtype)
        self.shape = shape
        self.rows = 0
        self._file: BinaryIO = path.open("wb")
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                  "shape": shape}  # fmt: skip
        np.lib.format.write_array_header_2_0(self._file, header)

    def append(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=self.dtype)
        if block.shape[1:] != self.shape[1:] or self.rows + block.shape[0] > self.shape[0]:
            raise ValueError(f"block {block.shape} does not fit {self.shape} at row {self.rows}")
        self._file.write(block.tobytes())
        self.rows += block.shape[0]

    def close(self) -> None:
        self._file.close()
        if self.rows != self.shape[0]:
            raise ValueError(f"wrote {self.rows} of {self.shape[0]} rows")


@dataclass
class ModelOutputs:
    """The model stage's results, arrays memory-mapped (read-only) from ``folder``."""

    folder: Path
    logits: RaggedArray
    pixels: RaggedArray
    words: pd.DataFrame
    info: dict[str, Any]

    @property
    def charset(self) -> Charset:
        return Charset.from_dict(self.info["charset"])

    def __len__(self) -> int:
        return len(self.words)


def _array(folder: Path, name: str, mmap: bool) -> np.ndarray:
    path = folder / OUTPUT_FILES[name]
    if not path.is_file():
        raise AnalysisError(f"The model stage left no {path.name} in {folder}.")
    return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)


def open_model_outputs(folder: str | Path) -> ModelOutputs:
    """Open a finished model-stage folder (arrays memory-mapped, nothing copied yet)."""
    folder = Path(folder)
    info = read_json(folder / OUTPUT_FILES["result"])
    logits = RaggedArray(_array(folder, "logits", True), _array(folder, "frame_offsets", False))
    pixels = RaggedArray(_array(folder, "pixels", True), _array(folder, "pixel_offsets", False), 1)
    import pandas as pd

    words = pd.read_parquet(folder / INPUT_FILES["labels"])
    texts = read_json(folder / OUTPUT_FILES["texts"])
    for name in WORD_COLUMNS[3:]:
        values = texts.get(name)
        if values is None or len(values) != len(words):
            raise AnalysisError(f"{folder}: texts.json has no full {name} column.")
        is_text = name.endswith("_text")
        words[name] = pd.Series(values, dtype="string") if is_text else np.float32(values)
    if not len(words) == len(logits) == len(pixels):
        raise AnalysisError(f"{folder}: words, logits and pixels disagree on the image count.")
    return ModelOutputs(folder, logits, pixels, words, info)


def peak_rss_mib() -> float | None:
    """This process's peak resident set size (``VmHWM``) in MiB; ``None`` off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None
