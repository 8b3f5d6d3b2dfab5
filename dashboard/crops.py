"""Pictures cut from the analysis' stored word images: frame columns and gallery thumbnails."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis_view import AnalysisView
from dashboard.components import png

__all__ = ["column_crop", "frame_crops", "gallery_table"]

PAD = 235.0  # outside the word image
TICK = (220.0, 30.0, 30.0)  # marks the frame's columns above and below


def column_crop(
    image: np.ndarray, col_start: int, col_end: int, context: int = 16, scale: int = 2
) -> np.ndarray:
    """RGB window of a (32, W) word image: ``context`` columns, the frame's columns
    ``[col_start, col_end)`` (tinted, with red ticks above and below), ``context`` columns.
    Every window has the same width (outside the image is light grey), upscaled ``scale``x."""
    height, width = image.shape
    span = max(col_end - col_start, 1)
    window = np.full((height, 2 * context + span), PAD, dtype=np.float32)
    lo = col_start - context
    src_lo, src_hi = max(lo, 0), min(lo + window.shape[1], width)
    if src_hi > src_lo:
        window[:, src_lo - lo : src_hi - lo] = image[:, src_lo:src_hi]
    crop = np.repeat(window[:, :, None], 3, axis=2)
    frame = slice(context, context + span)
    crop[:, frame, 0] = crop[:, frame, 0] * 0.5 + 127
    crop[:, frame, 2] *= 0.5
    crop[:2, frame] = crop[-2:, frame] = TICK
    out = np.clip(crop, 0, 255).astype(np.uint8)
    return np.repeat(np.repeat(out, scale, axis=0), scale, axis=1)


def gallery_table(analysis: AnalysisView, rows: pd.DataFrame, limit: int = 300) -> pd.DataFrame:
    """The first ``limit`` of ``rows`` (images table) with an ``image`` data-URI column first."""
    rows = rows.head(limit).copy()
    uris = []
    for image_id in rows["image_id"]:
        pixels = analysis.pixels(int(image_id))
        uris.append(png.data_uri(pixels) if pixels is not None else None)
    rows.insert(0, "image", uris)
    return rows


def frame_crops(
    analysis: AnalysisView, rows: pd.DataFrame, limit: int = 24
) -> list[tuple[np.ndarray, str]]:
    """Column crops of the first ``limit`` frame ``rows``, captioned ``char · word``."""
    words = analysis.images.set_index("image_id")
    crops = []
    for row in rows.head(limit).itertuples(index=False):
        pixels = analysis.pixels(int(row.image_id))
        if pixels is None:
            continue
        word = ""
        if int(row.image_id) in words.index:
            entry = words.loc[int(row.image_id)]
            truth = entry.get("truth")
            word = str(entry.get("greedy", "") if truth is None or pd.isna(truth) else truth)
        crop = column_crop(pixels, int(row.col_start), int(row.col_end))
        crops.append((crop, f"{getattr(row, 'char', '?')} · {word}"))
    return crops
