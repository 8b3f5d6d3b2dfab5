"""Callbacks that make long CPU runs observable: tqdm bar, validation with acc36, metrics log."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
from tqdm import tqdm

from crnn_core import metrics
from crnn_core.charset import Charset
from crnn_core.recognizer import Recognizer, run_logits
from crnn_core.training.run_folder import RunFolder

__all__ = ["TqdmProgress", "ValidationSet", "Validator"]


class TqdmProgress(keras.callbacks.Callback):
    """One progress bar over all optimizer steps of the run (resumed runs start where they were)."""

    def __init__(self, total_steps: int, initial_step: int, log_path: Path) -> None:
        super().__init__()
        self.total_steps = total_steps
        self.step = initial_step
        self.log_path = log_path
        self.bar: tqdm | None = None
        self.started = time.time()

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.bar = tqdm(total=self.total_steps, initial=self.step, unit="step", dynamic_ncols=True)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.step += 1
        if self.bar is not None:
            self.bar.update(1)
            if logs and self.step % 10 == 0:
                self.bar.set_postfix(loss=f"{float(logs.get('loss', float('nan'))):.3f}")
        if logs and self.step % 50 == 0:
            record = {
                "step": self.step,
                "loss": float(logs.get("loss", float("nan"))),
                "elapsed_s": round(time.time() - self.started, 1),
            }
            with self.log_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self.bar is not None:
            self.bar.close()


class ValidationSet:
    """Pre-processed validation images (uint8 height 32) with their ground truths."""

    def __init__(self, name: str, images: Sequence[np.ndarray], texts: Sequence[str]) -> None:
        self.name = name
        self.images = list(images)
        self.texts = list(texts)


class Validator(keras.callbacks.Callback):
    """Every ``every`` steps: greedy acc36 and case-sensitive accuracy on each validation set.

    Appends to ``metrics.jsonl`` (the learning curve) and TensorBoard, and keeps the best
    inference weights (by mean acc36) in ``best.weights.h5``.
    """

    def __init__(
        self,
        recognizer: keras.Model,
        charset: Charset,
        sets: Sequence[ValidationSet],
        every: int,
        initial_step: int,
        run_dir: Path,
    ) -> None:
        super().__init__()
        self.recognizer = recognizer
        self.decoder = Recognizer(recognizer, charset)  # greedy decoding of validation logits
        self.sets = list(sets)
        self.every = every
        self.step = initial_step
        self.run_dir = run_dir
        self.run = RunFolder(run_dir)
        self.best = self.run.best_score()
        self.writer: Any = None
        # CPU seconds (all threads) before this process started, so the curve's cpu_seconds
        # are cumulative over interrupted-and-resumed runs (work after the last record is lost)
        self.cpu_offset = self.run.last_cpu_seconds() - time.process_time()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        self.step += 1
        if self.sets and self.step % self.every == 0:
            self.evaluate_now()

    def evaluate_now(self) -> dict[str, float]:
        record: dict[str, Any] = {
            "step": self.step,
            "time": time.time(),
            "cpu_seconds": round(self.cpu_offset + time.process_time(), 1),
        }
        scores = []
        for vset in self.sets:
            logits = run_logits(self.recognizer, vset.images, batch_size=128)
            texts = [p.text for p in self.decoder.decode(logits)]
            pairs = list(zip(texts, vset.texts, strict=True))
            acc36, acc_case = metrics.acc36(pairs), metrics.acc_case(pairs)
            record[f"{vset.name}/acc36"] = acc36
            record[f"{vset.name}/acc_case"] = acc_case
            scores.append(acc36)
        score = float(np.mean(scores))
        record["score"] = score
        self.run.append_metrics(record)
        self._tensorboard(record)
        summary = "  ".join(f"{k}={v:.3f}" for k, v in record.items() if "/" in k)
        tqdm.write(f"[step {self.step}] validation {summary}")
        if score > self.best:
            self.best = score
            self.recognizer.save_weights(self.run.weights("best"))
            self.run.write_best(self.step, score)
        return record

    def _tensorboard(self, record: dict[str, Any]) -> None:
        import tensorflow as tf

        if self.writer is None:
            self.writer = tf.summary.create_file_writer(
                str(self.run / RunFolder.TENSORBOARD / "val")
            )
        with self.writer.as_default():
            for key, value in record.items():
                if "/" in key or key == "score":
                    tf.summary.scalar(key, value, step=self.step)
            self.writer.flush()
