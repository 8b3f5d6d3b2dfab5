"""Distribution strategies: ``mirrored`` replicates the model over all visible devices."""

from __future__ import annotations

import tensorflow as tf

__all__ = ["make_strategy"]


def make_strategy(name: str, cpu_devices: int = 0) -> tf.distribute.Strategy:
    """``default`` (one device) or ``mirrored`` (all GPUs, else all logical CPU devices).

    ``cpu_devices > 1`` splits the CPU into that many logical devices first, which is how the
    mirrored path is exercised on a machine without GPUs. It must run before TF initialises.
    """
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
    raise ValueError(f"Unknown strategy {name!r}; use 'default' or 'mirrored'.")
