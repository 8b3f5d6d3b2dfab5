"""Peak memory per stage of a run: a thread samples /proc/self/status every 20 ms and a stage
hook (``crnn_core.analysis.stages``) says which stage is running.

Two figures per stage: VmRSS (what ``/usr/bin/time -v`` calls maximum resident set size; it
includes the file-backed pages of shared libraries, ~0.5 GiB for TensorFlow here, shared with
every other process using them and dropped under memory pressure) and RssAnon (heap, arrays,
allocator arenas: the memory the run really takes). Linux only; elsewhere it reports nothing.
"""

from __future__ import annotations

import threading
from pathlib import Path

__all__ = ["MemorySampler"]

STATUS = Path("/proc/self/status")


def _read() -> tuple[float, float] | None:
    """``(VmRSS, RssAnon)`` in MiB, or ``None`` where /proc is unavailable."""
    try:
        fields = dict(line.split(":", 1) for line in STATUS.read_text().splitlines() if ":" in line)
        return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon"))  # type: ignore[return-value]
    except (OSError, KeyError, ValueError):
        return None


class MemorySampler:
    """``with MemorySampler() as memory: run(on_stage=memory.stage)``; then ``memory.peaks``:
    stage → ``(peak VmRSS MiB, peak RssAnon MiB)`` while that stage ran."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peaks: dict[str, tuple[float, float]] = {}
        self.current = "before"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def stage(self, name: str) -> None:
        self._sample()
        self.current = name

    def _sample(self) -> None:
        now = _read()
        if now is None:
            return
        rss, anon = self.peaks.get(self.current, (0.0, 0.0))
        self.peaks[self.current] = (max(rss, now[0]), max(anon, now[1]))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def overall(self) -> tuple[float, float]:
        """Peak ``(VmRSS, RssAnon)`` over every stage."""
        values = list(self.peaks.values()) or [(0.0, 0.0)]
        return max(v[0] for v in values), max(v[1] for v in values)
