"""Inference speed of the shipped model: batch-1 latency and batched words/s, several call paths.

Usage: python bench/infer_latency.py [--runs 100] [--batch-repeats 8] [--batches 64 256]
       [--eager] [--variant NAME=JSON ...] [--artifacts artifacts]

Inputs are rendered word images (``SyntheticWordGenerator``, seed 0, widths 16–160 px), a different
word on every call, so variable widths (and any retracing they cause) are part of the measurement.
Model-call paths (numpy padded batch in, numpy logits out):
  predict_on_batch       ``model.predict_on_batch`` (the baseline: Keras' own predict function);
  eager call             ``model(x, training=False)`` without ``tf.function`` (``--eager``);
  tf.function retracing  ``tf.function(model, reduce_retracing=True)``;
  tf.function signature  ``tf.function`` with ``input_signature`` (batch, 32, None, 1): one trace.
End-to-end paths (list of uint8 (32, W) images in, ``Prediction`` objects out; resize + pad +
model + greedy decode):
  Recognizer.predict     what ``crnn_core.recognizer`` does now (BatchNorm folded into the convs,
                         the graph without LSTM frame masks for chunks that fill every frame);
  Recognizer, BN graph   the same weights in the training graph (BatchNorm layers, frame masks
                         always): what ``load_recognizer`` ran before folding;
  predict_on_batch e2e   the same steps with the model called through ``predict_on_batch``.
``--variant 'NAME={"lstm_layers": 1}'`` adds tables for random-weight models built from the shipped
config with ModelConfig overrides, in the graphs ``load_recognizer`` runs (BN folded, the
full-frame variant for batch 1), called through ``run_logits`` (what ``Recognizer`` uses).
Paths take turns call by call. Reported: wall-clock median / min / p90, median process CPU time
(all threads; much less inflated by other jobs than wall time), words/s from the wall median, and
ratios "vs base" = predict_on_batch time / path time of the same kind (model or e2e).
Goals (issue 3): batch 1 ≤ 10 ms, batched ≥ 500 words/s.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import _common  # first: sets sys.path and the Keras backend before Keras is imported
import keras
import numpy as np
import tensorflow as tf
from _common import (
    Timings,
    interleaved,
    machine_line,
    median,
    parse_variant,
    percentile,
    print_table,
)

from crnn_core.artifacts import load_model, load_model_config, load_recognizer
from crnn_core.data.synthetic import SyntheticWordGenerator
from crnn_core.folding import fold_batchnorm
from crnn_core.model import ModelConfig, build_crnn
from crnn_core.preprocess import HEIGHT, logit_length, pad_batch
from crnn_core.recognizer import Recognizer, run_logits

Inputs = dict[str, np.ndarray]


def model_paths(model: keras.Model, eager: bool) -> dict[str, Callable[[Inputs], np.ndarray]]:
    """Ways to get numpy logits from a numpy ``{image, width}`` batch."""
    retracing = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    signature = tf.function(
        lambda x: model(x, training=False),
        input_signature=[
            {
                "image": tf.TensorSpec((None, HEIGHT, None, 1), tf.float32),
                "width": tf.TensorSpec((None,), tf.int32),
            }
        ],
    )
    paths: dict[str, Callable[[Inputs], np.ndarray]] = {
        "predict_on_batch": lambda x: np.asarray(model.predict_on_batch(x)),
        "tf.function retracing": lambda x: retracing(x).numpy(),
        "tf.function signature": lambda x: signature(x).numpy(),
    }
    if eager:
        paths["eager call"] = lambda x: np.asarray(model(x, training=False))
    return paths


def predict_on_batch_e2e(recognizer: Recognizer, images: Sequence[np.ndarray]) -> list[object]:
    """``Recognizer.predict`` (greedy) with the model called through ``predict_on_batch``."""
    prepared = recognizer.prepare(images)
    order = np.argsort([img.shape[1] for img in prepared], kind="stable")
    logits: list[np.ndarray] = [np.empty(0)] * len(prepared)
    for start in range(0, len(order), 64):
        chunk = order[start : start + 64]
        batch, widths = pad_batch([prepared[i] for i in chunk])
        out = np.asarray(
            recognizer.model.predict_on_batch({"image": batch.astype(np.float32), "width": widths})
        )
        for row, index in enumerate(chunk):
            logits[index] = out[row, : int(logit_length(int(widths[row])))]
    return list(recognizer.decode(logits))


def to_inputs(images: Sequence[np.ndarray]) -> Inputs:
    batch, widths = pad_batch(list(images))
    return {"image": batch.astype(np.float32), "width": widths}


def cycling(items: Sequence[object]) -> Callable[[], object]:
    """Each call returns the next item (wrapping), so consecutive calls see different words."""
    state = {"i": 0}

    def next_item() -> object:
        item = items[state["i"] % len(items)]
        state["i"] += 1
        return item

    return next_item


def measure(
    recognizer: Recognizer,
    plain: Recognizer,
    images: list[np.ndarray],
    batch: int,
    repeats: int,
    eager: bool,
) -> dict[str, Timings]:
    """Seconds per call of every path on batches of ``batch`` consecutive words."""
    groups = [images[i : i + batch] for i in range(0, len(images) - batch + 1, batch)]
    inputs = [to_inputs(group) for group in groups]
    candidates: dict[str, Callable[[], object]] = {}
    for name, path in model_paths(recognizer.model, eager).items():
        pick = cycling(inputs)
        candidates[name] = lambda path=path, pick=pick: path(pick())  # type: ignore[misc]
    pick_e2e, pick_old, pick_plain = cycling(groups), cycling(groups), cycling(groups)
    candidates["Recognizer.predict"] = lambda: recognizer.predict(pick_e2e())  # type: ignore[arg-type]
    candidates["Recognizer, BN graph"] = lambda: plain.predict(pick_plain())  # type: ignore[arg-type]
    candidates["predict_on_batch e2e"] = lambda: predict_on_batch_e2e(recognizer, pick_old())  # type: ignore[arg-type]
    return interleaved(candidates, repeats, warmup=3)


def report(times: dict[str, Timings], batch: int) -> None:
    """One table per batch size; ratios are baseline time / path time (> 1 = faster)."""
    baseline = {"model": times["predict_on_batch"], "e2e": times["predict_on_batch e2e"]}
    rows = []
    for name, t in times.items():
        e2e = ("Recognizer.predict", "Recognizer, BN graph", "predict_on_batch e2e")
        kind = "e2e" if name in e2e else "model"
        base = baseline[kind]
        rows.append(
            [
                f"{kind}: {name}",
                len(t.wall),
                f"{1000 * median(t.wall):.2f}",
                f"{1000 * min(t.wall):.2f}",
                f"{1000 * percentile(t.wall, 90):.2f}",
                f"{1000 * median(t.cpu):.2f}",
                f"{batch / median(t.wall):.0f}",
                f"{median(base.wall) / median(t.wall):.2f}×",
                f"{median(base.cpu) / median(t.cpu):.2f}×",
            ]
        )
    print(f"\nbatch {batch}")
    print_table(
        [
            "path",
            "calls",
            "ms med",
            "ms min",
            "ms p90",
            "CPU ms med",
            "words/s",
            "vs base",
            "vs base (CPU)",
        ],
        rows,
    )


def compare_variants(
    config: ModelConfig, specs: Sequence[str], images: list[np.ndarray], batch: int, repeats: int
) -> None:
    """Random-weight models (shipped config, then each ``NAME=JSON`` override), ``run_logits``."""
    configs = {"shipped config": config}
    for spec in specs:
        name, overrides = parse_variant(spec)
        configs[name] = dataclasses.replace(config, **overrides)  # type: ignore[arg-type]
    candidates: dict[str, Callable[[], object]] = {}
    groups = [images[i : i + batch] for i in range(0, len(images) - batch + 1, batch)]
    for name, variant in configs.items():
        trained = build_crnn(variant)  # the graphs load_recognizer runs: BN folded, + full-frame
        model, full = fold_batchnorm(trained, variant), fold_batchnorm(trained, variant, False)
        pick = cycling(groups)
        candidates[name] = lambda model=model, full=full, pick=pick: run_logits(  # type: ignore[misc]
            model, pick(), full_frames_model=full
        )
    times = interleaved(candidates, repeats, warmup=3)
    base = times["shipped config"]
    rows = [
        [
            name,
            len(t.wall),
            f"{1000 * median(t.wall):.2f}",
            f"{1000 * median(t.cpu):.2f}",
            f"{batch / median(t.wall):.0f}",
            f"{median(base.wall) / median(t.wall):.2f}×",
            f"{median(base.cpu) / median(t.cpu):.2f}×",
        ]
        for name, t in times.items()
    ]
    print(f"\nvariants (random weights, run_logits), batch {batch}")
    print_table(
        ["config", "calls", "ms med", "CPU ms med", "words/s", "vs shipped", "vs shipped (CPU)"],
        rows,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="batch-1 calls per path")
    parser.add_argument("--batch-repeats", type=int, default=8, help="batched calls per path")
    parser.add_argument("--batches", type=int, nargs="*", default=[64, 256])
    parser.add_argument(
        "--eager", action="store_true", help="add model(x) without tf.function (very slow)"
    )
    parser.add_argument("--artifacts", type=Path, default=_common.ROOT / "artifacts")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="also time a random-weight variant of the shipped config, e.g. "
        "'1 BiLSTM={\"lstm_layers\": 1}'",
    )
    args = parser.parse_args()

    recognizer = load_recognizer(args.artifacts)
    config = load_model_config(args.artifacts)
    training_graph = build_crnn(config)
    training_graph.set_weights(load_model(args.artifacts).get_weights())
    plain = Recognizer(training_graph, recognizer.charset, recognizer.max_width)
    generator = SyntheticWordGenerator(recognizer.charset, seed=0, max_width=recognizer.max_width)
    count = max(args.runs, *args.batches, 256)
    images = [generator.sample(i)[0] for i in range(count)]
    widths = [img.shape[1] for img in images]
    print(machine_line())
    print(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}; model {args.artifacts}, "
        f"{len(images)} synthetic words, widths {min(widths)}–{max(widths)} px "
        f"(median {int(np.median(widths))}); greedy decoding"
    )
    one = measure(recognizer, plain, images, 1, args.runs, args.eager)
    report(one, 1)
    best_one = min(median(t.wall) for t in one.values())
    batched_rates = []
    for batch in args.batches:
        times = measure(recognizer, plain, images, batch, args.batch_repeats, args.eager)
        report(times, batch)
        batched_rates.append(batch / median(times["Recognizer.predict"].wall))
    e2e_one = 1000 * median(one["Recognizer.predict"].wall)
    print(
        f"\ngoals: batch-1 ≤ 10 ms → Recognizer.predict {e2e_one:.2f} ms, "
        f"fastest model path {1000 * best_one:.2f} ms; batched ≥ 500 words/s → "
        f"Recognizer.predict {max(batched_rates, default=float('nan')):.0f} words/s"
    )
    if args.variant:
        for batch in [1, *args.batches]:
            repeats = args.runs if batch == 1 else args.batch_repeats
            compare_variants(config, args.variant, images, batch, repeats)
    print(machine_line())


if __name__ == "__main__":
    main()
