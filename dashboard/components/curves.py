"""Training curves from the manifest."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.components import PALETTE

__all__ = ["learning_curve_figure"]


def learning_curve_figure(training: Sequence[dict[str, Any]]) -> go.Figure | None:
    """Validation curves of every training stage, one after the other (steps offset), from the
    manifest's ``training[*].validation_curve`` records (``step``, ``<dataset>/acc36`` ...)."""
    rows, offset, boundaries = [], 0, []
    for stage, entry in enumerate(training):
        curve = entry.get("validation_curve") or []
        for record in curve:
            for key, value in record.items():
                if "/" in key and isinstance(value, int | float):
                    rows.append(
                        {
                            "step": offset + int(record.get("step", 0)),
                            "metric": key,
                            "value": float(value),
                            "stage": stage,
                        }
                    )
        if curve:
            offset += max(int(r.get("step", 0)) for r in curve)
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
        xaxis={"title": "training step (stages concatenated)"},
        yaxis={"title": "accuracy", "range": [0, 1], "tickformat": ".0%"},
    )
    return fig
