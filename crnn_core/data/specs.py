"""The one grammar of ``--data`` arguments, parsed here for train, evaluate and analyze.

::

    SPEC    := [NAME "="] SOURCE ["=" WEIGHT]
    SOURCE  := PATH (a labels.tsv folder or an LMDB) | "synthetic" | "synthetic:" N

* ``NAME=`` names a dataset in tables (``ic03=../shared/data/ic03_860``); an existing path always
  wins, so a folder whose name contains ``=`` still opens.
* ``=WEIGHT`` is a mixing weight, read only where a mixture is meant (``train.py --data``):
  ``synthetic=0.8 ../shared/data/iiit5k_train=0.2``.
* ``synthetic:N`` is the first N seeded synthetic words (evaluate, analyze); plain ``synthetic``
  is the endless training stream.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "SYNTHETIC",
    "SYNTHETIC_SPEC",
    "DataSpec",
    "parse_data_spec",
    "parse_ratios",
    "parse_synthetic_spec",
    "parse_weighted_spec",
]

SYNTHETIC = "synthetic"
SYNTHETIC_SPEC = re.compile(r"^synthetic:(\d+)$")


@dataclass(frozen=True)
class DataSpec:
    """A parsed ``--data`` entry: ``path`` (or ``synthetic[:N]``), optional display ``name``."""

    path: str
    name: str | None = None

    @property
    def synthetic_count(self) -> int | None:
        """N for ``synthetic:N`` (when no such path exists), None otherwise."""
        if Path(self.path).exists():
            return None
        return parse_synthetic_spec(self.path)


def parse_synthetic_spec(spec: str | Path) -> int | None:
    """N for ``synthetic:N``, None for anything else."""
    match = SYNTHETIC_SPEC.match(str(spec))
    return int(match.group(1)) if match else None


def parse_data_spec(spec: str | Path) -> DataSpec:
    """``path`` or ``name=path`` (no weight): what the dataset readers open."""
    text = str(spec)
    if not Path(text).exists() and "=" in text:
        name, _, rest = text.partition("=")
        if name and os.sep not in name:
            return DataSpec(rest, name)
    return DataSpec(text)


def parse_weighted_spec(text: str) -> tuple[str, float]:
    """``SOURCE=WEIGHT`` (weight 1 if absent) -> ``(source, weight)``; the source keeps any
    ``name=`` prefix for the reader. Raises ValueError for a weight that is not a number >= 0."""
    source, sep, weight = text.rpartition("=")
    if not sep:
        return text, 1.0
    try:
        value = float(weight)
    except ValueError:
        value = math.nan
    if not source or not math.isfinite(value) or value < 0:
        raise ValueError(f"bad data spec {text!r}: use SOURCE=WEIGHT, e.g. synthetic=0.8")
    return source, value


def parse_ratios(spec: str) -> dict[str, float]:
    """``"synthetic=0.8,ic03=0.2"`` (or ``synthetic=4,ic03=1``) -> ``{name: ratio}`` (raw)."""
    ratios: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        try:
            name, ratio = parse_weighted_spec(part) if "=" in part else ("", math.nan)
        except ValueError:
            name, ratio = "", math.nan
        name = name.strip()
        if not name or not math.isfinite(ratio):
            raise ValueError(f"Bad mixture entry {part!r}: write name=ratio, e.g. 'synthetic=0.8'.")
        if name in ratios:
            raise ValueError(f"Source {name!r} appears twice in mixture {spec!r}.")
        ratios[name] = ratio
    if not ratios:
        raise ValueError(f"Empty mixture {spec!r}: write e.g. 'synthetic=0.8,ic03=0.2'.")
    return ratios
