from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from crnn_core.artifacts import ArtifactError, load_manifest, load_model, load_recognizer


def test_round_trip_gives_identical_logits(tiny_artifacts: Path, tmp_path: Path) -> None:
    recognizer = load_recognizer(tiny_artifacts)
    image = np.random.default_rng(0).integers(0, 255, (32, 70), dtype=np.uint8)
    first = recognizer.frame_logits([image])[0].logits
    copy = tmp_path / "copy"
    shutil.copytree(tiny_artifacts, copy)
    second = load_recognizer(copy).frame_logits([image])[0].logits
    np.testing.assert_array_equal(first, second)
    assert first.shape == (18, recognizer.charset.num_classes)  # ceil(70 / 4) valid frames


def test_manifest_lists_hashes_and_no_optimizer(tiny_artifacts: Path) -> None:
    manifest = load_manifest(tiny_artifacts)
    assert set(manifest["files"]) >= {"model.keras", "charset.json", "model_config.json"}
    assert manifest["charset"]["blank_index"] == 0
    assert manifest["input"]["height"] == 32
    assert manifest["input"]["colour_to_gray"].startswith("principal colour axis")
    import zipfile

    with zipfile.ZipFile(tiny_artifacts / "model.keras") as archive:
        weights = archive.read("model.weights.h5")
    assert b"optimizer" not in weights


def test_modified_file_is_detected(tiny_artifacts: Path, tmp_path: Path) -> None:
    copy = tmp_path / "art"
    shutil.copytree(tiny_artifacts, copy)
    with (copy / "model.keras").open("ab") as handle:
        handle.write(b"junk")
    with pytest.raises(ArtifactError, match=r"corrupt or was modified.*git checkout"):
        load_model(copy)


def test_missing_directory_and_files_explain_how_to_regenerate(
    tiny_artifacts: Path, tmp_path: Path
) -> None:
    with pytest.raises(ArtifactError, match=r"does not exist.*train\.py"):
        load_model(tmp_path / "nowhere")
    copy = tmp_path / "art"
    shutil.copytree(tiny_artifacts, copy)
    (copy / "charset.json").unlink()
    with pytest.raises(ArtifactError, match="missing"):
        load_recognizer(copy)
    (copy / "manifest.json").write_text("{broken")
    with pytest.raises(ArtifactError, match="not valid JSON"):
        load_model(copy)


def test_wrong_charset_is_refused(tiny_artifacts: Path, tmp_path: Path) -> None:
    from crnn_core.artifacts import sha256_file

    copy = tmp_path / "art"
    shutil.copytree(tiny_artifacts, copy)
    (copy / "charset.json").write_text(json.dumps({"characters": "abc", "blank_index": 0}))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["charset.json"] = sha256_file(copy / "charset.json")
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactError, match="different models"):
        load_recognizer(copy)


def test_serving_export(tiny_artifacts: Path, tmp_path: Path) -> None:
    import tensorflow as tf

    model = load_model(tiny_artifacts)
    model.export(str(tmp_path / "serving"), format="tf_saved_model", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "serving"))
    image = np.zeros((1, 32, 40, 1), np.float32)
    out = served.serve({"image": image, "width": np.array([40], np.int32)})
    expected = model({"image": image, "width": np.array([40], np.int32)})
    np.testing.assert_allclose(np.asarray(out), np.asarray(expected), atol=1e-5)


def test_export_adds_the_stage_and_its_cumulative_cpu_hours(tmp_path: Path) -> None:
    from crnn_core.artifacts import load_manifest, save_artifacts
    from crnn_core.charset import Charset
    from crnn_core.model import ModelConfig, build_crnn
    from crnn_core.training.config import TrainConfig
    from crnn_core.training.export import export_run

    charset = Charset.preset("36_lowercase")
    config = ModelConfig(
        num_classes=charset.num_classes, conv_channels=(8, 8, 16, 16, 16, 16), lstm_units=16
    )
    model = build_crnn(config)
    earlier = tmp_path / "earlier"
    save_artifacts(
        earlier, model, charset, config,
        {"training": [{"command": "stage 1", "cpu_hours": 2.0, "cumulative_cpu_hours": 2.0}]},
    )  # fmt: skip
    run = tmp_path / "run"
    run.mkdir()
    charset.save(run / "charset.json")
    (run / "model_config.json").write_text(config.to_json())
    TrainConfig(run_dir=str(run), init_from=str(earlier), command="stage 2").save(
        run / "train_config.json"
    )
    model.save_weights(run / "final.weights.h5")
    curve = [
        {"step": 5, "cpu_seconds": 1800.0, "v/acc36": 0.5},
        {"step": 10, "cpu_seconds": 3600.0},
    ]
    (run / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in curve))
    export_run(run, tmp_path / "out", "final")
    stages = load_manifest(tmp_path / "out")["training"]
    assert [s["command"] for s in stages] == ["stage 1", "stage 2"]
    assert stages[-1]["cpu_hours"] == 1.0 and stages[-1]["cumulative_cpu_hours"] == 3.0
