"""Learning really happens: a tiny CRNN fits a small synthetic set; runs resume after kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import numpy as np
import pytest

from crnn_core.charset import Charset
from crnn_core.losses import CTCTrainingModel
from crnn_core.model import ModelConfig, build_crnn
from crnn_core.pipeline import make_training_dataset
from crnn_core.recognizer import Recognizer, run_logits
from crnn_core.training.code_revision import code_revision

ROOT = Path(__file__).resolve().parent.parent
TINY_JSON = json.dumps({"conv_channels": [8, 8, 16, 16, 16, 16], "lstm_units": 16, "max_width": 96})


def _fixed_words(charset: Charset, count: int) -> list[tuple[np.ndarray, str]]:
    from crnn_core.data.synthetic import SynthConfig, SyntheticWordGenerator

    generator = SyntheticWordGenerator(charset, seed=3, max_width=128, config=SynthConfig.plain())
    samples = []
    index = 0
    while len(samples) < count:
        image, text = generator.sample(index)
        index += 1
        if 3 <= len(text) <= 6 and image.shape[1] <= 128:
            samples.append((image, text))
    return samples


@pytest.mark.slow
def test_tiny_crnn_fits_32_synthetic_words() -> None:
    keras.utils.set_random_seed(0)
    charset = Charset.preset("36_lowercase")
    words = _fixed_words(charset, 32)
    model = build_crnn(
        ModelConfig(
            num_classes=charset.num_classes,
            conv_channels=(16, 32, 48, 48, 64, 64),
            lstm_units=64,
            max_width=128,
            dropout=0.0,
            bn_momentum=0.9,
        )
    )
    trainer = CTCTrainingModel(model)
    trainer.compile(optimizer=keras.optimizers.Adam(6e-3, clipnorm=5.0))
    dataset = make_training_dataset(
        lambda i: words[i % len(words)],
        charset,
        batch_size=32,
        max_width=128,
        bucket_by_width=False,
    )
    history = trainer.fit(dataset, steps_per_epoch=50, epochs=9, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.05 * losses[0], losses

    logits = run_logits(model, [image for image, _ in words])
    predicted = [p.text for p in Recognizer(model, charset).decode(logits, "greedy")]
    accuracy = np.mean([p == t for p, (_, t) in zip(predicted, words, strict=True)])
    assert accuracy >= 0.9, list(zip(predicted, [t for _, t in words], strict=True))


def _train_command(run_dir: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "train.py"),
        "--run-dir",
        str(run_dir),
        "--batch-size",
        "8",
        "--checkpoint-every",
        "5",
        "--eval-every",
        "5",
        "--charset",
        "36_lowercase",
        "--model",
        TINY_JSON,
        *extra,
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}


@pytest.mark.slow
def test_kill_9_then_resume_loses_at_most_one_checkpoint(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    metadata = run_dir / "backup" / "training_metadata.json"
    process = subprocess.Popen(
        _train_command(run_dir, "--steps", "2000"),
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 120
    while time.time() < deadline and not (metadata.exists() and _epochs(metadata) >= 2):
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = _epochs(metadata) * 5
    assert done_before >= 10, "no checkpoint was written within 2 minutes"

    # Shorten the saved run so the resumed process finishes one interval after the checkpoint.
    finished = _resume_with_steps(run_dir, done_before + 5)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert _epochs(metadata) * 5 == done_before + 5  # continued from the checkpoint, one more
    assert (run_dir / "final.weights.h5").exists()


@pytest.mark.slow
def test_resume_survives_a_checkpoint_torn_by_kill_9(tmp_path: Path) -> None:
    """kill -9 while the weights are written leaves a torn file; the previous one is used."""
    run_dir = tmp_path / "run"
    first = _run(_train_command(run_dir, "--steps", "10"))
    assert first.returncode == 0, first.stderr[-2000:]
    # the run records which code rendered its data (None outside a git checkout)
    sources = json.loads((run_dir / "data_sources.json").read_text())
    assert sources["code"] == code_revision(ROOT)
    latest = run_dir / "backup" / "latest.weights.h5"
    latest.write_bytes(latest.read_bytes()[:100])  # what an interrupted write leaves behind
    resumed = _resume_with_steps(run_dir, 15)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert (run_dir / "final.weights.h5").exists()


def _run(command: list[str], timeout: int = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=_env(), capture_output=True, text=True, timeout=timeout, check=False
    )


def _resume_with_steps(run_dir: Path, steps: int) -> subprocess.CompletedProcess[str]:
    """Resume the run in ``run_dir`` with its saved configuration changed to ``steps`` steps."""
    config = json.loads((run_dir / "train_config.json").read_text())
    config["steps"] = steps
    (run_dir / "train_config.json").write_text(json.dumps(config))
    return _run([*_train_command(run_dir), "--resume"])


def _epochs(metadata: Path) -> int:
    try:
        return int(json.loads(metadata.read_text())["epoch"])
    except (OSError, ValueError, KeyError):
        return 0


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus(tmp_path: Path) -> None:
    run_dir = tmp_path / "mirrored"
    result = _run(
        _train_command(run_dir, "--steps", "10", "--strategy", "mirrored", "--cpu-devices", "2"),
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MirroredStrategy with 2 replicas" in result.stderr
    assert (run_dir / "final.weights.h5").exists()


def test_validation_records_cumulative_cpu_seconds_across_resumes(tmp_path: Path) -> None:
    from crnn_core.training.callbacks import ValidationSet, Validator

    charset = Charset.preset("36_lowercase")
    model = build_crnn(
        ModelConfig.from_dict({"num_classes": charset.num_classes, **json.loads(TINY_JSON)})
    )
    words = _fixed_words(charset, 4)
    vset = ValidationSet("val", [img for img, _ in words], [t for _, t in words])
    # a resumed run: the interrupted process had used 1000 CPU seconds by its last record
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 5, "cpu_seconds": 1000.0}) + "\n")
    validator = Validator(model, charset, [vset], every=5, initial_step=5, run_dir=tmp_path)
    busy = time.process_time()
    while time.process_time() - busy < 0.3:  # burn a little CPU
        sum(range(10_000))
    record = validator.evaluate_now()
    assert 1000.3 <= record["cpu_seconds"] < 1000 + 120
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["cpu_seconds"] == record["cpu_seconds"]
