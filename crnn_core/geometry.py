"""The model's input/output geometry, written once: input height, width downsampling, frames.

The CNN halves the width twice, so output frame ``t`` covers input columns ``[4t, 4t + 4)`` and
an image ``w`` columns wide yields ``ceil(w / 4)`` valid frames. Every module that converts
between columns and frames (model masks, loss, pipeline, recognizer, analysis, dashboard) uses
these names instead of a literal 4, so the rule cannot drift between them.
"""

from __future__ import annotations

from itertools import pairwise
from typing import overload

import numpy as np

__all__ = [
    "DOWNSAMPLE",
    "HEIGHT",
    "frame_columns",
    "frames_for_width",
    "frames_needed",
    "min_width_for",
]

HEIGHT = 32  # model input height in pixels (grayscale)
DOWNSAMPLE = 4  # input columns per output frame


@overload
def frames_for_width(width: int) -> int: ...
@overload
def frames_for_width(width: np.ndarray) -> np.ndarray: ...
def frames_for_width(width: int | np.ndarray) -> int | np.ndarray:
    """Valid output frames for an input ``width`` columns wide: ``ceil(width / DOWNSAMPLE)``.

    Integer arithmetic, so the same rule serves ints, numpy arrays and int32 Keras/TF tensors."""
    return (width + DOWNSAMPLE - 1) // DOWNSAMPLE


def frame_columns(t: int) -> tuple[int, int]:
    """Input columns ``[start, end)`` that output frame ``t`` covers (before clipping)."""
    return DOWNSAMPLE * t, DOWNSAMPLE * (t + 1)


def frames_needed(text: str) -> int:
    """Fewest frames CTC needs for ``text``: one per character plus a blank between repeats."""
    return len(text) + sum(a == b for a, b in pairwise(text))


def min_width_for(text: str) -> int:
    """Narrowest input (columns) whose frames can hold ``text`` under CTC."""
    return DOWNSAMPLE * frames_needed(text)
