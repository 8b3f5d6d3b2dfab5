"""Word images to analyse: ``labels.tsv`` folders, LMDBs, or ``synthetic:N`` seeded synthetic words.

Every image is converted once to the model input (grayscale uint8 ``(32, W)``, ``W <= max_width``),
which is also what the analysis stores, so a frame's image column is exactly what the model saw.
``max_frames`` bounds the work and the output size: each source gets an equal share of the frame
budget and is read in order until its share is spent (``frames = ceil(W / 4)`` per image).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from crnn_core.analysis.io import AnalysisError
from crnn_core.analysis.render_helper import rendered_samples
from crnn_core.charset import Charset
from crnn_core.data.glyphs import clear_caches
from crnn_core.preprocess import logit_length, to_gray_height

__all__ = ["SYNTHETIC_PATTERN", "InputSource", "WordImage", "read_inputs"]

SYNTHETIC_PATTERN = re.compile(r"^synthetic:(\d+)$")
Items = Generator[tuple[str, Any, str | None], None, None]
"""``(key, image, truth)`` of a source, in order; closed when reading stops early."""


@dataclass(frozen=True)
class WordImage:
    """One model input: ``image`` uint8 ``(32, W)``; ``truth`` is None when the source has none."""

    source: str
    key: str
    image: np.ndarray
    truth: str | None


@dataclass
class InputSource:
    """What was read from one ``--data`` spec (recorded in summary.json)."""

    spec: str
    name: str
    kind: str
    available: int
    used: int = 0
    frames: int = 0
    truncated: bool = False
    skipped: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _synthetic(
    count: int, charset: Charset, seed: int, max_width: int
) -> tuple[InputSource, Items]:
    from crnn_core.data.synthetic import SyntheticWordGenerator

    generator = SyntheticWordGenerator(charset, seed=seed, max_width=max_width)
    name = f"synthetic(seed={seed})"

    def items() -> Items:
        samples = rendered_samples(generator, count)  # with a helper process from 256 words
        try:
            for index, image, text in samples:
                yield str(index), image, text
        finally:
            samples.close()  # a frame budget stops early: stop the helper too

    return InputSource(f"synthetic:{count}", name, "synthetic", count), items()


def _labeled(spec: str) -> tuple[InputSource, Items, Any]:
    from crnn_core.data.readers import open_source

    try:
        source = open_source(spec)
    except (FileNotFoundError, ValueError) as exc:
        raise AnalysisError(
            f"Cannot open dataset {spec}: {exc} Use a labels.tsv folder, an LMDB folder or "
            "synthetic:N."
        ) from exc
    kind = type(source).__name__.removesuffix("Source").lower()

    def items() -> Items:
        for sample in source.samples():
            yield sample.key, sample.image, sample.text

    return InputSource(spec, source.name, kind, len(source)), items(), source


def read_inputs(
    specs: Sequence[str],
    charset: Charset,
    max_width: int,
    seed: int = 0,
    max_frames: int | None = None,
    progress: bool = True,
) -> tuple[list[WordImage], list[InputSource]]:
    """Read every spec into model inputs, in order, within the frame budget.

    ``synthetic:N`` draws samples ``0 .. N-1`` of ``SyntheticWordGenerator(charset, seed=seed)``.
    """
    if not specs:
        raise AnalysisError("No data given: pass --data with a folder, an LMDB or synthetic:N.")
    share = None if max_frames is None else max(1, max_frames // len(specs))
    words: list[WordImage] = []
    infos: list[InputSource] = []
    for spec in specs:
        match = SYNTHETIC_PATTERN.match(spec)
        handle = None
        if match:
            info, items = _synthetic(int(match.group(1)), charset, seed, max_width)
        else:
            info, items, handle = _labeled(spec)
        bar = tqdm(items, total=info.available, desc=f"read {info.name}", disable=not progress)
        for key, image, truth in bar:
            model_input = to_gray_height(image, max_width=max_width)
            frames = int(logit_length(model_input.shape[1]))
            if share is not None and info.frames + frames > share:
                info.truncated = True
                break
            words.append(WordImage(info.name, key, model_input, truth))
            info.used += 1
            info.frames += frames
        bar.close()
        items.close()  # stopped early by the budget: let the source release what it holds
        if match:
            clear_caches()  # the faces rendering loaded: ~90 MiB at 3,000 words
        if handle is not None:
            info.skipped = handle.skipped.to_dict()
            if hasattr(handle, "close"):
                handle.close()
        infos.append(info)
    if not words:
        raise AnalysisError(
            "No usable images: every source was empty, unreadable or over the --max-frames budget."
        )
    return words, infos
