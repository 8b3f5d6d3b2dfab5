"""Grayscale appearance of synthetic text: background, text/outline/shadow luminance, blending.

Real word crops sit on painted signs, paper, walls and photos, so the background must not always
be flat. Natural texture comes from the two photos shipped inside scikit-learn
(``china.jpg``, ``flower.jpg``; no download), loaded once and kept as read-only images.
Colour matters to a grayscale model only through luminance, so "colours" here are levels in
[0, 1]: a random text/background contrast, light-on-dark in ~45% of samples (measured on real
crops). All arrays are float32 ``(height, width)`` in [0, 1].
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = ["BACKGROUND_KINDS", "Appearance", "compose", "make_background", "texture_images"]

BACKGROUND_KINDS: dict[str, float] = {
    "flat": 0.33,
    "gradient": 0.24,
    "noise": 0.1,
    "texture": 0.27,
    "stripes": 0.06,
}


@dataclass(frozen=True)
class Appearance:
    """Probabilities of luminance effects (``textured=False``: flat backgrounds only)."""

    p_invert: float = 0.45
    # coloured text on a background of similar brightness (red on dark red) keeps little
    # luminance contrast: ~20% of samples at 0.1-0.3
    p_low_contrast: float = 0.2
    textured: bool = True
    p_shadow: float = 0.08
    p_extrude: float = 0.05  # 3-D letters: the shadow repeated at growing offsets
    p_hollow: float = 0.4  # of outlined text: outline only, the fill shows the background
    p_fg_texture: float = 0.1
    p_fg_gradient: float = 0.15


@lru_cache(maxsize=1)
def texture_images() -> tuple[Image.Image, ...]:
    """Gray ``PIL`` images of scikit-learn's sample photos (empty if scikit-learn is missing).

    The JPEGs are read straight from the installed package (``sklearn/datasets/images``):
    importing scikit-learn itself would cost a second or two per process.
    """
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        return ()
    folder = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "images"
    return tuple(Image.open(path).convert("L") for path in sorted(folder.glob("*.jpg")))


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray | None:
    photos = texture_images()
    if not photos:
        return None
    photo = photos[int(rng.integers(len(photos)))]
    # Crop a random window of random scale, then resize it to the canvas (C speed in Pillow).
    scale = float(rng.uniform(0.3, 2.5))
    cw = int(min(photo.width, max(8, width * scale)))
    ch = int(min(photo.height, max(8, height * scale)))
    x0 = int(rng.integers(0, photo.width - cw + 1))
    y0 = int(rng.integers(0, photo.height - ch + 1))
    crop = photo.resize((width, height), Image.Resampling.BILINEAR, box=(x0, y0, x0 + cw, y0 + ch))
    arr = np.asarray(crop, dtype=np.float32) * (1.0 / 255.0)
    if rng.random() < 0.5:
        arr = arr[:, ::-1]
    return arr


def _gradient(rng: np.random.Generator, height: int, width: int, level: float) -> np.ndarray:
    angle = float(rng.uniform(0, 2 * np.pi))
    ys = np.linspace(-0.5, 0.5, height, dtype=np.float32)[:, None]
    xs = np.linspace(-0.5, 0.5, width, dtype=np.float32)[None, :] * (width / max(height, 1))
    ramp = np.cos(angle) * xs + np.sin(angle) * ys
    ramp = ramp / max(float(np.abs(ramp).max()), 1e-6)
    return (level + float(rng.uniform(0.05, 0.3)) * ramp).astype(np.float32)


def make_background(
    rng: np.random.Generator, height: int, width: int, level: float, spread: float
) -> np.ndarray:
    """Background around mean luminance ``level``, varying by at most about ``spread``.

    Keeping the variation bounded keeps the text legible: the caller chose the text luminance
    far enough from ``level``.
    """
    kinds = list(BACKGROUND_KINDS)
    cdf = np.cumsum(list(BACKGROUND_KINDS.values()))
    kind = kinds[int(np.searchsorted(cdf / cdf[-1], rng.random(), side="right"))]
    if kind == "texture":
        tex = _texture(rng, height, width)
        if tex is not None:
            centred = tex - float(tex.mean())
            amp = spread / max(float(np.abs(centred).max()), 1e-3)
            return level + centred * min(amp, float(rng.uniform(0.3, 1.2)))
        kind = "gradient"
    if kind == "gradient":
        base = _gradient(rng, height, width, level)
        scale = spread / max(float(np.abs(base - level).max()), 1e-3)
        return level + (base - level) * min(1.0, scale)
    if kind == "stripes":  # railings, brickwork, ruled paper, grids behind the word
        # mostly horizontal lines: vertical bars as wide as strokes would mimic letters
        u = rng.random()
        angle = np.pi / 2 if u < 0.5 else (0.0 if u < 0.7 else float(rng.uniform(0, np.pi)))
        period = float(rng.uniform(5, 16))
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
        phase = (np.cos(angle) * xs + np.sin(angle) * ys) * (2 * np.pi / period)
        return (level + spread * 0.5 * np.sign(np.sin(phase))).astype(np.float32)
    if kind == "noise":
        sigma = float(rng.uniform(0.02, max(0.03, spread * 0.5)))
        small = rng.normal(0.0, sigma, size=(max(2, height // 4), max(2, width // 4)))
        img = Image.fromarray(small.astype(np.float32), mode="F")
        big = np.asarray(img.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
        return level + big
    return np.full((height, width), level, dtype=np.float32)


def compose(
    rng: np.random.Generator,
    alpha: np.ndarray,
    outline: np.ndarray | None,
    text_height: float,
    look: Appearance,
) -> np.ndarray:
    """Blend text coverage ``alpha`` (and an optional ``outline`` coverage, both (H, W) in
    [0, 1]) over a background with random levels; float32 (H, W) in [0, 1]."""
    low = rng.random() < look.p_low_contrast
    contrast = float(rng.uniform(0.1, 0.3) if low else rng.uniform(0.3, 0.9))
    base = float(rng.uniform(0, 1 - contrast))
    if rng.random() < look.p_invert:
        bg_level, fg_level = base, base + contrast  # light text on dark
    else:
        fg_level, bg_level = base, base + contrast
    h, w = alpha.shape
    if look.textured:
        img = make_background(rng, h, w, bg_level, spread=contrast * 0.4)
    else:
        img = np.full((h, w), bg_level, dtype=np.float32)
    if rng.random() < look.p_shadow:
        offsets = rng.uniform(0.03, 0.1, size=2) * text_height * rng.choice([-1, 1], size=2)
        shadow = np.roll(alpha, (int(offsets[0]), int(offsets[1])), axis=(0, 1))
        shade = bg_level + (fg_level - bg_level) * float(rng.uniform(0.3, 0.7))
        img = img + (shade - img) * shadow
    elif rng.random() < look.p_extrude:
        direction = rng.choice([-1, 1], size=2)
        depth = max(2, int(text_height * float(rng.uniform(0.06, 0.15))))
        shade = bg_level + (fg_level - bg_level) * float(rng.uniform(0.35, 0.65))
        for step in range(depth, 0, -1):
            layer = np.roll(alpha, (int(step * direction[0]), int(step * direction[1])), (0, 1))
            img = img + (shade - img) * layer
    hollow = None
    if outline is not None:  # keep the outline far from the fill so letters stay legible
        o_level = fg_level - 0.5 if fg_level > 0.5 else fg_level + 0.5
        o_level = float(np.clip(o_level + rng.uniform(-0.2, 0.2), 0, 1))
        if rng.random() < look.p_hollow:  # outlined signage letters: the fill is see-through
            hollow = img
            o_level = fg_level
        img = img + (o_level - img) * outline
    if hollow is not None:
        return np.clip(img + (hollow - img) * alpha, 0.0, 1.0).astype(np.float32)
    fg: float | np.ndarray = fg_level
    if rng.random() < look.p_fg_texture and look.textured:  # dirty / printed-on-photo text
        fg = make_background(rng, h, w, fg_level, spread=contrast * 0.3)
    elif rng.random() < look.p_fg_gradient:
        vertical = rng.random() < 0.6
        ramp = np.linspace(-1, 1, h if vertical else w, dtype=np.float32)
        ramp = ramp[:, None] if vertical else ramp[None, :]
        fg = fg_level + ramp * contrast * float(rng.uniform(0.1, 0.35))
    return np.clip(img + (fg - img) * alpha, 0.0, 1.0).astype(np.float32)
