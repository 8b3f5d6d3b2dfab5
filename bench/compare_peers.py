"""Our recognizer vs Tesseract on one labelled dataset: accuracy and speed side by side.

Usage: python bench/compare_peers.py DIR [--limit N] [--decoder greedy|beam|both] [--beam-width 10]
       [--batch-size 64] [--artifacts artifacts] [--tesseract PATH] [--psm 8]

DIR is anything ``crnn_core.data.readers.open_source`` opens (a ``labels.tsv`` folder or a
clovaai/PARSeq LMDB). The first ``--limit`` decodable images are decoded once and held in memory,
so every engine sees the same pixels and no engine is charged for reading files. Engines take turns
on chunks of ``--batch-size`` images (ours on the whole chunk as a batch, Tesseract one process per
image, ``--psm 8`` = single word, ``-l eng``, ``OMP_THREAD_LIMIT=1``), so background load hits both.
Scoring is ``crnn_core.evaluate`` / ``crnn_core.metrics``: acc36 (lower-case alphanumerics, labels
with none excluded), case-sensitive accuracy, 1 − NED (acc36 protocol), ms/word = time inside the
engine / n. Tesseract has no word confidence here (shown as —). Nothing is installed: without
Tesseract only our rows are printed, with the command that installs it.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import math
import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import _common  # first: sets sys.path and the Keras backend before Keras is imported
from _common import machine_line, print_table
from PIL import Image

from crnn_core.artifacts import load_recognizer
from crnn_core.data.readers import LabeledSource, SkipReport, open_source
from crnn_core.evaluate import EvaluationResult, PredictFn, combined_scores, evaluate_source

INSTALL_HINT = (
    "Tesseract not found; install it with `sudo apt-get install tesseract-ocr` (Debian/Ubuntu)."
)


class MemorySource(LabeledSource):
    """Decoded samples ``[start, stop)`` of another source, held in memory (keys and texts kept)."""

    def __init__(self, name: str, keys: list[str], texts: list[str], images: list[Image.Image]):
        super().__init__(name, keys, texts, SkipReport(source=name))
        self._images = images

    def image_source(self, i: int) -> bytes:
        raise NotImplementedError("MemorySource holds decoded images; use load().")

    def load(self, i: int) -> tuple[Image.Image, str]:
        return self._images[i], self._texts[i]


def load_chunks(source: LabeledSource, limit: int | None, size: int) -> list[MemorySource]:
    """The first ``limit`` decodable samples, decoded once, split into chunks of ``size``."""
    total = len(source) if limit is None else min(limit, len(source))
    samples = list(source.samples(range(total)))
    chunks = []
    for start in range(0, len(samples), size):
        part = samples[start : start + size]
        chunks.append(
            MemorySource(
                source.name, [s.key for s in part], [s.text for s in part], [s.image for s in part]
            )
        )
    return chunks


def tesseract_predict(binary: str, psm: int, lang: str = "eng") -> PredictFn:
    """One ``tesseract stdin stdout`` process per image; text = its stdout, whitespace-joined."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def predict(images: list[Image.Image]) -> list[tuple[str, float]]:
        results = []
        for image in images:
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            done = subprocess.run(
                [binary, "stdin", "stdout", "--psm", str(psm), "-l", lang],
                input=buffer.getvalue(),
                capture_output=True,
                timeout=60,
                env=env,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(f"tesseract failed: {done.stderr.decode(errors='replace')}")
            results.append((" ".join(done.stdout.decode("utf-8", "replace").split()), math.nan))
        return results

    return predict


def tesseract_version(binary: str) -> str:
    done = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    return (done.stdout or done.stderr).splitlines()[0].strip()


def run_interleaved(
    engines: dict[str, PredictFn], chunks: Sequence[MemorySource]
) -> dict[str, EvaluationResult]:
    """Every engine on every chunk, taking turns chunk by chunk; results pooled per engine."""
    parts: dict[str, list[EvaluationResult]] = {name: [] for name in engines}
    offset = 0
    for chunk in chunks:
        for name, predict in engines.items():
            result = evaluate_source(predict, chunk, batch_size=len(chunk), progress=False)
            result.records = [
                dataclasses.replace(r, index=r.index + offset) for r in result.records
            ]
            parts[name].append(result)
        offset += len(chunk)
    return {
        name: EvaluationResult(
            name,
            combined_scores(results),
            [r for result in results for r in result.records],
        )
        for name, results in parts.items()
    }


def _pct(value: float) -> str:
    return "—" if math.isnan(value) else f"{100 * value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", help="labels.tsv folder or LMDB (optionally name=path)")
    parser.add_argument("--limit", type=int, default=None, help="first N images only")
    parser.add_argument("--decoder", choices=["greedy", "beam", "both"], default="greedy")
    parser.add_argument("--beam-width", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64, help="images per turn (and batch)")
    parser.add_argument("--artifacts", type=Path, default=_common.ROOT / "artifacts")
    parser.add_argument("--tesseract", default="tesseract", help="binary name or path")
    parser.add_argument("--psm", type=int, default=8, help="Tesseract page segmentation mode")
    args = parser.parse_args()

    recognizer = load_recognizer(args.artifacts)
    source = open_source(args.dataset)
    chunks = load_chunks(source, args.limit, args.batch_size)
    decoders = ["greedy", "beam"] if args.decoder == "both" else [args.decoder]

    def ours(decoder: str) -> PredictFn:
        def predict(images: list[Image.Image]) -> list[tuple[str, float]]:
            found = recognizer.predict(
                images, decoder=decoder, beam_width=args.beam_width, batch_size=args.batch_size
            )
            return [(p.text, p.confidence) for p in found]

        return predict

    engines: dict[str, Callable[[list[Image.Image]], Sequence[tuple[str, float]]]] = {
        f"ours ({decoder})": ours(decoder) for decoder in decoders
    }
    binary = shutil.which(args.tesseract)
    print(machine_line())
    print(f"dataset {source.name}: {sum(len(c) for c in chunks)} images ({args.dataset})")
    print(f"ours: {args.artifacts}, batch {args.batch_size}")
    if binary:
        print(f"tesseract: {binary}, {tesseract_version(binary)}, --psm {args.psm} -l eng")
        engines[f"tesseract --psm {args.psm}"] = tesseract_predict(binary, args.psm)
    else:
        print(INSTALL_HINT)

    first = chunks[0].load(0)[0] if chunks and len(chunks[0]) else None
    for predict in engines.values():  # warm-up: model tracing, numba compilation, disk cache
        if first is not None:
            predict([first])
    results = run_interleaved(engines, chunks)

    base = results[next(iter(engines))].scores.ms_per_word
    rows = []
    for name, result in results.items():
        s = result.scores
        rows.append(
            [
                name,
                s.n,
                _pct(s.acc36),
                _pct(s.acc_case),
                _pct(s.one_minus_ned),
                "—" if math.isnan(s.mean_confidence) else f"{100 * s.mean_confidence:.1f}",
                f"{s.ms_per_word:.2f}",
                f"{s.ms_per_word / base:.1f}×",
            ]
        )
    print_table(
        ["engine", "n", "acc36 %", "acc_case %", "1 − NED %", "conf %", "ms/word", "time vs ours"],
        rows,
    )
    if source.skipped.total:
        print(source.skipped.summary())
    if not binary:
        print(INSTALL_HINT)
    print(machine_line())


if __name__ == "__main__":
    main()
