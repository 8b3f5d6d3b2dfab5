"""Synthetic word crops that look like scene text: the default training data (nothing downloaded).

``SyntheticWordGenerator.sample(index)`` returns ``(image, text)``: ``image`` is uint8 grayscale
``(32, W)``, the word rendered with a random font, colours, background, margins, geometry and
camera degradations, resized to height 32 with its aspect kept. Output is a pure function of
``(seed, index)`` (the RNG is ``np.random.default_rng([seed, index])``, built per call), so
samples are reproducible, need no shared mutable state and can be drawn from several threads.

Rendering is done directly in grayscale (float32 arrays, Pillow ``L``/``F`` images): the model
only sees luminance, and one channel is ~3x cheaper than RGB. Colour variety is expressed as
luminance variety: random text/background levels and contrast, ~35% light-on-dark.

Width policy: ``W = round(crop_width * 32 / crop_height)``. Words too wide for ``max_width`` are
squashed horizontally (down to ``max_squash``, CRNN tolerates that); beyond that another word is
drawn. Crops narrower than ``min_width`` or than CTC needs (4 columns per frame, one frame per
character plus one per repeated pair) get wider margins instead of being stretched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from PIL import Image, ImageDraw

from crnn_core.charset import Charset
from crnn_core.data.augment import Degradations, Geometry, crop_quad, degrade, warp_columns
from crnn_core.data.backgrounds import make_background
from crnn_core.data.fonts import (
    DEFAULT_FONT,
    FontFile,
    discover_fonts,
    draw_word,
    family_weights,
    group_by_family,
    is_heavy,
    load_font,
    style_weight,
    word_bbox,
)
from crnn_core.data.words import WordSampler

__all__ = ["SynthConfig", "SyntheticWordGenerator"]

FONT_SIZES = (12, 14, 16, 18, 20, 22, 24, 27, 30, 33, 36, 40, 44, 48, 54, 60)


@dataclass(frozen=True)
class SynthConfig:
    """Probabilities of each rendering effect; ``SynthConfig.plain()`` turns all of them off."""

    max_squash: float = 0.5
    p_invert: float = 0.45
    p_low_contrast: float = 0.1
    backgrounds: bool = True
    p_aspect: float = 0.35
    aspect_range: tuple[float, float] = (0.7, 1.35)
    p_fg_texture: float = 0.1
    p_bold: float = 0.3
    p_tracking: float = 0.2
    p_outline: float = 0.08
    p_shadow: float = 0.08
    p_fragment: float = 0.15
    p_underline: float = 0.04
    p_fg_gradient: float = 0.15
    p_loose_margins: float = 0.25
    scale_range: tuple[float, float] = (0.9, 1.7)
    geometry: Geometry = field(default_factory=Geometry)
    degradations: Degradations = field(default_factory=Degradations)

    @classmethod
    def plain(cls) -> SynthConfig:
        """Black-ish text on a flat background, no effects: the speed baseline."""
        zero_geo = Geometry(p_rotate=0, p_shear=0, p_perspective=0, p_curve=0)
        zero_deg = Degradations(
            p_blur=0, p_motion_blur=0, p_lowres=0, p_noise=0, p_jpeg=0, p_gamma=0, p_shading=0
        )
        return cls(
            p_invert=0, p_low_contrast=0, backgrounds=False, p_aspect=0, p_fg_texture=0, p_bold=0,
            p_tracking=0, p_outline=0, p_shadow=0, p_fragment=0, p_underline=0, p_fg_gradient=0,
            p_loose_margins=0, scale_range=(1.0, 1.0), geometry=zero_geo, degradations=zero_deg,
        )  # fmt: skip


def _ctc_min_width(text: str) -> int:
    repeats = sum(a == b for a, b in pairwise(text))
    return 4 * (len(text) + repeats)


class SyntheticWordGenerator:
    """Deterministic synthetic word images; see the module docstring for the contract."""

    def __init__(
        self,
        charset: Charset,
        seed: int = 0,
        height: int = 32,
        max_width: int = 256,
        fonts: Sequence[FontFile] | None = None,
        min_width: int = 16,
        config: SynthConfig | None = None,
        words: WordSampler | None = None,
    ) -> None:
        if not 8 <= min_width <= max_width:
            raise ValueError(f"Need 8 <= min_width <= max_width, got {min_width}, {max_width}.")
        self.charset = charset
        self.seed = int(seed)
        self.height = int(height)
        self.min_width = int(min_width)
        self.max_width = int(max_width)
        self.config = config or SynthConfig()
        self.words = words or WordSampler(charset)
        found = list(fonts) if fonts is not None else discover_fonts()
        families = group_by_family(found or [DEFAULT_FONT])
        self.families = list(families.values())
        weights = np.array(list(family_weights(families).values()))
        self._family_cdf = np.cumsum(weights) / weights.sum()
        self._style_cdfs = []
        for fs in self.families:
            w = np.cumsum([style_weight(f) for f in fs])
            self._style_cdfs.append(w / w[-1])

    # ----- public API ------------------------------------------------------------------------
    def sample(self, index: int) -> tuple[np.ndarray, str]:
        """``(image uint8 (height, W), text)`` for sample ``index``; same inputs, same output."""
        rng = np.random.default_rng([self.seed, int(index)])
        for attempt in range(4):
            text = self.words.sample(rng)
            image = self._render(rng, text, force=attempt == 3)
            if image is not None:
                return image, text
        raise AssertionError("unreachable: the last attempt always renders")

    def batch(self, start: int, count: int) -> list[tuple[np.ndarray, str]]:
        """Samples ``start .. start + count - 1``."""
        return [self.sample(i) for i in range(start, start + count)]

    def iterate(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[np.ndarray, str]]:
        """Samples from ``start`` up to ``stop`` (forever if ``None``), for ``from_generator``."""
        index = start
        while stop is None or index < stop:
            yield self.sample(index)
            index += 1

    def font_for(self, index: int) -> FontFile:
        """The font that ``sample(index)`` uses (the first draws of its RNG), for diagnostics."""
        rng = np.random.default_rng([self.seed, int(index)])
        self.words.sample(rng)
        return self._pick_font(rng)

    # ----- rendering -------------------------------------------------------------------------
    def _pick_font(self, rng: np.random.Generator) -> FontFile:
        fam = int(np.searchsorted(self._family_cdf, rng.random(), side="right"))
        fam = min(fam, len(self.families) - 1)
        files = self.families[fam]
        idx = int(np.searchsorted(self._style_cdfs[fam], rng.random(), side="right"))
        return files[min(idx, len(files) - 1)]

    def _render(self, rng: np.random.Generator, text: str, force: bool) -> np.ndarray | None:
        cfg = self.config
        font_file = self._pick_font(rng)
        tight = rng.random() >= cfg.p_loose_margins
        m_lr, m_tb = (0.15, 0.12) if tight else (0.6, 0.4)
        ml, mr = rng.uniform(0, m_lr, size=2)
        mt, mb = rng.uniform(0, m_tb, size=2)
        # choose a font size so the crop is ~scale x 32 px tall before the final resize
        ref = load_font(font_file, 32)
        ref_box = ref.getbbox(text)
        ref_h = max(ref_box[3] - ref_box[1], 4)
        target = self.height * rng.uniform(*cfg.scale_range) / (1 + mt + mb)
        size = FONT_SIZES[int(np.abs(np.array(FONT_SIZES) - 32 * target / ref_h).argmin())]
        font = load_font(font_file, size)
        # faux bold; already-heavy faces get at most 1 px more or their counters fill in
        max_stroke = 1 if is_heavy(font_file) else max(1, size // 14)
        stroke = int(rng.integers(1, max_stroke + 1)) if rng.random() < cfg.p_bold else 0
        tracking = 0.0
        if rng.random() < cfg.p_tracking and len(text) > 1:
            tracking = size * float(rng.uniform(-0.04, 0.35))
        outline = (
            int(rng.integers(1, max(2, size // 20) + 1))
            if rng.random() < cfg.p_outline and not stroke
            else 0
        )
        left, top, right, bottom = word_bbox(text, font, stroke + outline, tracking)
        th = max(bottom - top, 1.0)
        curve = 0.0
        if rng.random() < cfg.geometry.p_curve and len(text) > 3:
            curve = float(rng.uniform(-1, 1)) * cfg.geometry.max_curve * th
            bottom, top = (bottom + curve, top) if curve > 0 else (bottom, top + curve)
        fragment = rng.random() < cfg.p_fragment
        frag_above = rng.random() < 0.5
        gap = float(rng.uniform(0.08, 0.3)) * th
        if fragment:
            reveal = gap + float(rng.uniform(0.08, 0.35)) * th
            mt, mb = (reveal / th, mb) if frag_above else (mt, reveal / th)
        margins = (ml * th, mt * th, mr * th, mb * th)
        quad = crop_quad(rng, (left, top, right, bottom), margins, cfg.geometry)

        # output width, CTC-safe minimum, squash limit
        hq = (np.hypot(*(quad[1] - quad[0])) + np.hypot(*(quad[2] - quad[3]))) / 2
        wq = (np.hypot(*(quad[3] - quad[0])) + np.hypot(*(quad[2] - quad[1]))) / 2
        if rng.random() < cfg.p_aspect:  # condensed / extended type, like many sign faces
            wq *= float(rng.uniform(*cfg.aspect_range))
        width = round(wq * self.height / hq)
        need = min(max(self.min_width, _ctc_min_width(text)), self.max_width)
        if width < need:
            cx = quad[:, 0].mean()
            quad[:, 0] = cx + (quad[:, 0] - cx) * (need / max(width, 1))
            width = need
        if width > self.max_width:
            if self.max_width / width < cfg.max_squash and not force:
                return None
            width = self.max_width

        # canvas = bounding box of the source quad; text drawn so its ink box sits in place
        qx0, qy0 = np.floor(quad.min(axis=0)) - 2
        qx1, qy1 = np.ceil(quad.max(axis=0)) + 2
        cw, ch = int(qx1 - qx0), int(qy1 - qy0)
        origin = (-qx0, -qy0)
        mask_img = Image.new("L", (cw, ch), 0)
        draw = ImageDraw.Draw(mask_img)
        draw_word(draw, origin, text, font, stroke, tracking)
        if fragment:
            other = self.words.sample(rng)
            fl, ft, _, fb = font.getbbox(other, stroke_width=stroke)
            fx = origin[0] + left + float(rng.uniform(-0.5, 0.5)) * (right - left) - fl
            fy = origin[1] + (top - gap - fb if frag_above else bottom + gap - ft)
            draw_word(draw, (fx, fy), other, font, stroke, tracking)
        if rng.random() < cfg.p_underline:
            uy = origin[1] + bottom + float(rng.uniform(0.04, 0.15)) * th
            thick = max(1.0, 0.07 * th)
            draw.rectangle((origin[0] + left, uy, origin[0] + right, uy + thick), fill=255)
        alpha = np.asarray(mask_img, dtype=np.float32) * (1.0 / 255.0)
        outline_alpha = None
        if outline:
            out_img = Image.new("L", (cw, ch), 0)
            draw_word(ImageDraw.Draw(out_img), origin, text, font, stroke + outline, tracking)
            outline_alpha = np.asarray(out_img, dtype=np.float32) * (1.0 / 255.0)
        if curve:
            cx_text = origin[0] + (left + right) / 2
            half = (right - left) / 2
            alpha = warp_columns(alpha, curve, cx_text, half)
            if outline_alpha is not None:
                outline_alpha = warp_columns(outline_alpha, curve, cx_text, half)

        canvas = self._compose(rng, alpha, outline_alpha, th)
        src = Image.fromarray(canvas, mode="F")
        quad_local = (quad - (qx0, qy0)).ravel().tolist()
        out = src.transform(
            (width, self.height),
            Image.Transform.QUAD,
            quad_local,
            Image.Resampling.BILINEAR,
            fillcolor=float(canvas.mean()),
        )
        img = degrade(np.asarray(out, dtype=np.float32), rng, cfg.degradations)
        return (img * 255.0 + 0.5).astype(np.uint8)

    def _compose(
        self, rng: np.random.Generator, alpha: np.ndarray, outline: np.ndarray | None, th: float
    ) -> np.ndarray:
        """Blend text (and outline/shadow) over a background; float32 (H, W) in [0, 1]."""
        cfg = self.config
        low = rng.random() < cfg.p_low_contrast
        contrast = float(rng.uniform(0.18, 0.3) if low else rng.uniform(0.3, 0.9))
        base = float(rng.uniform(0, 1 - contrast))
        if rng.random() < cfg.p_invert:
            bg_level, fg_level = base, base + contrast  # light text on dark
        else:
            fg_level, bg_level = base, base + contrast
        h, w = alpha.shape
        if cfg.backgrounds:
            img = make_background(rng, h, w, bg_level, spread=contrast * 0.4)
        else:
            img = np.full((h, w), bg_level, dtype=np.float32)
        img = img.astype(np.float32, copy=False)
        if rng.random() < cfg.p_shadow:
            dx, dy = (rng.uniform(0.03, 0.1, size=2) * th * rng.choice([-1, 1], size=2)).astype(int)
            shadow = np.roll(alpha, (int(dy), int(dx)), axis=(0, 1))
            shade = bg_level + (fg_level - bg_level) * float(rng.uniform(0.3, 0.7))
            img = img + (shade - img) * shadow
        if outline is not None:  # keep the outline far from the fill so letters stay legible
            o_level = fg_level - 0.5 if fg_level > 0.5 else fg_level + 0.5
            o_level = float(np.clip(o_level + rng.uniform(-0.2, 0.2), 0, 1))
            img = img + (o_level - img) * outline
        fg: float | np.ndarray = fg_level
        if rng.random() < cfg.p_fg_texture and cfg.backgrounds:  # dirty / printed-on-photo text
            fg = make_background(rng, h, w, fg_level, spread=contrast * 0.3)
        elif rng.random() < cfg.p_fg_gradient:
            ramp = np.linspace(-1, 1, h if rng.random() < 0.6 else w, dtype=np.float32)
            ramp = ramp[:, None] if ramp.shape[0] == h else ramp[None, :]
            fg = fg_level + ramp * contrast * float(rng.uniform(0.1, 0.35))
        return np.clip(img + (fg - img) * alpha, 0.0, 1.0).astype(np.float32)
