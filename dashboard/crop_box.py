"""A box of the user's photo, cut out before reading (no Streamlit here).

A scene photo holds several words; the model reads one. The box is given in fractions of the
upright photo (so it does not depend on the preview's size) and the cut is re-encoded as PNG to
go through the same cached ``frame_logits`` path as an upload.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

from dashboard import photo

__all__ = ["Box", "box_from_selection", "cropped_png", "is_whole"]

Box = tuple[float, float, float, float]  # left, top, right, bottom in [0, 1]
WHOLE: Box = (0.0, 0.0, 1.0, 1.0)


def is_whole(box: Box) -> bool:
    return tuple(box) == WHOLE


def cropped_png(data: bytes, box: Box) -> bytes:
    """The upright photo cut to ``box`` (clamped, at least 1 × 1 px), as PNG bytes."""
    image = Image.open(io.BytesIO(photo.rotated_png(data)))
    width, height = image.size
    left, top, right, bottom = (min(max(v, 0.0), 1.0) for v in box)
    x0, x1 = sorted((round(left * width), round(right * width)))
    y0, y1 = sorted((round(top * height), round(bottom * height)))
    x0, y0 = min(x0, width - 1), min(y0, height - 1)
    cut = image.crop((x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)))
    buffer = io.BytesIO()
    cut.save(buffer, format="PNG")
    return buffer.getvalue()


def box_from_selection(selection: Mapping[str, Any] | None, size: Sequence[int]) -> Box | None:
    """The last box drawn with Plotly's box select on a preview of ``size`` = (width, height)
    pixels, as fractions; ``None`` when nothing is selected."""
    boxes = ((selection or {}).get("selection") or {}).get("box") or []
    if not boxes:
        return None
    xs, ys = boxes[-1].get("x") or [], boxes[-1].get("y") or []
    if len(xs) != 2 or len(ys) != 2:
        return None
    width, height = max(int(size[0]), 1), max(int(size[1]), 1)
    (x0, x1), (y0, y1) = sorted(float(x) for x in xs), sorted(float(y) for y in ys)
    return (_unit(x0 / width), _unit(y0 / height), _unit(x1 / width), _unit(y1 / height))


def _unit(value: float) -> float:
    return min(max(value, 0.0), 1.0)
