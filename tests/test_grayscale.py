"""Colour to gray along the crop's own colour axis (issue 9, error mode 1: coloured text)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from crnn_core.grayscale import LUMA_WEIGHTS, contrast_gray
from crnn_core.preprocess import load_image


def _gray(rgb: np.ndarray) -> np.ndarray:
    return np.asarray(contrast_gray(Image.fromarray(rgb, mode="RGB")))


def _word_like(text_rgb: tuple[int, int, int], background_rgb: tuple[int, int, int]) -> np.ndarray:
    """A 20x60 crop: background with a block of 'text' pixels in the middle, plus mild noise."""
    rng = np.random.default_rng(0)
    image = np.empty((20, 60, 3), np.float64)
    image[:] = background_rgb
    image[6:14, 10:50] = text_rgb
    image += rng.normal(0, 2, image.shape)
    return np.clip(image, 0, 255).astype(np.uint8)


def _text_contrast(gray: np.ndarray) -> float:
    return float(abs(gray[6:14, 10:50].astype(float).mean() - gray[:4].astype(float).mean()))


def test_neutral_gray_image_is_plain_luminance() -> None:
    rng = np.random.default_rng(1)
    levels = rng.integers(0, 256, (24, 40)).astype(np.uint8)
    rgb = np.repeat(levels[:, :, None], 3, axis=2)
    assert np.abs(_gray(rgb).astype(int) - levels.astype(int)).max() <= 1


def test_hue_contrast_survives_where_luminance_loses_it() -> None:
    # Red text on a green background of almost the same luminance (0.299 R ~ 0.587 G).
    rgb = _word_like((200, 20, 40), (10, 105, 30))
    luminance = (rgb.astype(np.float64) @ LUMA_WEIGHTS).astype(np.uint8)
    assert _text_contrast(luminance) < 10
    assert _text_contrast(_gray(rgb)) > 4 * _text_contrast(luminance)


def test_bright_text_stays_bright_and_keeps_its_contrast() -> None:
    rgb = _word_like((250, 240, 120), (40, 30, 90))  # light yellow on dark blue
    gray = _gray(rgb)
    luminance = (rgb.astype(np.float64) @ LUMA_WEIGHTS).astype(np.uint8)
    assert gray[6:14, 10:50].mean() > gray[:4].mean() + 100
    assert _text_contrast(gray) >= 0.85 * _text_contrast(luminance)  # RGB distance / sqrt(3)


def test_full_contrast_is_shifted_into_range_not_clipped() -> None:
    # Red text on cyan: RGB distance / sqrt(3) = 255, the whole range. Centred on the mean
    # luminance (mostly cyan) the text would fall below 0; shifted, both ends stay distinct.
    rgb = np.full((20, 60, 3), (0, 255, 255), np.uint8)
    rgb[6:14, 10:50] = (255, 0, 0)
    gray = _gray(rgb)
    assert gray[6:14, 10:50].max() <= 1 and gray[:4].min() >= 254


def test_flat_image_falls_back_to_luminance() -> None:
    rgb = np.full((8, 8, 3), (200, 10, 10), np.uint8)
    expected = round(float(np.array([200, 10, 10]) @ LUMA_WEIGHTS))
    assert np.all(_gray(rgb) == expected)


def test_rejects_images_that_are_not_rgb() -> None:
    with pytest.raises(ValueError, match="RGB image"):
        contrast_gray(Image.new("L", (8, 8)))


def test_a_photo_larger_than_the_sample_gets_the_same_axis() -> None:
    crop = _word_like((200, 20, 40), (10, 105, 30))
    photo = np.tile(crop, (20, 60, 1))  # 400 x 3600: a sampled grid, same two colours
    small, large = _gray(crop), _gray(photo)
    assert abs(_text_contrast(large[:20, :60]) - _text_contrast(small)) < 2


def test_load_image_uses_the_colour_axis_for_colour_files() -> None:
    buffer = io.BytesIO()
    Image.fromarray(_word_like((200, 20, 40), (10, 105, 30))).save(buffer, format="PNG")
    gray = np.asarray(load_image(buffer.getvalue()))
    assert _text_contrast(gray) > 20
