"""The user's own photo: a viewable copy, and rotated versions for the model (no Streamlit).

The model only sees a 32-px grey strip; the page also shows what was uploaded, upright (EXIF
applied) and at most ``VIEW_SIDE`` pixels. A word photographed sideways or slightly tilted is
rotated here, by quarter turns and a small angle, and re-encoded as PNG so it goes through the
same cached ``frame_logits`` path as an upload.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
from PIL import Image, ImageOps

__all__ = ["VIEW_SIDE", "rotated_png", "viewable"]

VIEW_SIDE = 900
WHITE = (255, 255, 255)


def _upright_rgb(data: bytes) -> Image.Image:
    """First frame, EXIF orientation applied, alpha composited on white (as a viewer shows it)."""
    image: Image.Image = Image.open(io.BytesIO(data))
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image) or image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) / (high - low) * 255.0 if high > low else np.zeros_like(array)
        image = Image.fromarray(scaled.astype(np.uint8), mode="L")
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (*WHITE, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def viewable(data: bytes, side: int = VIEW_SIDE) -> np.ndarray:
    """The uploaded image as an RGB array no larger than ``side`` (raises on unreadable data)."""
    image = _upright_rgb(data)
    image.thumbnail((side, side))
    return np.asarray(image)


def rotated_png(data: bytes, quarter_turns: int = 0, angle: float = 0.0) -> bytes:
    """``data`` turned counter-clockwise by ``quarter_turns`` × 90° and then ``angle`` degrees
    (the canvas grows to keep the corners; new area is white), as PNG bytes."""
    image = _upright_rgb(data)
    turns = quarter_turns % 4
    if turns:
        transposes = {
            1: Image.Transpose.ROTATE_90,
            2: Image.Transpose.ROTATE_180,
            3: Image.Transpose.ROTATE_270,
        }
        image = image.transpose(transposes[turns])
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=WHITE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
