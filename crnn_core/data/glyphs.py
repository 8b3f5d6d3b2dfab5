"""Drawing words with a ``FontFile``: cached FreeType faces per thread, ink boxes, tracking.

Split from ``fonts`` (which finds and weighs fonts) because rendering needs only these four
calls, thousands of times a second, from several threads.
"""

from __future__ import annotations

import threading

import numpy as np
from PIL import ImageDraw, ImageFont

from crnn_core.data.fonts import FontFile

__all__ = ["draw_word", "ink_rows", "load_font", "word_bbox"]


def draw_word(
    draw: ImageDraw.ImageDraw,
    xy: tuple[float, float],
    text: str,
    font: ImageFont.FreeTypeFont,
    stroke: int = 0,
    tracking: float = 0.0,
) -> None:
    """Draw ``text`` in white (255) at ``xy`` (left/ascender anchor); ``tracking`` (px) != 0
    draws character by character with extra spacing (kerning is then lost, as on many signs)."""
    if tracking == 0:
        draw.text(xy, text, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
        return
    x, y = xy
    for ch in text:
        draw.text((x, y), ch, fill=255, font=font, stroke_width=stroke, stroke_fill=255)
        x += font.getlength(ch) + tracking


def word_bbox(
    text: str, font: ImageFont.FreeTypeFont, stroke: int = 0, tracking: float = 0.0
) -> tuple[float, float, float, float]:
    """Ink box ``(left, top, right, bottom)`` in px of what ``draw_word`` draws at (0, 0)."""
    if tracking == 0:
        return font.getbbox(text, stroke_width=stroke)
    x, boxes = 0.0, []
    for ch in text:
        left, top, right, bottom = font.getbbox(ch, stroke_width=stroke)
        boxes.append((x + left, top, x + right, bottom))
        x += font.getlength(ch) + tracking
    arr = np.array(boxes)
    return arr[:, 0].min(), arr[:, 1].min(), arr[:, 2].max(), arr[:, 3].max()


_local = threading.local()


def clear_caches() -> None:
    """Drop this thread's font faces and glyph boxes. Each face holds its decompressed font
    (~70 KiB; a few thousand words load ~1,200 faces), so a process that is done rendering and
    goes on with other work (``analyze``'s parent) gives them back."""
    for name in ("cache", "rows"):
        if hasattr(_local, name):
            delattr(_local, name)


def load_font(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    """A cached ``FreeTypeFont`` for ``(font, size)``; caches are per thread (FreeType faces
    are not safe to share between threads that render at the same time)."""
    cache: dict[tuple[str, int], ImageFont.FreeTypeFont] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (font.path, size)
    loaded = cache.get(key)
    if loaded is None:  # FreeType fonts only: ``getbbox``/stroke need them
        if len(cache) > 2048:
            cache.clear()
        if font.path:
            loaded = ImageFont.truetype(font.path, size, layout_engine=ImageFont.Layout.BASIC)
        else:
            default = ImageFont.load_default(size)
            if not isinstance(default, ImageFont.FreeTypeFont):
                raise RuntimeError(
                    "Pillow was built without FreeType; reinstall Pillow from wheels."
                )
            loaded = default
        cache[key] = loaded
    return loaded


def ink_rows(font: FontFile, text: str, size: int = 32) -> tuple[float, float]:
    """Top and bottom ink row of ``text`` at ``size`` (origin at the ascender line), from a
    per-thread cache of per-character boxes: a cheap estimate used to pick a font size."""
    cache: dict[tuple[str, int, str], tuple[int, int]] | None = getattr(_local, "rows", None)
    if cache is None:
        cache = _local.rows = {}
    top, bottom = float("inf"), float("-inf")
    for ch in text:
        rows = cache.get((font.path, size, ch))
        if rows is None:
            box = load_font(font, size).getbbox(ch)
            rows = cache[(font.path, size, ch)] = (int(box[1]), int(box[3]))
        top, bottom = min(top, rows[0]), max(bottom, rows[1])
    return top, bottom
