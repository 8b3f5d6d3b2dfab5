"""The Plotly chunk preload: found in the installed Streamlit, refused for any other name."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.components import chart_preload


def test_the_installed_streamlit_has_the_plotly_chunk_the_preload_names() -> None:
    chunk = chart_preload.plotly_chunk()
    assert chunk is not None, "Streamlit renamed its Plotly chunk: the preload sends nothing"
    assert (chart_preload.STATIC_JS / chunk).stat().st_size > 1_000_000  # plotly.js itself
    assert f'"{chunk}"' in chart_preload.preload_script(chunk)


def test_no_chunk_no_script(tmp_path: Path) -> None:
    (tmp_path / "PlotlyChart.js").write_text("")  # no hash: not Streamlit's naming
    assert chart_preload.plotly_chunk(tmp_path) is None


@pytest.mark.parametrize("name", ['PlotlyChart.a".js', "../x.js", "PlotlyChart.a.js<"])
def test_a_name_that_is_not_a_chunk_never_reaches_the_script(name: str) -> None:
    with pytest.raises(ValueError):
        chart_preload.preload_script(name)
