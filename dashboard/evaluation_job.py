"""Evaluate a user's labelled zip with the CLI's code path (no Streamlit here).

``python -m crnn_core evaluate --data DIR`` is ``open_source`` + ``evaluate_source`` with a
``predict_fn`` over the recognizer; this module runs exactly that on the zip's folder. The zip is
checked and extracted by ``crnn_core.analysis.zipdata`` into a temporary folder that is deleted
before returning, whatever happens. For the error gallery it keeps, for the wrongly read images
only, a thumbnail of the user's image and the model's logits (to align the truth on demand).
"""

from __future__ import annotations

import io
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath

import numpy as np
from PIL import Image

from crnn_core.analysis.zipdata import UnsafeZip, ZipLimits, extract_zip
from crnn_core.data.readers import open_source
from crnn_core.evaluate import EvaluationResult, SampleRecord, evaluate_source
from crnn_core.recognizer import FrameLogits, Recognizer

__all__ = [
    "DatasetProblem",
    "KeptSample",
    "UnsafeZip",
    "UserEvaluation",
    "dataset_name",
    "evaluate_zip",
    "is_error",
]

Progress = Callable[[int, int], None]
THUMB = (240, 64)
MAX_KEPT = 500  # error samples kept for the gallery (the most confident first)


class DatasetProblem(ValueError):
    """The zip is safe but holds nothing to evaluate; the message is meant for the user."""


@dataclass(frozen=True)
class KeptSample:
    """What the gallery needs of one wrongly read image once the extracted files are gone."""

    thumbnail: np.ndarray  # the user's image, at most THUMB, grey uint8
    image: np.ndarray  # model input (32, W) uint8
    logits: np.ndarray  # (frames, classes)


@dataclass
class UserEvaluation:
    """One uploaded zip evaluated: the CLI's ``EvaluationResult`` plus the kept error samples,
    keyed by position in ``result.records``."""

    upload: str
    decoder: str
    result: EvaluationResult
    kept: dict[int, KeptSample] = field(default_factory=dict)


def is_error(record: SampleRecord) -> bool:
    """Wrong under acc36 (the headline protocol); labels acc36 cannot score are not errors."""
    return record.correct_acc36 is False


def dataset_name(upload: str) -> str:
    """A table-friendly name from the upload's file name (never a path)."""
    stem = PurePath(upload.replace("\\", "/")).stem
    return re.sub(r"[^\w.-]+", "_", stem).strip("._")[:40] or "upload"


def _thumbnail(image: Image.Image) -> np.ndarray:
    small = image.convert("L")
    small.thumbnail(THUMB)
    return np.asarray(small, dtype=np.uint8)


def evaluate_zip(
    recognizer: Recognizer,
    upload: str,
    data: bytes,
    decoder: str = "greedy",
    beam_width: int = 10,
    on_progress: Progress | None = None,
    limits: ZipLimits | None = None,
    batch_size: int = 32,
) -> UserEvaluation:
    """Check, extract (temporary folder), read and evaluate one zip; raise ``UnsafeZip`` or
    ``DatasetProblem`` with a message for the user."""
    captured: list[tuple[FrameLogits, np.ndarray]] = []
    done = 0

    def predict_fn(images: Sequence[Image.Image]) -> list[tuple[str, float]]:
        nonlocal done
        frames = recognizer.frame_logits(list(images))
        preds = recognizer.decode([f.logits for f in frames], decoder, beam_width)
        captured.extend(zip(frames, map(_thumbnail, images), strict=True))
        done += len(images)
        if on_progress is not None:
            on_progress(done, total)
        return [(p.text, p.confidence) for p in preds]

    name = dataset_name(upload)
    with tempfile.TemporaryDirectory(prefix="crnn-eval-") as tmp:
        root = extract_zip(io.BytesIO(data), Path(tmp) / "data", limits)
        try:
            source = open_source(f"{name}={root}", charset=recognizer.charset)
        except (FileNotFoundError, ValueError) as exc:
            raise DatasetProblem(f"labels.tsv cannot be read ({type(exc).__name__}).") from exc
        total = len(source)
        if total == 0:
            raise DatasetProblem(_nothing_usable(source.skipped.counts))
        result = evaluate_source(predict_fn, source, batch_size, progress=False)
    if result.scores.n == 0:
        raise DatasetProblem(_nothing_usable(result.skipped.counts))
    wrong = [i for i, r in enumerate(result.records) if is_error(r)]
    wrong.sort(key=lambda i: -result.records[i].confidence)
    kept = {
        i: KeptSample(captured[i][1], captured[i][0].image, captured[i][0].logits)
        for i in wrong[:MAX_KEPT]
    }
    return UserEvaluation(upload, decoder, result, kept)


def _nothing_usable(counts: dict[str, int]) -> str:
    if not counts:
        return "labels.tsv lists no image: it needs one line 'relative/path<TAB>text' per image."
    reasons = ", ".join(f"{reason}: {n}" for reason, n in sorted(counts.items()))
    return f"No entry of labels.tsv could be used ({reasons})."
