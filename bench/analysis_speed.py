"""Seconds per stage of ``python -m crnn_core analyze`` on synthetic words: cold vs warm.

Usage: python bench/analysis_speed.py [--count 3000] [--artifacts artifacts] [--umap-sample 20000]
       [--runs 1|2]

One process runs the whole analysis twice on the same images: the first run is *cold* (UMAP's
numba compilation, TensorFlow tracing, beam-search kernels loading), the second *warm* (what a
re-run in a long-lived process costs). Goals: warm <= 60 s, cold <= 180 s for 3000 images.
Reading the data (synthetic rendering) and loading the model happen once and count in both
totals. Every stage also shows process CPU seconds, which other jobs on a busy machine inflate
far less than wall time, and its share of the warm run (the baseline measured in the same run).
Then it times placing 100 new frames on the map, against the same frames' model inference, and
against 100 000 references (the most the dashboard shows). Without a model in ``--artifacts``
a tiny random CRNN is built (timings of the model stages are then not representative).

Memory: the peak VmRSS and RssAnon of each stage of the cold run (``_memory.MemorySampler``,
fed by the pipeline's stage hook); VmRSS counts TensorFlow's shared-library pages (~0.5 GiB),
RssAnon is what the run itself allocates. ``--runs 1`` skips the warm run (and its timing).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import ROOT, machine_line, print_table  # first: puts the repo on sys.path
from _memory import MemorySampler

from crnn_core.analysis import load_analysis, place_new_frames
from crnn_core.analysis.inputs import read_inputs
from crnn_core.analysis.pipeline import AnalysisConfig, run_analysis
from crnn_core.analysis.projection import FramePlacer
from crnn_core.artifacts import load_manifest, load_recognizer
from crnn_core.recognizer import Recognizer


def recognizer_for(artifacts: Path, scratch: Path) -> tuple[Recognizer, str]:
    if (artifacts / "model.keras").is_file():
        return load_recognizer(artifacts), str(artifacts)
    from crnn_core.artifacts import save_artifacts
    from crnn_core.charset import Charset
    from crnn_core.model import ModelConfig, build_crnn

    charset = Charset.preset()
    config = ModelConfig(charset.num_classes, conv_channels=(8, 8, 16, 16, 16, 16), lstm_units=16)
    save_artifacts(scratch / "tiny", build_crnn(config), charset, config, {"note": "bench"})
    return load_recognizer(scratch / "tiny"), "tiny random CRNN (no model in --artifacts)"


def median_seconds(run: object, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def placement_figures(out: Path, recognizer: Recognizer) -> None:
    analysis = load_analysis(out)
    images = analysis.images
    picked, frames = [], 0
    for image_id, n in zip(images["image_id"], images["n_frames"], strict=True):
        picked.append(int(image_id))
        frames += int(n)
        if frames >= 100:
            break
    logits = np.concatenate([analysis.logits(i) for i in picked])[:100]
    start = time.perf_counter()
    place_new_frames(analysis, logits)
    first = time.perf_counter() - start
    placed = median_seconds(lambda: place_new_frames(analysis, logits))
    pixels = [analysis.image(i) for i in picked]
    inference = median_seconds(lambda: recognizer.frame_logits(pixels), repeats=3)
    rng = np.random.default_rng(0)
    big = FramePlacer(
        rng.normal(size=(100_000, logits.shape[1])).astype(np.float32),
        rng.normal(size=(100_000, 2)),
    )
    queries = rng.normal(size=(100, logits.shape[1])).astype(np.float32)
    big_placed = median_seconds(lambda: big.place(queries))
    reference = int(analysis.summary["placement"]["reference_frames"])
    print(f"\nplacing 100 new frames ({reference} reference frames):")
    print_table(
        ["what", "seconds", "x model inference"],
        [
            ["model inference of their images (baseline)", f"{inference:.4f}", "1.00"],
            ["first call (loads logits, builds index)", f"{first:.4f}", f"{first / inference:.2f}"],
            ["place_new_frames, median of 7", f"{placed:.4f}", f"{placed / inference:.2f}"],
            ["against 100 000 references", f"{big_placed:.4f}", f"{big_placed / inference:.2f}"],
        ],
    )


def print_memory(memory: MemorySampler) -> None:
    """Peak VmRSS / RssAnon per stage of the cold run, and over the whole run."""
    rows = [[stage, f"{rss:.0f}", f"{anon:.0f}"] for stage, (rss, anon) in memory.peaks.items()]
    rss, anon = memory.overall()
    rows.append(["PEAK", f"{rss:.0f}", f"{anon:.0f}"])
    print_table(["stage (cold run)", "peak VmRSS MiB", "peak RssAnon MiB"], rows)
    print(f"goal: peak <= 1024 MiB: VmRSS {'met' if rss <= 1024 else 'MISSED'}, "
          f"RssAnon {'met' if anon <= 1024 else 'MISSED'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts")
    parser.add_argument("--umap-sample", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, choices=(1, 2), default=2, help="1: cold run only")
    args = parser.parse_args()
    print(machine_line())
    with tempfile.TemporaryDirectory() as scratch_name, MemorySampler() as memory:
        scratch = Path(scratch_name)
        start = time.perf_counter()
        memory.stage("load_model")
        recognizer, model_name = recognizer_for(args.artifacts, scratch)
        load_seconds = time.perf_counter() - start
        start = time.perf_counter()
        memory.stage("read_data")
        words, _ = read_inputs([f"synthetic:{args.count}"], recognizer.charset,
                               recognizer.max_width, args.seed, None, progress=False)  # fmt: skip
        read_seconds = time.perf_counter() - start
        config = AnalysisConfig(seed=args.seed, umap_sample=args.umap_sample, progress=False)
        runs = {"cold": run_analysis(recognizer, words, scratch / "cold", config,
                                     on_stage=memory.stage)}  # fmt: skip
        memory.stage("after the cold run")
        counts = runs["cold"]["counts"]
        print(f"model: {model_name}; {counts['images']} images, {counts['frames']} frames")
        print_memory(memory)
        if args.runs == 1:
            return
        runs["warm"] = run_analysis(recognizer, words, scratch / "warm", config)
        cold, warm = runs["cold"], runs["warm"]
        counts = warm["counts"]
        print(f"model: {model_name}; {counts['images']} images, {counts['frames']} frames, "
              f"K={warm['k']}, UMAP on {warm['umap']['rows']} frames")  # fmt: skip
        rows = [
            ["load model (once)", f"{load_seconds:.1f}", "", f"{load_seconds:.1f}", "", ""],
            ["read data (once)", f"{read_seconds:.1f}", "", f"{read_seconds:.1f}", "", ""],
        ]
        warm_total = sum(warm["timings_seconds"].values())
        for stage, seconds in warm["timings_seconds"].items():
            cold_wall, cold_cpu = cold["timings_seconds"][stage], cold["timings_cpu_seconds"][stage]
            warm_cpu = warm["timings_cpu_seconds"][stage]
            rows.append([
                stage, f"{cold_wall:.1f}", f"{cold_cpu:.1f}", f"{seconds:.1f}", f"{warm_cpu:.1f}",
                f"{100 * seconds / warm_total:.0f}%",
            ])  # fmt: skip
        once = load_seconds + read_seconds
        cold_total = once + sum(cold["timings_seconds"].values())
        rows.append(["TOTAL", f"{cold_total:.1f}", "", f"{once + warm_total:.1f}", "", ""])
        print_table(["stage", "cold s", "cold cpu s", "warm s", "warm cpu s", "warm share"], rows)
        print(f"goals: warm <= 60 s ({'met' if once + warm_total <= 60 else 'MISSED'}), "
              f"cold <= 180 s ({'met' if cold_total <= 180 else 'MISSED'})")  # fmt: skip
        same = load_analysis(scratch / "cold").frames.equals(load_analysis(scratch / "warm").frames)
        print(f"cold and warm frames tables identical (seeded, reproducible): {same}")
        placement_figures(scratch / "warm", recognizer)
        sizes = warm["files_bytes"]
        print(f"\noutput folder: {sum(sizes.values()) / 1e6:.2f} MB "
              + ", ".join(f"{k} {v / 1e6:.2f}" for k, v in sizes.items()))  # fmt: skip
        if (args.artifacts / "manifest.json").is_file():
            sha = load_manifest(args.artifacts)["files"].get("model.keras", "")
            print(f"model sha256 {sha[:12]}…")


if __name__ == "__main__":
    main()
