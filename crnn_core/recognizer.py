"""Pre-processing + model + decoding in one object: images in, texts and per-frame logits out.

Batches are formed from images of similar width (sorted), which keeps padding, and so time, low;
results come back in the caller's order.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from PIL import Image

from crnn_core.charset import Charset
from crnn_core.decode import Lexicon
from crnn_core.geometry import HEIGHT, frames_for_width
from crnn_core.preprocess import load_image, pad_batch, to_gray_height

__all__ = ["FrameLogits", "Prediction", "Recognizer", "run_logits"]

ImageInput = Image.Image | np.ndarray | bytes | str | Path


@dataclass(frozen=True)
class FrameLogits:
    """Valid frames: ``logits`` (frames, classes) and the model input ``image`` (32, W)."""

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


_INFERENCE_FNS: weakref.WeakKeyDictionary[keras.Model, Callable[[dict[str, Any]], Any]] = (
    weakref.WeakKeyDictionary()
)
_INFERENCE_LOCK = threading.Lock()


def _inference_fn(model: keras.Model) -> Callable[[dict[str, Any]], Any]:
    """``model(x, training=False)`` traced once for every batch size and width (TensorFlow).

    ``predict_on_batch`` retraces for the first new batch size and the first new width (about
    0.5 CPU-s each) and costs ~1.5 ms more per call (bench/infer_latency.py); on other backends
    it stays the path. Cached per model, weakly, so a dropped model frees its function.
    """
    if keras.backend.backend() != "tensorflow":
        return model.predict_on_batch
    with _INFERENCE_LOCK:
        fn = _INFERENCE_FNS.get(model)
        if fn is None:
            import tensorflow as tf

            model_ref = weakref.ref(model)  # the cache value must not keep its key alive
            # Keep the model's static dims (height 32, 1 channel): all-None is ~10 % slower.
            declared = {t.name: tuple(t.shape) for t in getattr(model, "inputs", None) or []}
            image_shape = declared.get("image", (None, None, None, None))
            spec = {
                "image": tf.TensorSpec(image_shape, tf.float32),
                "width": tf.TensorSpec((None,), tf.int32),
            }

            def call(inputs: dict[str, Any]) -> Any:
                live = model_ref()
                if live is None:  # unreachable: the entry dies with its model
                    raise RuntimeError("run_logits: the model was garbage-collected.")
                return live(inputs, training=False)

            fn = tf.function(call, input_signature=[spec])
            _INFERENCE_FNS[model] = fn
    return fn


def run_logits(
    model: keras.Model,
    images: Sequence[np.ndarray],
    batch_size: int = 64,
    full_frames_model: keras.Model | None = None,
) -> list[np.ndarray]:
    """Per-image logits ``(frames_i, classes)`` for grayscale uint8 ``(32, W_i)`` images.

    ``full_frames_model``: the same weights without the LSTMs' frame masks
    (``build_crnn(frame_masks=False)``), run for chunks in which every image fills all frames
    of the padded batch (always at batch 1): there the masks change nothing, and they cost about
    a fifth of a batch-1 call (per-step selects in the LSTM loops).
    """
    infer = _inference_fn(model)
    infer_full = _inference_fn(full_frames_model) if full_frames_model is not None else infer
    order = np.argsort([img.shape[1] for img in images], kind="stable")
    outputs: list[np.ndarray] = [np.empty(0)] * len(images)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        batch, widths = pad_batch([images[i] for i in chunk])
        full = frames_for_width(int(widths.min())) == frames_for_width(batch.shape[2])
        fn = infer_full if full else infer
        logits = fn({"image": batch.astype(np.float32), "width": widths.astype(np.int32)})
        logits = np.asarray(logits, dtype=np.float32)
        for row, index in enumerate(chunk):
            outputs[index] = logits[row, : frames_for_width(int(widths[row]))]
    return outputs


class Recognizer:
    """A loaded CRNN with its charset; see ``crnn_core.artifacts.load_recognizer`` to build one."""

    def __init__(
        self,
        model: keras.Model,
        charset: Charset,
        max_width: int = 160,
        full_frames_model: keras.Model | None = None,
    ) -> None:
        self.model = model
        self.full_frames_model = full_frames_model  # see run_logits
        self.charset = charset
        self.max_width = max_width
        self._lexicon: tuple[tuple[str, ...], Lexicon] | None = None

    def lexicon(self, words: Sequence[str] | Lexicon) -> Lexicon:
        """The trie for ``words``, built once and reused while the same list is passed."""
        if isinstance(words, Lexicon):
            return words
        key = tuple(words)
        if self._lexicon is None or self._lexicon[0] != key:
            self._lexicon = (key, Lexicon.build(key, self.charset))
        return self._lexicon[1]

    def prepare(self, images: Sequence[ImageInput]) -> list[np.ndarray]:
        """Decode (if needed) and resize every image to the model's grayscale height-32 input."""
        return [self._prepare_one(image) for image in images]

    def _prepare_one(self, image: ImageInput) -> np.ndarray:
        if isinstance(image, np.ndarray):
            if image.ndim == 2 and image.shape[0] == HEIGHT and image.dtype == np.uint8:
                return to_gray_height(image, max_width=self.max_width)  # already model input
            image = Image.fromarray(np.asarray(image, dtype=np.uint8))
        return to_gray_height(load_image(image), max_width=self.max_width)

    def frame_logits(self, images: Sequence[ImageInput], batch_size: int = 64) -> list[FrameLogits]:
        prepared = self.prepare(images)
        logits = run_logits(self.model, prepared, batch_size, self.full_frames_model)
        return [FrameLogits(lg, img) for lg, img in zip(logits, prepared, strict=True)]

    def predict(
        self,
        images: Sequence[ImageInput],
        decoder: str = "greedy",
        beam_width: int = 10,
        top_k: int = 5,
        lexicon: Sequence[str] | Lexicon | None = None,
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
        lexicon: Sequence[str] | Lexicon | None = None,
    ) -> list[Prediction]:
        """Decode per-image logits ``(frames_i, classes)`` (e.g. reloaded from an export)."""
        from crnn_core.decode import decode_candidates

        if not logits:
            return []
        lengths = np.array([lg.shape[0] for lg in logits], dtype=np.int64)
        padded = np.zeros((len(logits), int(lengths.max()), logits[0].shape[1]), np.float32)
        for i, lg in enumerate(logits):
            padded[i, : lg.shape[0]] = lg
        words = self.lexicon(lexicon) if lexicon else None
        found = decode_candidates(
            padded,
            lengths,
            self.charset,
            decoder,  # type: ignore[arg-type]  # checked against DECODERS inside
            beam_width,
            words,
            top_k,
        )
        name = "lexicon" if words else decoder
        return [
            Prediction(
                best.text,
                best.confidence,
                tuple(best.char_confidences),
                name,
                tuple((c.text, float(c.log_prob)) for c in candidates),
            )
            for best, candidates in found
        ]
