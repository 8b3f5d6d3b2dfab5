"""Training curves from the manifest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.components import PALETTE

__all__ = ["has_cpu_hours", "learning_curve_figure"]


def has_cpu_hours(training: Sequence[dict[str, Any]]) -> bool:
    """True when every stage says how many CPU-hours it took (measured or estimated)."""
    return bool(training) and all(e.get("cpu_hours") is not None for e in training)


def _record_x(record: dict[str, Any], entry: dict[str, Any], last_step: int, cpu: bool) -> float:
    """The record's position within its stage: steps, or CPU-hours (measured per record, or
    spread linearly over the stage's steps when only the stage total is known)."""
    if not cpu:
        return float(record.get("step", 0))
    if "cpu_seconds" in record:
        return float(record["cpu_seconds"]) / 3600
    return float(entry["cpu_hours"]) * int(record.get("step", 0)) / max(last_step, 1)


def learning_curve_figure(
    training: Sequence[dict[str, Any]], x_axis: str = "steps"
) -> go.Figure | None:
    """Validation curves of every training stage, one after the other, from the manifest's
    ``training[*].validation_curve`` records (``step``, ``<dataset>/acc36`` ...); ``x_axis`` is
    ``steps`` or ``cpu`` (cumulative CPU-hours, when every stage records them)."""
    cpu = x_axis == "cpu" and has_cpu_hours(training)
    rows, offset, boundaries = [], 0.0, []
    for stage, entry in enumerate(training):
        curve = entry.get("validation_curve") or []
        last_step = max((int(r.get("step", 0)) for r in curve), default=0)
        for record in curve:
            for key, value in record.items():
                if "/" in key and isinstance(value, int | float):
                    rows.append(
                        {
                            "step": offset + _record_x(record, entry, last_step, cpu),
                            "metric": key,
                            "value": float(value),
                            "stage": stage,
                        }
                    )
        if curve:
            offset += float(entry["cpu_hours"]) if cpu else last_step
            boundaries.append(offset)
    if not rows:
        return None
    data = pd.DataFrame(rows)
    fig = go.Figure()
    for i, (metric, group) in enumerate(data.groupby("metric", sort=True)):
        fig.add_trace(
            go.Scatter(
                x=group["step"],
                y=group["value"],
                name=str(metric),
                mode="lines+markers",
                line={
                    "color": PALETTE[i % len(PALETTE)],
                    "dash": "dot" if "case" in metric else None,
                },
            )
        )
    for boundary in boundaries[:-1]:
        fig.add_vline(x=boundary, line_dash="dash", line_color="grey")
    fig.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        hovermode="x unified",
        xaxis={
            "title": "cumulative CPU-hours (2-core machine)"
            if cpu
            else "training step (stages concatenated)"
        },
        yaxis={"title": "accuracy", "range": [0, 1], "tickformat": ".0%"},
    )
    return fig
