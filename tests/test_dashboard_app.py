"""Every dashboard page rendered with Streamlit's AppTest on a tiny model made here."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from dashboard_support import (
    APP,
    TIMEOUT,
    FakeAnalysis,
    bad_uploads,
    fake_analysis_api,
    word_png,
)

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest


@pytest.fixture()
def app(artifacts: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("CRNN_ARTIFACTS", str(artifacts))
    return AppTest.from_file(APP, default_timeout=TIMEOUT).run()


def _texts(at: AppTest) -> str:
    return " ".join(str(m.value) for m in [*at.markdown, *at.caption])


def _no_trouble(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_recognize_page_renders_its_widgets(app: AppTest) -> None:
    _no_trouble(app)
    assert app.title[0].value == "Recognize a word"
    assert len(app.file_uploader) == 1 and app.file_uploader[0].accept_multiple_files
    # Every type reaches the server, so a refused one gets its reason on the page.
    assert not app.file_uploader[0].allowed_type
    assert all(t in _texts(app) for t in ("PNG", "JPG", "BMP", "WEBP", "TIFF", "10 MB"))
    assert app.radio(key="decoder").options == [
        "Greedy (best path)",
        "Beam search",
        "Beam + language model",
    ]
    assert app.slider(key="beam_width").disabled  # only active with beam search
    assert app.text_area(key="lexicon") is not None
    assert len(app.button_group) >= 1  # the sample picker


def test_upload_shows_the_recognizers_prediction(app: AppTest, artifacts: Path) -> None:
    from crnn_core.artifacts import load_recognizer

    data = word_png()
    expected = load_recognizer(artifacts).predict([data])[0]
    app.file_uploader[0].set_value(("word.png", data, "image/png")).run()
    _no_trouble(app)
    assert not app.error
    html = " ".join(m.value for m in app.markdown if "prediction" in m.value)
    assert f"data-text='{expected.text}'" in html
    assert "decoder: **greedy**" in _texts(app)
    assert app.metric[0].value == f"{expected.confidence:.1%}"
    assert len(app.get("download_button")) == 2


def test_beam_toggle_changes_the_decoder(app: AppTest, artifacts: Path) -> None:
    from crnn_core.artifacts import load_recognizer

    data = word_png()
    expected = load_recognizer(artifacts).predict([data], decoder="beam", beam_width=7, top_k=3)[0]
    app.file_uploader[0].set_value(("word.png", data, "image/png")).run()
    tables_greedy = len(app.dataframe)
    app.radio(key="decoder").set_value("beam").run()
    app.slider(key="beam_width").set_value(7).run()
    app.slider(key="top_k").set_value(3).run()
    _no_trouble(app)
    assert "decoder: **beam** (beam width 7)" in _texts(app)
    assert not app.slider(key="beam_width").disabled
    assert len(app.dataframe) == tables_greedy + 1  # the top-k candidates table
    candidates = app.dataframe[0].value
    assert list(candidates["text"]) == [c[0] for c in expected.candidates]


def test_reading_is_offered_for_copying(app: AppTest, artifacts: Path) -> None:
    from crnn_core.artifacts import load_recognizer

    data = word_png()
    expected = load_recognizer(artifacts).predict([data])[0].text
    app.file_uploader[0].set_value(("word.png", data, "image/png")).run()
    _no_trouble(app)
    from dashboard.components.copy_button import copy_button_html

    # the button's HTML, text escaped inside its attribute (not st.code: see copy_button)
    assert copy_button_html(expected) in [h.proto.body for h in app.get("html")]


def test_language_model_decoder_is_offered_and_labelled(app: AppTest, artifacts: Path) -> None:
    from crnn_core.artifacts import load_recognizer

    data = word_png()
    expected = load_recognizer(artifacts).predict([data], decoder="beam_lm", beam_width=10)[0]
    app.file_uploader[0].set_value(("word.png", data, "image/png")).run()
    app.radio(key="decoder").set_value("beam_lm").run()
    _no_trouble(app)
    assert "decoder: **beam_lm** (beam width 10)" in _texts(app)
    assert list(app.dataframe[0].value["text"]) == [c[0] for c in expected.candidates]
    assert "fused score" in _texts(app) or "not a probability" in _texts(app)


def test_forced_lexicon_overrides_the_decoder(app: AppTest) -> None:
    app.file_uploader[0].set_value(("word.png", word_png(), "image/png")).run()
    app.radio(key="lexicon_mode").set_value("force").run()
    app.text_area(key="lexicon").input("alpha beta\ngamma").run()
    _no_trouble(app)
    html = " ".join(m.value for m in app.markdown if "prediction" in m.value)
    assert any(f"data-text='{w}'" in html for w in ("alpha", "beta", "gamma"))
    assert "lexicon of 3 words" in _texts(app)


def test_bad_uploads_show_errors_and_the_good_file_still_works(app: AppTest) -> None:
    files = [(name, data, "image/png") for name, data in bad_uploads().items()]
    files.append(("good.png", word_png(), "image/png"))
    app.file_uploader[0].set_value(files).run()
    _no_trouble(app)
    errors = [e.value for e in app.error]
    assert len(errors) == len(files) - 1
    for name in bad_uploads():
        assert any(name in e for e in errors)
    assert any("not an image" in e for e in errors)
    assert any("1×1" in e for e in errors)
    assert any("prediction" in m.value for m in app.markdown)


def test_sample_picker_produces_a_prediction(app: AppTest) -> None:
    picker = app.button_group[0]
    picker.set_value(picker.options[0]).run()
    _no_trouble(app)
    assert any("prediction" in m.value for m in app.markdown)
    assert f"`{picker.options[0]}` · decoder" in _texts(app)  # names shown literally


def test_missing_artifacts_explain_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRNN_ARTIFACTS", str(tmp_path / "nowhere"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _no_trouble(at)
    assert any("could not be loaded" in e.value for e in at.error)
    assert any("export" in c.value for c in at.code)


def test_corrupt_model_file_explains_the_fix(
    artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(artifacts, broken)
    (broken / "model.keras").write_bytes(b"garbage")
    monkeypatch.setenv("CRNN_ARTIFACTS", str(broken))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    _no_trouble(at)
    assert "corrupt" in at.error[0].value or "not a Keras archive" in at.error[0].value
    at.switch_page("views/model.py").run()
    _no_trouble(at)  # the manifest still reads, so the Model page still works


@pytest.mark.parametrize("page", ["views/clusters.py", "views/evaluation.py"])
def test_analysis_pages_degrade_without_an_analysis(app: AppTest, page: str) -> None:
    app.switch_page(page).run()
    _no_trouble(app)
    assert any("analyze" in i.value for i in app.info)


def test_clusters_page_with_an_analysis(with_analysis: FakeAnalysis) -> None:
    frames = with_analysis.frames
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    _no_trouble(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Silhouette · all"] == "0.410"
    assert metrics["Purity · non-blank"] == "0.880"
    assert metrics["Frames"] == f"{len(frames):,}"
    assert at.selectbox(key="colour").options == [
        "KMeans cluster",
        "greedy character",
        "entropy",
        "word correct (greedy, acc36)",
    ]
    # Lazy tabs: the first paint holds the map only; each section runs when its tab opens.
    assert at.session_state["clusters_tab"] == "Map"
    assert len(at.get("plotly_chart")) == 1 and not [s for s in at.selectbox if s.key == "inspect"]
    at.session_state["clusters_tab"] = "Cluster × character"
    at.run()
    _no_trouble(at)
    assert len(at.get("plotly_chart")) == 1 and "Sorted by the matching" in _texts(at)
    at.session_state["clusters_tab"] = "Map"
    at.run()
    mapped = frames["umap_x"].notna()
    assert f"{int((mapped & (frames['greedy_class'] != 0)).sum()):,} frames shown" in _texts(at)
    at.checkbox(key="hide_blank").uncheck().run()
    assert f"{int(mapped.sum()):,} frames shown" in _texts(at)
    at.selectbox(key="colour").set_value("char").run()
    at.session_state["clusters_tab"] = "Cluster inspector"
    at.run()
    at.selectbox(key="inspect").set_value(2).run()
    _no_trouble(at)
    inspector = {m.label: m.value for m in at.metric}
    members = frames[frames["cluster"] == 2]
    assert inspector["Purity"] == f"{(members['greedy_char'] == 'b').mean():.1%}"
    assert inspector["Matched char"] == "b"
    assert len(at.image) >= 1  # example crops of the cluster


def test_clusters_page_states_baselines_and_both_views(with_analysis: FakeAnalysis) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    _no_trouble(at)
    texts = _texts(at)
    assert "**Silhouette** (−1 to 1)" in texts and "**Purity** (0 to 1)" in texts
    # Each view's figures next to their trivial baselines, from the summary.
    assert (
        "one single cluster, purity 0.200; random clusters of the same sizes, purity 0.214 "
        "and silhouette -0.013" in texts
    )
    assert "purity 0.250; random clusters of the same sizes, purity 0.262" in texts
    assert "at least 20% and at least 5 of the cluster's frames" in texts
    assert (
        "All frames: 5 of 5 clusters named; 0 of the 5 classes seen (blank included) have no "
        "cluster." in texts
    )
    metrics = {m.label: m for m in at.metric}
    assert metrics["Purity · all"].value == "0.900"
    assert metrics["Purity · all"].delta == "+0.700 vs one cluster"
    assert metrics["Silhouette · non-blank"].value == "0.520"
    assert metrics["Silhouette · non-blank"].delta == "+0.541 vs random labels"
    # The non-blank clustering drives the inspector, the filters and the heatmap.
    assert at.radio(key="view").options == ["All frames", "Non-blank frames, on their own"]
    at.radio(key="view").set_value("non_blank").run()
    _no_trouble(at)
    assert "0 frames shown" not in _texts(at)
    assert len(at.get("plotly_chart")) == 1  # the map
    at.session_state["clusters_tab"] = "Cluster inspector"
    at.run()
    assert at.selectbox(key="inspect").options == ["0", "1", "2", "3"]
    at.selectbox(key="inspect").set_value(1).run()
    inspector = {m.label: m.value for m in at.metric}
    assert inspector["Matched char"] == "b" and inspector["Purity"] == "100.0%"
    at.session_state["clusters_tab"] = "Cluster × character"
    at.run()
    assert len(at.get("plotly_chart")) == 1 and "non-blank frames" in _texts(at)


def test_clusters_page_on_a_format_1_analysis(
    artifacts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dashboard import services

    old = FakeAnalysis(with_views=False)
    root = tmp_path / "artifacts"
    shutil.copytree(artifacts, root)
    (root / "analysis").mkdir()
    (root / "analysis" / "summary.json").write_text(json.dumps(old.summary))
    monkeypatch.setenv("CRNN_ARTIFACTS", str(root))
    monkeypatch.setattr(services, "_analysis_api", lambda: fake_analysis_api(old))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    _no_trouble(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Purity · all"] == "0.900" and metrics["Purity · non-blank"] == "0.880"
    texts = _texts(at)
    assert "predates the baselines" in texts and "in the all-frame clusters" in texts
    assert "applied no minimum share or count" in texts
    assert at.radio(key="view").options == ["All frames"]


def test_evaluation_page_with_an_analysis(with_analysis: FakeAnalysis) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/evaluation.py").run()
    _no_trouble(at)
    datasets = next(d.value for d in at.dataframe if "dataset" in d.value.columns)
    assert sorted(datasets["dataset"]) == ["a", "b"]
    assert datasets["n"].sum() == len(with_analysis.images)
    metrics = {m.label: m.value for m in at.metric}
    images = with_analysis.images
    greedy_right = images["greedy_text"] == images["truth"]
    beam_right = images["beam_text"] == images["truth"]
    assert (
        metrics["Images that differ"]
        == f"{int((images['greedy_text'] != images['beam_text']).sum()):,}"
    )
    assert metrics["Beam fixes greedy"] == str(int((beam_right & ~greedy_right).sum()))
    errors = next(d.value for d in at.dataframe if "prediction" in d.value.columns)
    assert len(errors) == int((~greedy_right).sum())
    assert list(errors["confidence"]) == sorted(errors["confidence"])
    at.radio(key="gallery_order").set_value("highest first").run()
    errors = next(d.value for d in at.dataframe if "prediction" in d.value.columns)
    assert list(errors["confidence"]) == sorted(errors["confidence"], reverse=True)


def test_recognize_places_frames_on_the_map(with_analysis: FakeAnalysis) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.file_uploader[0].set_value(("word.png", word_png(), "image/png")).run()
    _no_trouble(at)
    # Lazy tabs: only the open "Alignment" tab is rendered, so the map is not built yet.
    assert len(at.get("plotly_chart")) == 1
    assert "Grey: frames of the reference analysis" not in _texts(at)
    at.session_state["detail_tab"] = "On the cluster map"
    at.run()
    _no_trouble(at)
    assert not [i for i in at.info if "No cluster map" in i.value]
    assert "Grey: frames of the reference analysis" in _texts(at)
    assert len(at.get("plotly_chart")) == 1  # the placement map instead of the alignment
    at.session_state["detail_tab"] = "Frames"
    at.run()
    assert not at.get("plotly_chart") and any("col_start" in d.value for d in at.dataframe)


def _traces(at: AppTest) -> list[dict]:
    """The traces of the page's first plotly chart (the map)."""
    return list(json.loads(at.get("plotly_chart")[0].proto.spec)["data"])


def test_the_word_read_last_is_shown_on_the_clusters_map(with_analysis: FakeAnalysis) -> None:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    assert not [t for t in _traces(at) if t.get("name") == "your word"]  # nothing read yet
    assert "show_word" not in at.session_state

    at.switch_page("views/recognize.py").run()
    at.file_uploader[0].set_value(("shop.png", word_png("shop"), "image/png")).run()
    reading = at.session_state["last_word"]
    at.switch_page("views/clusters.py").run()
    _no_trouble(at)
    (word,) = [t for t in _traces(at) if t.get("name") == "your word"]
    non_blank = [c for c in reading.chars if c != "∅"]  # the map hides blank frames
    assert word["mode"] == "markers"  # no lines, no labels: hover only
    assert [t.split(":", 1)[1] for t in word["text"]] == non_blank
    assert f"read {reading.text}" in _texts(at).replace("`", "").replace("'", "")
    assert at.toggle(key="show_word").value

    at.checkbox(key="hide_blank").uncheck().run()  # blank frames too, then
    (word,) = [t for t in _traces(at) if t.get("name") == "your word"]
    assert len(word["text"]) == len(reading.chars)
    at.toggle(key="show_word").set_value(False).run()
    assert not [t for t in _traces(at) if t.get("name") == "your word"]


def test_model_page_shows_the_manifest(app: AppTest) -> None:
    app.switch_page("views/model.py").run()
    _no_trouble(app)
    assert app.title[0].value == "Model"
    assert any("python train.py --run-dir runs/tiny" in c.value for c in app.code)
    assert any(c.value == "0123456789abcdefghijklmnopqrstuvwxyz" for c in app.code)
    labels = {m.label for m in app.metric}
    assert {"Parameters", "Classes"} <= labels
    recorded = next(d.value for d in app.dataframe if "acc36" in d.value.columns)
    assert recorded.loc["val", "acc36"] == 0.6
    assert any("--record val_greedy" in c.value for c in app.code)
    assert len(app.get("plotly_chart")) == 1  # the learning curve


def test_analysis_of_another_model_is_flagged(with_analysis: FakeAnalysis, artifacts: Path) -> None:
    from crnn_core.artifacts import load_manifest

    with_analysis.summary["model"] = {"sha256": "0" * 64}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    assert any("another model" in w.value for w in at.warning)
    with_analysis.summary["model"] = {"sha256": load_manifest(artifacts)["files"]["model.keras"]}
    summary = Path(os.environ["CRNN_ARTIFACTS"]) / "analysis" / "summary.json"
    summary.write_text(json.dumps(with_analysis.summary))  # a re-run analysis: reloaded
    os.utime(summary, ns=(time.time_ns(), time.time_ns() + 10**9))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.switch_page("views/clusters.py").run()
    assert not any("another model" in w.value for w in at.warning)
