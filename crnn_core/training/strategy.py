"""Distribution strategies: one device, all local devices, or several machines.

``mirrored`` replicates the model over the GPUs of one machine (or logical CPU devices);
``multiworker`` is ``tf.distribute.MultiWorkerMirroredStrategy``: one ``train.py`` process per
machine, each told the cluster and its own index by the ``TF_CONFIG`` environment variable, with
gradients all-reduced every step. It is the path for data or compute that outgrow one machine.
"""

from __future__ import annotations

import json
import os

import tensorflow as tf

__all__ = ["STRATEGIES", "is_chief", "make_strategy", "worker_index"]

STRATEGIES = ("default", "mirrored", "multiworker")


def _tf_config() -> dict[str, object]:
    raw = os.environ.get("TF_CONFIG", "")
    try:
        return dict(json.loads(raw)) if raw else {}
    except (json.JSONDecodeError, TypeError, ValueError) as exc:
        raise ValueError(f"TF_CONFIG is not a JSON object: {exc}") from exc


def worker_index() -> int:
    """This process's index in ``TF_CONFIG`` (0 without one)."""
    task = _tf_config().get("task") or {}
    return int(task.get("index", 0)) if isinstance(task, dict) else 0


def is_chief() -> bool:
    """Worker 0 is the chief: it writes the run folder; the others write beside it."""
    return worker_index() == 0


def make_strategy(name: str, cpu_devices: int = 0) -> tf.distribute.Strategy:
    """``default`` (one device), ``mirrored`` (all GPUs, else all logical CPU devices) or
    ``multiworker`` (the cluster in ``TF_CONFIG``).

    ``cpu_devices > 1`` splits the CPU into that many logical devices first, which is how the
    mirrored path is exercised on a machine without GPUs. It must run before TF initialises.
    """
    if name == "multiworker":
        cluster = _tf_config().get("cluster")
        if not isinstance(cluster, dict) or not cluster.get("worker"):
            raise ValueError(
                "--strategy multiworker needs TF_CONFIG, e.g. "
                '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                '"task": {"type": "worker", "index": 0}} (README: Training on several machines).'
            )
        # Created before anything else touches TensorFlow's runtime (TF requires it).
        return tf.distribute.MultiWorkerMirroredStrategy()
    if cpu_devices > 1:
        cpus = tf.config.list_physical_devices("CPU")
        try:
            tf.config.set_logical_device_configuration(
                cpus[0], [tf.config.LogicalDeviceConfiguration()] * cpu_devices
            )
        except RuntimeError as exc:
            raise RuntimeError(
                "cpu_devices must be set before TensorFlow runs anything; start a fresh process."
            ) from exc
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    raise ValueError(f"Unknown strategy {name!r}; use one of {STRATEGIES}.")
