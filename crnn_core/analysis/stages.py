"""Stage timing and progress of an analysis run: what ``summary.json`` and a dashboard job show.

``StageTimer`` records wall and process-CPU seconds per stage and, when given ``on_stage``,
reports each stage name as it starts, so a background job can say where it is (model → logits
→ KMeans → scores → UMAP) without the pipeline knowing who listens.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm.auto import tqdm

__all__ = ["STAGES", "StageHook", "StageTimer", "chunks"]

StageHook = Callable[[str], None]
"""Called with a stage name from ``STAGES`` when that stage starts."""

STAGES = (
    "read_data", "load_model", "model_logits", "decode_greedy_beam", "export", "kmeans",
    "scores", "matching", "confusions", "umap", "umap_place", "write",
)  # fmt: skip
"""Every stage of ``analyze`` in the order it runs (``timings_seconds`` keys). ``read_data``
runs in the parent; the next three in the model-stage child process (``model_stage``), block
by block (their hook fires once per block); the rest in the parent again."""


class StageTimer:
    """Wall and process-CPU seconds per stage (CPU time is what a busy machine distorts least)."""

    def __init__(self, on_stage: StageHook | None = None) -> None:
        self.seconds: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self.on_stage = on_stage

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        if self.on_stage is not None:
            self.on_stage(name)
        start, cpu = time.perf_counter(), time.process_time()
        yield
        # A stage entered again (the model stage runs block by block) adds up.
        wall, used = time.perf_counter() - start, time.process_time() - cpu
        self.seconds[name] = round(self.seconds.get(name, 0.0) + wall, 3)
        self.cpu_seconds[name] = round(self.cpu_seconds.get(name, 0.0) + used, 3)


def chunks(n: int, size: int, desc: str, progress: bool) -> Iterator[slice]:
    """Slices of ``range(n)`` of ``size`` items, with a tqdm bar when ``progress``."""
    bar = tqdm(total=n, desc=desc, unit="img", disable=not progress)
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))
        bar.update(min(size, n - start))
    bar.close()
