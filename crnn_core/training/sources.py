"""Training data as one indexed stream: a seeded mixture of synthetic words and real photos.

Real training images are decoded once (they are few) and augmented on every draw, because a
couple of thousand photos would otherwise be memorised within minutes on top of synthetic data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from crnn_core.charset import Charset
from crnn_core.data.augment import Degradations, degrade
from crnn_core.data.mixture import MixtureSampler
from crnn_core.data.readers import LabeledSource, open_source
from crnn_core.data.synthetic import SyntheticWordGenerator
from crnn_core.geometry import HEIGHT
from crnn_core.pipeline import SampleFn
from crnn_core.preprocess import to_gray_height
from crnn_core.training.callbacks import ValidationSet
from crnn_core.training.config import TrainConfig

__all__ = [
    "TrainingSources",
    "augment_real",
    "build_training_sources",
    "is_caseless",
    "load_validation_set",
]

log = logging.getLogger(__name__)
SYNTHETIC = "synthetic"


@dataclass
class TrainingSources:
    sample_fn: SampleFn
    validation: list[ValidationSet] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def augment_real(image: Image.Image, rng: np.random.Generator, max_width: int) -> np.ndarray:
    """Crop jitter, small rotation/shear, then photometric degradations; returns uint8 (32, W)."""
    width, height = image.size
    dx0, dx1 = (rng.uniform(-0.06, 0.06, 2) * width).astype(int)
    dy0, dy1 = (rng.uniform(-0.08, 0.08, 2) * height).astype(int)
    box = (dx0, dy0, width - dx1, height - dy1)
    fill = _median_fill(image)  # the photo's colour, for every pixel the steps below invent
    if box[2] - box[0] > 4 and box[3] - box[1] > 4:
        image = _crop_or_extend(image, box, fill)
    if rng.random() < 0.5:
        shear = rng.uniform(-0.2, 0.2)
        image = image.transform(
            image.size,
            Image.Transform.AFFINE,
            (1, shear, -shear * image.height / 2, 0, 1, 0),
            resample=Image.Resampling.BILINEAR,
            fillcolor=fill,
        )
    if rng.random() < 0.4:
        image = image.rotate(
            rng.uniform(-4, 4),
            resample=Image.Resampling.BILINEAR,
            expand=False,
            fillcolor=fill,
        )
    gray = to_gray_height(image, HEIGHT, max_width).astype(np.float32) / 255.0
    if rng.random() < 0.3:
        gray = 1.0 - gray
    out = degrade(gray, rng, Degradations())
    return np.clip(out * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _median_fill(image: Image.Image) -> int | tuple[int, ...]:
    """The image's median colour as Pillow takes a fill for its mode (an int for one band; a
    bare int given to an RGB image would set only its red band)."""
    bands = np.asarray(image).reshape(-1, len(image.getbands()))
    median = tuple(int(v) for v in np.median(bands, axis=0))
    return median[0] if len(median) == 1 else median


def _crop_or_extend(
    image: Image.Image, box: tuple[int, int, int, int], fill: int | tuple[int, ...]
) -> Image.Image:
    """``image.crop(box)``, where the part of ``box`` outside the image takes ``fill``: Pillow
    fills it with black, and black bars at a crop's sides are nothing a real crop shows (the
    model would learn them as a cue that test photos never give)."""
    out = Image.new(image.mode, (box[2] - box[0], box[3] - box[1]), fill)
    out.paste(image, (-box[0], -box[1]))
    return out


def load_validation_set(
    source: LabeledSource, indices: Any, max_width: int, name: str | None = None
) -> ValidationSet:
    images, texts = [], []
    for i in indices:
        image, text = source.load(int(i))
        images.append(to_gray_height(image, HEIGHT, max_width))
        texts.append(text)
    return ValidationSet(name or source.name, images, texts)


def build_training_sources(
    config: TrainConfig, charset: Charset, max_width: int
) -> TrainingSources:
    """Sample function over the configured mixture, and validation sets (held-out + ``val``)."""
    samplers: list[Callable[[int, int], tuple[np.ndarray, str] | tuple[np.ndarray, str, bool]]] = []
    sizes: list[int | None] = []
    ratios: list[float] = []
    validation: list[ValidationSet] = []
    info: dict[str, Any] = {"sources": []}
    for spec, ratio in config.data:
        if spec == SYNTHETIC:
            generator = SyntheticWordGenerator(charset, seed=config.seed, max_width=max_width)
            samplers.append(_synthetic_sampler(generator))
            sizes.append(None)
            info["sources"].append(
                {"name": SYNTHETIC, "ratio": ratio, "fonts": generator.font_set.describe()}
            )
        else:
            source = open_source(spec, charset=charset, validate=True)
            source.skipped.log(log)
            order = np.random.default_rng(config.seed).permutation(len(source))
            held, kept = order[: config.holdout], order[config.holdout :]
            if len(held):
                validation.append(
                    load_validation_set(source, held, max_width, f"{source.name}-heldout")
                )
            images = [source.load(int(i)) for i in kept]
            caseless = is_caseless([text for _, text in images])
            if caseless:
                log.info("%s has no lower-case labels: trained case-insensitively", source.name)
            samplers.append(_real_sampler(images, config.seed, max_width, caseless))
            sizes.append(len(images))
            info["sources"].append(
                {
                    "name": source.name,
                    "path": str(spec),
                    "ratio": ratio,
                    "train": len(kept),
                    "heldout": len(held),
                    "caseless": caseless,
                    "skipped": source.skipped.to_dict(),
                }
            )
        ratios.append(ratio)
    for spec in config.val:
        source = open_source(spec)
        indices = range(min(len(source), config.val_limit or len(source)))
        validation.append(load_validation_set(source, indices, max_width))
    mixture = MixtureSampler(sizes, ratios, seed=config.seed)

    def sample(position: int) -> tuple[np.ndarray, str] | tuple[np.ndarray, str, bool]:
        source_index, item = mixture.draw(position)
        return samplers[source_index](int(item), position)

    return TrainingSources(sample, validation, info)


def _synthetic_sampler(
    generator: SyntheticWordGenerator,
) -> Callable[[int, int], tuple[np.ndarray, str]]:
    def sample(item: int, position: int) -> tuple[np.ndarray, str]:
        return generator.sample(item)

    return sample


def is_caseless(texts: list[str]) -> bool:
    """A set labelled without lower-case letters (SVT is): its labels carry no case."""
    letters = "".join(ch for text in texts for ch in text if ch.isalpha())
    return bool(letters) and letters == letters.upper()


def _real_sampler(
    items: list[tuple[Image.Image, str]], seed: int, max_width: int, caseless: bool = False
) -> Callable[[int, int], tuple[np.ndarray, str, bool]]:
    def sample(item: int, position: int) -> tuple[np.ndarray, str, bool]:
        image, text = items[item]
        rng = np.random.default_rng([seed, item, position])  # a fresh augmentation per draw
        return augment_real(image, rng, max_width), text, caseless

    return sample
