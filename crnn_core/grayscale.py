"""Colour to gray along the image's own colour axis, so coloured text keeps its contrast.

The model reads one channel. The fixed luminance weights (ITU-R 601) flatten text whose colour
differs from its background mostly in hue: red on dark red, blue on grey, a green sign with red
letters (issue 9, error mode 1). A word crop holds essentially two colours, text and background,
so the direction in RGB along which its pixels vary most (the first principal axis) is the one
that separates them. Projecting on it keeps that contrast whatever the hues are. The projection
is oriented like luminance (bright stays bright), centred on the mean luminance and scaled so a
neutral gray image comes out unchanged: the model sees the brightness it was trained on.

Measured with the shipped stage-9 model on ic03_860 (greedy acc36, no retraining): 88.26 % with
luminance, 88.72 % with this projection (docs/accuracy.md).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

__all__ = ["COLOUR_TO_GRAY", "LUMA_WEIGHTS", "contrast_gray"]

# What a manifest records as the input conversion (artifacts.save_artifacts).
COLOUR_TO_GRAY = "principal colour axis, luminance-scaled (crnn_core.grayscale)"

LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114], dtype=np.float64)  # ITU-R 601, as Pillow's "L"
_SAMPLE_PIXELS = 65_536  # a sample this big pins the axis; a word crop is used whole
_MIN_SPREAD = 1e-6  # a covariance trace below this is a flat image: nothing to project


def contrast_gray(image: Image.Image) -> Image.Image:
    """Mode ``L`` from mode ``RGB``: the first principal colour axis, oriented and scaled like luma.

    The axis, orientation and offset come from the pixels (a fixed nearest-neighbour grid of
    them in a photo over 65,536 pixels, so the result is deterministic); the projection itself
    is Pillow's matrix conversion, C speed (numpy took 1.2 s at 12 MP). A flat image, with no
    axis to find, gets plain luminance.
    """
    if image.mode != "RGB":
        raise ValueError(f"contrast_gray needs an RGB image; got mode {image.mode!r}.")
    sample = np.asarray(_sample_image(image), dtype=np.float64).reshape(-1, 3)
    mean = np.ones(len(sample)) @ sample / len(sample)
    weights = _projection_weights(sample, mean)
    if weights is None:
        return image.convert("L")
    projected = sample @ weights
    # Gray pixels lie on the axis (1, 1, 1) / sqrt(3), where the projection is sqrt(3) times
    # their level: dividing by sqrt(3) makes a neutral image come out as itself, and a colour
    # pair's contrast their RGB distance / sqrt(3). Centred on the mean luminance, then shifted
    # into 0..255 (the range fits: the cube's extent along a unit axis is at most 255 sqrt(3)).
    offset = float(mean @ LUMA_WEIGHTS - mean @ weights)
    low, high = float(projected.min()) + offset, float(projected.max()) + offset
    offset -= min(low, 0.0) + max(high - 255.0, 0.0)
    return image.convert("L", matrix=(*(float(w) for w in weights), offset))


def _sample_image(image: Image.Image) -> Image.Image:
    """The image itself, or a nearest-neighbour grid of about ``_SAMPLE_PIXELS`` of its pixels.

    Nearest keeps real pixel values (no blending of text into background); done by Pillow, so a
    12 MP photo is never copied into numpy whole (that copy alone took 72 ms).
    """
    factor = (image.width * image.height / _SAMPLE_PIXELS) ** 0.5
    if factor <= 1:
        return image
    size = (max(1, int(image.width / factor)), max(1, int(image.height / factor)))
    return image.resize(size, Image.Resampling.NEAREST)


def _projection_weights(sample: np.ndarray, mean: np.ndarray) -> np.ndarray | None:
    """The unit principal axis / sqrt(3), signed to correlate with luminance; None if flat."""
    if len(sample) < 2:
        return None
    # Moments by matrix products: np.cov's axis reductions took ~2 ms of a small crop's 3.7.
    covariance = sample.T @ sample / len(sample) - np.outer(mean, mean)
    if not np.all(np.isfinite(covariance)) or np.trace(covariance) < _MIN_SPREAD:
        return None
    _, vectors = np.linalg.eigh(covariance)
    axis = vectors[:, -1]  # eigh sorts ascending: the last is the largest
    if axis @ covariance @ LUMA_WEIGHTS < 0:
        axis = -axis  # orient like luminance: what is bright stays bright
    return np.asarray(axis / np.sqrt(3.0))
