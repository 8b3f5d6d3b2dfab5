from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crnn_core.analysis.export import (
    BLANK_DISPLAY,
    FRAME_COLUMNS,
    IMAGE_COLUMNS,
    frame_statistics,
    frames_table,
    greedy_mismatches,
    greedy_texts,
    images_table,
    shift_to_max,
    to_float16_argmax_exact,
)
from crnn_core.analysis.io import AnalysisError, RaggedArray, load_ragged, save_ragged
from crnn_core.charset import Charset

CHARSET = Charset("abc", name="test")  # 0 blank, 1 a, 2 b, 3 c


def test_raw_float16_can_flip_argmax_but_shifted_cannot() -> None:
    # Large logits 0.2 apart: float16 spacing at 1000 is 0.5, so both round to 1000.
    raw = np.array([[1000.0, 1000.2, -5.0, 2.0]], np.float32)
    assert raw.astype(np.float16).argmax() != raw.argmax()
    half, repaired = to_float16_argmax_exact(shift_to_max(raw))
    assert half.argmax() == raw.argmax() == 1 and repaired == 0


def test_float16_ties_are_repaired() -> None:
    # After the shift, -1e-9 rounds to -0.0 in float16: a tie that np.argmax would break towards
    # class 0 although class 2 is the float32 maximum.
    shifted = shift_to_max(np.array([[-1e-9, -3.0, 0.0, -1e-9]], np.float32))
    assert shifted.astype(np.float16).argmax() != shifted.argmax()
    half, repaired = to_float16_argmax_exact(shifted)
    assert repaired == 1
    assert half.argmax(axis=-1).tolist() == [2]
    assert half[0, 0] < 0 and half[0, 3] < 0 and abs(float(half[0, 0])) < 1e-7


def test_float16_export_keeps_greedy_texts_of_near_tied_logits() -> None:
    rng = np.random.default_rng(0)
    # Logits of a barely trained model: many frames within float16 rounding of a tie.
    logits = [rng.normal(0, 1e-3, size=(n, 4)).astype(np.float32) + 50 for n in (5, 9, 13, 7)]
    half, _ = to_float16_argmax_exact(np.concatenate([shift_to_max(lg) for lg in logits]))
    stored = RaggedArray(half, np.array([0, 5, 14, 27, 34]))
    assert greedy_mismatches(logits, stored, CHARSET) == 0
    naive = RaggedArray(np.concatenate(logits).astype(np.float16), stored.offsets)
    assert greedy_mismatches(logits, naive, CHARSET) > 0  # what the shift protects against


def test_greedy_texts_decode_ctc() -> None:
    # frames: a a blank b b c -> "abc"; blank only -> "".
    eye = np.eye(4, dtype=np.float32) * 10
    first = eye[[1, 1, 0, 2, 2, 3]]
    second = eye[[0, 0]]
    assert greedy_texts([first, second], CHARSET) == ["abc", ""]


def test_frame_statistics_match_softmax() -> None:
    logits = np.array([[2.0, 1.0, 0.0, -1.0], [0.0, 0.0, 3.0, 3.0]], np.float32)
    stats = frame_statistics(logits.astype(np.float16))
    prob = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert stats["greedy_class"].tolist() == [0, 2]  # ties go to the first class, like argmax
    assert stats["top2_class"].tolist() == [1, 3]
    np.testing.assert_allclose(stats["max_prob"], prob.max(axis=1), rtol=1e-3)
    np.testing.assert_allclose(stats["margin"], [prob[0, 0] - prob[0, 1], 0.0], atol=1e-3)
    np.testing.assert_allclose(stats["entropy"], -(prob * np.log(prob)).sum(axis=1), rtol=1e-3)
    np.testing.assert_allclose(stats["blank_prob"], prob[:, 0], rtol=1e-3)


def test_frames_table_columns_and_column_spans() -> None:
    eye = np.eye(4, dtype=np.float16)
    stored = RaggedArray.from_items([eye[[1, 0, 2]], eye[[3, 3]]])
    table = frames_table(stored, np.array([10, 8]), CHARSET)
    assert tuple(table.columns) == FRAME_COLUMNS
    assert table["image_id"].tolist() == [0, 0, 0, 1, 1]
    assert table["t"].tolist() == [0, 1, 2, 0, 1]
    assert table["col_start"].tolist() == [0, 4, 8, 0, 4]
    assert table["col_end"].tolist() == [4, 8, 10, 4, 8]  # last frame clipped to width 10
    assert table["greedy_char"].tolist() == ["a", BLANK_DISPLAY, "b", "c", "c"]
    assert table["umap_x"].isna().all() and (table["cluster"] == -1).all()


def test_images_table_flags() -> None:
    table = images_table(
        sources=["s"] * 4, keys=["0", "1", "2", "3"],
        truths=["Hello", "abc", None, "!!"],
        greedy=[("hello", 0.9), ("abd", 0.5), ("x", 0.2), ("!!", 0.7)],
        beam=[("Hello", 0.9), ("abc", 0.6), ("x", 0.2), ("", 0.1)],
        widths=np.array([40, 30, 20, 16]), frame_offsets=np.array([0, 10, 18, 23, 27]),
    )  # fmt: skip
    assert tuple(table.columns) == IMAGE_COLUMNS
    flags = table[["greedy_correct_acc36", "greedy_correct_case", "beam_correct_acc36",
                   "beam_correct_case"]]  # fmt: skip
    assert flags.iloc[0].tolist() == [True, False, True, True]
    assert flags.iloc[1].tolist() == [False, False, True, True]
    assert flags.iloc[2].isna().all()  # no truth
    assert pd.isna(flags.iloc[3, 0]) and flags.iloc[3, 1]  # "!!" cannot be scored by acc36
    assert table["n_frames"].tolist() == [10, 8, 5, 4]
    assert table["frame_start"].tolist() == [0, 10, 18, 23]


def test_ragged_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    images = [rng.integers(0, 256, size=(32, w), dtype=np.uint8) for w in (17, 40, 8)]
    pixels = RaggedArray.from_items(images, axis=1)
    save_ragged(tmp_path / "images.npz", pixels)
    loaded = load_ragged(tmp_path / "images.npz")
    assert len(loaded) == 3 and loaded.values.dtype == np.uint8
    for original, back in zip(images, (loaded[i] for i in range(3)), strict=True):
        np.testing.assert_array_equal(original, back)
    assert loaded[-1].shape == (32, 8)
    with pytest.raises(IndexError):
        loaded[3]
    with pytest.raises(AnalysisError, match="offsets"):
        RaggedArray(np.zeros((5, 2)), np.array([0, 2, 4]))
