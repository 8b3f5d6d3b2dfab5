"""Pre-processing + model + decoding in one object: images in, texts and per-frame logits out.

Batches are formed from images of similar width (sorted), which keeps padding, and so time, low;
results come back in the caller's order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from PIL import Image

from crnn_core.charset import Charset
from crnn_core.preprocess import load_image, logit_length, pad_batch, to_gray_height

__all__ = ["FrameLogits", "Prediction", "Recognizer", "run_logits"]

ImageInput = Image.Image | np.ndarray | bytes | str | Path


@dataclass(frozen=True)
class FrameLogits:
    """One image's valid frames: ``logits`` (frames, classes) and the model input ``image`` (32, W)."""

    logits: np.ndarray
    image: np.ndarray


@dataclass(frozen=True)
class Prediction:
    """A decoded word: text, word confidence in [0, 1], per-character confidences, decoder name."""

    text: str
    confidence: float
    char_confidences: tuple[float, ...]
    decoder: str
    candidates: tuple[tuple[str, float], ...] = ()  # (text, log_prob) for beam search


def run_logits(
    model: keras.Model, images: Sequence[np.ndarray], batch_size: int = 64
) -> list[np.ndarray]:
    """Per-image logits ``(frames_i, classes)`` for grayscale uint8 ``(32, W_i)`` images."""
    order = np.argsort([img.shape[1] for img in images], kind="stable")
    outputs: list[np.ndarray] = [np.empty(0)] * len(images)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch, widths = pad_batch([images[i] for i in chunk])
        logits = model.predict_on_batch({"image": batch.astype(np.float32), "width": widths})
        logits = np.asarray(logits, dtype=np.float32)
        for row, index in enumerate(chunk):
            outputs[index] = logits[row, : int(logit_length(int(widths[row])))]
    return outputs


class Recognizer:
    """A loaded CRNN with its charset; see ``crnn_core.artifacts.load_recognizer`` to build one."""

    def __init__(self, model: keras.Model, charset: Charset, max_width: int = 160) -> None:
        self.model = model
        self.charset = charset
        self.max_width = max_width

    def prepare(self, images: Sequence[ImageInput]) -> list[np.ndarray]:
        """Decode (if needed) and resize every image to the model's grayscale height-32 input."""
        prepared = []
        for image in images:
            if isinstance(image, np.ndarray) and image.ndim == 2 and image.shape[0] == 32:
                prepared.append(to_gray_height(image, max_width=self.max_width))
            else:
                pil = image if isinstance(image, Image.Image) else None
                if pil is None and isinstance(image, np.ndarray):
                    pil = Image.fromarray(image.astype(np.uint8))
                prepared.append(
                    to_gray_height(load_image(pil if pil is not None else image), max_width=self.max_width)  # type: ignore[arg-type]
                )
        return prepared

    def frame_logits(self, images: Sequence[ImageInput], batch_size: int = 64) -> list[FrameLogits]:
        prepared = self.prepare(images)
        logits = run_logits(self.model, prepared, batch_size)
        return [FrameLogits(lg, img) for lg, img in zip(logits, prepared, strict=True)]

    def predict(
        self,
        images: Sequence[ImageInput],
        decoder: str = "greedy",
        beam_width: int = 10,
        top_k: int = 5,
        lexicon: Sequence[str] | None = None,
        batch_size: int = 64,
    ) -> list[Prediction]:
        """Texts for ``images``; ``decoder`` is ``greedy`` or ``beam``; a lexicon overrides both."""
        frames = self.frame_logits(images, batch_size)
        return self.decode([f.logits for f in frames], decoder, beam_width, top_k, lexicon)

    def decode(
        self,
        logits: Sequence[np.ndarray],
        decoder: str = "greedy",
        beam_width: int = 10,
        top_k: int = 5,
        lexicon: Sequence[str] | None = None,
    ) -> list[Prediction]:
        """Decode per-image logits ``(frames_i, classes)`` (e.g. reloaded from an export)."""
        from crnn_core import decode as ctc

        if decoder not in ("greedy", "beam"):
            raise ValueError(f"Unknown decoder {decoder!r}; use 'greedy' or 'beam'.")
        if not logits:
            return []
        lengths = np.array([lg.shape[0] for lg in logits], dtype=np.int64)
        padded = np.zeros((len(logits), int(lengths.max()), logits[0].shape[1]), np.float32)
        for i, lg in enumerate(logits):
            padded[i, : lg.shape[0]] = lg
        if lexicon:
            found = ctc.lexicon_decode(padded, lengths, lexicon, self.charset)
            return [
                Prediction(d.text, d.confidence, tuple(d.char_confidences), "lexicon")
                for d in found
            ]
        if decoder == "greedy":
            greedy = ctc.greedy_decode(padded, lengths, self.charset)
            return [
                Prediction(d.text, d.confidence, tuple(d.char_confidences), "greedy")
                for d in greedy
            ]
        beams = ctc.beam_search(
            padded, lengths, self.charset, beam_width=beam_width, top_k=min(top_k, beam_width)
        )
        results = []
        for beam in beams:
            best = beam.best
            results.append(
                Prediction(
                    best.text,
                    best.confidence,
                    tuple(best.char_confidences),
                    "beam",
                    tuple((c.text, float(c.log_prob)) for c in beam.candidates),
                )
            )
        return results
