"""Plotly charts of an evaluated user zip: the character confusion matrix and accuracy per
bucket (word length, image height)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

__all__ = ["accuracy_figure", "confusion_figure"]


def confusion_figure(matrix: pd.DataFrame) -> go.Figure:
    """Truth × reading counts; the diagonal (right characters) is drawn grey so the colour scale
    is spent on the errors."""
    values = matrix.to_numpy(dtype=float)
    errors = values.copy()
    np.fill_diagonal(errors, np.nan)
    right = np.full_like(values, np.nan)
    np.fill_diagonal(right, np.diag(values))
    labels = [str(c) for c in matrix.columns]
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            z=right, x=labels, y=labels, colorscale=[[0, "#dddddd"], [1, "#dddddd"]],
            showscale=False, hovertemplate="%{y} read right: %{z:d}<extra></extra>",
        )
    )  # fmt: skip
    fig.add_trace(
        go.Heatmap(
            z=np.where(errors > 0, errors, np.nan), x=labels, y=labels, colorscale="Reds",
            colorbar={"title": "errors"}, text=np.where(errors > 0, errors, np.nan),
            texttemplate="%{text:d}",
            hovertemplate="truth %{y} read as %{x}: %{z:d}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        height=max(320, 22 * len(labels) + 120),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"title": "read as (∅: dropped)", "type": "category", "side": "top"},
        yaxis={"title": "truth (∅: inserted)", "type": "category", "autorange": "reversed"},
    )
    return fig


def accuracy_figure(table: pd.DataFrame, title: str) -> go.Figure:
    """acc36 per bucket as bars, labelled with the bucket's image count."""
    fig = go.Figure(
        go.Bar(
            x=table["bucket"], y=table["acc36"], text=[f"n = {n}" for n in table["n"]],
            textposition="outside", marker_color="#1f77b4",
            hovertemplate="%{x}: acc36 %{y:.1%} (%{text})<extra></extra>",
        )
    )  # fmt: skip
    fig.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"title": title, "type": "category"},
        yaxis={"title": "acc36", "range": [0, 1.12], "tickformat": ".0%"},
    )
    return fig
