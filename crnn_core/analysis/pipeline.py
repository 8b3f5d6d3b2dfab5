"""The analysis run: model outputs → export → KMeans → scores → matching → confusions → UMAP.

KMeans, scores and matching run for both clusterings of ``views`` (all frames; non-blank frames
on their own), each score with its trivial baselines.

``run_analysis`` writes every file in ``crnn_core.analysis.io.FILES`` into one folder and returns
the summary it also saves as ``summary.json``. Every later stage reads the *stored* float16
features, so what the dashboard loads reproduces the clusters and the map exactly.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from crnn_core.analysis import clustering, confusion, export, matching, views
from crnn_core.analysis.inputs import WordImage
from crnn_core.analysis.io import (
    FILES,
    FORMAT,
    RaggedArray,
    save_ragged,
    write_json,
    write_table,
)
from crnn_core.analysis.projection import FramePlacer, fit_umap
from crnn_core.analysis.stages import StageHook, StageTimer, chunks
from crnn_core.charset import BLANK_INDEX, Charset

if TYPE_CHECKING:
    from crnn_core.recognizer import Recognizer

__all__ = ["AnalysisConfig", "run_analysis"]

FEATURES_NOTE = (
    "features = logits - per-frame max (softmax-invariant), stored float16; KMeans, silhouette, "
    "UMAP and placement use them standardized (StandardScaler mean/scale in placement.npz)."
)
PLACEMENT_NOTE = (
    "New frames are placed by inverse-square-distance weighted mean of the 2-D positions of their "
    "nearest reference (UMAP-sampled) frames in standardized feature space, not UMAP.transform: "
    "that needs the pickled UMAP object and ~40 s of numba JIT in each new process. Reference "
    "vectors are not stored twice: they are the rows placement.npz:reference_frames of "
    "logits.npz, standardized at load time."
)


ACCURACY_COLUMNS = (
    "greedy_correct_acc36", "greedy_correct_case", "beam_correct_acc36", "beam_correct_case",
)  # fmt: skip


@dataclass(frozen=True)
class AnalysisConfig:
    """Knobs of one run (saved in summary.json). ``k=None``: one cluster per output class;
    ``k_non_blank=None``: one cluster per non-blank class that occurs (``views.K_RULES``).
    ``min_match_*``: the rule for naming a cluster after a character (``matching``).

    ``threads``: BLAS/OpenMP threads for the sklearn/scipy stages (None = library default).
    1 keeps results bit-reproducible and is the fastest choice on a busy CPU: with every core
    taken (e.g. by training) OpenMP spin-waiting made KMeans 20-70x slower here. UMAP is
    single-threaded anyway (seeded) and TensorFlow inference is not affected.
    """

    k: int | None = None
    seed: int = 1
    beam_width: int = 10
    batch_size: int = 64
    umap_sample: int = 20000
    silhouette_sample: int = 20000
    kmeans_fit_sample: int = 20000
    placement_neighbors: int = 10
    min_top2_prob: float = 0.1
    k_non_blank: int | None = None
    min_match_share: float = matching.MIN_MATCH_SHARE
    min_match_count: int = matching.MIN_MATCH_COUNT
    threads: int | None = 1
    progress: bool = True


def _mean_flag(series: pd.Series) -> float | None:
    valid = series.dropna()
    return float(valid.mean()) if len(valid) else None


def _model_outputs(
    recognizer: Recognizer, words: Sequence[WordImage], config: AnalysisConfig, timer: StageTimer
) -> tuple[list[np.ndarray], list[tuple[str, float]], list[tuple[str, float]]]:
    logits: list[np.ndarray] = []
    with timer.stage("model_logits"):
        for part in chunks(len(words), 512, "logits", config.progress):
            found = recognizer.frame_logits([w.image for w in words[part]], config.batch_size)
            logits.extend(f.logits for f in found)
    with timer.stage("decode_greedy_beam"):
        greedy = [(p.text, p.confidence) for p in recognizer.decode(logits, "greedy")]
        beam: list[tuple[str, float]] = []
        for part in chunks(
            len(words), 256, f"beam search (width {config.beam_width})", config.progress
        ):
            preds = recognizer.decode(logits[part], "beam", config.beam_width, top_k=1)
            beam.extend((p.text, p.confidence) for p in preds)
    return logits, greedy, beam


@dataclass
class _Exported:
    stored: RaggedArray  # float16 features, ragged over images
    frames: pd.DataFrame
    images: pd.DataFrame
    notes: dict[str, Any]


def _export(
    out: Path,
    words: Sequence[WordImage],
    logits: list[np.ndarray],
    greedy: list[tuple[str, float]],
    beam: list[tuple[str, float]],
    charset: Charset,
) -> _Exported:
    """Write logits.npz and images.npz; build the images and frames tables."""
    half, repaired = export.to_float16_argmax_exact(
        np.concatenate([export.shift_to_max(lg) for lg in logits])
    )
    sizes = np.array([lg.shape[0] for lg in logits], dtype=np.int64)
    stored = RaggedArray(half, np.concatenate([[0], np.cumsum(sizes)]))
    mismatches = export.greedy_mismatches(logits, stored, charset)
    if mismatches:
        raise AssertionError(
            f"{mismatches} greedy texts change when the logits are stored as float16; this "
            "is a bug in crnn_core.analysis.export (the max-shift should make it exact)."
        )
    pixels = RaggedArray.from_items([w.image for w in words], axis=1, dtype=np.uint8)
    save_ragged(out / FILES["logits"], stored)
    save_ragged(out / FILES["pixels"], pixels)
    frames = export.frames_table(stored, pixels.sizes(), charset)
    images = export.images_table(
        [w.source for w in words], [w.key for w in words], [w.truth for w in words],
        greedy, beam, pixels.sizes(), stored.offsets,
    )  # fmt: skip
    notes = {
        "features": FEATURES_NOTE,
        "dtype": "float16",
        "float16_greedy_mismatches": mismatches,
        "float16_repaired_frames": repaired,
    }
    return _Exported(stored, frames, images, notes)


def run_analysis(
    recognizer: Recognizer,
    words: Sequence[WordImage],
    out_dir: str | Path,
    config: AnalysisConfig | None = None,
    context: dict[str, Any] | None = None,
    on_stage: StageHook | None = None,
) -> dict[str, Any]:
    """Analyse ``words`` with ``recognizer``; write the folder; return the summary.

    ``context`` (model sha256, data sources, earlier timings under ``timings_seconds``) is merged
    into the summary as given. ``on_stage`` hears each stage name as it starts (``stages``).
    """
    config = config or AnalysisConfig()
    context = dict(context or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timer = StageTimer(on_stage)
    timer.seconds.update(context.pop("timings_seconds", {}))
    charset = recognizer.charset
    logits, greedy, beam = _model_outputs(recognizer, words, config, timer)
    with timer.stage("export"):
        exported = _export(out, words, logits, greedy, beam, charset)
    frames, images = exported.frames, exported.images
    labels = frames["greedy_class"].to_numpy()
    with threadpool_limits(limits=config.threads):
        with timer.stage("kmeans"):
            features, mean, scale = clustering.standardize(exported.stored.values)
            fitted = views.fit_views(
                features, labels, charset.num_classes, seed=config.seed,
                fit_sample=config.kmeans_fit_sample, min_share=config.min_match_share,
                min_count=config.min_match_count, k=config.k, k_non_blank=config.k_non_blank,
            )  # fmt: skip
            km = fitted["all"].kmeans
            frames["cluster"] = km.labels
            if "non_blank" in fitted:
                frames["cluster_non_blank"] = fitted["non_blank"].frame_clusters(len(frames))
        with timer.stage("scores"):
            view_scores, scores = views.score_views(
                features, labels, fitted, config.silhouette_sample, config.seed
            )
        with timer.stage("matching"):
            clusters, cells = views.view_tables(fitted, frames["max_prob"].to_numpy(), charset)
        with timer.stage("confusions"):
            pairs, examples = confusion.confusable_pairs(
                frames, fitted["all"].table, images, charset, min_top2_prob=config.min_top2_prob
            )
        with timer.stage("umap"):
            order = np.random.default_rng(config.seed).permutation(len(frames))
            rows = np.sort(order[: config.umap_sample])
            umap = fit_umap(features[rows], seed=config.seed)
            frames.loc[rows, "umap_x"] = umap.coords[:, 0]
            frames.loc[rows, "umap_y"] = umap.coords[:, 1]
    placement = _placement_timing(features[rows], umap.coords, config)
    with timer.stage("write"):
        np.savez_compressed(
            out / FILES["placement"], scaler_mean=mean, scaler_scale=scale, centers=km.centers,
            centers_non_blank=views.centers(fitted, "non_blank", features.shape[1]),
            reference_frames=rows.astype(np.int32),
            n_neighbors=np.int64(config.placement_neighbors),
        )  # fmt: skip
        tables = {
            "images": images, "frames": frames, "clusters": clusters, "contingency": cells,
            "confusions": pairs, "confusion_examples": examples,
        }  # fmt: skip
        for name, frame in tables.items():
            write_table(frame, out / FILES[name])

    summary: dict[str, Any] = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **context,
        "charset": charset.to_dict(),
        "num_classes": charset.num_classes,
        "seed": config.seed,
        "config": asdict(config),
        "k": km.info["k"],
        "counts": {
            "images": len(words),
            "frames": len(frames),
            "non_blank_frames": int((labels != BLANK_INDEX).sum()),
        },
        "accuracy": {name: _mean_flag(images[name]) for name in ACCURACY_COLUMNS},
        "scores": scores,
        "views": view_scores,
        "matching_rule": matching.matching_rule(config.min_match_share, config.min_match_count),
        "kmeans": km.info,
        "umap": umap.info,
        "placement": placement,
        "export": exported.notes,
        "timings_seconds": timer.seconds,
        "timings_cpu_seconds": timer.cpu_seconds,
    }
    summary["files_bytes"] = {
        name: (out / f).stat().st_size for name, f in FILES.items() if (out / f).exists()
    }
    write_json(summary, out / FILES["summary"])
    return summary


def _placement_timing(
    reference: np.ndarray, coords: np.ndarray, config: AnalysisConfig
) -> dict[str, Any]:
    """Build the placer as the loader will and time placing 100 of its own frames."""
    start = time.perf_counter()
    placer = FramePlacer(reference, coords, config.placement_neighbors)
    built = time.perf_counter() - start
    probe = reference[np.random.default_rng(config.seed).permutation(len(reference))[:100]]
    start = time.perf_counter()
    placer.place(probe)
    return {
        "method": PLACEMENT_NOTE,
        "reference_frames": int(reference.shape[0]),
        "n_neighbors": placer.n_neighbors,
        "index_seconds": round(built, 4),
        "seconds_per_100_frames": round(time.perf_counter() - start, 4),
    }
