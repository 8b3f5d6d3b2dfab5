"""What the synthetic renderer may do, and how often: one frozen dataclass of probabilities.

Kept apart from the renderer so an experiment (or ``SynthConfig.plain()``, the speed baseline)
can be described and recorded without importing any rendering code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from crnn_core.data.augment import Degradations, Geometry
from crnn_core.data.backgrounds import Appearance

__all__ = ["SynthConfig"]


@dataclass(frozen=True)
class SynthConfig:
    """Probabilities of each rendering effect; ``SynthConfig.plain()`` turns all of them off."""

    max_squash: float = 0.5
    p_aspect: float = 0.35
    aspect_range: tuple[float, float] = (0.7, 1.35)
    p_bold: float = 0.3
    p_tracking: float = 0.2
    p_outline: float = 0.08
    p_fragment: float = 0.15
    p_side_fragment: float = 0.05
    p_underline: float = 0.04
    p_loose_margins: float = 0.25
    # A tight crop that cuts into the word (real crops do: ic03's "P|ark", "J|AVA"): each side
    # then cuts with probability 1/2, left/right up to ``max_side_cut`` of the edge glyph's width,
    # top/bottom up to ``max_vertical_cut`` of the text height.
    p_cut_into_word: float = 0.3
    max_side_cut: float = 0.3
    max_vertical_cut: float = 0.08
    scale_range: tuple[float, float] = (0.85, 1.5)
    appearance: Appearance = field(default_factory=Appearance)
    geometry: Geometry = field(default_factory=Geometry)
    degradations: Degradations = field(default_factory=Degradations)

    @classmethod
    def plain(cls) -> SynthConfig:
        """Dark text on a flat light background, no effects: the speed baseline."""
        look = Appearance(
            p_invert=0, p_low_contrast=0, textured=False, p_shadow=0, p_extrude=0, p_hollow=0,
            p_fg_texture=0, p_fg_gradient=0,
        )  # fmt: skip
        geo = Geometry(p_rotate=0, p_shear=0, p_perspective=0, p_curve=0, p_elastic=0)
        deg = Degradations(
            p_blur=0, p_motion_blur=0, p_lowres=0, p_noise=0, p_jpeg=0, p_gamma=0, p_shading=0
        )
        return cls(
            p_aspect=0, p_bold=0, p_tracking=0, p_outline=0, p_fragment=0, p_side_fragment=0,
            p_underline=0, p_loose_margins=0, p_cut_into_word=0, scale_range=(1.0, 1.0),
            appearance=look, geometry=geo, degradations=deg,
        )  # fmt: skip
