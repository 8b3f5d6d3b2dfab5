"""``--strategy multiworker``: two worker processes on 127.0.0.1 train a tiny CRNN together."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TINY_JSON = json.dumps({"conv_channels": [8, 8, 16, 16, 16, 16], "lstm_units": 16, "max_width": 96})


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _worker_env(workers: list[str], index: int) -> dict[str, str]:
    tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TF_CONFIG": json.dumps(tf_config),
        "CUDA_VISIBLE_DEVICES": "",
        "OMP_NUM_THREADS": "1",
    }


@pytest.mark.slow
def test_two_workers_on_localhost_train_a_few_steps(tmp_path: Path) -> None:
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    run_dir = tmp_path / "run"
    command = [
        sys.executable, str(ROOT / "train.py"), "--run-dir", str(run_dir),
        "--strategy", "multiworker", "--steps", "4", "--batch-size", "8",
        "--checkpoint-every", "2", "--eval-every", "4", "--warmup-steps", "0",
        "--charset", "36_lowercase", "--model", TINY_JSON,
    ]  # fmt: skip
    processes = [
        subprocess.Popen(
            command,
            env=_worker_env(workers, index),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(2)
    ]
    outputs = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=420))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    for process, (_, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-3000:]
    assert "CollectiveAllReduceStrategy with 2 replicas" in outputs[0][1]  # = MultiWorkerMirrored
    assert (run_dir / "final.weights.h5").exists()  # the chief writes the run folder
    assert (run_dir / "worker-1" / "final.weights.h5").exists()  # the other writes beside it


def test_multiworker_without_tf_config_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from crnn_core.training.strategy import make_strategy

    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="TF_CONFIG"):
        make_strategy("multiworker")
