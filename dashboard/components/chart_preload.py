"""Load the browser's chart library while the user reads the first page.

Why: Streamlit fetches and runs Plotly (a 4.7 MB script chunk) only when a page first shows a
Plotly chart, so the Clusters map waited for it on every new browser tab (bench/README.md). The
app asks the browser to import that chunk when it is idle; the first chart then finds it loaded.
Streamlit names its chunks by a content hash, so the name is read from the installed package;
with a Streamlit that names or bundles it differently, nothing is sent and nothing changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

__all__ = ["plotly_chunk", "preload_plotly", "preload_script"]

STATIC_JS = Path(st.__file__).resolve().parent / "static" / "static" / "js"
CHUNK_NAME = re.compile(r"PlotlyChart\.[A-Za-z0-9_-]+\.js")


def plotly_chunk(static_js: Path = STATIC_JS) -> str | None:
    """File name of the installed Streamlit's Plotly chart chunk, or ``None``."""
    names = sorted(p.name for p in static_js.glob("PlotlyChart.*.js"))
    return next((n for n in names if CHUNK_NAME.fullmatch(n)), None)


def preload_script(chunk: str) -> str:
    """A script that imports ``chunk`` (a name matching ``CHUNK_NAME``) when the browser is
    idle, resolved next to Streamlit's own entry script, so any base URL path works."""
    if not CHUNK_NAME.fullmatch(chunk):
        raise ValueError(f"not a Plotly chunk name: {chunk!r}")
    return f"""<script>
(() => {{
  const main = [...document.querySelectorAll("script[src]")]
    .find((s) => /\\/static\\/js\\/index\\.[^/]*\\.js/.test(s.src));
  if (!main || window.__crnnPlotlyPreload) return;
  window.__crnnPlotlyPreload = true;
  const load = () => import(new URL("{chunk}", main.src).href).catch(() => {{}});
  (window.requestIdleCallback || ((f) => setTimeout(f, 500)))(load, {{ timeout: 2000 }});
}})();
</script>"""


def preload_plotly() -> None:
    """Send the preload script once per page (an empty element at the end of the sidebar)."""
    chunk = plotly_chunk()
    if chunk is not None:
        st.sidebar.html(preload_script(chunk), unsafe_allow_javascript=True)
