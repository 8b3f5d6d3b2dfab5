from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from crnn_core.charset import Charset
from crnn_core.pipeline import make_training_dataset
from crnn_core.training import sources
from crnn_core.training.sources import augment_real, is_caseless


def test_capitals_only_sets_are_caseless() -> None:
    assert is_caseless(["HOTEL", "ROOM 12", "A&B"])
    assert not is_caseless(["Hotel", "ROOM"])
    assert not is_caseless(["123", "45"])  # no letters: nothing to say about case


def test_pipeline_carries_the_caseless_flag() -> None:
    charset = Charset.preset("94_full")

    def sample(index: int) -> tuple[np.ndarray, str, bool]:
        return np.full((32, 64), 200, np.uint8), "AB", index % 2 == 1

    dataset = make_training_dataset(sample, charset, 4, 160, bucket_by_width=False)
    _, targets = next(iter(dataset))
    assert list(np.asarray(targets["caseless"])) == [0, 1, 0, 1]


@pytest.mark.parametrize("mode, colour", [("L", 190), ("RGB", (40, 160, 90))])
def test_real_crop_jitter_extends_with_the_photo_colour_not_black(
    mode: str, colour: int | tuple[int, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A jittered crop wider than the photo (and the rotation/shear corners) must take the
    photo's own colour: black bars at the sides are a cue no real test crop has."""
    monkeypatch.setattr(sources, "degrade", lambda image, rng, config: image)
    photo = Image.new(mode, (120, 40), colour)
    for seed in range(25):
        out = augment_real(photo, np.random.default_rng(seed), max_width=160)
        assert int(out.max()) - int(out.min()) <= 2, f"seed {seed}: not one flat colour"
