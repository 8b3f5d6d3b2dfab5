"""Build the model, the data stream and the callbacks, then run Keras' loop with checkpoints.

Resuming is the default: a run directory with a checkpoint continues from it (at most one
checkpoint interval of work is lost to ``kill -9``), and the sample stream continues at the index
it had reached, so a resumed run does not re-see its first samples.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import keras
import numpy as np

from crnn_core.charset import Charset
from crnn_core.losses import CTCTrainingModel
from crnn_core.model import ModelConfig, build_crnn, count_params
from crnn_core.pipeline import make_training_dataset
from crnn_core.training.callbacks import TqdmProgress, Validator
from crnn_core.training.code_revision import code_revision
from crnn_core.training.config import TrainConfig, model_config_for
from crnn_core.training.grow import describe_growth, factorization_energy, grow_into, is_exact
from crnn_core.training.run_folder import RunFolder
from crnn_core.training.sources import build_training_sources
from crnn_core.training.strategy import is_chief, make_strategy, worker_index

__all__ = ["train"]

log = logging.getLogger(__name__)


def _learning_rate(config: TrainConfig) -> keras.optimizers.schedules.LearningRateSchedule:
    warmup = min(config.warmup_steps, max(config.steps // 10, 1))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=config.learning_rate * 0.05,
        decay_steps=max(config.steps - warmup, 1),
        alpha=config.min_learning_rate / config.learning_rate,
        warmup_target=config.learning_rate,
        warmup_steps=warmup,
    )


def _fit_for_multiworker(trainer: keras.Model) -> None:
    """Two Keras 3.15 gaps with ``MultiWorkerMirroredStrategy``: it builds the model by
    all-reducing the first batch (fails for dict inputs whose widths differ per worker; model and
    optimizer are built here instead), and it reduces step logs with ``axis=0`` (fails for
    scalars; each log is sent as shape (1,) and arrives as the mean over workers)."""
    trainer.optimizer.build(trainer.trainable_variables)
    trainer._maybe_symbolic_build = lambda *args, **kwargs: None
    step = trainer.train_step

    def train_step(data: Any) -> dict[str, Any]:
        return {name: keras.ops.reshape(value, (1,)) for name, value in step(data).items()}

    trainer.train_step = train_step


def _initialise_from(recognizer: keras.Model, model_config: ModelConfig, init_from: str) -> None:
    """Copy the weights of ``init_from``; a bigger target is grown from them (``grow.py``)."""
    from crnn_core.artifacts import load_model, load_model_config

    source, source_config = load_model(init_from), load_model_config(init_from)
    changes = describe_growth(source_config, model_config)
    if changes:
        grow_into(source, recognizer, source_config, model_config)
        if is_exact(source_config, model_config):
            log.info("grew %s into this model (%s), same logits", init_from, "; ".join(changes))
        else:
            log.info(
                "reshaped %s into this model (%s); kernel energy kept: %s",
                init_from,
                "; ".join(changes),
                factorization_energy(source, model_config),
            )
    else:
        recognizer.set_weights(source.get_weights())
        log.info("initialised weights from %s", init_from)


def train(config: TrainConfig) -> Path:
    """Run (or resume) training; returns the run directory holding checkpoints and exports."""
    strategy = make_strategy(config.strategy, config.cpu_devices)
    run = RunFolder(config.run_dir)
    if config.strategy == "multiworker" and not is_chief():
        # Every worker runs the same loop; only the chief's files are the run's.
        run = RunFolder(run.path / f"worker-{worker_index()}")
    run_dir = run.path
    run_dir.mkdir(parents=True, exist_ok=True)
    if config.steps % config.checkpoint_every or config.eval_every % config.checkpoint_every:
        raise ValueError("steps and eval_every must be multiples of checkpoint_every.")
    charset = Charset.preset(config.charset)
    charset.save(run / RunFolder.CHARSET)
    model_config = model_config_for(config, charset.num_classes)
    (run / RunFolder.MODEL_CONFIG).write_text(model_config.to_json(), "utf-8")
    config.save(run / RunFolder.TRAIN_CONFIG)
    keras.utils.set_random_seed(config.seed)

    with strategy.scope():
        recognizer = build_crnn(model_config)
        if config.init_from:
            _initialise_from(recognizer, model_config, config.init_from)
        upper, lower = charset.case_pairs()
        trainer = CTCTrainingModel(recognizer, case_pairs=(upper, lower) if upper else None)
        # Build variables now: BackupAndRestore restores into a built model.
        trainer(
            {
                "image": np.zeros((1, model_config.height, 64, 1), "float32"),
                "width": np.full((1,), 64, "int32"),
            }
        )
        optimizer = keras.optimizers.AdamW(
            _learning_rate(config), weight_decay=config.weight_decay, clipnorm=5.0
        )
        trainer.compile(optimizer=optimizer)
        if config.strategy == "multiworker":
            _fit_for_multiworker(trainer)

    done = run.completed_steps(config.checkpoint_every)
    sources = build_training_sources(config, charset, model_config.max_width)
    described = {**sources.info, "code": code_revision()}  # the renderer changes between commits
    (run / RunFolder.DATA_SOURCES).write_text(json.dumps(described, indent=2), "utf-8")
    dataset = make_training_dataset(
        sources.sample_fn,
        charset,
        config.batch_size,
        model_config.max_width,
        start_index=done * config.batch_size,
    )
    log.info("strategy %s with %d replicas", type(strategy).__name__, strategy.num_replicas_in_sync)
    log.info(
        "model %s: %d parameters; resuming at step %d",
        model_config.name,
        count_params(recognizer),
        done,
    )
    callbacks: list[keras.callbacks.Callback] = [
        # double_checkpoint: a kill -9 in the middle of writing the weights leaves a corrupt
        # file; the previous checkpoint is then restored instead of crashing the resume.
        keras.callbacks.BackupAndRestore(
            str(run / RunFolder.BACKUP),
            save_freq="epoch",
            double_checkpoint=True,
            delete_checkpoint=False,
        ),
        keras.callbacks.TensorBoard(
            str(run / RunFolder.TENSORBOARD), update_freq=50, write_graph=False
        ),
        TqdmProgress(config.steps, done, run / RunFolder.TRAIN_LOG),
        Validator(recognizer, charset, sources.validation, config.eval_every, done, run_dir),
    ]
    if done < config.steps:
        trainer.fit(
            dataset,
            steps_per_epoch=config.checkpoint_every,
            epochs=config.steps // config.checkpoint_every,
            callbacks=callbacks,
            verbose=0,
        )
    recognizer.save_weights(run.weights("final"))
    return run_dir
