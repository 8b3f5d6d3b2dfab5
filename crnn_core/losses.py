"""CTC loss and the training wrapper that carries it, with blank = class 0."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from crnn_core.preprocess import DOWNSAMPLE

__all__ = ["CTCTrainingModel", "ctc_batch_loss"]


def ctc_batch_loss(labels: Any, label_lengths: Any, logits: Any, widths: Any) -> Any:
    """Per-sample negative log-likelihood ``-log P(label | image)``, shape (batch,).

    ``labels``: (batch, max_label_len) int, padded with anything (lengths say what is real);
    ``logits``: (batch, frames, classes) unnormalised; ``widths``: true image widths in pixels.
    """
    frames = ops.shape(logits)[1]
    logit_lengths = ops.minimum((ops.cast(widths, "int32") + DOWNSAMPLE - 1) // DOWNSAMPLE, frames)
    return ops.ctc_loss(
        ops.cast(labels, "int32"),
        ops.cast(logits, "float32"),
        ops.cast(label_lengths, "int32"),
        logit_lengths,
        mask_index=0,
    )


class CTCTrainingModel(keras.Model):
    """Wraps the inference CRNN for ``fit``: x = {image, width}, y = {labels, label_length}.

    Only the wrapped ``recognizer`` is ever exported; this class exists so training can use
    Keras' loop (callbacks, checkpoints, distribution strategies) without a Lambda layer.
    """

    def __init__(self, recognizer: keras.Model, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.recognizer = recognizer

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
        per_sample = ctc_batch_loss(y["labels"], y["label_length"], y_pred, x["width"])
        # Mean over the local batch; Keras scales by replica count under tf.distribute.
        loss = ops.mean(per_sample)
        losses = self.losses
        if losses:
            loss = loss + ops.sum(ops.stack(losses))
        return loss
