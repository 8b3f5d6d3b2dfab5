"""``synthetic:N`` as a labelled dataset: the first N seeded synthetic words, with their style.

Lets ``evaluate`` (and anything else that reads a ``LabeledSource``) score the model on rendered
words and break accuracy down by rendering style (the font's Google Fonts category), the one
kind of data whose style is known exactly.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from crnn_core.charset import Charset
from crnn_core.data.labeled import LabeledSource, SkipReport
from crnn_core.data.specs import SYNTHETIC_SPEC, parse_synthetic_spec
from crnn_core.data.synthetic import SyntheticWordGenerator

__all__ = ["SYNTHETIC_SPEC", "SyntheticSource", "parse_synthetic_spec"]


class SyntheticSource(LabeledSource):
    """Samples ``0 .. count-1`` of ``SyntheticWordGenerator(charset, seed)``, rendered on load."""

    def __init__(
        self, count: int, charset: Charset | None = None, seed: int = 0, max_width: int = 256
    ) -> None:
        if count < 1:
            raise ValueError(f"synthetic:N needs N >= 1; got {count}.")
        self.generator = SyntheticWordGenerator(
            charset or Charset.preset("94_full"), seed=seed, max_width=max_width
        )
        self._images: dict[int, Image.Image] = {}
        texts = []
        for i in range(count):
            image, text = self.generator.sample(i)
            self._images[i] = Image.fromarray(image, mode="L")
            texts.append(text)
        keys = [f"synthetic/{i}" for i in range(count)]
        super().__init__(f"synthetic(seed={seed})", keys, texts, SkipReport())

    def image_source(self, i: int) -> bytes | Path:
        raise NotImplementedError("synthetic images are rendered, not read: use load()")

    def load(self, i: int) -> tuple[Image.Image, str]:
        return self._images[i], self.text(i)

    def style(self, i: int) -> str:
        """The rendering style of sample ``i``: its font's category (or family when unknown)."""
        font = self.generator.font_for(i)
        return font.category or font.family
