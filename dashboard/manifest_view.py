"""Readable pieces of ``artifacts/manifest.json`` for the Model page (no Streamlit here).

The manifest grows as training sessions add fields, so every reader here tolerates missing keys.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pandas as pd

from dashboard.text import REPO_ROOT as REPO_ROOT  # re-exported for callers and tests
from dashboard.text import display_path, literal

__all__ = [
    "display_path",
    "metrics_reports",
    "metrics_table",
    "report_caption",
    "stage_data",
    "stage_summary",
]


def stage_summary(entry: dict[str, Any]) -> str:
    """One line per training stage: its run folder's name (the docs call stages by it; runs that
    were not shipped leave gaps in the numbering), which weights were kept, steps run."""
    parts = [f"weights: {literal(entry.get('weights', '?'))}"]
    run_dir = (entry.get("config") or {}).get("run_dir")
    if isinstance(run_dir, str) and run_dir.strip():
        parts.insert(0, f"run {literal(PurePosixPath(run_dir.replace(chr(92), '/')).name)}")
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
        return _typed_columns(table[keep])
    data = (entry.get("config") or {}).get("data")
    if not data:
        return None
    table = pd.DataFrame(data)
    if table.shape[1] == 2:
        table.columns = ["source", "ratio"]
    return table


def _typed_columns(table: pd.DataFrame) -> pd.DataFrame:
    """One type per column, as Arrow needs (a column mixing 1800 and "" logs an
    ``ArrowTypeError`` and shows "1800.0"): counts as nullable integers, text as strings,
    paths without the server's absolute prefix."""
    out = pd.DataFrame(index=table.index)
    for column in table:
        values = table[column]
        numbers = pd.to_numeric(values, errors="coerce")
        if column in ("train", "heldout") and numbers.notna().sum() == values.notna().sum():
            out[column] = numbers.round().astype("Int64")
        elif column == "ratio" and numbers.notna().sum() == values.notna().sum():
            out[column] = numbers.astype("Float64")
        else:
            shown = values.map(lambda v: "" if pd.isna(v) else str(v))
            out[column] = shown.map(display_path) if column == "path" else shown
            out[column] = out[column].astype("string")
    return out


RATE_COLUMNS = ("acc36", "acc_case", "one_minus_ned", "cer", "mean_confidence")
TABLE_COLUMNS = ("n", *RATE_COLUMNS, "ms_per_word")


def metrics_reports(metrics: Any) -> list[tuple[str, dict[str, Any]]]:
    """The evaluation reports of a manifest's ``metrics``, as ``(name, report)``.

    ``evaluate --record KEY`` stores ``metrics[KEY] = report``; ``export --metrics`` stores one
    report as ``metrics`` itself. A report is ``evaluate --json`` output (``decoder``,
    ``datasets: {name: {n, acc36, ...}}``, optional ``combined``, ``command``, ``model_sha256``).
    """
    if not isinstance(metrics, dict):
        return []
    if isinstance(metrics.get("datasets"), dict):
        return [("evaluation", metrics)]
    return [
        (str(k), v)
        for k, v in metrics.items()
        if isinstance(v, dict) and isinstance(v.get("datasets"), dict)
    ]


def metrics_table(report: dict[str, Any]) -> pd.DataFrame:
    """One row per dataset (plus ``combined``): n, rates in [0, 1], ms/word."""
    rows = dict(report.get("datasets", {}))
    if isinstance(report.get("combined"), dict):
        rows["combined"] = report["combined"]
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table[[c for c in TABLE_COLUMNS if c in table]]


def report_caption(report: dict[str, Any], current_sha256: str | None) -> str:
    """Decoder, beam width / lexicon, and whether the report is about another model."""
    parts = [f"decoder: {literal(report.get('decoder', '?'))}"]
    if report.get("beam_width"):
        parts.append(f"beam width {report['beam_width']}")
    if report.get("lexicon"):
        parts.append(f"lexicon {literal(display_path(str(report['lexicon'])))}")
    measured = report.get("model_sha256")
    if measured and current_sha256 and measured != current_sha256:
        parts.append(f"measured on another model ({str(measured)[:12]}…)")
    return " · ".join(parts)
