"""Decoder speed: our greedy / beam search / lexicon search against keras.ops.ctc_decode.

Usage: python bench/decode_speed.py [--batch 256] [--frames 32] [--repeats 5]
                                   [--lexicon-size 50000] [--lexicon-images 8]

Logits come in two flavours, both (batch, frames, 95) for the 94_full charset:
  peaky: like a trained CTC model - blank-dominant frames with a confident character now and then
         (and sometimes a runner-up character), lengths between 20 and ``frames``;
  flat:  standard-normal logits, the worst case for candidate pruning.
Keras is told blank = class 0 with ``mask_index=0`` (it moves that column last for TensorFlow's
beam decoder and shifts the labels back). Prints median ms per word and ratios to Keras' beam.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from crnn_core.charset import Charset
from crnn_core.decode import Lexicon, beam_search, greedy_decode, lexicon_decode


def peaky_logits(
    rng: np.random.Generator, words: list[str], charset: Charset, frames: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each word's characters on every other-ish frame, blanks in between, plus noise."""
    batch = len(words)
    logits = rng.normal(0.0, 1.0, (batch, frames, charset.num_classes)).astype(np.float32)
    logits[:, :, 0] += 7.0
    lengths = rng.integers(20, frames + 1, batch)
    for i, word in enumerate(words):
        chars = charset.encode(word)
        slots = np.sort(rng.choice(np.arange(0, lengths[i] - 1, 2), len(chars), replace=False))
        for t, char in zip(slots, chars, strict=True):
            logits[i, t, char] += 12.0
            if rng.random() < 0.3:  # a plausible runner-up character
                logits[i, t, rng.integers(1, charset.num_classes)] += 10.0
            if rng.random() < 0.3:  # the character spills into the next frame
                logits[i, t + 1, char] += 9.0
    return logits, lengths


def median_ms_per_word(run: Callable[[], object], batch: int, repeats: int) -> tuple[float, float]:
    """Median (wall, CPU) milliseconds per word. CPU time counts every thread of this process,
    so it is the fairer number on a busy machine; wall time is what a user waits."""
    run()  # warm-up: numba compilation, TensorFlow tracing
    wall, cpu = [], []
    for _ in range(repeats):
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        run()
        wall.append(time.perf_counter() - start_wall)
        cpu.append(time.process_time() - start_cpu)
    return (
        statistics.median(wall) * 1000.0 / batch,
        statistics.median(cpu) * 1000.0 / batch,
    )


def keras_beam(keras: Any, logits: np.ndarray, lengths: np.ndarray, charset: Charset) -> list[str]:
    decoded, _ = keras.ops.ctc_decode(
        logits, lengths, strategy="beam_search", beam_width=10, top_paths=5, mask_index=0
    )
    best = keras.ops.convert_to_numpy(decoded)[0]  # (batch, frames), -1 = padding
    return [charset.decode(row[row > 0]) for row in best]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--frames", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--lexicon-size", type=int, default=50_000)
    parser.add_argument("--lexicon-images", type=int, default=8, help="images, flat lexicon")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras
    from wordfreq import top_n_list

    rng = np.random.default_rng(args.seed)
    charset = Charset.preset("94_full")
    vocabulary = [w for w in top_n_list("en", args.lexicon_size * 2) if charset.can_encode(w)]
    vocabulary = vocabulary[: args.lexicon_size]
    short = [w for w in vocabulary if len(w) <= 9]  # fits the shortest image (20 frames)
    words = list(rng.choice(short, args.batch))
    variants = {
        "peaky": peaky_logits(rng, words, charset, args.frames),
        "flat": (
            rng.normal(0.0, 1.0, (args.batch, args.frames, charset.num_classes)).astype("float32"),
            rng.integers(20, args.frames + 1, args.batch),
        ),
    }
    start = time.perf_counter()
    lexicon = Lexicon.build(vocabulary, charset)
    print(
        f"batch {args.batch}, frames {args.frames}, classes {charset.num_classes}, median of "
        f"{args.repeats}; lexicon: {len(vocabulary)} wordfreq 'en' words, "
        f"{len(lexicon.node_char)} trie nodes, built in {time.perf_counter() - start:.1f} s"
    )
    header = (
        f"{'logits':<7}{'decoder':<40}{'wall ms/word':>13}{'cpu ms/word':>13}"
        f"{'keras beam / this (wall, cpu)':>31}"
    )
    print(header, "-" * len(header), sep="\n")
    notes = []
    for name, (logits, lengths) in variants.items():
        # Flat logits defeat the trie's pruning (every word is about equally unlikely), so that
        # case runs on a few images only; its ms/word is still per image.
        lex_images = args.batch if name == "peaky" else min(args.lexicon_images, args.batch)
        rows: dict[str, tuple[Callable[[], object], int]] = {
            "ours greedy": (partial(greedy_decode, logits, lengths, charset), args.batch),
            "ours beam (w10, top5)": (
                partial(beam_search, logits, lengths, charset, 10, 5),
                args.batch,
            ),
            "keras ctc_decode greedy": (
                partial(keras.ops.ctc_decode, logits, lengths, mask_index=0),
                args.batch,
            ),
            "keras ctc_decode beam (w10, top5)": (
                partial(keras_beam, keras, logits, lengths, charset),
                args.batch,
            ),
            f"ours lexicon trie ({lex_images} imgs)": (
                partial(
                    lexicon_decode, logits[:lex_images], lengths[:lex_images], lexicon, charset
                ),
                lex_images,
            ),
        }
        timings = {
            label: median_ms_per_word(run, count, args.repeats)
            for label, (run, count) in rows.items()
        }
        exhaustive = partial(
            lexicon_decode, logits[:4], lengths[:4], lexicon, charset, method="exhaustive"
        )
        timings["ours lexicon exhaustive (4 imgs, 1 run)"] = median_ms_per_word(exhaustive, 4, 1)
        base_wall, base_cpu = timings["keras ctc_decode beam (w10, top5)"]
        for label, (wall, cpu) in timings.items():
            ratios = f"{base_wall / wall:.2f}x, {base_cpu / cpu:.2f}x"
            print(f"{name:<7}{label:<40}{wall:>13.4f}{cpu:>13.4f}{ratios:>31}")
        ours = [r.text for r in beam_search(logits, lengths, charset, 10, 5)]
        theirs = keras_beam(keras, logits, lengths, charset)
        agree = np.mean([a == b for a, b in zip(ours, theirs, strict=True)])
        notes.append(f"{name}: top-1 agreement, our beam vs keras beam: {agree:.1%}")
        if name == "peaky":
            found = [r.text for r in lexicon_decode(logits, lengths, lexicon, charset)]
            hits = np.mean([a == b for a, b in zip(found, words, strict=True)])
            notes.append(
                f"{name}: lexicon decode returns the word that made the logits: {hits:.1%}"
            )
    print(*notes, sep="\n")


if __name__ == "__main__":
    main()
