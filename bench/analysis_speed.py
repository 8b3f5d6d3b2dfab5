"""Peak memory, wall and CPU seconds per stage of ``analyze`` on synthetic words, at several sizes.

Usage: python bench/analysis_speed.py [--counts 1000 3000 10000] [--artifacts artifacts]
       [--umap-sample N] [--silhouette-sample N] [--batch-size N]

Each count runs in a fresh process (``--one``), exactly as ``python -m crnn_core analyze`` does
(``crnn_core.analysis.command.analyze``): this process renders the words; a child process runs
the model stage (TensorFlow: load model, logits, greedy + beam decoding) and exits; this
process, which never imports TensorFlow, does export, KMeans, scores, matching, confusions,
placement of the other frames, writing, while a UMAP worker process (started first, compiling
its code meanwhile) fits the map of the reference sample.

**Peak memory** = the largest process's peak RSS (the analysis process, the model-stage child,
the UMAP worker). Printed per stage and process (sampled every 20 ms from ``/proc``: VmRSS and
RssAnon, see ``_memory``), plus each process's exact high-water mark (``VmHWM``) and the
sampled peak of all of them at once (the UMAP worker lives beside the other two).

Goals (issue 12): 3000 images <= 1024 MiB peak and <= 60 s wall on 2 cores; cost per image flat
up to 20 000 images. On a shared, busy machine wall time is inflated, so CPU seconds per image
and the ratio of each size's per-image cost to the 3000-image one (same run) are printed too,
with the CPU model and load average before and after.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _common import ROOT, machine_line, print_table  # first: puts the repo on sys.path
from _memory import MemorySampler

GOAL_MIB, GOAL_SECONDS, GOAL_COUNT = 1024, 60.0, 3000


def one_run(args: argparse.Namespace) -> None:
    """Run ``analyze`` once in this (fresh) process; write the figures to ``args.json``."""
    from crnn_core.analysis.command import analyze
    from crnn_core.analysis.model_outputs import peak_rss_mib
    from crnn_core.analysis.pipeline import AnalysisConfig

    overrides = {"umap_sample": args.umap_sample, "silhouette_sample": args.silhouette_sample,
                 "batch_size": args.batch_size}  # fmt: skip
    config = AnalysisConfig(seed=args.seed, progress=False,
                            **{k: v for k, v in overrides.items() if v})  # fmt: skip
    start = time.perf_counter()
    with MemorySampler() as memory:
        summary = analyze([f"synthetic:{args.one}"], args.out, args.artifacts, config,
                          max_frames=None, on_stage=memory.stage)  # fmt: skip
    wall = time.perf_counter() - start
    result = {
        "count": args.one, "wall": wall, "summary": summary,
        "own": memory.peaks, "child": memory.child_peaks, "total": memory.total_peaks,
        "parent_hwm": peak_rss_mib(), "tensorflow_here": "tensorflow" in sys.modules,
    }  # fmt: skip
    Path(args.json).write_text(json.dumps(result, default=float))


def run_count(count: int, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    out, figures = scratch / f"out{count}", scratch / f"run{count}.json"
    command = [
        sys.executable,
        __file__,
        "--one",
        str(count),
        "--out",
        str(out),
        "--json",
        str(figures),
        "--artifacts",
        str(args.artifacts),
        "--seed",
        str(args.seed),
    ]
    for name in ("umap_sample", "silhouette_sample", "batch_size"):
        if getattr(args, name):
            command += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    subprocess.run(command, check=True)
    result: dict[str, Any] = json.loads(figures.read_text())
    result["out"] = str(out)
    return result


def print_memory(result: dict[str, Any]) -> float:
    """Per-stage peaks of one run; returns the peak memory (larger process's VmHWM)."""
    summary, rows = result["summary"], []
    for stage, own in result["own"].items():
        child, total = result["child"].get(stage, (0, 0)), result["total"].get(stage, (0, 0))
        rows.append([stage, f"{own[0]:.0f}", f"{own[1]:.0f}", f"{child[0]:.0f}",
                     f"{child[1]:.0f}", f"{total[0]:.0f}"])  # fmt: skip
    model_hwm = summary["memory"]["model_process_peak_rss_mib"] or 0.0
    umap_hwm = summary["memory"].get("umap_process_peak_rss_mib") or 0.0
    parent_hwm = result["parent_hwm"] or 0.0
    rows.append(["VmHWM (exact peak)", f"{parent_hwm:.0f}", "",
                 f"model {model_hwm:.0f}, UMAP {umap_hwm:.0f}", "", ""])  # fmt: skip
    counts = summary["counts"]
    print(f"\n{counts['images']} images, {counts['frames']} frames: memory (MiB)")
    print_table(["stage", "analysis VmRSS", "analysis RssAnon", "children VmRSS",
                 "children RssAnon", "all together"], rows)  # fmt: skip
    together = max((t[0] for t in result["total"].values()), default=0.0)
    anon = max((result["own"][s][1] + result["child"].get(s, (0, 0))[1] for s in result["own"]),
               default=0.0)  # fmt: skip
    print("children: the model-stage child and the UMAP worker (summed while both live); "
          f"all processes at once, sampled: VmRSS {together:.0f} MiB (shared library pages "
          f"counted once per process), RssAnon {anon:.0f} MiB")  # fmt: skip
    print(f"TensorFlow imported in the analysis process: {result['tensorflow_here']}")
    return max(parent_hwm, model_hwm, umap_hwm)


def print_costs(results: list[dict[str, Any]]) -> None:
    """Wall/CPU seconds per stage and per 1000 images at every count, and the flatness ratio."""
    base = next((r for r in results if r["count"] == GOAL_COUNT), results[0])
    last = results[-1]
    stages = list(last["summary"]["timings_seconds"])
    header = ["stage"]
    for r in results:
        header += [f"{r['count']}: wall s", "cpu s", "cpu s/1k img"]
    header.append(f"cpu/img {last['count']} ÷ {base['count']}")
    rows = []
    for stage in [*stages, "TOTAL"]:
        row: list[object] = [stage]
        per: dict[int, float] = {}
        for r in results:
            wall, cpu = r["summary"]["timings_seconds"], r["summary"]["timings_cpu_seconds"]
            w = sum(wall.values()) if stage == "TOTAL" else wall.get(stage, 0.0)
            c = sum(cpu.values()) if stage == "TOTAL" else cpu.get(stage, 0.0)
            per[r["count"]] = 1000 * c / r["count"]
            row += [f"{w:.1f}", f"{c:.1f}", f"{per[r['count']]:.2f}"]
        ratio = per[last["count"]] / per[base["count"]] if per[base["count"]] else float("nan")
        row.append(f"{ratio:.2f}")
        rows.append(row)
    print("\nseconds per stage (model stages: child process CPU; the rest: this process)")
    print_table(header, rows)


def placement_figures(out: str) -> None:
    """Placing 100 new frames on the map, as the dashboard does for an uploaded word."""
    from crnn_core.analysis import load_analysis, place_new_frames
    from crnn_core.analysis.projection import FramePlacer

    analysis = load_analysis(out)
    logits = analysis.all_logits()[:100].astype(np.float32)
    start = time.perf_counter()
    place_new_frames(analysis, logits)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(7):
        place_new_frames(analysis, logits)
    again = (time.perf_counter() - start) / 7
    rng = np.random.default_rng(0)
    big = FramePlacer(rng.normal(size=(100_000, logits.shape[1])).astype(np.float32),
                      rng.normal(size=(100_000, 2)))  # fmt: skip
    start = time.perf_counter()
    big.place(rng.normal(size=(100, logits.shape[1])).astype(np.float32))
    reference = int(analysis.summary["placement"]["reference_frames"])
    print(f"\nplacing 100 new frames: first call {first:.3f} s (loads logits, builds the "
          f"index), then {again:.4f} s ({reference} references); against 100 000 references "
          f"{time.perf_counter() - start:.4f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", type=int, nargs="+", default=[1000, GOAL_COUNT, 10000])
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts")
    parser.add_argument("--umap-sample", type=int, default=0, help="0: AnalysisConfig default")
    parser.add_argument("--silhouette-sample", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=0, help="inference batch (0: default)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one_run(args)
        return
    if not (args.artifacts / "model.keras").is_file():
        raise SystemExit(f"no model in {args.artifacts}: pass --artifacts")
    print("before:", machine_line())
    with tempfile.TemporaryDirectory() as scratch:
        results = [run_count(n, args, Path(scratch)) for n in sorted(args.counts)]
        for result in results:
            peak = print_memory(result)
            if result["count"] == GOAL_COUNT:
                wall = result["wall"]
                print(f"goal at {GOAL_COUNT} images: peak {peak:.0f} MiB <= {GOAL_MIB} "
                      f"{'met' if peak <= GOAL_MIB else 'MISSED'}; wall {wall:.1f} s <= "
                      f"{GOAL_SECONDS:.0f} {'met' if wall <= GOAL_SECONDS else 'MISSED'} "
                      "(wall is inflated on a busy machine)")  # fmt: skip
        print_costs(results)
        for r in results:
            print(f"{r['count']} images: wall {r['wall']:.1f} s for the whole analyze call")
        placement_figures(results[-1]["out"])
        summary = results[-1]["summary"]
        print(f"K={summary['k']}, UMAP on {summary['umap']['rows']} frames, "
              f"{summary['placement']['placed_frames']} placed; model sha256 "
              f"{(summary['model'] or {}).get('sha256', '')[:12]}…")  # fmt: skip
    print("after:", machine_line())


if __name__ == "__main__":
    main()
