"""Mix training sources with ratios (e.g. 80 % synthetic, 20 % real), reproducibly and resumably.

``MixtureSampler`` maps a global sample position to ``(source_index, item_index)``. The mapping is
a pure function of ``(seed, position)``: a run resumed at step ``s`` with batch size ``b`` sees
exactly the samples an uninterrupted run would (``batch(s, b)``), with no state to checkpoint.

How: positions are grouped in chunks of ``chunk_size``. Each chunk's per-source counts are a
multinomial draw and their order a permutation, both from a generator seeded with
``(seed, chunk)``, so the ratios hold on average and the running count of draws from each source
is known at every chunk boundary. The ``n``-th draw from a finite source of size ``m`` is item
``perm_e[n % m]`` where ``perm_e`` is a fresh permutation for epoch ``e = n // m`` (sampling without
replacement, reshuffled every epoch). An infinite source (``size=None``, e.g. the synthetic
generator) gets item ``n``: its own deterministic stream, continued on resume.

Pure Python / numpy on purpose: the training loop wires it into ``tf.data``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import numpy as np

from crnn_core.data.specs import parse_ratios  # the grammar lives in specs

__all__ = ["MixtureSampler", "parse_ratios"]

_ORDER_STREAM = 0
_ITEM_STREAM = 1


class MixtureSampler:
    """Seeded random-access sampler over sources of known size (``int``) or infinite (``None``)."""

    def __init__(
        self,
        sizes: Sequence[int | None],
        ratios: Sequence[float],
        seed: int = 0,
        chunk_size: int = 4096,
    ) -> None:
        if len(sizes) != len(ratios) or not sizes:
            raise ValueError(
                f"Need one ratio per source: got {len(sizes)} sizes, {len(ratios)} ratios."
            )
        weights = np.asarray(ratios, dtype=np.float64)
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"Ratios must be finite, >= 0 and not all 0; got {list(ratios)}.")
        for i, (size, weight) in enumerate(zip(sizes, weights, strict=True)):
            if size is not None and size < 0:
                raise ValueError(f"Source {i} has negative size {size}.")
            if size == 0 and weight > 0:
                raise ValueError(f"Source {i} is empty but has ratio {weight}; drop it or fix it.")
        if seed < 0 or chunk_size < 1:
            raise ValueError(f"seed must be >= 0 and chunk_size >= 1; got {seed}, {chunk_size}.")
        self.sizes = tuple(sizes)
        self.ratios = tuple(float(w) for w in weights / weights.sum())
        self.seed = int(seed)
        self.chunk_size = int(chunk_size)
        self._probs = weights / weights.sum()
        self._bases: list[np.ndarray] = [np.zeros(len(sizes), dtype=np.int64)]
        self._chunks: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._perms: dict[tuple[int, int], np.ndarray] = {}
        self._lock = threading.Lock()  # tf.data may call from several threads; caches must agree

    def __repr__(self) -> str:
        ratios = ", ".join(f"{r:.3f}" for r in self.ratios)
        return f"MixtureSampler(sizes={self.sizes}, ratios=({ratios}), seed={self.seed})"

    # -- chunk level -------------------------------------------------------------------------
    def _rng(self, *stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, *stream])

    def _chunk_counts(self, chunk: int) -> tuple[np.random.Generator, np.ndarray]:
        rng = self._rng(_ORDER_STREAM, chunk)
        return rng, rng.multinomial(self.chunk_size, self._probs).astype(np.int64)

    def _base(self, chunk: int) -> np.ndarray:
        """Draws from each source before ``chunk`` (computed once, then cached)."""
        while len(self._bases) <= chunk:
            _, counts = self._chunk_counts(len(self._bases) - 1)
            self._bases.append(self._bases[-1] + counts)
        return self._bases[chunk]

    def _chunk(self, chunk: int) -> tuple[np.ndarray, np.ndarray]:
        """``(source, rank)`` per position of ``chunk``; rank = draws of that source before it."""
        if chunk not in self._chunks:
            rng, counts = self._chunk_counts(chunk)
            order = rng.permutation(np.repeat(np.arange(len(counts)), counts))
            rank = np.empty_like(order)
            for source, count in enumerate(counts):
                rank[order == source] = np.arange(count)
            if len(self._chunks) >= 4:
                self._chunks.pop(next(iter(self._chunks)))
            self._chunks[chunk] = (order, rank)
        return self._chunks[chunk]

    # -- item level --------------------------------------------------------------------------
    def _permutation(self, source: int, epoch: int) -> np.ndarray:
        key = (source, epoch)
        if key not in self._perms:
            size = self.sizes[source]
            assert size is not None
            stale = [k for k in self._perms if k[0] == source and k[1] < epoch - 1]
            for k in stale:
                del self._perms[k]
            self._perms[key] = self._rng(_ITEM_STREAM, source, epoch).permutation(size)
        return self._perms[key]

    def _items(self, source: int, draws: np.ndarray) -> np.ndarray:
        size = self.sizes[source]
        if size is None:
            return draws
        epochs, offsets = np.divmod(draws, size)
        items = np.empty_like(draws)
        for epoch in np.unique(epochs):
            mask = epochs == epoch
            items[mask] = self._permutation(source, int(epoch))[offsets[mask]]
        return items

    # -- public ------------------------------------------------------------------------------
    def draws(self, start: int, count: int) -> np.ndarray:
        """``(count, 2)`` int64 rows ``(source_index, item_index)`` for positions from ``start``.

        Thread-safe; the result depends only on ``(seed, ratios, sizes, chunk_size)`` and positions.
        """
        if start < 0 or count < 0:
            raise ValueError(f"start and count must be >= 0; got {start}, {count}.")
        with self._lock:
            return self._draws(start, count)

    def _draws(self, start: int, count: int) -> np.ndarray:
        out = np.empty((count, 2), dtype=np.int64)
        position, filled = start, 0
        while filled < count:
            chunk, offset = divmod(position, self.chunk_size)
            take = min(self.chunk_size - offset, count - filled)
            order, rank = self._chunk(chunk)
            sources = order[offset : offset + take]
            nth = self._base(chunk)[sources] + rank[offset : offset + take]
            out[filled : filled + take, 0] = sources
            for source in np.unique(sources):
                mask = sources == source
                out[filled : filled + take, 1][mask] = self._items(int(source), nth[mask])
            position += take
            filled += take
        return out

    def draw(self, position: int) -> tuple[int, int]:
        """``(source_index, item_index)`` of one global sample position."""
        source, item = self.draws(position, 1)[0]
        return int(source), int(item)

    def batch(self, step: int, batch_size: int) -> np.ndarray:
        """Rows for ``step``: positions ``[step * batch_size, (step + 1) * batch_size)``."""
        return self.draws(step * batch_size, batch_size)

    def iterate(self, start: int = 0) -> Iterator[tuple[int, int]]:
        """Endless ``(source_index, item_index)`` from position ``start``."""
        position = start
        while True:
            block = self.draws(position, self.chunk_size - position % self.chunk_size)
            yield from ((int(source), int(item)) for source, item in block)
            position += len(block)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return self.iterate(0)

    def consumed(self, position: int) -> np.ndarray:
        """Draws from each source before ``position`` (int64, one per source): epochs = / size."""
        chunk, offset = divmod(position, self.chunk_size)
        with self._lock:
            order, _ = self._chunk(chunk)
            return self._base(chunk) + np.bincount(order[:offset], minlength=len(self.sizes))
