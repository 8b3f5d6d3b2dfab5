"""The alignment view: which image columns each CTC frame saw and what it predicted there.

One shared x axis in pixel columns of the model input (frame t covers ``[4t, 4t+4)``), so a
hover line through the image, the probability heatmap and the uncertainty timeline always points
at the same place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crnn_core.charset import Charset
from crnn_core.decode import log_softmax
from dashboard.recognition import BLANK_SYMBOL

__all__ = ["alignment_figure"]

STATS = (
    ("entropy", "entropy (nats)", "#d62728"),
    ("margin", "top-1 − top-2", "#1f77b4"),
    ("blank_prob", "P(blank)", "#7f7f7f"),
    ("max_prob", "max prob", "#2ca02c"),
)


def _first_peak(probs: np.ndarray, c: int) -> int:
    """First frame where class ``c`` is the most likely one, else its most likely frame."""
    top = np.flatnonzero(probs.argmax(axis=1) == c)
    return int(top[0]) if top.size else int(probs[:, c].argmax())


def alignment_figure(
    image: np.ndarray, logits: np.ndarray, frames: pd.DataFrame, charset: Charset, top: int = 8
) -> go.Figure:
    """Image (pixel columns), per-frame probabilities of the ``top`` classes, and a timeline of
    entropy / margin / blank probability, on one x axis in pixel columns (frame t = [4t, 4t+4))."""
    probs = (
        np.exp(log_softmax(logits[None])[0]) if len(logits) else np.zeros((0, charset.num_classes))
    )
    peak = probs.max(axis=0) if len(probs) else np.zeros(charset.num_classes)
    # blank first, then the likeliest characters in the order they peak (reads like the word)
    chars = [int(c) for c in np.argsort(-peak)[:top] if c != 0]
    classes = np.array([0, *sorted(chars, key=lambda c: (_first_peak(probs, c), c))])
    symbols = [BLANK_SYMBOL, *charset.characters]
    names = [symbols[c] for c in classes]
    centres = frames["col_start"].to_numpy() + 2.0
    spans = frames[["t", "col_start", "col_end"]].to_numpy()
    height, width = image.shape
    col_frame = np.repeat(np.arange(width)[None, :] // 4, height, axis=0)

    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(
            z=image,
            x=np.arange(width),
            y=np.arange(height),
            colorscale="gray",
            showscale=False,
            customdata=col_frame,
            xaxis="x",
            yaxis="y3",
            hovertemplate="column %{x} · frame %{customdata}<extra></extra>",
        )
    )
    edges_x = np.repeat(np.arange(0, width + 1, 4, dtype=float), 3)
    edges_x[2::3] = np.nan
    edges_y = np.tile([0.0, height - 1.0, np.nan], len(edges_x) // 3) - 0.5
    fig.add_trace(
        go.Scatter(
            x=edges_x - 0.5,
            y=edges_y + 0.5,
            mode="lines",
            yaxis="y3",
            hoverinfo="skip",
            line={"color": "rgba(255,80,0,0.45)", "width": 1},
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Heatmap(
            z=probs[:, classes].T if len(probs) else np.zeros((len(classes), 0)),
            x=centres,
            y=names,
            colorscale="Viridis",
            zmin=0,
            zmax=1,
            yaxis="y2",
            customdata=np.repeat(spans[None], len(classes), axis=0),
            colorbar={"title": "P", "len": 0.35, "y": 0.55},
            hovertemplate="frame %{customdata[0]} (columns %{customdata[1]}–%{customdata[2]})"
            "<br>P(%{y}) = %{z:.3f}<extra></extra>",
        )
    )
    for key, label, colour in STATS:
        fig.add_trace(
            go.Scatter(
                x=centres,
                y=frames[key],
                name=label,
                mode="lines+markers",
                yaxis="y",
                line={"color": colour, "width": 2},
                marker={"size": 4},
                customdata=spans,
                hovertemplate=f"{label}: %{{y:.3f}} · frame %{{customdata[0]}}<extra></extra>",
            )
        )
    spike = {"showspikes": True, "spikemode": "across", "spikesnap": "cursor", "spikethickness": 1}
    fig.update_layout(
        height=520,
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        hovermode="closest",
        xaxis={
            "range": [-0.5, width - 0.5],
            "title": "image column (px) · frame = column // 4",
            "anchor": "y",
            **spike,
        },
        yaxis3={"domain": [0.76, 1.0], "autorange": "reversed", "showticklabels": False},
        yaxis2={
            "domain": [0.33, 0.74],
            "title": "char",
            "type": "category",
            "autorange": "reversed",
        },
        yaxis={
            "domain": [0.0, 0.29],
            "title": "",
            "range": [0, max(1.05, float(frames["entropy"].max()) * 1.05 if len(frames) else 1.05)],
        },
        legend={"orientation": "h", "y": -0.12},
    )
    return fig
