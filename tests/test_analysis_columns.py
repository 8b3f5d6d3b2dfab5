"""Column grids of a cluster: frame t covers columns [4t, 4t + 4) of the model input."""

from __future__ import annotations

import numpy as np

from crnn_core.analysis.columns import (
    dark_on_light,
    frame_columns,
    frame_strips,
    strip_grid,
    strip_mean,
)


def numbered_image(width: int) -> np.ndarray:
    """A (32, width) image whose every column holds its own index (mod 256)."""
    return np.tile(np.arange(width, dtype=np.uint8), (32, 1))


def test_frame_t_covers_columns_4t_to_4t_plus_4() -> None:
    images = {0: numbered_image(40), 1: numbered_image(10)}
    strips, mask = frame_strips(images.__getitem__, [0, 0, 1], [0, 7, 1])
    assert strips.shape == (3, 32, 4) and mask.all()
    assert strips[0, 0].tolist() == [0, 1, 2, 3]
    assert strips[1, 5].tolist() == [28, 29, 30, 31]
    assert strips[2, 31].tolist() == [4, 5, 6, 7]
    assert frame_columns(7, 40) == (28, 32)


def test_the_last_partial_frame_is_padded_and_masked() -> None:
    strips, mask = frame_strips({0: numbered_image(10)}.__getitem__, [0], [2], fill=99)
    assert frame_columns(2, 10) == (8, 10)
    assert strips[0, 0].tolist() == [8, 9, 99, 99]
    assert mask[0, 0].tolist() == [True, True, False, False]


def test_context_columns_and_the_image_edges() -> None:
    strips, mask = frame_strips({0: numbered_image(12)}.__getitem__, [0, 0], [0, 2], context=2)
    assert strips.shape == (2, 32, 8)
    assert mask[0, 0].tolist() == [False, False] + [True] * 6
    assert strips[0, 0, 2:].tolist() == [0, 1, 2, 3, 4, 5]
    assert strips[1, 0, :6].tolist() == [6, 7, 8, 9, 10, 11] and not mask[1, 0, 6:].any()


def test_mean_uses_only_real_pixels() -> None:
    images = {0: np.full((32, 8), 100, np.uint8), 1: np.full((32, 6), 200, np.uint8)}
    strips, mask = frame_strips(images.__getitem__, [0, 1], [1, 1])
    mean = strip_mean(strips, mask)
    assert mean.shape == (32, 4)
    assert mean[0].tolist() == [150.0, 150.0, 100.0, 100.0]
    empty = strip_mean(*frame_strips(images.__getitem__, [1], [5]))
    assert np.isnan(empty).all()


def test_grid_tiles_strips_in_rows() -> None:
    strips = np.stack([np.full((32, 4), i * 10, np.uint8) for i in range(5)])
    grid = strip_grid(strips, per_row=3, gap=1, scale=1)
    assert grid.shape == (2 * 33 - 1, 3 * 5 - 1)
    assert grid[0, 0] == 0 and grid[0, 5] == 10 and grid[33, 5] == 40
    assert grid[32, 0] == 255 and grid[33, 10] == 255  # gap row; empty last cell
    assert strip_grid(strips, scale=2).shape == (64, 2 * (5 * 5 - 1))
    assert strip_grid(np.zeros((0, 32, 4), np.uint8)).size > 0


def test_light_on_dark_words_are_inverted_for_the_mean() -> None:
    light_text = np.full((32, 8), 20, np.uint8)
    light_text[10:20, 2:4] = 240
    assert dark_on_light(light_text)[0, 0] == 235 and dark_on_light(light_text)[12, 2] == 15
    dark_text = 255 - light_text
    assert np.array_equal(dark_on_light(dark_text), dark_text)
