"""The dashboard's table slicing and figures, on planted data with known answers."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest
from dashboard_support import FakeAnalysis
from PIL import Image

from crnn_core import metrics
from crnn_core.charset import Charset
from dashboard import crops, insights, manifest_view, quality, scoring
from dashboard.analysis_view import AnalysisView, summary_metric, view_figures
from dashboard.components import alignment, char_groups, contingency, curves, maps, png
from dashboard.recognition import frame_statistics


@pytest.fixture(scope="module")
def view() -> AnalysisView:
    return AnalysisView.from_object(FakeAnalysis(), "somewhere")


def test_view_renames_the_analysis_columns(view: AnalysisView) -> None:
    wanted = {"image_id", "t", "col_start", "col_end", "label", "char", "cluster", "x", "y"}
    assert wanted <= set(view.frames)
    assert {"greedy", "beam", "confidence", "truth"} <= set(view.images)
    assert view.has_umap and view.has_truth
    assert view.clusters() == [0, 1, 2, 3, 4]
    assert view.cluster_row(2)["matched_char"] == "b"
    assert view.pixels(2).shape == (32, 80)
    assert view.pixels(10_000) is None


def test_summary_metric_reads_the_scores() -> None:
    summary = {"scores": {"silhouette": {"all": 0.3, "non_blank": 0.5}, "purity": {"all": None}}}
    assert summary_metric(summary, "silhouette", "non_blank") == 0.5
    assert summary_metric(summary, "purity", "all") is None  # null in JSON: not computable
    assert summary_metric(summary, "purity", "non_blank") is None
    assert summary_metric({}, "silhouette", "all") is None


def test_filters(view: AnalysisView) -> None:
    frames = view.frames
    assert (insights.filter_frames(frames, hide_blank=True)["label"] != 0).all()
    assert len(insights.filter_frames(frames, hide_blank=False)) == len(frames)
    picked = insights.filter_frames(frames, False, chars=["a", "b"], clusters=[1])
    assert set(picked["char"]) <= {"a", "b"} and set(picked["cluster"]) == {1}
    mapped = insights.filter_frames(frames, False, mapped_only=True)
    assert len(mapped) == int(frames["x"].notna().sum()) < len(frames)
    sample = insights.map_sample(frames, 50)
    assert len(sample) == 50 and sample["x"].notna().all()


def test_largest_non_blank_cluster() -> None:
    frames = pd.DataFrame({"cluster": [0, 0, 0, 1, 1, 2], "label": [0, 0, 0, 3, 0, 4]})
    assert insights.largest_non_blank_cluster(frames) == 2  # 1 is a tie, 0 is blank
    frames.loc[4, "label"] = 5
    assert insights.largest_non_blank_cluster(frames) == 1
    assert insights.largest_non_blank_cluster(frames[frames["label"] == 0]) is None


def test_cluster_profile_by_hand() -> None:
    frames = pd.DataFrame({"cluster": [0, 0, 0, 0, 1], "char": ["a", "a", "a", "b", "c"]})
    size, purity, top = insights.cluster_profile(frames, 0)
    assert (size, purity) == (4, 0.75)
    assert list(top["char"]) == ["a", "b"] and list(top["frames"]) == [3, 1]
    assert insights.cluster_profile(frames, 9)[0] == 0


def test_dataset_scores_use_crnn_core_metrics(view: AnalysisView) -> None:
    scores = scoring.dataset_scores(view.images).set_index("dataset")
    for source, group in view.images.groupby("source"):
        pairs = list(zip(group["greedy"], group["truth"], strict=True))
        assert scores.loc[source, "greedy acc36"] == pytest.approx(metrics.acc36(pairs))
        assert scores.loc[source, "n"] == len(group)


def test_word_correct_protocols() -> None:
    images = pd.DataFrame(
        {"truth": ["Shop", "Shop", "&", None], "greedy": ["shop", "Shop", "x", "y"]}
    )
    acc36 = scoring.word_correct(images, "greedy", "acc36")
    case = scoring.word_correct(images, "greedy", "case")
    assert acc36.tolist()[:2] == [True, True] and acc36.isna().tolist() == [0, 0, 1, 1]
    assert case.tolist()[:3] == [False, True, False] and pd.isna(case[3])


def test_decoder_differences_and_errors(view: AnalysisView) -> None:
    images = view.images
    diff = scoring.decoder_differences(images)
    assert set(diff["image_id"]) == set(images["image_id"][images["greedy"] != images["beam"]])
    assert diff["greedy right"].tolist() == (diff["greedy"] == diff["truth"]).tolist()
    errors = scoring.error_gallery(images, "beam")
    assert (errors["prediction"] != errors["truth"]).all()
    assert list(errors["confidence"]) == sorted(errors["beam_confidence"])
    assert len(errors) == int((images["beam"] != images["truth"]).sum())


def test_frame_correct_follows_the_image(view: AnalysisView) -> None:
    correct = insights.frame_correct(view)
    assert correct is not None and correct.shape == (len(view.frames),)
    right = view.images["greedy"] == view.images["truth"]
    image_right = dict(zip(view.images["image_id"], right.astype(int), strict=True))
    assert list(correct) == [image_right[i] for i in view.frames["image_id"]]


def test_contingency_counts_frames(view: AnalysisView) -> None:
    table = insights.contingency(view)
    assert table is not None and int(table.to_numpy().sum()) == len(view.frames)
    in_cluster = (view.frames["cluster"] == 2) & (view.frames["char"] == "b")
    assert table.loc[2, "b"] == int(in_cluster.sum())
    no_blank = insights.contingency(view, hide_blank=True)
    assert no_blank is not None and "∅" not in no_blank.columns
    assert int(no_blank.to_numpy().sum()) == int((view.frames["label"] != 0).sum())


def test_column_crop_marks_the_frame(view: AnalysisView) -> None:
    image = np.full((32, 40), 200, dtype=np.uint8)
    crop = crops.column_crop(image, 8, 12, context=4, scale=1)
    assert crop.shape == (32, 12, 3)
    assert crops.column_crop(image, 0, 4, context=4, scale=1).shape == (32, 12, 3)  # at an edge
    assert (crop[:, 4:8, 2] < crop[:, :4, 2]).all()  # the frame's columns are tinted
    for fast in (False, True):  # thumbnails smallest, large map pictures quickest: lossless
        header, data = png.data_uri(crop, fast=fast).split(",", 1)
        assert header == "data:image/png;base64"
        assert np.array_equal(np.asarray(Image.open(io.BytesIO(base64.b64decode(data)))), crop)
    pictures = crops.frame_crops(view, view.frames.iloc[[21, 22]])
    assert [caption for _, caption in pictures] == ["a · w1", "b · w1"]


def test_alignment_figure_shares_one_pixel_axis() -> None:
    charset = Charset.preset("36_lowercase")
    logits = np.random.default_rng(0).normal(size=(10, charset.num_classes)).astype(np.float32)
    image = np.zeros((32, 40), dtype=np.uint8)
    fig = alignment.alignment_figure(
        image, logits, frame_statistics(logits, charset), charset, top=4
    )
    assert {trace.xaxis or "x" for trace in fig.data} == {"x"}  # None = the default x
    heat = fig.data[2]
    assert "∅" in heat.y and len(heat.y) <= 5
    assert list(heat.x) == [4 * t + 2 for t in range(10)]


def test_umap_figure_for_many_frames_has_no_per_point_strings() -> None:
    n = 100_000
    rng = np.random.default_rng(0)
    frames = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
            "image_id": np.arange(n) // 25,
            "t": np.arange(n) % 25,
            "cluster": rng.integers(0, 95, n),
            "entropy": rng.random(n),
            "char": rng.choice(list("abc"), n),
        }
    )
    frames.index = frames.index + 5  # row labels of the full table, not positions
    for colour in ("cluster", "entropy", "correct"):
        fig = maps.umap_figure(frames, colour, correct=rng.integers(-1, 2, n))
        (trace,) = fig.data
        assert trace.type == "scattergl" and trace.text is None
        assert trace.customdata.dtype == np.int32 and trace.customdata.shape == (n,)
        assert trace.customdata[0] == 5 and trace.x.dtype == np.float32
        assert len(pio.to_json(fig, validate=False)) < 3_000_000  # float64 + 5 columns: 7 MB
    few = maps.umap_figure(frames.head(1000), "cluster")
    assert few.data[0].customdata.shape == (1000, 4)  # small maps: image, frame, cluster too
    assert list(few.data[0].customdata[1]) == [6, 0, 1, int(frames["cluster"].iloc[1])]
    by_char = maps.umap_figure(frames, "char")
    chars = [t for t in by_char.data if not t.showlegend]
    assert sorted(t.name for t in chars) == ["a", "b", "c"]
    assert sum(len(t.x) for t in chars) == n
    assert [t.name for t in by_char.data if t.showlegend] == ["lower case (3)"]


def test_colour_by_character_legend_lists_groups_not_characters() -> None:
    charset = Charset.preset("94_full")
    chars = ["∅", *charset.characters]
    n = len(chars) * 3
    frames = pd.DataFrame(
        {
            "x": np.arange(n, dtype=float),
            "y": np.zeros(n),
            "image_id": np.zeros(n, int),
            "t": np.arange(n),
            "cluster": np.zeros(n, int),
            "char": chars * 3,
        }
    )
    fig = maps.umap_figure(frames, "char")
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == [
        "blank (1)", "digits (10)", "upper case (26)", "lower case (26)", "punctuation (32)",
    ]  # fmt: skip
    traces = {t.name: t for t in fig.data if not t.showlegend}
    assert len(traces) == 95 and traces["7"].legendgroup == "digits"
    assert traces["<"].hovertemplate.startswith("<b>&lt;</b> (punctuation)")
    # One hue per group, a different shade per character within it.
    assert traces["a"].marker.color != traces["b"].marker.color
    assert (
        char_groups.char_group("Q") == "upper case" and char_groups.char_group("é") == "lower case"
    )


def test_contingency_heatmap_is_sorted_by_the_matching() -> None:
    table = pd.DataFrame(
        [[0, 9, 1, 0], [8, 0, 0, 1], [1, 0, 7, 0], [30, 0, 2, 0]],
        index=[0, 1, 2, 3],
        columns=["∅", "b", "A", "7"],
    )
    matched = {0: "b", 2: "A", 3: "∅"}  # cluster 1 is unnamed, mostly blank
    rows, chars = contingency.matching_order(table, matched)
    assert chars == ["∅", "A", "b", "7"]  # named: blank, upper, lower; then the rest
    assert rows == [3, 2, 0, 1]  # named pairs on the diagonal, then unnamed under its majority
    fig = contingency.contingency_figure(table, normalise=False, matched=matched)
    (heat,) = fig.data
    assert list(heat.x) == chars
    assert list(heat.y) == ["3 → ∅", "2 → A", "0 → b", "1"]
    assert heat.z[1][1] == 7 and heat.z[3][0] == 8
    assert fig.layout.xaxis.dtick == 1 and fig.layout.yaxis.dtick == 1  # every label drawn
    assert fig.layout.xaxis.tickfont.size >= 10 and fig.layout.yaxis.tickfont.size >= 10
    assert "character" in fig.layout.xaxis.title.text and "cluster" in fig.layout.yaxis.title.text
    shares = contingency.contingency_figure(table, normalise=True, matched={})
    assert np.allclose(np.asarray(shares.data[0].z).sum(axis=1), 1.0)


def test_view_figures_read_both_formats() -> None:
    new = FakeAnalysis().summary
    figures = view_figures(new, "non_blank")
    assert figures is not None and not figures.legacy
    assert (figures.k, figures.purity, figures.purity_one_cluster) == (4, 0.88, 0.25)
    assert quality.baseline_line(figures).startswith("Baselines on the same frames")
    old = FakeAnalysis(with_views=False).summary
    legacy = view_figures(old, "non_blank")
    assert legacy is not None and legacy.legacy and legacy.purity == 0.88
    assert "predates" in quality.baseline_line(legacy)
    assert (
        view_figures({"views": {"non_blank": {"frames": 0, "skipped": "x"}}}, "non_blank") is None
    )


def test_view_frames_and_matching(view: AnalysisView) -> None:
    assert view.views == ("all", "non_blank")
    own = view.frames_of("non_blank")
    assert (own["label"] != 0).all() and len(own) == int((view.frames["label"] != 0).sum())
    assert (own["cluster"] == own["label"] - 1).all()
    assert view.matched_chars("non_blank") == {0: "a", 1: "b", 2: "c", 3: "d"}
    assert view.cluster_row(0, "non_blank")["matched_char"] == "a"
    assert view.cluster_row(0)["matched_char"] == "∅"
    table = insights.contingency(view, view="non_blank")
    assert table is not None and list(table.index) == [0, 1, 2, 3]
    assert view.matching_rule() == (0.2, 5)


def test_selected_rows_reads_every_customdata_shape() -> None:
    points = [
        {"customdata": {"0": 7, "1": 3, "2": 1, "3": 5}},  # a row of a typed 2-D array
        {"customdata": [9, 1, 2, 3]},
        {"customdata": 11},  # 1-D customdata (large maps)
        {"point_index": 4},  # no customdata: ignored
    ]
    assert maps.selected_rows(points) == [7, 9, 11]


def test_learning_curve_concatenates_stages() -> None:
    training = [
        {"validation_curve": [{"step": 100, "val/acc36": 0.2}, {"step": 200, "val/acc36": 0.5}]},
        {"validation_curve": [{"step": 50, "val/acc36": 0.6, "val/acc_case": 0.4}]},
    ]
    fig = curves.learning_curve_figure(training)
    assert fig is not None
    traces = {t.name: t for t in fig.data}
    assert list(traces["val/acc36"].x) == [100, 200, 250]
    assert list(traces["val/acc_case"].x) == [250]
    assert curves.learning_curve_figure([{"validation_curve": []}]) is None


def test_learning_curve_against_cumulative_cpu_hours() -> None:
    training = [  # stage 1: only a total (estimated); stage 2: measured per record
        {"cpu_hours": 2.0, "validation_curve": [{"step": 500, "v/acc36": 0.2}, {"step": 1000}]},
        {"cpu_hours": 1.0, "validation_curve": [{"step": 10, "cpu_seconds": 1800, "v/acc36": 0.7}]},
    ]
    assert curves.has_cpu_hours(training)
    fig = curves.learning_curve_figure(training, "cpu")
    assert fig is not None
    assert list(fig.data[0].x) == [1.0, 2.5]
    assert "CPU-hours" in fig.layout.xaxis.title.text
    # a stage without CPU figures: the step axis is used
    assert not curves.has_cpu_hours([training[0], {"validation_curve": []}])
    steps = curves.learning_curve_figure([training[0], {"validation_curve": []}], "cpu")
    assert steps is not None and list(steps.data[0].x) == [500]


def test_manifest_pieces() -> None:
    entry = {
        "weights": "best",
        "best": {"step": 8000, "score": 0.8119},
        "completed_steps": 8500,
        "data_sources": {"sources": [{"name": "synthetic", "ratio": 0.8, "extra": 1}]},
        "config": {"data": [["synthetic", 1.0]], "run_dir": "/home/u/runs/stage5"},
    }
    line = manifest_view.stage_summary(entry)
    assert "best at step 8,000 (validation score 0.812)" in line and "8,500 steps run" in line
    assert line.startswith("run `stage5` · ")  # the name only: no server path on the page
    assert list(manifest_view.stage_data(entry).columns) == ["name", "ratio"]
    del entry["data_sources"]
    assert manifest_view.stage_data(entry).iloc[0].tolist() == ["synthetic", 1.0]
    assert manifest_view.stage_summary({}) == "weights: `?`"
    report = {
        "decoder": "greedy",
        "datasets": {"ic03": {"n": 860, "acc36": 0.75, "skipped": 0}},
        "combined": {"n": 860, "acc36": 0.75},
        "model_sha256": "abc",
    }
    assert manifest_view.metrics_reports(report) == [("evaluation", report)]  # export --metrics
    recorded = {"ic03_greedy": report, "note": "not a report"}  # evaluate --record ic03_greedy
    assert manifest_view.metrics_reports(recorded) == [("ic03_greedy", report)]
    assert manifest_view.metrics_reports(None) == []
    table = manifest_view.metrics_table(report)
    assert list(table.index) == ["ic03", "combined"] and list(table.columns) == ["n", "acc36"]
    assert "another model" in manifest_view.report_caption(report, "def")
    assert "another model" not in manifest_view.report_caption(report, "abc")
    repo = manifest_view.REPO_ROOT
    assert manifest_view.display_path(repo / "artifacts") == "artifacts"
    assert manifest_view.display_path(Path("/elsewhere/x")) == "x"  # no server paths in the UI
