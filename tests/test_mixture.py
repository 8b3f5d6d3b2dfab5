from __future__ import annotations

import itertools

import numpy as np
import pytest

from crnn_core.data.mixture import MixtureSampler, parse_ratios


def test_ratios_are_normalised_and_converge() -> None:
    sampler = MixtureSampler([None, 100, 37], [8, 1.5, 0.5], seed=3)
    assert sampler.ratios == pytest.approx((0.8, 0.15, 0.05))
    sources = sampler.draws(0, 200_000)[:, 0]
    fractions = np.bincount(sources, minlength=3) / len(sources)
    assert fractions == pytest.approx([0.8, 0.15, 0.05], abs=0.005)


def test_same_seed_same_stream_other_seed_other_stream() -> None:
    a = MixtureSampler([None, 50], [0.7, 0.3], seed=11).draws(0, 5000)
    b = MixtureSampler([None, 50], [0.7, 0.3], seed=11).draws(0, 5000)
    c = MixtureSampler([None, 50], [0.7, 0.3], seed=12).draws(0, 5000)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("chunk_size", [7, 64, 4096])
def test_random_access_equals_sequential(chunk_size: int) -> None:
    full = MixtureSampler([None, 13, 5], [0.5, 0.3, 0.2], seed=5, chunk_size=chunk_size).draws(
        0, 3200
    )
    resumed = MixtureSampler([None, 13, 5], [0.5, 0.3, 0.2], seed=5, chunk_size=chunk_size)
    for step in (29, 3, 0, 46):  # out of order, as after a resume
        assert np.array_equal(resumed.batch(step, 64), full[step * 64 : (step + 1) * 64])
    rng = np.random.default_rng(0)
    for _ in range(20):
        start, count = int(rng.integers(0, 2900)), int(rng.integers(0, 100))
        assert np.array_equal(resumed.draws(start, count), full[start : start + count])
    assert resumed.draw(1234) == tuple(full[1234])
    streamed = list(itertools.islice(resumed.iterate(start=100), 500))
    assert streamed == [tuple(row) for row in full[100:600].tolist()]


def test_finite_source_is_reshuffled_each_epoch_without_replacement() -> None:
    sampler = MixtureSampler([None, 37], [0.6, 0.4], seed=2, chunk_size=50)
    rows = sampler.draws(0, 2000)
    items = rows[rows[:, 0] == 1, 1]
    epochs = [items[i : i + 37] for i in range(0, len(items) - 36, 37)]
    assert len(epochs) >= 10
    for epoch in epochs:
        assert sorted(epoch.tolist()) == list(range(37))
    assert len({tuple(e.tolist()) for e in epochs}) == len(epochs)


def test_infinite_source_continues_its_own_stream() -> None:
    sampler = MixtureSampler([None, 10], [0.5, 0.5], seed=0)
    rows = sampler.draws(0, 1000)
    synthetic = rows[rows[:, 0] == 0, 1]
    assert synthetic.tolist() == list(range(len(synthetic)))


def test_zero_ratio_source_is_never_drawn_and_consumed_counts() -> None:
    sampler = MixtureSampler([None, 10, 0], [1, 1, 0], seed=4, chunk_size=100)
    rows = sampler.draws(0, 1000)
    assert not np.any(rows[:, 0] == 2)
    for position in (0, 1, 99, 100, 101, 777):
        expected = np.bincount(rows[:position, 0], minlength=3)
        assert np.array_equal(sampler.consumed(position), expected)


@pytest.mark.parametrize(
    ("sizes", "ratios", "message"),
    [
        ([None, 0], [0.5, 0.5], "empty"),
        ([None, 5], [1.0, -1.0], ">= 0"),
        ([None, 5], [0.0, 0.0], "not all 0"),
        ([None], [1.0, 2.0], "one ratio per source"),
    ],
)
def test_bad_configuration_explains(
    sizes: list[int | None], ratios: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        MixtureSampler(sizes, ratios)


def test_parse_ratios() -> None:
    assert parse_ratios("synthetic=0.8, ic03=0.2") == {"synthetic": 0.8, "ic03": 0.2}
    assert parse_ratios("a=4,b=1") == {"a": 4.0, "b": 1.0}
    for bad in ("synthetic", "a=x", "a=-1", "a=1,a=2", ""):
        with pytest.raises(ValueError):
            parse_ratios(bad)


def test_concurrent_callers_get_the_same_stream() -> None:
    from concurrent.futures import ThreadPoolExecutor

    expected = MixtureSampler([None, 29], [0.5, 0.5], seed=9, chunk_size=16).draws(0, 4000)
    shared = MixtureSampler([None, 29], [0.5, 0.5], seed=9, chunk_size=16)
    positions = np.random.default_rng(1).permutation(4000).tolist()
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(shared.draw, positions))
    assert got == [tuple(expected[p]) for p in positions]
