"""Synthetic words rendered by two processes: the same samples, in order, whoever renders
them; stopping early stops the helper; a helper that dies is replaced."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from crnn_core.analysis.render_helper import rendered_samples
from crnn_core.charset import Charset
from crnn_core.data.synthetic import SyntheticWordGenerator


@pytest.fixture(scope="module")
def generator() -> SyntheticWordGenerator:
    return SyntheticWordGenerator(Charset.preset("94_full"), seed=3, max_width=160)


def _same(got: list[tuple[int, np.ndarray, str]], generator: SyntheticWordGenerator) -> None:
    assert [i for i, _, _ in got] == list(range(len(got)))
    for index, image, text in got:
        want_image, want_text = generator.sample(index)
        assert text == want_text
        np.testing.assert_array_equal(image, want_image)


def test_two_processes_render_the_same_samples_in_order(
    generator: SyntheticWordGenerator,
) -> None:
    stats: dict[str, int] = {}
    got = list(rendered_samples(generator, 600, size=16, helper=True, stats=stats))
    assert len(got) == 600
    _same(got, generator)
    # The helper starts in ~2-3 s; by then this process has rendered a few hundred words.
    assert stats["helper"] > 0 and stats["here"] > 0
    assert stats["helper"] + stats["here"] == 600 // 16 + 1


def test_stopping_early_stops_the_helper(generator: SyntheticWordGenerator) -> None:
    import multiprocessing

    samples = rendered_samples(generator, 400, size=8, helper=True)
    first = [next(samples) for _ in range(20)]
    samples.close()
    _same(first, generator)
    assert not [p for p in multiprocessing.active_children() if p.name == "render-helper"]


class _HelperCannotStart:
    """A generator whose charset the helper cannot rebuild: the helper dies at start-up."""

    def __init__(self, real: SyntheticWordGenerator) -> None:
        self.real, self.seed, self.max_width = real, real.seed, real.max_width

    @property
    def charset(self) -> Any:
        class Broken:
            def to_dict(self) -> dict[str, object]:
                return {"characters": None}

        return Broken()

    def sample(self, index: int) -> tuple[np.ndarray, str]:
        return self.real.sample(index)


def test_a_dead_helper_is_replaced_by_rendering_here(generator: SyntheticWordGenerator) -> None:
    stats: dict[str, int] = {}
    broken = _HelperCannotStart(generator)
    got = list(rendered_samples(broken, 600, size=16, helper=True, stats=stats))
    _same(got, generator)
    assert stats == {"here": 600 // 16 + 1, "helper": 0}


def test_few_words_render_here_without_a_helper(generator: SyntheticWordGenerator) -> None:
    import multiprocessing

    samples = rendered_samples(generator, 12)
    got = [next(samples)]
    assert not [p for p in multiprocessing.active_children() if p.name == "render-helper"]
    got += list(samples)
    _same(got, generator)
