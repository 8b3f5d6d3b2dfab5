"""``python -m crnn_core analyze --data SPEC... --out DIR``: the logit analysis the dashboard reads.

Example::

    python -m crnn_core analyze --data synthetic:2000 --out artifacts/analysis --seed 1

``synthetic:N`` renders samples ``0 .. N-1`` of ``SyntheticWordGenerator(charset, seed=SEED)``.
Training draws its synthetic words with seed 0 (``TrainConfig.seed``), so the default seed 1
gives words the model has not been trained on.

TensorFlow is never imported in this process: ``crnn_core.cli.main`` hands ``analyze`` to
``main`` here before anything loads it, and the model runs in a child process
(``crnn_core.analysis.model_stage``), so the process that clusters and maps the frames stays
small (issue 12: <= 1 GiB for 3000 images).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import Any

from crnn_core.analysis.command import DEFAULT_MAX_FRAMES, analyze
from crnn_core.analysis.io import AnalysisError
from crnn_core.analysis.model_stage import BATCH_SIZE
from crnn_core.analysis.pipeline import AnalysisConfig
from crnn_core.cli.args import positive_int

__all__ = ["main", "register"]


def _run(args: argparse.Namespace) -> int:
    config = AnalysisConfig(
        k=args.k,
        seed=args.seed,
        beam_width=args.beam_width,
        batch_size=args.batch_size,
        umap_sample=args.umap_sample,
        silhouette_sample=args.silhouette_sample,
        threads=args.threads or None,
        progress=not args.quiet,
    )
    start = time.perf_counter()
    try:
        summary = analyze(args.data, args.out, args.artifacts, config, args.max_frames,
                          verbose=args.verbose)  # fmt: skip
    except AnalysisError as exc:
        raise SystemExit(f"error: {exc}") from exc
    counts = summary["counts"]
    print(
        f"{counts['images']} images, {counts['frames']} frames "
        f"({counts['non_blank_frames']} non-blank)"
    )
    for view in summary["views"].values():
        print(_view_line(view))
    memory = summary["memory"]
    print(
        f"wrote {args.out} in {time.perf_counter() - start:.1f} s; peak RSS: model process "
        f"{_number(memory['model_process_peak_rss_mib'], '.0f')} MiB, analysis process "
        f"{_number(memory['analysis_process_peak_rss_mib'], '.0f')} MiB, UMAP worker "
        f"{_number(memory.get('umap_process_peak_rss_mib'), '.0f')} MiB"
    )
    return 0


def _view_line(view: dict[str, Any]) -> str:
    """One view's figures with their baselines, for the terminal."""
    if "purity" not in view:
        return f"{view['title']}: {view.get('skipped', 'not computed')}"
    pur, sil, match = view["purity"], view["silhouette"], view["matching"]
    return (
        f"{view['title']} (K={view['k']}): purity {pur['value']:.3f} (one cluster "
        f"{pur['one_cluster']:.3f}, random {pur['random_assignment']:.3f}); silhouette "
        f"{_number(sil['value'])} (random labels {_number(sil['random_labels'])}); "
        f"{match['matched_clusters']} clusters named"
    )


def _number(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None or value != value else format(value, spec)


def register(sub: argparse._SubParsersAction, parent: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Add the ``analyze`` sub-command (``func`` runs it)."""
    parser = sub.add_parser(
        "analyze",
        parents=[parent],
        help="cluster per-frame logits; write tables + UMAP map for the dashboard",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_arguments(parser)


def main(argv: Sequence[str]) -> int:
    """``python -m crnn_core analyze ARGS`` without importing TensorFlow (``argv``: ARGS)."""
    parser = argparse.ArgumentParser(
        prog="python -m crnn_core analyze",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show TensorFlow's start-up log and info messages"
    )
    _add_arguments(parser)
    return int(_run(parser.parse_args(list(argv))))


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", nargs="+", required=True, help="labels.tsv folders, LMDBs, or synthetic:N"
    )
    parser.add_argument("--out", required=True, help="output folder (created)")
    parser.add_argument(
        "--artifacts",
        default=None,
        help="model directory (default: $CRNN_ARTIFACTS, else the repository's artifacts/)",
    )
    parser.add_argument(
        "--k",
        type=positive_int,
        default=None,
        help="KMeans clusters (default: number of output classes)",
    )
    parser.add_argument(
        "--max-frames",
        type=positive_int,
        default=DEFAULT_MAX_FRAMES,
        help="frame budget, shared equally by the sources",
    )
    parser.add_argument("--seed", type=int, default=1, help="sampling, KMeans, UMAP, synthetic")
    parser.add_argument("--beam-width", type=positive_int, default=10)
    parser.add_argument("--batch-size", type=positive_int, default=BATCH_SIZE)
    parser.add_argument(
        "--umap-sample",
        type=positive_int,
        default=AnalysisConfig.umap_sample,
        help="frames embedded with UMAP; every other frame is placed among their nearest "
        "neighbours on the same map",
    )
    parser.add_argument(
        "--silhouette-sample",
        type=positive_int,
        default=AnalysisConfig.silhouette_sample,
        help="frames the silhouette is scored on (drawn independently of the KMeans fit sample)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads for KMeans, silhouette, kNN (0 = all cores; 1 is reproducible "
        "and fastest when other jobs keep the CPU busy)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(func=_run)
