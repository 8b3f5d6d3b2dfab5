"""Peak memory per stage of a run, in this process and in its child processes: a thread samples
``/proc/<pid>/status`` every 20 ms and a stage hook (``crnn_core.analysis.stages``) says which
stage is running.

Figures per stage and process: VmRSS (what ``/usr/bin/time -v`` calls maximum resident set size;
it includes file-backed pages of shared libraries, e.g. ~0.5 GiB for TensorFlow, shared with
every other process using them) and RssAnon (heap, arrays, allocator arenas). ``children`` are
this process's live child processes (``analyze`` runs its model stage in one), found through
``/proc/self/task/*/children``. Sampling can miss a spike shorter than the interval, so the
exact high-water marks (``VmHWM``, read by each process itself) are reported next to these.
Linux only; elsewhere it reports nothing.
"""

from __future__ import annotations

import threading
from pathlib import Path

__all__ = ["MemorySampler", "Peak"]

Peak = tuple[float, float]
"""``(VmRSS MiB, RssAnon MiB)``."""


def _read(pid: str = "self") -> Peak | None:
    """``(VmRSS, RssAnon)`` in MiB of ``pid``, or ``None`` where it is gone or /proc is absent."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["RssAnon"].split()[0]) / 1024
    except (OSError, KeyError, ValueError):
        return None


def _children() -> list[str]:
    pids: list[str] = []
    try:
        for task in Path("/proc/self/task").iterdir():
            pids += (task / "children").read_text().split()
    except OSError:
        pass
    return pids


def _max(a: Peak, b: Peak) -> Peak:
    return max(a[0], b[0]), max(a[1], b[1])


class MemorySampler:
    """``with MemorySampler() as memory: run(on_stage=memory.stage)``; then ``memory.peaks``
    (this process) and ``memory.child_peaks`` (its children, summed when several): stage →
    peak ``(VmRSS MiB, RssAnon MiB)`` while that stage ran; ``memory.total_peaks``: the peak
    of this process plus its children at the same instant."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peaks: dict[str, Peak] = {}
        self.child_peaks: dict[str, Peak] = {}
        self.total_peaks: dict[str, Peak] = {}
        self.current = "before"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def stage(self, name: str) -> None:
        self._sample()
        self.current = name

    def _sample(self) -> None:
        own = _read()
        if own is None:
            return
        stage = self.current
        child = (0.0, 0.0)
        for pid in _children():
            found = _read(pid)
            if found is not None:
                child = (child[0] + found[0], child[1] + found[1])
        self.peaks[stage] = _max(self.peaks.get(stage, (0.0, 0.0)), own)
        self.child_peaks[stage] = _max(self.child_peaks.get(stage, (0.0, 0.0)), child)
        total = (own[0] + child[0], own[1] + child[1])
        self.total_peaks[stage] = _max(self.total_peaks.get(stage, (0.0, 0.0)), total)

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

    def overall(self, which: str = "own") -> Peak:
        """Peak ``(VmRSS, RssAnon)`` over every stage of ``own``, ``child`` or ``total``."""
        table = {"own": self.peaks, "child": self.child_peaks, "total": self.total_peaks}[which]
        values = list(table.values()) or [(0.0, 0.0)]
        return max(v[0] for v in values), max(v[1] for v in values)
