"""The cluster × character heatmap, sorted by the matching so its diagonal reads as a legend.

Columns: the characters the matching named a cluster after, in ``char_groups`` order (digits,
capitals, lower case, punctuation), then the characters no cluster is named after, by frames.
Rows: the cluster named after each of those characters, in the same order, so named pairs lie
on the diagonal; then the unnamed clusters, each below the column of its most common character.
Every row and column is labelled (one tick per category, font big enough to read) and the axes
say what they hold.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.components import char_groups

__all__ = ["contingency_figure", "matching_order"]

ROW_PX = 15
"""Height of one cluster row: tick labels of 11 px stay apart."""


def matching_order(table: pd.DataFrame, matched: Mapping[int, str]) -> tuple[list[int], list[str]]:
    """``(cluster order, character order)`` of ``table`` (clusters × characters) as described
    in the module doc; names in ``matched`` that are not columns of ``table`` are ignored."""
    columns = [str(c) for c in table.columns]
    named = {int(k): str(v) for k, v in matched.items() if str(v) in columns and k in table.index}
    named_chars = char_groups.char_order(named.values())
    totals = pd.Series(table.to_numpy().sum(axis=0), index=columns)
    rest = totals.drop(named_chars).sort_values(ascending=False, kind="stable").index.tolist()
    char_order = named_chars + rest
    by_char = {char: cluster for cluster, char in named.items()}
    row_order = [by_char[char] for char in named_chars]
    position = {char: i for i, char in enumerate(char_order)}
    counts = table.set_axis(columns, axis=1)
    unnamed = [int(c) for c in table.index if int(c) not in named]
    unnamed.sort(
        key=lambda c: (position[str(counts.loc[c].idxmax())], -int(counts.loc[c].max()), c)
    )
    return row_order + unnamed, char_order


def contingency_figure(
    table: pd.DataFrame, normalise: bool = True, matched: Mapping[int, str] | None = None
) -> go.Figure:
    """Heatmap of ``table`` (rows cluster ids, columns display characters, frame counts);
    ``normalise``: each row as shares of its cluster; ``matched``: cluster → named character."""
    matched = matched or {}
    rows, chars = matching_order(table, matched)
    counts = table.set_axis([str(c) for c in table.columns], axis=1).loc[rows, chars]
    values = counts.to_numpy(dtype=np.float64)
    z = values / np.maximum(values.sum(axis=1, keepdims=True), 1) if normalise else values
    labels = [f"{r} → {matched[r]}" if r in matched else f"{r}" for r in rows]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=chars,
            y=labels,
            colorscale="Blues",
            customdata=values,
            colorbar={"title": {"text": "share of cluster" if normalise else "frames"}},
            hovertemplate="cluster %{y} · character %{x}<br>share %{z:.2f} · "
            "%{customdata:.0f} frames<extra></extra>",
        )
    )
    tick = {"type": "category", "tickmode": "linear", "dtick": 1, "tickfont": {"size": 11}}
    fig.update_layout(
        height=max(420, ROW_PX * len(rows) + 140),
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis=tick
        | {"automargin": True}
        | {
            "title": {"text": "greedy character of the frames (named characters first)"},
            "side": "top",
            "tickangle": 0,
        },
        yaxis=tick
        | {
            "automargin": True,
            "title": {"text": "KMeans cluster → the character it is named after"},
            "autorange": "reversed",
        },
    )
    return fig
