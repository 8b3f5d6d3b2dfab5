"""The dashboard on a real analysis folder written by ``crnn_core.analysis`` (not the fake)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dashboard_support import APP, make_tiny_artifacts, word_png
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from crnn_core.analysis.command import analyze
    from crnn_core.analysis.pipeline import AnalysisConfig

    root = make_tiny_artifacts(tmp_path_factory.mktemp("artifacts"))
    analyze(["synthetic:16"], root / "analysis", root, AnalysisConfig(progress=False))
    return root


@pytest.fixture()
def app(artifacts: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CRNN_ARTIFACTS", str(artifacts))
    return AppTest.from_file(APP, default_timeout=180).run()


def test_clusters_reads_the_real_summary(app: AppTest, artifacts: Path) -> None:
    from crnn_core.analysis import load_analysis

    analysis = load_analysis(artifacts / "analysis")
    app.switch_page("views/clusters.py").run()
    assert not app.exception, [e.value for e in app.exception]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Frames"] == f"{len(analysis.frames):,}"
    assert metrics["Clusters (K)"] == str(analysis.summary["k"])
    purity = analysis.summary["scores"]["purity"]["all"]
    assert metrics["Purity · all"] == f"{purity:.3f}"
    assert len(app.get("plotly_chart")) == 1  # the map; the heatmap's tab is not open
    app.session_state["clusters_tab"] = "Cluster × character"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert len(app.get("plotly_chart")) == 1


def test_evaluation_scores_the_real_images(app: AppTest) -> None:
    app.switch_page("views/evaluation.py").run()
    assert not app.exception, [e.value for e in app.exception]
    table = next(d.value for d in app.dataframe if "dataset" in d.value.columns)
    assert table["n"].sum() == 16


def test_upload_is_placed_on_the_real_map(app: AppTest) -> None:
    app.file_uploader[0].set_value(("word.png", word_png(), "image/png")).run()
    app.session_state["detail_tab"] = "On the cluster map"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not [i for i in app.info if "No cluster map" in i.value]
    assert len(app.get("plotly_chart")) == 1  # the placement map (tabs are lazy)
