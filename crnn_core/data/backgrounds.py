"""Grayscale backgrounds behind synthetic text: flat, gradients, noise and natural-image texture.

Real word crops sit on painted signs, paper, walls and photos, so the background must not always
be flat. Natural texture comes from the two photos shipped inside scikit-learn
(``china.jpg``, ``flower.jpg``; no download), loaded once and kept as read-only float arrays.
All functions return float32 arrays in [0, 1] of shape ``(height, width)``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

__all__ = ["BACKGROUND_KINDS", "make_background", "texture_images"]

BACKGROUND_KINDS: dict[str, float] = {"flat": 0.35, "gradient": 0.25, "noise": 0.1, "texture": 0.3}


@lru_cache(maxsize=1)
def texture_images() -> tuple[Image.Image, ...]:
    """Gray ``PIL`` images of scikit-learn's sample photos (empty if scikit-learn is missing)."""
    try:
        from sklearn.datasets import load_sample_images
    except ImportError:
        return ()
    photos = load_sample_images().images
    return tuple(Image.fromarray(np.asarray(p, dtype=np.uint8)).convert("L") for p in photos)


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
    if kind == "noise":
        sigma = float(rng.uniform(0.02, max(0.03, spread * 0.5)))
        small = rng.normal(0.0, sigma, size=(max(2, height // 4), max(2, width // 4)))
        img = Image.fromarray(small.astype(np.float32), mode="F")
        big = np.asarray(img.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float32)
        return level + big
    return np.full((height, width), level, dtype=np.float32)
