"""Recognize page: select a box on the photo (Plotly box select, or two range sliders) and read
only the selection.

The sliders are the box's state; a box drawn on the preview is copied into them before they are
drawn (Streamlit stores the chart's selection under its key before the script runs), so both
ways of choosing stay in step and the sliders can fine-tune a drawn box.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from dashboard import photo
from dashboard.crop_box import Box, box_from_selection

__all__ = ["crop_controls"]

PREVIEW_SIDE = 600
TOGGLE, CHART, COLUMNS, ROWS, SEEN = "crop_on", "crop_select", "crop_x", "crop_y", "crop_seen"


def _preview(shown: np.ndarray, box: Box) -> go.Figure:
    height, width = shown.shape[:2]
    left, top, right, bottom = box
    fig = go.Figure(go.Image(z=shown, hoverinfo="skip"))
    fig.add_shape(
        type="rect", x0=left * width, x1=right * width, y0=top * height, y1=bottom * height,
        line={"color": "#ff5000", "width": 3},
    )  # fmt: skip
    # An invisible grid of points lets box select report its corners over the whole image.
    xs, ys = np.meshgrid(np.linspace(0, width, 24), np.linspace(0, height, 12))
    fig.add_trace(
        go.Scatter(x=xs.ravel(), y=ys.ravel(), mode="markers", marker={"opacity": 0},
                   hoverinfo="skip", showlegend=False)
    )  # fmt: skip
    fig.update_layout(
        dragmode="select",
        height=min(420, max(160, int(360 * height / max(width, 1)))),
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        xaxis={"visible": False, "range": [0, width]},
        yaxis={"visible": False, "range": [height, 0], "scaleanchor": "x"},
    )
    return fig


def _pair(value: object) -> tuple[int, int]:
    low, high = value if isinstance(value, tuple | list) else (0, 100)
    return int(low), int(high)


def crop_controls(data: bytes) -> Box | None:
    """The selected box as fractions of the photo ``data``, or ``None`` when cropping is off,
    the photo cannot be shown, or the box is the whole photo."""
    if not st.toggle("Select a box to read", key=TOGGLE, help="For a photo with several words."):
        return None
    try:
        shown = photo.viewable(data, side=PREVIEW_SIDE)
    except Exception:  # the model read it; only the preview (and so the crop) fails
        st.caption("This image cannot be shown, so no box can be drawn on it.")
        return None
    drawn = box_from_selection(st.session_state.get(CHART), shown.shape[1::-1])
    if drawn is not None and drawn != st.session_state.get(SEEN):
        st.session_state[SEEN] = drawn
        st.session_state[COLUMNS] = (round(drawn[0] * 100), round(drawn[2] * 100))
        st.session_state[ROWS] = (round(drawn[1] * 100), round(drawn[3] * 100))
    st.session_state.setdefault(COLUMNS, (0, 100))  # defaults via state: a drawn box sets them
    st.session_state.setdefault(ROWS, (0, 100))
    x0, x1 = _pair(st.slider("Box: left – right (% of width)", 0, 100, key=COLUMNS))
    y0, y1 = _pair(st.slider("Box: top – bottom (% of height)", 0, 100, key=ROWS))
    box: Box = (x0 / 100, y0 / 100, max(x1, x0 + 1) / 100, max(y1, y0 + 1) / 100)
    st.caption("Drag on the photo to draw the box (box select), or move the sliders.")
    st.plotly_chart(
        _preview(shown, box), key=CHART, on_select="rerun", selection_mode="box",
        config={"displayModeBar": False},
    )  # fmt: skip
    return None if box == (0.0, 0.0, 1.0, 1.0) else box
