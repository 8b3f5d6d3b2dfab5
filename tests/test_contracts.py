"""The written-once rules: geometry, data-spec grammar, strict configs, variants, run folder."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from crnn_core.data.specs import DataSpec, parse_data_spec, parse_weighted_spec
from crnn_core.geometry import DOWNSAMPLE, HEIGHT, frame_columns, frames_for_width, frames_needed
from crnn_core.strict import ConfigError
from crnn_core.training.run_folder import RunFolder

ROOT = Path(__file__).resolve().parent.parent


def test_geometry_frames_per_width_is_ceil_of_a_quarter() -> None:
    assert (HEIGHT, DOWNSAMPLE) == (32, 4)
    for width in range(1, 70):
        assert frames_for_width(width) == math.ceil(width / 4)
    widths = np.array([1, 4, 5, 159, 160])
    np.testing.assert_array_equal(frames_for_width(widths), [1, 1, 2, 40, 40])
    assert frame_columns(3) == (12, 16)
    assert frames_needed("hello") == 6 and frames_needed("abc") == 3


def test_data_spec_grammar(tmp_path: Path) -> None:
    assert parse_weighted_spec("synthetic=0.8") == ("synthetic", 0.8)
    assert parse_weighted_spec("../data/iiit5k=0.2") == ("../data/iiit5k", 0.2)
    assert parse_weighted_spec("ic03=../data/ic03=0.5") == ("ic03=../data/ic03", 0.5)
    assert parse_weighted_spec("plain_path") == ("plain_path", 1.0)
    for bad in ("a=x", "a=-1", "=1", "a=nan"):
        with pytest.raises(ValueError, match="SOURCE=WEIGHT"):
            parse_weighted_spec(bad)
    assert parse_data_spec("ic03=../data/ic03") == DataSpec("../data/ic03", "ic03")
    assert parse_data_spec("synthetic:20").synthetic_count == 20
    odd = tmp_path / "a=b"
    odd.mkdir()
    assert parse_data_spec(str(odd)) == DataSpec(str(odd))  # an existing path wins


def test_model_config_rejects_unknown_keys_and_reads_the_shipped_file() -> None:
    from crnn_core.model import ModelConfig

    shipped = json.loads((ROOT / "artifacts" / "model_config.json").read_text())
    config = ModelConfig.from_dict(shipped)
    assert config.separable_from == 99  # full convs since stage 5, low rank since stage 9
    assert config.conv_ranks == (0, 0, 64, 64, 96, 96)
    with pytest.raises(ConfigError, match=r"lstm_unit.*known keys"):
        ModelConfig.from_dict({"num_classes": 5, "lstm_unit": 96})


def test_variants_hold_the_shipped_model() -> None:
    from crnn_core.model import ModelConfig
    from crnn_core.variants import SHIPPED_VARIANT, VARIANTS, model_config

    shipped = ModelConfig.from_dict(
        json.loads((ROOT / "artifacts" / "model_config.json").read_text())
    )
    assert model_config(SHIPPED_VARIANT, shipped.num_classes) == shipped
    # the recipe recorded in the manifest's last stage: the default variant + --model overrides
    manifest = json.loads((ROOT / "artifacts" / "manifest.json").read_text())
    recipe = manifest["training"][-1]["config"]["model"]
    assert model_config("crnn", shipped.num_classes, recipe) == shipped
    assert model_config("crnn", 95) == ModelConfig(num_classes=95)
    assert {"crnn", "crnn_separable", "crnn_small"} <= set(VARIANTS)
    with pytest.raises(ConfigError, match="Unknown model variant"):
        model_config("resnet", 95)


def test_train_config_strict_and_old_files_load(tmp_path: Path) -> None:
    from crnn_core.training.config import TrainConfig, model_config_for

    old = {  # a train_config.json written before ``variant`` existed (runs/stage3)
        "run_dir": "runs/stage3", "steps": 13000, "batch_size": 64, "learning_rate": 0.0005,
        "warmup_steps": 300, "min_learning_rate": 1e-05, "weight_decay": 0.0001,
        "checkpoint_every": 250, "eval_every": 1000, "data": [["synthetic", 0.75]],
        "holdout": 0, "val": ["../shared/data/ic03_860"], "val_limit": 0, "charset": "94_full",
        "model": {"separable_from": 2}, "init_from": "artifacts", "strategy": "default",
        "cpu_devices": 0, "seed": 0, "command": "python train.py ...",
    }  # fmt: skip
    path = tmp_path / "train_config.json"
    path.write_text(json.dumps(old))
    config = TrainConfig.load(path)
    assert config.variant == "crnn" and model_config_for(config, 95).separable_from == 2
    path.write_text(json.dumps({**old, "stesp": 5}))
    with pytest.raises(ConfigError, match="stesp"):
        TrainConfig.load(path)


def test_run_folder_readers(tmp_path: Path) -> None:
    run = RunFolder(tmp_path)
    assert run.completed_steps(250) == 0 and run.best() is None and run.curve() == []
    assert run.last_cpu_seconds() == 0.0 and run.best_score() == -1.0
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "training_metadata.json").write_text('{"epoch": 3}')
    run.append_metrics({"step": 1000, "cpu_seconds": 12.5})
    run.write_best(1000, 0.8)
    assert run.completed_steps(250) == 750
    assert run.curve() == [{"step": 1000, "cpu_seconds": 12.5}]
    assert run.last_cpu_seconds() == 12.5
    assert run.best() == {"step": 1000, "score": 0.8}
    assert run.weights("final").name == "final.weights.h5"
    with pytest.raises(ValueError):
        run.weights("latest")
