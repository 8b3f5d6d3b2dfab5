from __future__ import annotations

import numpy as np

from crnn_core.charset import Charset
from crnn_core.pipeline import make_training_dataset
from crnn_core.training.sources import is_caseless


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
