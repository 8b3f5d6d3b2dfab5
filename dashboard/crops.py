"""Pictures cut from the analysis' stored word images: frame columns and gallery thumbnails."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd
from PIL import Image

from dashboard.analysis_view import AnalysisView

__all__ = ["column_crop", "frame_crops", "gallery_table", "png_data_uri"]


def column_crop(
    image: np.ndarray, col_start: int, col_end: int, context: int = 16, scale: int = 2
) -> np.ndarray:
    """RGB crop of a (32, W) word image around columns ``[col_start, col_end)``, the frame's
    columns tinted so the eye finds them; upscaled ``scale`` times (nearest)."""
    height, width = image.shape
    lo, hi = max(0, col_start - context), min(width, col_end + context)
    crop = np.repeat(image[:, lo:hi, None], 3, axis=2).astype(np.float32)
    a, b = max(0, col_start - lo), max(0, min(col_end, width) - lo)
    crop[:, a:b, 0] = crop[:, a:b, 0] * 0.5 + 127
    crop[:, a:b, 2] *= 0.5
    out = np.clip(crop, 0, 255).astype(np.uint8)
    if out.shape[1] == 0:
        out = np.zeros((height, 1, 3), dtype=np.uint8)
    return np.repeat(np.repeat(out, scale, axis=0), scale, axis=1)


def png_data_uri(image: np.ndarray) -> str:
    """A small PNG as a ``data:`` URI, for image columns of ``st.dataframe``."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def gallery_table(analysis: AnalysisView, rows: pd.DataFrame, limit: int = 300) -> pd.DataFrame:
    """The first ``limit`` of ``rows`` (images table) with an ``image`` data-URI column first."""
    rows = rows.head(limit).copy()
    uris = []
    for image_id in rows["image_id"]:
        pixels = analysis.pixels(int(image_id))
        uris.append(png_data_uri(pixels) if pixels is not None else None)
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
