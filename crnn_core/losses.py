"""CTC loss and the training wrapper that carries it, with blank = class 0."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from crnn_core.geometry import frames_for_width

__all__ = ["CTCTrainingModel", "case_fold_log_probs", "ctc_batch_loss"]


def ctc_batch_loss(labels: Any, label_lengths: Any, logits: Any, widths: Any) -> Any:
    """Per-sample negative log-likelihood ``-log P(label | image)``, shape (batch,).

    ``labels``: (batch, max_label_len) int, padded with anything (lengths say what is real);
    ``logits``: (batch, frames, classes) unnormalised; ``widths``: true image widths in pixels.
    """
    frames = ops.shape(logits)[1]
    logit_lengths = ops.minimum(frames_for_width(ops.cast(widths, "int32")), frames)
    return ops.ctc_loss(
        ops.cast(labels, "int32"),
        ops.cast(logits, "float32"),
        ops.cast(label_lengths, "int32"),
        logit_lengths,
        mask_index=0,
    )


def case_fold_log_probs(logits: Any, upper: Any, lower: Any, caseless: Any) -> Any:
    """Log-probabilities where, for ``caseless`` samples, each upper-case class carries
    P(upper) + P(lower) and the lower-case class none: CTC then scores "either case" for a
    label written in capitals, so upper-case-only sets (SVT) teach shapes, not a wrong case.

    ``upper``/``lower``: int class ids of the letter pairs; ``caseless``: (batch,) 0/1.
    The result is already normalised, so the softmax inside ``ctc_loss`` leaves it unchanged.
    """
    log_probs = ops.log_softmax(ops.cast(logits, "float32"), axis=-1)
    num_classes = ops.shape(log_probs)[-1]
    merged = ops.logaddexp(ops.take(log_probs, upper, axis=-1), ops.take(log_probs, lower, axis=-1))
    to_upper = ops.one_hot(upper, num_classes, dtype="float32")  # (pairs, classes)
    is_upper = ops.sum(to_upper, axis=0)
    is_lower = ops.sum(ops.one_hot(lower, num_classes, dtype="float32"), axis=0)
    folded = log_probs * (1.0 - is_upper - is_lower) + ops.matmul(merged, to_upper)
    folded = folded - 1e4 * is_lower
    flag = ops.cast(ops.reshape(caseless, (-1, 1, 1)), "float32")
    return flag * folded + (1.0 - flag) * log_probs


class CTCTrainingModel(keras.Model):
    """Wraps the inference CRNN for ``fit``: x = {image, width}, y = {labels, label_length}.

    Only the wrapped ``recognizer`` is ever exported; this class exists so training can use
    Keras' loop (callbacks, checkpoints, distribution strategies) without a Lambda layer.
    """

    def __init__(
        self,
        recognizer: keras.Model,
        case_pairs: tuple[list[int], list[int]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.recognizer = recognizer
        # (upper ids, lower ids) of the charset's letter pairs, for caseless labels
        self.case_pairs = case_pairs

    def call(self, inputs: Any, training: bool = False) -> Any:
        return self.recognizer(inputs, training=training)

    def compute_loss(
        self,
        x: Any = None,
        y: Any = None,
        y_pred: Any = None,
        sample_weight: Any = None,
        training: bool = True,
    ) -> Any:
        if self.case_pairs is not None and "caseless" in y:
            upper, lower = (ops.convert_to_tensor(ids, "int32") for ids in self.case_pairs)
            y_pred = case_fold_log_probs(y_pred, upper, lower, y["caseless"])
        per_sample = ctc_batch_loss(y["labels"], y["label_length"], y_pred, x["width"])
        # Mean over the local batch; Keras scales by replica count under tf.distribute.
        loss = ops.mean(per_sample)
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss
