"""Recognize page: "what does it really say?" — the typed truth force-aligned under the image.

Shows log P(typed | image) against log P(read | image) (both exact), each text's best frame
path on the image's own column axis, and the frames where the two paths part.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from crnn_core.analysis.export import class_display
from crnn_core.charset import Charset
from crnn_core.geometry import DOWNSAMPLE
from dashboard.text import literal, md_escape
from dashboard.typed_truth import Comparison, TypedTextError, compare, spans

__all__ = ["forced_alignment_figure", "show_comparison", "show_forced_alignment"]


def forced_alignment_figure(
    image: np.ndarray, comparison: Comparison, charset: Charset
) -> go.Figure:
    """The model input, then one row per text: the class each frame emits on its best path,
    coloured by that class's probability; the parting frames are shaded."""
    symbols = class_display(charset)
    width = image.shape[1]
    rows = [("typed", comparison.typed), ("read", comparison.read)]
    frames = comparison.logp.shape[0]
    centres = np.arange(frames) * DOWNSAMPLE + DOWNSAMPLE / 2 - 0.5
    z, text, hover = [], [], []
    for name, al in rows:
        path = np.array(al.path, dtype=np.int64)
        probs = np.exp(comparison.logp[np.arange(frames), path])
        z.append(probs)
        text.append([symbols[c] for c in path])
        hover.append(
            [
                f"{name}: frame {t} (columns {DOWNSAMPLE * t}–{DOWNSAMPLE * t + 3}) emits "
                f"{symbols[c]}" + (f" (character {j + 1})" if j >= 0 else " (blank)")
                + f" · P = {p:.3f}"
                for t, (c, j, p) in enumerate(zip(path, al.char_index, probs, strict=True))
            ]
        )  # fmt: skip
    labels = [f"typed: {comparison.typed_text or '(empty)'}", f"read: {comparison.read_text}"]
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(z=image, colorscale="gray", showscale=False, yaxis="y2", hoverinfo="skip")
    )
    fig.add_trace(
        go.Heatmap(
            z=z, x=centres, y=labels, text=text, texttemplate="%{text}", customdata=hover,
            hovertemplate="%{customdata}<extra></extra>", colorscale="Viridis", zmin=0, zmax=1,
            colorbar={"title": "P", "len": 0.5, "y": 0.25}, xgap=1, ygap=2,
        )
    )  # fmt: skip
    for first, last in spans(list(comparison.parting["frame"])):
        fig.add_vrect(
            x0=DOWNSAMPLE * first - 0.5, x1=DOWNSAMPLE * (last + 1) - 0.5,
            fillcolor="rgba(255,80,0,0.25)", line_width=0,
        )  # fmt: skip
    fig.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        xaxis={"range": [-0.5, width - 0.5], "title": "image column (px) · frame = column // 4"},
        yaxis={"domain": [0.0, 0.52], "type": "category", "autorange": "reversed"},
        yaxis2={"domain": [0.58, 1.0], "autorange": "reversed", "showticklabels": False},
    )
    return fig


def _summary(comparison: Comparison) -> str:
    runs = spans(list(comparison.parting["frame"]))
    where = ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in runs)
    gap = comparison.read.log_prob - comparison.typed.log_prob
    if not runs:
        return "Both texts take the same best path through the frames."
    likelier = "the reading" if gap > 0 else "the typed text"
    ratio = float(np.exp(min(abs(gap), 700.0)))
    plural = "s" if len(comparison.parting) > 1 else ""
    return (
        f"The best paths part at frame{plural} {where}; over the whole image {likelier} is "
        f"{ratio:.3g} times as likely (log-ratio {abs(gap):.3f})."
    )


def show_comparison(image: np.ndarray, comparison: Comparison, charset: Charset, key: str) -> None:
    """Both log-probabilities, the two paths under the image and the table of parting frames."""
    if comparison.note:
        st.caption(comparison.note)
    st.caption(
        f"typed {literal(comparison.typed_text or '(empty)')} · read "
        f"{literal(comparison.read_text or '(empty)')}"
    )
    c1, c2, c3 = st.columns(3)
    c1.metric("log P(typed | image)", f"{comparison.typed.log_prob:.3f}")
    c2.metric("log P(read | image)", f"{comparison.read.log_prob:.3f}")
    c3.metric("Parting frames", len(comparison.parting))
    if comparison.typed_text == comparison.read_text:
        st.success("That is what the model read.", icon=":material/check_circle:")
    else:
        st.markdown(_summary(comparison))
    st.plotly_chart(forced_alignment_figure(image, comparison, charset), key=f"{key}_figure")
    if len(comparison.parting):
        st.dataframe(
            comparison.parting,
            hide_index=True,
            key=f"{key}_parting",
            column_config={
                "P(typed)": st.column_config.NumberColumn(format="%.4f"),
                "P(read)": st.column_config.NumberColumn(format="%.4f"),
                "log P(read) − log P(typed)": st.column_config.NumberColumn(format="%.3f"),
            },
        )


def show_forced_alignment(
    image: np.ndarray, logits: np.ndarray, read_text: str, charset: Charset, key: str = "typed"
) -> None:
    """A text box for what the word really says, then the comparison (or why it is impossible)."""
    st.subheader("What does it really say?")
    typed = st.text_input(
        "Type the true text to see why the model read something else",
        key=key,
        max_chars=100,
        placeholder="e.g. the word as printed",
    )
    if not typed.strip():
        st.caption(
            "The typed text is aligned to the same frames as the reading (best CTC path, exact "
            "log-probabilities), and the frames where the two paths part are marked."
        )
        return
    try:
        comparison = compare(logits, read_text, typed, charset)
    except TypedTextError as exc:
        st.warning(
            f"{literal(typed)} cannot be aligned: {md_escape(exc, limit=400)}",
            icon=":material/block:",
        )
        return
    show_comparison(image, comparison, charset, key)
