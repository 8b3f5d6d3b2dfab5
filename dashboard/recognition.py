"""Uploaded bytes in, decoded words with per-frame statistics out (no Streamlit here).

The page calls ``process_uploads``; it is a plain function so tests can drive it without a
browser. Images go through ``crnn_core`` (``Recognizer.frame_logits`` then ``Recognizer.decode``),
so the logits are computed once and re-decoded when the user switches greedy / beam. Files of a
type or size the page does not take are refused by ``refusal``, with the reason, before any
decoding (the uploader accepts every type so that the reason can be shown on the page).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crnn_core.analysis.export import BLANK_DISPLAY, class_display
from crnn_core.analysis.export import frame_statistics as analysis_frame_statistics
from crnn_core.charset import Charset
from crnn_core.geometry import DOWNSAMPLE
from crnn_core.preprocess import ImageLoadError
from dashboard.lexicon_match import LexiconMatch, match_lexicon
from dashboard.verdict import Verdict, assess

if TYPE_CHECKING:  # crnn_core.recognizer imports Keras: the page draws its inputs first
    from crnn_core.recognizer import FrameLogits, Prediction, Recognizer

__all__ = [
    "BLANK_SYMBOL",
    "IMAGE_TYPES",
    "DecodeOptions",
    "Recognition",
    "UploadError",
    "frame_statistics",
    "parse_lexicon",
    "process_uploads",
    "refusal",
    "results_csv",
    "results_json",
]

logger = logging.getLogger(__name__)

BLANK_SYMBOL = BLANK_DISPLAY
FrameFn = Callable[[bytes], "FrameLogits"]
IMAGE_TYPES = ("png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff", "gif")
MAX_BYTES = 10 * 1024 * 1024  # the uploader's limit, checked again in case the server's differs


@dataclass(frozen=True)
class DecodeOptions:
    """What the user picked: ``decoder`` is ``greedy`` or ``beam``. A lexicon is a suggestion
    shown next to the reading (``lexicon_mode="soft"``) or the answer (``"force"``); its words
    match any usual case unless ``match_case``."""

    decoder: str = "greedy"
    beam_width: int = 10
    top_k: int = 5
    lexicon: tuple[str, ...] = ()
    lexicon_mode: str = "soft"
    match_case: bool = False


@dataclass(frozen=True)
class Recognition:
    """One recognised image: model input ``image`` (32, W) uint8, ``logits`` (frames, classes),
    the decoded ``prediction`` and ``frames``, one row of statistics per frame."""

    name: str
    image: np.ndarray
    logits: np.ndarray
    prediction: Prediction
    frames: pd.DataFrame
    verdict: Verdict | None = None  # blank, nothing read, or not confident
    reading: Prediction | None = None  # the free reading when a forced lexicon replaced it
    lexicon: LexiconMatch | None = None  # the best lexicon word, next to the reading


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


def refusal(name: str, data: bytes) -> str | None:
    """Why an uploaded file is not read (type by its extension, size), or ``None``."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix not in IMAGE_TYPES:
        shown = f".{suffix} files are" if suffix else "Files without an extension are"
        return (
            f"{shown} not accepted; upload an image: "
            + ", ".join(t.upper() for t in IMAGE_TYPES if t not in ("jpeg", "tif"))
            + "."
        )
    if len(data) > MAX_BYTES:
        return f"{len(data) / 2**20:.1f} MB is over the {MAX_BYTES // 2**20} MB limit per file."
    return None


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
    logits = [frames.logits for _, frames in good]
    readings = recognizer.decode(logits, options.decoder, options.beam_width, options.top_k)
    matches: list[LexiconMatch | None] = [None] * len(good)
    if options.lexicon and good:
        texts = [r.text for r in readings]
        found = match_lexicon(recognizer, logits, texts, options.lexicon, options.match_case)
        matches = found if found is not None else matches
    decoded = iter(zip(good, readings, matches, strict=True))
    results: list[Recognition | UploadError] = []
    for outcome in outcomes:
        if isinstance(outcome, UploadError):
            results.append(outcome)
            continue
        (name, frames), reading, match = next(decoded)
        forced = options.lexicon_mode == "force" and match is not None
        prediction = match.prediction if forced and match else reading
        stats = frame_statistics(frames.logits, recognizer.charset)
        results.append(
            Recognition(
                name, frames.image, frames.logits, prediction, stats,
                verdict=assess(frames.image, prediction),
                reading=reading if forced else None,
                lexicon=match,
            )
        )  # fmt: skip
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
        "status": result.verdict.kind if result.verdict else "ok",
        "char_confidences": " ".join(f"{c:.4f}" for c in pred.char_confidences),
        "width_px": int(result.image.shape[1]),
        "frames": int(result.logits.shape[0]),
    }


def _inert_cell(value: object) -> object:
    """A text cell a spreadsheet will not run: ``=HYPERLINK(...)`` (a crafted file name, or a
    reading) gets a leading apostrophe, as OWASP advises against CSV injection."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def results_csv(results: Sequence[Recognition | UploadError]) -> str:
    """One row per file: text, confidence, decoder, per-character confidences (or the error)."""
    columns = ["file", "text", "confidence", "decoder", "status", "char_confidences"]
    columns += ["width_px", "frames"]
    frame = pd.DataFrame([_row(r) for r in results])
    if "error" in frame:
        columns.append("error")
    frame = frame.reindex(columns=columns)
    for column in ("file", "text", "error"):
        if column in frame:
            frame[column] = frame[column].map(_inert_cell)
    return frame.to_csv(index=False)


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
