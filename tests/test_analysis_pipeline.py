"""End to end: a tiny random CRNN, ``python -m crnn_core analyze`` in-process, then the loader.

One module-scoped run (UMAP's numba compilation dominates, so it is paid once).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from crnn_core.analysis import Analysis, assign_clusters, load_analysis, place_new_frames
from crnn_core.analysis.export import FRAME_COLUMNS, IMAGE_COLUMNS, greedy_texts, shift_to_max
from crnn_core.analysis.io import FILES, AnalysisError
from crnn_core.charset import Charset
from crnn_core.preprocess import to_gray_height

FOLDER_WORDS = {"a.png": "ab", "b.png": "Cd", "c.png": "!"}


def make_model(directory: Path) -> None:
    import keras

    from crnn_core.artifacts import save_artifacts
    from crnn_core.model import ModelConfig, build_crnn

    keras.utils.set_random_seed(0)
    charset = Charset.preset("94_full")
    config = ModelConfig(
        num_classes=charset.num_classes, conv_channels=(8, 8, 16, 16, 16, 16), lstm_units=16
    )
    save_artifacts(directory, build_crnn(config), charset, config, {"note": "test model"})


def make_folder(directory: Path) -> None:
    directory.mkdir()
    lines = []
    for i, (name, text) in enumerate(FOLDER_WORDS.items()):
        image = Image.new("RGB", (30 + 20 * i, 20), "white")
        ImageDraw.Draw(image).text((2, 4), text, fill="black")
        image.save(directory / name)
        lines.append(f"{name}\t{text}")
    (directory / "labels.tsv").write_text("\n".join(lines) + "\n", "utf-8")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from crnn_core.artifacts import load_recognizer
    from crnn_core.cli import main

    root = tmp_path_factory.mktemp("analysis")
    make_model(root / "model")
    make_folder(root / "words")
    out = root / "out"
    argv = ["analyze", "--data", "synthetic:20", str(root / "words"), "--out", str(out),
            "--artifacts", str(root / "model"), "--quiet", "--seed", "3"]  # fmt: skip
    assert main(argv) == 0
    return {"root": root, "out": out, "recognizer": load_recognizer(root / "model")}


@pytest.fixture(scope="module")
def analysis(run: dict[str, Any]) -> Analysis:
    return load_analysis(run["out"])


def test_cli_writes_every_file_and_summary(run: dict[str, Any], analysis: Analysis) -> None:
    from crnn_core.artifacts import load_manifest

    for name in FILES.values():
        assert (run["out"] / name).is_file(), name
    summary = analysis.summary
    manifest = load_manifest(run["root"] / "model")
    assert summary["model"]["sha256"] == manifest["files"]["model.keras"]
    assert summary["k"] == 95 and summary["seed"] == 3
    assert [d["kind"] for d in summary["data"]] == ["synthetic", "folder"]
    assert summary["counts"]["images"] == 23 == len(analysis.images)
    assert summary["counts"]["frames"] == len(analysis.frames) == analysis.all_logits().shape[0]
    for score in ("silhouette", "purity"):
        assert set(summary["scores"][score]) >= {"all", "non_blank"}
    assert summary["scores"]["silhouette"]["sample_all"] == len(analysis.frames)
    assert 0 < summary["scores"]["purity"]["all"] <= 1
    assert summary["export"]["float16_greedy_mismatches"] == 0
    assert {"model_logits", "kmeans", "umap", "write"} <= set(summary["timings_seconds"])
    assert summary["umap"]["worker"].startswith("separate process")  # fitted beside KMeans
    assert summary["memory"]["umap_process_peak_rss_mib"] > 0
    assert summary["placement"]["seconds_per_100_frames"] >= 0
    assert summary["format"] == "crnn-ocr-lab-analysis/2"
    rule = summary["matching_rule"]
    assert (rule["min_share"], rule["min_count"]) == (0.2, 5)
    full = summary["views"]["all"]
    assert full["k"] == summary["k"] and full["frames"] == summary["counts"]["frames"]
    assert full["purity"]["value"] == summary["scores"]["purity"]["all"]
    for key in ("one_cluster", "random_assignment"):
        assert 0 < full["purity"][key] <= full["purity"]["value"] + 1e-9
    assert {"value", "random_labels", "sample", "fit_overlap"} <= set(full["silhouette"])


def test_non_blank_view_is_stored(analysis: Analysis) -> None:
    frames, summary = analysis.frames, analysis.summary
    non_blank = frames["greedy_class"] != 0
    view = summary["views"]["non_blank"]
    assert view["frames"] == int(non_blank.sum()) == summary["counts"]["non_blank_frames"]
    if not view["frames"]:  # an untrained model may read only blanks
        assert analysis.views == ["all"] and (frames["cluster_non_blank"] == -1).all()
        return
    assert analysis.views == ["all", "non_blank"]
    assert view["k"] == frames.loc[non_blank, "greedy_class"].nunique()
    assert (frames.loc[~non_blank, "cluster_non_blank"] == -1).all()
    assert frames.loc[non_blank, "cluster_non_blank"].between(0, view["k"] - 1).all()
    matrix = analysis.contingency_matrix("non_blank")
    assert matrix.shape == (view["k"], 95) and matrix["∅"].sum() == 0
    assert int(matrix.to_numpy().sum()) == view["frames"]
    assert len(analysis.clusters_of("non_blank")) == view["k"]


def test_format_1_folder_still_loads(run: dict[str, Any], tmp_path: Path) -> None:
    from crnn_core.analysis.io import read_json, read_table, write_json, write_table

    old = tmp_path / "old"
    shutil.copytree(run["out"], old)
    summary = read_json(old / FILES["summary"])
    summary["format"] = "crnn-ocr-lab-analysis/1"
    del summary["views"], summary["matching_rule"]
    write_json(summary, old / FILES["summary"])
    for name in ("clusters", "contingency"):
        table = read_table(old / FILES[name])
        write_table(table[table["view"] == "all"].drop(columns="view"), old / FILES[name])
    frames = read_table(old / FILES["frames"])
    write_table(frames.drop(columns="cluster_non_blank"), old / FILES["frames"])
    loaded = load_analysis(old)
    assert loaded.views == ["all"]
    assert tuple(loaded.frames.columns) == FRAME_COLUMNS
    assert (loaded.frames["cluster_non_blank"] == -1).all()
    assert set(loaded.clusters["view"]) == {"all"} and len(loaded.clusters) == summary["k"]
    assert int(loaded.contingency_matrix().to_numpy().sum()) == len(loaded.frames)


def test_tables_have_documented_columns(analysis: Analysis) -> None:
    assert tuple(analysis.images.columns) == IMAGE_COLUMNS
    assert tuple(analysis.frames.columns) == FRAME_COLUMNS
    frames = analysis.frames
    assert frames["cluster"].between(0, analysis.summary["k"] - 1).all()
    assert frames[["umap_x", "umap_y"]].notna().all().all()  # < 20000 frames: all on the map
    assert (analysis.images["n_frames"] == frames.groupby("image_id").size()).all()
    assert analysis.images["truth"].tolist()[-3:] == list(FOLDER_WORDS.values())
    matrix = analysis.contingency_matrix()
    assert matrix.shape == (analysis.summary["k"], 95)
    assert int(matrix.to_numpy().sum()) == len(frames)
    assert len(analysis.clusters_of("all")) == analysis.summary["k"]
    assert set(analysis.clusters["view"]) == set(analysis.views)
    assert {"char_a", "char_b", "evidence"} <= set(analysis.confusions.columns)


def test_logits_round_trip_decodes_to_the_same_texts(
    run: dict[str, Any], analysis: Analysis
) -> None:
    recognizer = run["recognizer"]
    charset = analysis.charset
    stored = [analysis.logits(i) for i in range(len(analysis.images))]
    assert greedy_texts(stored, charset) == analysis.images["greedy_text"].tolist()
    fresh = recognizer.frame_logits([analysis.image(i) for i in range(len(analysis.images))])
    assert greedy_texts([f.logits for f in fresh], charset) == greedy_texts(stored, charset)
    for new, old in zip(fresh, stored, strict=True):
        np.testing.assert_allclose(shift_to_max(new.logits), old, atol=2e-2, rtol=2e-3)


def test_images_round_trip_exactly(run: dict[str, Any], analysis: Analysis) -> None:
    from crnn_core.data.synthetic import SyntheticWordGenerator
    from crnn_core.preprocess import load_image

    width = run["recognizer"].max_width
    generator = SyntheticWordGenerator(analysis.charset, seed=3, max_width=width)
    for i in (0, 7, 19):
        image, text = generator.sample(i)
        np.testing.assert_array_equal(analysis.image(i), to_gray_height(image, max_width=width))
        assert analysis.images.loc[i, "truth"] == text
    for offset, name in enumerate(FOLDER_WORDS):
        expected = to_gray_height(load_image(run["root"] / "words" / name), max_width=width)
        np.testing.assert_array_equal(analysis.image(20 + offset), expected)
    assert analysis.image(0).dtype == np.uint8 and analysis.image(0).shape[0] == 32
    last_t = int(analysis.images.loc[0, "n_frames"]) - 1
    assert analysis.frame_image(0, last_t).shape[1] == analysis.image(0).shape[1] - 4 * last_t


def test_new_frames_land_on_their_reference_positions(
    run: dict[str, Any], analysis: Analysis
) -> None:
    frames = analysis.frames
    image_ids = [0, 5, 21]
    fresh = run["recognizer"].frame_logits([analysis.image(i) for i in image_ids])
    coords = frames[["umap_x", "umap_y"]].to_numpy()
    extent = np.ptp(coords, axis=0).max()
    for image_id, found in zip(image_ids, fresh, strict=True):
        rows = frames.index[frames["image_id"] == image_id]
        x, y = place_new_frames(analysis, found.logits)
        error = np.hypot(x - coords[rows, 0], y - coords[rows, 1])
        assert np.median(error) < 0.01 * extent
        clusters = assign_clusters(analysis, found.logits)
        assert np.mean(clusters == frames.loc[rows, "cluster"].to_numpy()) >= 0.9
        own = assign_clusters(analysis, found.logits, view="non_blank")
        stored = frames.loc[rows, "cluster_non_blank"].to_numpy()
        assert np.mean(own == stored) >= 0.9  # its own centres, -1 where blank


def test_each_view_assigns_with_its_own_centres(analysis: Analysis) -> None:
    """Stored frames assigned afresh get back the cluster each clustering gave them."""
    frames = analysis.frames
    logits = analysis.all_logits().astype(np.float32)
    assert np.mean(assign_clusters(analysis, logits) == frames["cluster"].to_numpy()) >= 0.99
    own = assign_clusters(analysis, logits, view="non_blank")
    np.testing.assert_array_equal(own == -1, frames["greedy_class"].to_numpy() == 0)
    if "non_blank" in analysis.views:
        agree = own == frames["cluster_non_blank"].to_numpy()
        assert np.mean(agree) >= 0.99
        inside = own >= 0  # with the all-frame centres the ids would be another numbering
        assert np.mean(assign_clusters(analysis, logits)[inside] == own[inside]) < 0.5
    with pytest.raises(AnalysisError, match="Unknown clustering"):
        assign_clusters(analysis, logits, view="nope")


def test_incomplete_folder_is_explained(run: dict[str, Any], tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(run["out"], broken)
    (broken / FILES["placement"]).unlink()
    with pytest.raises(AnalysisError, match=r"placement\.npz"):
        load_analysis(broken)
    with pytest.raises(AnalysisError, match=r"\(frames, 95\)"):
        place_new_frames(load_analysis(run["out"]), np.zeros((4, 37), np.float32))
