"""``synthetic:N`` words rendered by this process and one helper process at once, in order.

Rendering a word is Python and Pillow on one core (~6 ms here), and while ``analyze`` reads its
words nothing else runs yet, so a second process halves that stage. Both processes take the next
unclaimed block of ``RENDER_BLOCK`` indices from a shared counter; the helper sends its blocks
back through a queue, and this process yields every sample in index order, rendering the next
unclaimed block itself whenever the one it needs is still on the helper's side. Samples are
seeded by their index (``SyntheticWordGenerator.sample``), so who renders a block never changes
its pixels. A helper that dies is replaced by rendering here; stopping early (a frame budget)
stops the helper.

The helper is a ``spawn``ed ``multiprocessing`` process (this process may already run threads,
so no fork); the rendered arrays come back pickled through the queue, from that trusted child
only, never from a file.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Generator
from multiprocessing.sharedctypes import Synchronized
from typing import Any

import numpy as np

from crnn_core.charset import Charset

__all__ = ["MIN_PARALLEL", "RENDER_BLOCK", "rendered_samples"]

RENDER_BLOCK = 32
"""Words per claim: small enough that waiting for the helper's block costs little (~0.2 s)."""
MIN_PARALLEL = 256
"""Below this many words, starting the helper (~3 s: imports, fonts, word list) costs more
than it saves."""

Sample = tuple[np.ndarray, str]


def _claim(counter: Synchronized, blocks: int) -> int | None:  # type: ignore[type-arg]
    """The next unclaimed block, or None when all are claimed."""
    with counter.get_lock():
        block = int(counter.value)
        if block >= blocks:
            return None
        counter.value = block + 1
        return block


def _block_range(block: int, count: int, size: int) -> range:
    return range(block * size, min((block + 1) * size, count))


def _helper(
    charset: dict[str, Any], seed: int, max_width: int, count: int, size: int,
    counter: Synchronized, results: Any,  # type: ignore[type-arg]
) -> None:  # fmt: skip
    """The helper process: claim blocks and send ``(block, samples)`` until none are left."""
    from crnn_core.data.synthetic import SyntheticWordGenerator

    generator = SyntheticWordGenerator(Charset.from_dict(charset), seed=seed, max_width=max_width)
    blocks = -(-count // size)
    while (block := _claim(counter, blocks)) is not None:
        results.put((block, [generator.sample(i) for i in _block_range(block, count, size)]))


def rendered_samples(
    generator: Any,
    count: int,
    size: int = RENDER_BLOCK,
    helper: bool | None = None,
    stats: dict[str, int] | None = None,
) -> Generator[tuple[int, np.ndarray, str], None, None]:
    """``(index, image, text)`` for samples ``0 .. count - 1`` of ``generator`` (a
    ``SyntheticWordGenerator``), in order. ``helper=None``: a helper process from
    ``MIN_PARALLEL`` words on. ``stats``, if given, counts the blocks rendered ``here`` and
    by the ``helper``."""
    stats = {} if stats is None else stats
    stats.update(here=0, helper=0)
    if not (count >= MIN_PARALLEL if helper is None else helper):
        stats["here"] = -(-count // size)
        for index in range(count):
            image, text = generator.sample(index)
            yield index, image, text
        return
    context = multiprocessing.get_context("spawn")
    counter = context.Value("l", 0)
    results = context.Queue()
    blocks = -(-count // size)
    process = context.Process(
        target=_helper, name="render-helper", daemon=True,
        args=(generator.charset.to_dict(), generator.seed, generator.max_width, count, size,
              counter, results),
    )  # fmt: skip
    process.start()

    def render(block: int) -> list[Sample]:
        stats["here"] += 1
        return [generator.sample(i) for i in _block_range(block, count, size)]

    ready: dict[int, list[Sample]] = {}
    try:
        for block in range(blocks):
            while block not in ready:
                _receive(results, ready, False, stats)
                if block in ready:
                    break
                mine = _claim(counter, blocks)
                if mine is not None:  # render the next unclaimed block while the helper works
                    ready[mine] = render(mine)
                elif not _receive(results, ready, True, stats) and not process.is_alive():
                    _receive(results, ready, False, stats)  # what it sent before it stopped
                    if block not in ready:  # the helper died holding this block
                        ready[block] = render(block)
            for index, (image, text) in zip(_block_range(block, count, size), ready.pop(block),
                                            strict=True):  # fmt: skip
                yield index, image, text
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        results.close()


def _receive(
    results: Any, ready: dict[int, list[Sample]], wait: bool, stats: dict[str, int]
) -> bool:
    """Move the helper's finished blocks into ``ready``; with ``wait``, wait up to a second
    for one. True if a block arrived."""
    got = False
    try:
        while True:
            block, samples = results.get(timeout=1.0) if wait and not got else results.get_nowait()
            ready[block] = samples
            stats["helper"] += 1
            got = True
    except queue.Empty:
        return got
