"""Synthetic word crops that look like scene text: the default training data (nothing downloaded).

``SyntheticWordGenerator.sample(index)`` returns ``(image, text)``: ``image`` is uint8 grayscale
``(32, W)``, the word rendered with a random font, colours, background, margins, geometry and
camera degradations, resized to height 32 with its aspect kept. Output is a pure function of
``(seed, index)`` (the RNG is ``np.random.default_rng([seed, index])``, built per call), so
samples are reproducible, need no shared mutable state and can be drawn from several threads.

Rendering is done directly in grayscale (float32 arrays, Pillow ``L``/``F`` images): the model
only sees luminance, and one channel is ~3x cheaper than RGB. Colour variety is expressed as
luminance variety (``backgrounds.compose``): random text/background levels and contrast,
~45% light-on-dark.

Width policy: ``W = round(crop_width * 32 / crop_height)``. Words too wide for ``max_width`` are
squashed horizontally (down to ``max_squash``, CRNN tolerates that); beyond that another word is
drawn. Crops narrower than ``min_width`` or than CTC needs (4 columns per frame, one frame per
character plus one per repeated pair) get wider margins instead of being stretched.

Labels stay exact: neighbouring text (another line above/below, the next word at a side) is only
ever partly visible, at most ~40% of one glyph at the sides, as in tight real crops; a crop that
cuts into the word itself hides at most ``max_side_cut`` (30%) of its first or last glyph.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from itertools import pairwise

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from crnn_core.charset import Charset
from crnn_core.data.augment import (
    crop_quad,
    degrade,
    perspective_coefficients,
    warp_masks,
)
from crnn_core.data.backgrounds import compose
from crnn_core.data.fonts import (
    DEFAULT_FONT,
    FontFile,
    family_weights,
    group_by_family,
    is_heavy,
    style_weight,
)
from crnn_core.data.glyphs import draw_word, ink_rows, load_font, word_bbox
from crnn_core.data.pinned_fonts import FontSet, training_fonts
from crnn_core.data.synth_config import SynthConfig
from crnn_core.data.words import WordSampler
from crnn_core.geometry import DOWNSAMPLE

__all__ = ["SynthConfig", "SyntheticWordGenerator"]

FONT_SIZES = np.array([12, 14, 16, 18, 20, 22, 24, 27, 30, 33, 36, 40, 44, 48, 54, 60])
# maximum crop margins (left, top, right, bottom) in text heights; real crops are mostly tight
TIGHT_MARGINS = np.array([0.15, 0.12, 0.15, 0.12])
LOOSE_MARGINS = np.array([0.6, 0.4, 0.6, 0.4])
Box = tuple[float, float, float, float]
Neighbour = tuple[float, float, str]  # x, y of the draw origin (text coordinates), word


def _ctc_min_width(text: str) -> int:
    repeats = sum(a == b for a, b in pairwise(text))
    return DOWNSAMPLE * (len(text) + repeats)


def _glyph_width(font: ImageFont.FreeTypeFont, ch: str, stroke: int) -> float:
    left, _, right, _ = font.getbbox(ch, stroke_width=stroke)
    return max(float(right - left), 1.0)


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
        if fonts is None:
            self.font_set = training_fonts()
            found = list(self.font_set.fonts)
        else:
            found = list(fonts)
            self.font_set = FontSet(tuple(found), "given", "")
        families = group_by_family(found or [DEFAULT_FONT])
        self.families = list(families.values())
        categories = {name: fs[0].category for name, fs in families.items()}
        weights = np.array(list(family_weights(families, categories).values()))
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

    def _neighbours(
        self, rng: np.random.Generator, box: Box, font: ImageFont.FreeTypeFont, stroke: int,
        tracking: float, margins: list[float],
    ) -> tuple[list[Neighbour], int]:  # fmt: skip
        """Plan partly visible neighbouring text and widen ``margins`` (px, l/t/r/b) to show it.
        Returns the neighbours and the side (0 left, 2 right, -1 none) of a side neighbour."""
        cfg, (left, top, right, bottom) = self.config, box
        th, out, side = bottom - top, [], -1
        if rng.random() < cfg.p_fragment:  # a line above or below, cut by the crop edge
            other = self.words.sample(rng)
            fl, ft, _, fb = font.getbbox(other, stroke_width=stroke)
            gap = float(rng.uniform(0.08, 0.3)) * th
            x = left + float(rng.uniform(-0.5, 0.5)) * (right - left) - fl
            above = rng.random() < 0.5
            out.append((x, top - gap - fb if above else bottom + gap - ft, other))
            margins[1 if above else 3] = gap + float(rng.uniform(0.05, 0.25)) * th
        if rng.random() < cfg.p_side_fragment:  # the next word, at most ~40% of a glyph shown
            other = self.words.sample(rng)
            gap = font.getlength(" ") * float(rng.uniform(0.7, 1.5)) + max(tracking, 0.0)
            if rng.random() < 0.5:
                ch = other[0]
                x = right + gap - font.getbbox(ch, stroke_width=stroke)[0]
                side = 2
            else:
                ch = other[-1]
                x = left - gap - word_bbox(other, font, stroke, tracking)[2]
                side = 0
            out.append((x, 0.0, other))
            margins[side] = gap + float(rng.uniform(0.1, 0.35)) * _glyph_width(font, ch, stroke)
        return out, side

    def _cut_into_word(
        self, rng: np.random.Generator, margins: list[float], text: str,
        font: ImageFont.FreeTypeFont, stroke: int, th: float,
    ) -> None:  # fmt: skip
        """Make some of ``margins`` (px, l/t/r/b) negative: the crop cuts into the edge glyphs.

        Real word crops are often tighter than the ink (a box drawn around a tilted or
        stylised word), and their first or last letter is then only partly visible; the label
        stays exact because the cut is at most a small part of one glyph.
        """
        cfg = self.config
        cuts = rng.random(4) < 0.5
        amounts = rng.uniform(0, 1, 4)
        if cuts[0]:
            margins[0] = -amounts[0] * cfg.max_side_cut * _glyph_width(font, text[0], stroke)
        if cuts[2]:
            margins[2] = -amounts[2] * cfg.max_side_cut * _glyph_width(font, text[-1], stroke)
        for side in (1, 3):
            if cuts[side]:
                margins[side] = -amounts[side] * cfg.max_vertical_cut * th

    def _output_width(
        self, rng: np.random.Generator, quad: np.ndarray, text: str, force: bool, keep_side: int
    ) -> int | None:
        """Final width (see width policy); None: word too long. Widens ``quad`` in place when
        too narrow, away from side ``keep_side`` (0 left, 2 right, -1 both ways) so a
        neighbouring word there is not revealed further."""
        cfg = self.config
        hq = (np.hypot(*(quad[1] - quad[0])) + np.hypot(*(quad[2] - quad[3]))) / 2
        wq = (np.hypot(*(quad[3] - quad[0])) + np.hypot(*(quad[2] - quad[1]))) / 2
        aspect = float(rng.uniform(*cfg.aspect_range)) if rng.random() < cfg.p_aspect else 1.0
        width = round(wq * aspect * self.height / hq)  # aspect: condensed / extended type
        need = min(max(self.min_width, _ctc_min_width(text)), self.max_width)
        if width < need:
            extra = wq * (need / max(width, 1) - 1)
            if keep_side == -1:
                quad[:, 0] += np.array([-0.5, -0.5, 0.5, 0.5]) * extra
            else:
                quad[[2, 3] if keep_side == 0 else [0, 1], 0] += extra if keep_side == 0 else -extra
            width = need
        if width > self.max_width:
            if self.max_width / width < cfg.max_squash and not force:
                return None
            width = self.max_width
        return int(width)

    def _render(self, rng: np.random.Generator, text: str, force: bool) -> np.ndarray | None:
        cfg = self.config
        font_file = self._pick_font(rng)
        loose = rng.random() < cfg.p_loose_margins
        fractions = rng.uniform(0, 1, size=4) * (LOOSE_MARGINS if loose else TIGHT_MARGINS)
        # font size so that the crop is ~scale x height px tall before the final resize
        ref_top, ref_bottom = ink_rows(font_file, text, 32)
        ref_h = max(ref_bottom - ref_top, 4)
        target = self.height * rng.uniform(*cfg.scale_range) / (1 + fractions[1] + fractions[3])
        size = int(FONT_SIZES[np.abs(FONT_SIZES - 32 * target / ref_h).argmin()])
        font = load_font(font_file, size)
        # faux bold; already-heavy faces get at most 1 px more or their counters fill in
        max_stroke = 1 if is_heavy(font_file) else max(1, size // 14)
        stroke = int(rng.integers(1, max_stroke + 1)) if rng.random() < cfg.p_bold else 0
        tracking = 0.0
        if rng.random() < cfg.p_tracking and len(text) > 1:
            tracking = size * float(rng.uniform(-0.04, 0.35))
        outline = 0
        if rng.random() < cfg.p_outline and not stroke:
            outline = int(rng.integers(1, max(2, size // 20) + 1))
        left, top, right, bottom = word_bbox(text, font, stroke + outline, tracking)
        th = max(bottom - top, 1.0)
        curve = elastic = 0.0
        if rng.random() < cfg.geometry.p_curve and len(text) > 3:
            curve = float(rng.uniform(-1, 1)) * cfg.geometry.max_curve * th
            bottom, top = (bottom + curve, top) if curve > 0 else (bottom, top + curve)
        if rng.random() < cfg.geometry.p_elastic:
            elastic = float(rng.uniform(0.3, 1.0)) * cfg.geometry.max_elastic * th
        margins = [float(f) * th for f in fractions]
        if not loose and rng.random() < cfg.p_cut_into_word:
            self._cut_into_word(rng, margins, text, font, stroke + outline, th)
        box = (left, top, right, bottom)
        neighbours, side = self._neighbours(rng, box, font, stroke, tracking, margins)
        ml, mt, mr, mb = margins
        geometry = cfg.geometry
        if side != -1:  # shear/perspective would widen the crop into the neighbouring word
            geometry = replace(geometry, p_shear=0.0, p_perspective=0.0)
        quad = crop_quad(rng, box, (ml, mt, mr, mb), geometry)
        width = self._output_width(rng, quad, text, force, side)
        if width is None:
            return None

        # canvas = bounding box of the source quad; text coordinates shifted by ``origin``
        qx0, qy0 = np.floor(quad.min(axis=0)) - 2
        qx1, qy1 = np.ceil(quad.max(axis=0)) + 2
        size_wh = (int(qx1 - qx0), int(qy1 - qy0))
        ox, oy = -qx0, -qy0
        mask_img = Image.new("L", size_wh, 0)
        draw = ImageDraw.Draw(mask_img)
        draw_word(draw, (ox, oy), text, font, stroke, tracking)
        for x, y, other in neighbours:
            draw_word(draw, (ox + x, oy + y), other, font, stroke, tracking)
        if rng.random() < cfg.p_underline:
            uy = oy + bottom + float(rng.uniform(0.04, 0.15)) * th
            draw.rectangle((ox + left, uy, ox + right, uy + max(1.0, 0.07 * th)), fill=255)
        masks = [np.asarray(mask_img, dtype=np.float32) * (1.0 / 255.0)]
        if outline:
            out_img = Image.new("L", size_wh, 0)
            draw_word(ImageDraw.Draw(out_img), (ox, oy), text, font, stroke + outline, tracking)
            masks.append(np.asarray(out_img, dtype=np.float32) * (1.0 / 255.0))
        if curve or elastic:
            centre, half = ox + (left + right) / 2, (right - left) / 2
            masks = warp_masks(masks, rng, curve, centre, half, elastic)

        canvas = compose(rng, masks[0], masks[1] if outline else None, th, cfg.appearance)
        out = Image.fromarray(canvas, mode="F").transform(
            (width, self.height),
            Image.Transform.PERSPECTIVE,  # = QUAD, but ~5x faster on float images
            perspective_coefficients(np.add(quad, [ox, oy]), width, self.height),
            Image.Resampling.BILINEAR,
            fillcolor=float(canvas[0, 0]),
        )
        img = degrade(np.asarray(out, dtype=np.float32), rng, cfg.degradations)
        return (img * 255.0 + 0.5).astype(np.uint8)
