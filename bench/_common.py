"""Helpers shared by the bench scripts: import path, machine/load line, interleaved timing, tables.

Benchmarks here run on shared, busy machines, so absolute numbers drift. Each script therefore
times its candidates *interleaved* (A B C A B C ...) and reports medians and ratios against a
baseline measured in the same run: slow-downs from other jobs hit every candidate alike.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # as crnn_core does; Keras loads first here

__all__ = [
    "ROOT",
    "Timings",
    "interleaved",
    "machine_line",
    "median",
    "parse_variant",
    "percentile",
    "print_table",
]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """One line saying where and under what load the numbers were taken."""
    try:
        load = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "load average n/a"
    python = platform.python_version()
    onednn = "on" if os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0" else "off"
    return (
        f"{_cpu_model()}, {os.cpu_count()} logical CPUs, {load}, Python {python}, "
        f"TensorFlow oneDNN {onednn}"
    )


def percentile(values: Sequence[float], q: float) -> float:
    """``q``-th percentile (0–100) with linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class Timings:
    """Per-call wall seconds and process CPU seconds (all threads of this process)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


def interleaved(
    candidates: dict[str, Callable[[], object]], repeats: int, warmup: int = 2
) -> dict[str, Timings]:
    """Time each candidate round-robin ``repeats`` times.

    Every candidate is first called ``warmup`` times (tracing, caches), then the rounds run
    A B C A B C ..., so a burst of background load lands on all candidates rather than one.
    CPU time is kept too: other processes inflate it much less than wall time.
    """
    for run in candidates.values():
        for _ in range(warmup):
            run()
    times = {name: Timings() for name in candidates}
    for _ in range(repeats):
        for name, run in candidates.items():
            wall, cpu = time.perf_counter(), time.process_time()
            run()
            times[name].cpu.append(time.process_time() - cpu)
            times[name].wall.append(time.perf_counter() - wall)
    return times


def print_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a Markdown table (first column left-aligned, the rest right-aligned)."""
    from crnn_core.evaluate import markdown_table

    print(markdown_table(header, rows))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def parse_variant(spec: str) -> tuple[str, dict[str, object]]:
    """``'NAME={"lstm_layers": 1}'`` -> ``("NAME", {"lstm_layers": 1})``: ModelConfig overrides."""
    name, sep, overrides = spec.partition("=")
    try:
        values = json.loads(overrides) if sep else None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"--variant {spec!r}: the part after '=' is not JSON ({exc}).") from exc
    if not name or not isinstance(values, dict):
        raise SystemExit(
            f"--variant {spec!r}: write NAME=JSON, e.g. '1 BiLSTM={{\"lstm_layers\": 1}}'."
        )
    return name, values
