"""Geometry and camera degradations for synthetic word crops.

Real crops (ICDAR03, IIIT5K) are photos: slightly rotated, sheared or seen in perspective, blurred,
low resolution, noisy and JPEG-compressed, with uneven lighting. ``crop_quad`` plans the geometric
part as one source quadrilateral (applied later with one Pillow ``QUAD`` transform, C speed);
``degrade`` applies the photometric part to the final ``(32, W)`` float image in [0, 1].
Every random choice comes from the caller's ``np.random.Generator``.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

__all__ = [
    "Degradations",
    "Geometry",
    "crop_quad",
    "degrade",
    "perspective_coefficients",
    "warp_masks",
]


@dataclass(frozen=True)
class Geometry:
    """Probabilities and ranges of geometric jitter (angles in degrees, sizes in text heights)."""

    p_rotate: float = 0.5
    max_rotate_deg: float = 5.0
    p_shear: float = 0.25
    max_shear: float = 0.3
    p_perspective: float = 0.3
    max_corner_jitter: float = 0.2
    p_curve: float = 0.06
    max_curve: float = 0.18
    p_elastic: float = 0.15
    max_elastic: float = 0.04


@dataclass(frozen=True)
class Degradations:
    """Probabilities and ranges of the photometric degradations."""

    p_blur: float = 0.3
    max_blur_sigma: float = 1.3
    p_motion_blur: float = 0.1
    p_lowres: float = 0.2
    p_noise: float = 0.4
    max_noise_sigma: float = 0.06
    p_jpeg: float = 0.25
    p_gamma: float = 0.3
    p_shading: float = 0.25


def crop_quad(
    rng: np.random.Generator,
    text_box: tuple[float, float, float, float],
    margins: tuple[float, float, float, float],
    geometry: Geometry,
) -> np.ndarray:
    """Source quadrilateral (4x2: UL, LL, LR, UR) whose rectification is the final crop.

    The crop is axis-aligned in *output* space around the rotated/sheared text box plus
    ``margins`` (left, top, right, bottom, in pixels; negative cuts into the word), like a tight
    bounding box drawn around a tilted word; perspective jitter then moves corners only outwards.
    """
    x0, y0, x1, y1 = text_box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    height = y1 - y0
    angle = 0.0
    if rng.random() < geometry.p_rotate:
        angle = math.radians(float(rng.uniform(-1, 1)) * geometry.max_rotate_deg)
    shear = float(rng.uniform(-1, 1)) * geometry.max_shear if rng.random() < geometry.p_shear else 0
    cos, sin = math.cos(angle), math.sin(angle)
    # forward map: text space -> output space (shear in x by y, then rotate), about the centre
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    corners = np.array([[x0, y0], [x0, y1], [x1, y1], [x1, y0]]) - (cx, cy)
    out = corners @ forward.T
    ml, mt, mr, mb = margins
    left, top = out[:, 0].min() - ml, out[:, 1].min() - mt
    right, bottom = out[:, 0].max() + mr, out[:, 1].max() + mb
    rect = np.array([[left, top], [left, bottom], [right, bottom], [right, top]])
    quad = rect @ np.linalg.inv(forward).T + (cx, cy)
    if rng.random() < geometry.p_perspective:
        outward = np.array([[-1, -1], [-1, 1], [1, 1], [1, -1]], dtype=np.float64)
        jitter = rng.uniform(0, geometry.max_corner_jitter * height, size=(4, 2))
        quad = quad + outward * jitter
    return quad


def perspective_coefficients(quad: np.ndarray, width: int, height: int) -> tuple[float, ...]:
    """Pillow ``PERSPECTIVE`` data mapping the output rectangle ``(width, height)`` onto the
    source ``quad`` (4x2: UL, LL, LR, UR), i.e. what ``Transform.QUAD`` does."""
    dst = np.array([[0, 0], [0, height], [width, height], [width, 0]], dtype=np.float64)
    a = np.zeros((8, 8))
    b = np.asarray(quad, dtype=np.float64).reshape(8)
    for i, ((x, y), (u, v)) in enumerate(zip(dst, quad, strict=True)):
        a[2 * i] = [x, y, 1, 0, 0, 0, -x * u, -y * u]
        a[2 * i + 1] = [0, 0, 0, x, y, 1, -x * v, -y * v]
    return tuple(float(c) for c in np.linalg.solve(a, b))


def warp_masks(
    masks: list[np.ndarray],
    rng: np.random.Generator,
    curve: float = 0.0,
    centre_x: float = 0.0,
    half_width: float = 1.0,
    elastic: float = 0.0,
) -> list[np.ndarray]:
    """Bend text coverage masks (same shape) with one smooth displacement field.

    ``curve`` (px): column x moves down by ``curve * ((x - centre_x) / half_width) ** 2``
    (negative: upwards), i.e. mildly arched text. ``elastic`` (px): std of a smooth random
    displacement (grid of ~8 px cells, bilinear), which wobbles strokes so the model sees more
    glyph shapes than the installed fonts draw.
    """
    h, w = masks[0].shape
    rows = np.broadcast_to(np.arange(h, dtype=np.float32)[:, None], (h, w))
    cols = np.broadcast_to(np.arange(w, dtype=np.float32)[None, :], (h, w))
    if curve:
        xs = np.arange(w, dtype=np.float32)
        rows = rows - curve * ((xs[None, :] - centre_x) / max(half_width, 1.0)) ** 2
    if elastic:
        grid = (max(2, h // 8 + 2), max(2, w // 8 + 2))
        for axis in (0, 1):
            coarse = rng.normal(0.0, elastic, size=grid).astype(np.float32)
            field = np.asarray(
                Image.fromarray(coarse, mode="F").resize((w, h), Image.Resampling.BILINEAR)
            )
            rows, cols = (rows + field, cols) if axis == 0 else (rows, cols + field)
    coords = np.stack([rows, cols])
    return [ndimage.map_coordinates(m, coords, order=1, mode="constant", cval=0.0) for m in masks]


def _motion_blur(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    length = int(rng.integers(3, 6))
    if rng.random() < 0.7:
        return ndimage.uniform_filter1d(img, length, axis=1)
    return ndimage.uniform_filter1d(img, length, axis=0)


def _lowres(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    factor = float(rng.uniform(1.3, 2.8))
    small = (max(4, round(w / factor)), max(4, round(h / factor)))
    pil = Image.fromarray(np.ascontiguousarray(img, dtype=np.float32), mode="F")
    down = pil.resize(small, Image.Resampling.BOX)
    up_filter = Image.Resampling.BILINEAR if rng.random() < 0.6 else Image.Resampling.NEAREST
    return np.asarray(down.resize((w, h), up_filter), dtype=np.float32)


def _jpeg(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    pil = Image.fromarray(np.clip(img * 255.0 + 0.5, 0, 255).astype(np.uint8), mode="L")
    buf = io.BytesIO()
    pil.save(buf, format="JPEG", quality=int(rng.integers(20, 91)))
    buf.seek(0)
    return np.asarray(Image.open(buf), dtype=np.float32) * (1.0 / 255.0)


def _shading(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape
    if rng.random() < 0.5:  # linear light falloff / cast shadow
        angle = float(rng.uniform(0, 2 * np.pi))
        xs = np.linspace(0, 1, w, dtype=np.float32)[None, :]
        ys = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        ramp = np.cos(angle) * xs + np.sin(angle) * ys
        ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    else:  # vignetting
        xs = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
        ys = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
        ramp = np.minimum(1.0, (xs**2 + ys**2) * 0.5)
    strength = float(rng.uniform(0.15, 0.5))
    return (img * (1.0 - strength * ramp)).astype(np.float32)


def degrade(img: np.ndarray, rng: np.random.Generator, cfg: Degradations) -> np.ndarray:
    """Camera-like degradations of a float32 ``(H, W)`` image in [0, 1]; returns a new array."""
    if rng.random() < cfg.p_shading:
        img = _shading(img, rng)
    lowres = rng.random() < cfg.p_lowres
    if lowres:
        img = _lowres(img, rng)
    if rng.random() < cfg.p_blur and not lowres:  # both at once blurs words beyond reading
        img = ndimage.gaussian_filter(img, float(rng.uniform(0.4, cfg.max_blur_sigma)))
    if rng.random() < cfg.p_motion_blur:
        img = _motion_blur(img, rng)
    if rng.random() < cfg.p_gamma:
        lo, hi = float(img.min()), float(img.max())
        norm = (img - lo) / max(hi - lo, 1e-3)
        gamma = float(np.exp(rng.uniform(-0.6, 0.6)))
        img = lo + (hi - lo) * np.power(norm, gamma)
        img = (img - 0.5) * float(rng.uniform(0.7, 1.3)) + 0.5 + float(rng.uniform(-0.1, 0.1))
    if rng.random() < cfg.p_noise:
        sigma = float(rng.uniform(0.005, cfg.max_noise_sigma))
        img = img + rng.standard_normal(img.shape, dtype=np.float32) * sigma
    img = np.clip(img, 0.0, 1.0)
    if rng.random() < cfg.p_jpeg:
        img = _jpeg(img, rng)
    return img.astype(np.float32, copy=False)
