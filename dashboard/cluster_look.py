"""What a cluster looks like, for the Clusters page (no Streamlit here): the mean and a grid of
the image columns behind its frames, its top characters with the words they come from, and
the frames where the model hesitated between the two characters of a confusable pair.

Frame ``t`` covers columns ``[4t, 4t + 4)`` of the stored model input
(``crnn_core.analysis.columns``); the pictures show exactly those columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crnn_core.analysis.columns import dark_on_light, frame_strips, strip_grid, strip_mean
from dashboard.analysis_view import AnalysisView

__all__ = ["ClusterColumns", "chars_and_words", "cluster_columns", "hesitations"]

MEAN_SCALE = 6


class ClusterColumns:
    """``mean`` uint8 picture of the average column strip (upscaled), ``grid`` uint8 picture
    of the sampled strips, ``shown`` strips in the grid out of ``total`` member frames."""

    def __init__(self, mean: np.ndarray, grid: np.ndarray, shown: int, total: int) -> None:
        self.mean, self.grid, self.shown, self.total = mean, grid, shown, total


def _word_of(images: pd.DataFrame) -> pd.Series:
    """The word each image shows: its truth, else what the model read."""
    table = images.set_index("image_id")
    greedy = table["greedy"] if "greedy" in table else pd.Series("", index=table.index)
    if "truth" not in table:
        return greedy.astype("string")
    return table["truth"].astype("string").fillna(greedy.astype("string"))


def cluster_columns(
    analysis: AnalysisView,
    members: pd.DataFrame,
    limit: int = 240,
    seed: int = 0,
    context: int = 0,
    polarity: bool = False,
) -> ClusterColumns | None:
    """Mean and grid of the columns of (a seeded sample of ``limit``) ``members`` frames, with
    ``context`` columns either side; ``polarity``: words brought to dark-on-light first.
    ``None`` when the analysis stores no images for them."""
    if members.empty:
        return None
    sample = members if len(members) <= limit else members.sample(limit, random_state=seed)
    sample = sample.sort_values(["image_id", "t"])
    found = {int(i): analysis.pixels(int(i)) for i in pd.unique(sample["image_id"])}
    pixels = {
        i: dark_on_light(image) if polarity else image
        for i, image in found.items()
        if image is not None
    }
    sample = sample[sample["image_id"].isin(list(pixels))]
    if sample.empty:
        return None
    strips, mask = frame_strips(
        pixels.__getitem__, sample["image_id"], sample["t"], context=context, fill=255
    )
    mean = np.nan_to_num(strip_mean(strips, mask), nan=255.0)
    big = np.repeat(np.repeat(mean.round().astype(np.uint8), MEAN_SCALE, 0), MEAN_SCALE, 1)
    grid = strip_grid(strips, per_row=max(8, 320 // strips.shape[2]), scale=2)
    return ClusterColumns(big, grid, len(sample), len(members))


def chars_and_words(
    analysis: AnalysisView, members: pd.DataFrame, top: int = 8, words: int = 5
) -> pd.DataFrame:
    """Columns ``char, frames, share, words``: the ``top`` greedy characters of ``members``
    and, for each, its ``words`` most common source words as ``"cat ×3, dog"``."""
    columns = ["char", "frames", "share", "words"]
    if members.empty:
        return pd.DataFrame(columns=columns)
    word = members["image_id"].map(_word_of(analysis.images)).fillna("?").astype(str)
    chars = members["char"].astype(str)
    counts = chars.value_counts().head(top)
    rows = []
    for char, n in counts.items():
        common = word[chars == char].value_counts().head(words)
        listed = ", ".join(w if c == 1 else f"{w} ×{c}" for w, c in common.items())
        rows.append((char, int(n), n / len(members), listed))
    return pd.DataFrame(rows, columns=columns)


def hesitations(
    frames: pd.DataFrame, a: str, b: str, min_second: float = 0.1, limit: int = 12
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """``(read a with b second, read b with a second)``: frames whose two most likely classes
    are ``a`` and ``b``, the second at least ``min_second`` likely, closest calls first;
    ``None`` if the frames carry no second-best class."""
    if not {"top2_char", "max_prob", "margin"} <= set(frames.columns):
        return None
    second = frames["max_prob"] - frames["margin"]
    first, runner = frames["char"].astype(str), frames["top2_char"].astype(str)
    close = second >= min_second

    def pick(x: str, y: str) -> pd.DataFrame:
        found = frames[close & (first == x) & (runner == y)]
        return found.sort_values("margin", kind="stable").head(limit)

    return pick(a, b), pick(b, a)
