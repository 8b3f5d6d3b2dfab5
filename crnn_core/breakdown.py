"""Accuracy broken down by image height, word length or rendering style.

Real-photo errors cluster by size (large stylised signage, tiny blurred street crops) and by
word length (dropped or doubled letters): one number per dataset hides both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from crnn_core.evaluate import SampleRecord, markdown_table

__all__ = ["BREAKDOWNS", "Bucket", "breakdown", "format_breakdown"]

HEIGHT_EDGES = (20, 40, 64, 128)
LENGTH_EDGES = (3, 4, 5, 6, 7, 8, 10)


def _range_label(value: int, edges: Sequence[int], unit: str) -> str:
    low = 0 if unit == "px" else 1
    for edge in edges:
        if value < edge:
            return f"{low}–{edge - 1} {unit}" if edge - 1 > low else f"{low} {unit}"
        low = edge
    return f"≥ {low} {unit}"


BREAKDOWNS: dict[str, Callable[[SampleRecord], str]] = {
    "height": lambda r: _range_label(r.height, HEIGHT_EDGES, "px"),
    "length": lambda r: _range_label(len(r.truth), LENGTH_EDGES, "chars"),
    "style": lambda r: r.style or "unknown",
}


@dataclass(frozen=True)
class Bucket:
    name: str
    n: int
    acc36: float  # nan when no record of the bucket has a scorable acc36 label
    acc_case: float
    first: int  # ordering key: smallest height / length seen in the bucket


def breakdown(records: Sequence[SampleRecord], by: str) -> list[Bucket]:
    """One row per bucket of ``by`` (a key of ``BREAKDOWNS``), in natural order."""
    if by not in BREAKDOWNS:
        raise ValueError(f"Unknown breakdown {by!r}; choose from {sorted(BREAKDOWNS)}.")
    key = BREAKDOWNS[by]
    groups: dict[str, list[SampleRecord]] = {}
    for record in records:
        groups.setdefault(key(record), []).append(record)
    buckets = []
    for name, group in groups.items():
        scored = [r.correct_acc36 for r in group if r.correct_acc36 is not None]
        order = {"height": min(r.height for r in group), "length": min(len(r.truth) for r in group)}
        buckets.append(
            Bucket(
                name=name,
                n=len(group),
                acc36=sum(scored) / len(scored) if scored else float("nan"),
                acc_case=sum(r.correct_case for r in group) / len(group),
                first=order.get(by, 0),
            )
        )
    return sorted(buckets, key=lambda b: (b.first, b.name))


def format_breakdown(records: Sequence[SampleRecord], by: str) -> str:
    rows = [
        [b.name, b.n, f"{100 * b.acc36:.2f} %", f"{100 * b.acc_case:.2f} %"]
        for b in breakdown(records, by)
    ]
    return markdown_table([by, "n", "acc36", "acc_case"], rows)
