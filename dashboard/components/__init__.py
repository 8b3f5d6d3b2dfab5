"""Plotly figures for the pages (no Streamlit here), one module per kind of view."""

from __future__ import annotations

from plotly import colors as pcolors

__all__ = ["PALETTE"]

PALETTE: list[str] = (
    pcolors.qualitative.Dark24 + pcolors.qualitative.Light24 + pcolors.qualitative.Alphabet
)
"""Enough distinct colours for every class of the 94-character charset."""
