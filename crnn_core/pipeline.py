"""``tf.data`` input pipelines: variable-width padded batches with true label and image widths.

Samples come from any callable ``sample_fn(index) -> (gray uint8 (32, W), text)``; the pipeline
encodes labels with the charset, buckets by width (less padding, faster steps) and pads.
Indices are consecutive from ``start_index``, so a resumed run continues the stream where it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from crnn_core.charset import Charset
from crnn_core.geometry import DOWNSAMPLE, HEIGHT, frames_for_width, frames_needed

__all__ = ["SampleFn", "ctc_frames_needed", "make_training_dataset", "width_buckets"]

# ``sample_fn(index) -> (image, text)`` or ``(image, text, caseless)``: ``caseless`` marks a
# label whose letter case is unknown (e.g. SVT, labelled in upper case only).
SampleFn = Callable[[int], tuple[np.ndarray, str] | tuple[np.ndarray, str, bool]]


ctc_frames_needed = frames_needed  # the name this module exported before ``geometry``


def width_buckets(max_width: int, step: int = 16) -> list[int]:
    """Bucket boundaries (exclusive upper widths) for ``bucket_by_sequence_length``."""
    return list(range(32 + step, max_width + 1, step))


def make_training_dataset(
    sample_fn: SampleFn,
    charset: Charset,
    batch_size: int,
    max_width: int,
    start_index: int = 0,
    parallel_calls: int = 2,
    max_label_length: int = 32,
    bucket_by_width: bool = True,
) -> tf.data.Dataset:
    """Infinite dataset of ``({image, width}, {labels, label_length, caseless})`` batches.

    image: (batch, 32, W_batch, 1) float32 0–255; width: (batch,) int32 true widths;
    labels: (batch, L_batch) int32 class ids (0-padded); label_length: (batch,) int32;
    caseless: (batch,) int32, 1 where the loss must ignore letter case.
    Samples whose label cannot be encoded or is too long for the image are replaced by others.
    ``bucket_by_width`` batches images of similar width together (less padding, faster steps);
    turn it off for tiny fixed sets, where a bucket would hold copies of one word.
    """

    def render(index: np.int64) -> tuple[np.ndarray, np.ndarray, np.int32, np.int32]:
        i = int(index)
        for attempt in range(16):
            drawn = sample_fn(i + attempt * 1_000_003)
            image, text = drawn[0], drawn[1]
            caseless = np.int32(len(drawn) > 2 and bool(drawn[2]))
            width = image.shape[1]
            if (
                charset.can_encode(text)
                and len(text) <= max_label_length
                and frames_needed(text) <= frames_for_width(width)
                and width <= max_width
            ):
                labels = np.asarray(charset.encode(text), dtype=np.int32)
                return image.astype(np.uint8), labels, np.int32(width), caseless
        raise RuntimeError(f"sample_fn produced 16 unusable samples in a row near index {i}.")

    def tf_render(index: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
        image, labels, width, caseless = tf.numpy_function(
            render, [index], (tf.uint8, tf.int32, tf.int32, tf.int32), stateful=False
        )
        image = tf.reshape(image, (HEIGHT, -1))
        labels = tf.reshape(labels, (-1,))
        width = tf.reshape(width, ())
        caseless = tf.reshape(caseless, ())
        return image, labels, width, caseless

    boundaries = width_buckets(max_width)
    dataset = tf.data.Dataset.range(start_index, np.iinfo(np.int64).max)
    dataset = dataset.map(tf_render, num_parallel_calls=parallel_calls, deterministic=True)
    if not bucket_by_width:
        dataset = dataset.padded_batch(
            batch_size, padded_shapes=([HEIGHT, None], [None], [], []), drop_remainder=True
        )
        return _without_autotune(dataset.map(_to_model_inputs, num_parallel_calls=2).prefetch(2))
    dataset = dataset.bucket_by_sequence_length(
        element_length_func=lambda image, labels, width, caseless: width,
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        padded_shapes=([HEIGHT, None], [None], [], []),
        pad_to_bucket_boundary=False,
        drop_remainder=True,
    )
    dataset = dataset.map(_to_model_inputs, num_parallel_calls=2)
    return _without_autotune(dataset.prefetch(2))


def _without_autotune(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """``dataset`` with tf.data's autotuning off and fixed parallelism instead.

    Why: the autotuner's background thread sleeps between optimisations for up to a minute, and
    the iterator's destructor at the end of ``fit`` waited for it: 11-53 s of an idle process
    after the last training step (seen with py-spy; 0.15-0.19 s without it). On 2 cores there is
    nothing to tune: the rendering map already runs ``parallel_calls`` at a time.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def _to_model_inputs(
    image: tf.Tensor, labels: tf.Tensor, width: tf.Tensor, caseless: tf.Tensor
) -> tuple[dict[str, Any], dict[str, Any]]:
    label_length = tf.reduce_sum(tf.cast(labels > 0, tf.int32), axis=1)
    # Pad to a multiple of 4 columns so the model emits ceil(width / 4) frames, as at inference.
    extra = -tf.shape(image)[2] % DOWNSAMPLE
    image = tf.pad(image, [[0, 0], [0, 0], [0, extra]])
    pixels = tf.cast(image, tf.float32)[..., tf.newaxis]
    targets = {"labels": labels, "label_length": label_length, "caseless": caseless}
    return {"image": pixels, "width": width}, targets
