"""Uploaded bytes in, decoded words with per-frame statistics out (no Streamlit here).

The page calls ``process_uploads``; it is a plain function so tests can drive it without a
browser. Images go through ``crnn_core`` (``Recognizer.frame_logits`` then ``Recognizer.decode``),
so the logits are computed once and re-decoded when the user switches greedy / beam.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crnn_core.analysis.export import BLANK_DISPLAY, class_display
from crnn_core.analysis.export import frame_statistics as analysis_frame_statistics
from crnn_core.charset import Charset
from crnn_core.preprocess import DOWNSAMPLE, ImageLoadError
from crnn_core.recognizer import FrameLogits, Prediction, Recognizer

__all__ = [
    "BLANK_SYMBOL",
    "DecodeOptions",
    "Recognition",
    "UploadError",
    "frame_statistics",
    "parse_lexicon",
    "process_uploads",
    "results_csv",
    "results_json",
]

logger = logging.getLogger(__name__)

BLANK_SYMBOL = BLANK_DISPLAY
FrameFn = Callable[[bytes], FrameLogits]


@dataclass(frozen=True)
class DecodeOptions:
    """What the user picked: ``decoder`` is ``greedy`` or ``beam``; a lexicon overrides both."""

    decoder: str = "greedy"
    beam_width: int = 10
    top_k: int = 5
    lexicon: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recognition:
    """One recognised image: model input ``image`` (32, W) uint8, ``logits`` (frames, classes),
    the decoded ``prediction`` and ``frames``, one row of statistics per frame."""

    name: str
    image: np.ndarray
    logits: np.ndarray
    prediction: Prediction
    frames: pd.DataFrame


@dataclass(frozen=True)
class UploadError:
    """An upload that could not be used; ``message`` is meant for the user."""

    name: str
    message: str


def parse_lexicon(text: str) -> tuple[str, ...]:
    """Words separated by whitespace or commas, de-duplicated, order kept."""
    words = [w for w in re.split(r"[\s,;]+", text or "") if w]
    return tuple(dict.fromkeys(words))


def frame_statistics(logits: np.ndarray, charset: Charset) -> pd.DataFrame:
    """Per-frame readouts of ``logits`` (frames, classes), the same as the analysis tables use.

    Columns: ``t``, ``col_start``/``col_end`` (image columns ``[4t, 4t+4)``), ``label`` (argmax
    class, blank = 0), ``char`` (``∅`` for blank), ``max_prob``, ``margin`` (top-1 minus top-2
    probability), ``entropy`` (nats), ``blank_prob``.
    """
    values = np.asarray(logits, dtype=np.float32).reshape(-1, charset.num_classes)
    stats = analysis_frame_statistics(values)
    t = np.arange(len(stats["greedy_class"]))
    labels = stats["greedy_class"].astype(np.int64)
    return pd.DataFrame(
        {
            "t": t,
            "col_start": t * DOWNSAMPLE,
            "col_end": (t + 1) * DOWNSAMPLE,
            "label": labels,
            "char": np.array(class_display(charset), dtype=object)[labels],
            "max_prob": stats["max_prob"],
            "margin": stats["margin"],
            "entropy": stats["entropy"],
            "blank_prob": stats["blank_prob"],
        }
    )


def _default_frame_fn(recognizer: Recognizer) -> FrameFn:
    return lambda data: recognizer.frame_logits([data])[0]


def process_uploads(
    recognizer: Recognizer,
    uploads: Sequence[tuple[str, bytes]],
    options: DecodeOptions,
    frame_fn: FrameFn | None = None,
) -> list[Recognition | UploadError]:
    """Recognise each ``(name, bytes)`` upload; bad files become ``UploadError``, never raise.

    ``frame_fn`` maps bytes to ``FrameLogits`` (the dashboard passes a cached one).
    """
    frame_fn = frame_fn or _default_frame_fn(recognizer)
    outcomes: list[tuple[str, FrameLogits] | UploadError] = []
    for name, data in uploads:
        try:
            outcomes.append((name, frame_fn(bytes(data))))
        except ImageLoadError as exc:
            outcomes.append(UploadError(name, str(exc)))
        except Exception as exc:
            logger.exception("Unexpected failure on upload %s", name)
            outcomes.append(
                UploadError(name, f"Could not process this image ({type(exc).__name__}).")
            )
    good = [o for o in outcomes if not isinstance(o, UploadError)]
    predictions = recognizer.decode(
        [frames.logits for _, frames in good],
        options.decoder,
        options.beam_width,
        options.top_k,
        list(options.lexicon) or None,
    )
    decoded = iter(zip(good, predictions, strict=True))
    results: list[Recognition | UploadError] = []
    for outcome in outcomes:
        if isinstance(outcome, UploadError):
            results.append(outcome)
            continue
        (name, frames), prediction = next(decoded)
        stats = frame_statistics(frames.logits, recognizer.charset)
        results.append(Recognition(name, frames.image, frames.logits, prediction, stats))
    return results


def _row(result: Recognition | UploadError) -> dict[str, object]:
    if isinstance(result, UploadError):
        return {"file": result.name, "error": result.message}
    pred = result.prediction
    return {
        "file": result.name,
        "text": pred.text,
        "confidence": round(pred.confidence, 6),
        "decoder": pred.decoder,
        "char_confidences": " ".join(f"{c:.4f}" for c in pred.char_confidences),
        "width_px": int(result.image.shape[1]),
        "frames": int(result.logits.shape[0]),
    }


def results_csv(results: Sequence[Recognition | UploadError]) -> str:
    """One row per file: text, confidence, decoder, per-character confidences (or the error)."""
    columns = ["file", "text", "confidence", "decoder", "char_confidences", "width_px", "frames"]
    frame = pd.DataFrame([_row(r) for r in results])
    if "error" in frame:
        columns.append("error")
    return frame.reindex(columns=columns).to_csv(index=False)


def results_json(results: Sequence[Recognition | UploadError]) -> str:
    """Everything in the CSV plus the beam candidates and the per-frame statistics."""
    items = []
    for result in results:
        item = _row(result)
        if isinstance(result, Recognition):
            item["char_confidences"] = list(result.prediction.char_confidences)
            item["candidates"] = [
                {"text": text, "log_prob": lp} for text, lp in result.prediction.candidates
            ]
            item["frames_detail"] = result.frames.to_dict(orient="records")
        items.append(item)
    return json.dumps(items, indent=2, ensure_ascii=False, default=_json_default)


def _json_default(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"Cannot serialise {type(value).__name__}")
