"""Readable pieces of ``artifacts/manifest.json`` for the Model page (no Streamlit here).

The manifest grows as training sessions add fields, so every reader here tolerates missing keys.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["display_path", "metrics_table", "stage_data", "stage_summary"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def stage_summary(entry: dict[str, Any]) -> str:
    """One line per training stage: which weights were kept, at which step, steps run."""
    parts = [f"weights: `{entry.get('weights', '?')}`"]
    best = entry.get("best")
    if isinstance(best, dict) and "step" in best:
        score = best.get("score")
        parts.append(
            f"best at step {int(best['step']):,}"
            + (f" (validation score {float(score):.3f})" if score is not None else "")
        )
    if entry.get("completed_steps") is not None:
        parts.append(f"{int(entry['completed_steps']):,} steps run")
    return " · ".join(parts)


def stage_data(entry: dict[str, Any]) -> pd.DataFrame | None:
    """The stage's training data: ``data_sources.sources`` (with counts) or ``config.data``."""
    sources = (entry.get("data_sources") or {}).get("sources")
    if isinstance(sources, list) and sources:
        table = pd.DataFrame(sources)
        keep = [c for c in ("name", "path", "ratio", "train", "heldout") if c in table]
        return table[keep].astype(object).where(table[keep].notna(), "")
    data = (entry.get("config") or {}).get("data")
    if not data:
        return None
    table = pd.DataFrame(data)
    if table.shape[1] == 2:
        table.columns = ["source", "ratio"]
    return table


def metrics_table(metrics: Any) -> pd.DataFrame | None:
    """``evaluate --json`` figures (``{"datasets": {name: {n, acc36, ...}}}``) as rows."""
    if isinstance(metrics, dict) and isinstance(metrics.get("datasets"), dict):
        return pd.DataFrame.from_dict(metrics["datasets"], orient="index")
    return None


def display_path(path: Path) -> str:
    """``path`` relative to the repository when inside it (``artifacts``), else absolute."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
