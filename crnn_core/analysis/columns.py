"""What a cluster looks like: the image columns behind its frames, their mean and a grid.

Frame ``t`` of an image covers columns ``[4t, 4t + 4)`` of its stored model input (uint8
``(32, W)``, ``images.npz``); the last frame of an image whose width is not a multiple of 4
covers fewer real columns. ``frame_strips`` cuts those strips, padding the missing columns with
``fill`` and returning a mask of the real ones, so ``strip_mean`` averages only pixels the model
saw and ``strip_grid`` tiles the strips into one picture (a few hundred frames at a glance).
``dark_on_light`` brings words of either polarity to dark-on-light before averaging.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from crnn_core.preprocess import DOWNSAMPLE

__all__ = ["dark_on_light", "frame_columns", "frame_strips", "strip_grid", "strip_mean"]

HEIGHT = 32


def frame_columns(t: int, width: int) -> tuple[int, int]:
    """``(start, end)`` columns of frame ``t`` in an image ``width`` columns wide (end clipped)."""
    start = DOWNSAMPLE * int(t)
    return start, min(start + DOWNSAMPLE, int(width))


def dark_on_light(image: np.ndarray) -> np.ndarray:
    """The image with dark text on a light ground: inverted when its median grey is below 128
    (light text on a dark ground). Photos come in both polarities, and a cluster's mean column
    is a flat grey unless they are brought to one."""
    image = np.asarray(image, dtype=np.uint8)
    return 255 - image if np.median(image) < 128 else image


def frame_strips(
    image_of: Callable[[int], np.ndarray],
    image_ids: Sequence[int] | np.ndarray,
    ts: Sequence[int] | np.ndarray,
    context: int = 0,
    fill: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(strips, mask)``, each ``(n, 32, 4 + 2 * context)``: the frame's columns with
    ``context`` columns either side (``image_of(id)`` gives the ``(32, W)`` image). ``mask`` is
    True where a column exists in the image; elsewhere ``strips`` holds ``fill``."""
    width = DOWNSAMPLE + 2 * context
    n = len(image_ids)
    strips = np.full((n, HEIGHT, width), fill, dtype=np.uint8)
    mask = np.zeros((n, HEIGHT, width), dtype=bool)
    cache: dict[int, np.ndarray] = {}
    for row, (image_id, t) in enumerate(zip(image_ids, ts, strict=True)):
        key = int(image_id)
        if key not in cache:
            cache[key] = np.asarray(image_of(key), dtype=np.uint8)
        image = cache[key]
        lo = DOWNSAMPLE * int(t) - context
        hi = min(lo + width, image.shape[1])
        src_lo = max(lo, 0)
        if hi > src_lo:
            strips[row, :, src_lo - lo : hi - lo] = image[:HEIGHT, src_lo:hi]
            mask[row, :, src_lo - lo : hi - lo] = True
    return strips, mask


def strip_mean(strips: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean grey level ``(32, width)`` float32 over the real pixels (NaN where none)."""
    total = np.where(mask, strips, 0).astype(np.float64).sum(axis=0)
    count = mask.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan).astype(np.float32)


def strip_grid(
    strips: np.ndarray, per_row: int = 24, gap: int = 1, background: int = 255, scale: int = 2
) -> np.ndarray:
    """Tile ``(n, h, w)`` strips into one uint8 picture, ``per_row`` per row, separated by
    ``gap`` pixels of ``background``, upscaled ``scale``x (nearest neighbour)."""
    n, height, width = strips.shape if strips.size else (0, HEIGHT, DOWNSAMPLE)
    per_row = max(1, min(per_row, max(n, 1)))
    rows = max(1, -(-n // per_row))
    cell_h, cell_w = height + gap, width + gap
    grid = np.full((rows * cell_h - gap, per_row * cell_w - gap), background, dtype=np.uint8)
    for i in range(n):
        r, c = divmod(i, per_row)
        grid[r * cell_h : r * cell_h + height, c * cell_w : c * cell_w + width] = strips[i]
    return np.repeat(np.repeat(grid, scale, axis=0), scale, axis=1)
