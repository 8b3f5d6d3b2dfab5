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
