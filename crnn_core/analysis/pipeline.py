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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from crnn_core.analysis import clustering, confusion, export, matching, views
from crnn_core.analysis.io import FILES, FORMAT, RaggedArray, save_ragged, write_json, write_table
from crnn_core.analysis.model_outputs import ModelOutputs, peak_rss_mib
from crnn_core.analysis.model_stage import BATCH_SIZE
from crnn_core.analysis.projection import FramePlacer, place_by_cluster
from crnn_core.analysis.stages import StageHook, StageTimer
from crnn_core.analysis.umap_worker import InProcessUmap, UmapJob
from crnn_core.charset import BLANK_INDEX, Charset

__all__ = ["AnalysisConfig", "run_analysis", "umap_rows"]

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


PLACED_NOTE = (
    "Frames outside the UMAP sample are placed like new frames (the weighted mean of their "
    "nearest reference frames' positions), searching the references of their own KMeans "
    "cluster (all-frame view) and of the placement_probe - 1 clusters with the nearest centres."
)
PLACE_CHUNK = 8192
"""Frames placed on the map per block (the placer's distance blocks are smaller still); the
blocks go to two threads: 34,397 frames of the shipped analysis in 2.9-3.3 s against 4.0-4.3 s
one after the other (AMD EPYC, 2 cores, nothing else running)."""

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
    batch_size: int = BATCH_SIZE
    umap_sample: int = 20000
    silhouette_sample: int = 10000  # O(n²): 14 CPU-s at 20,000 frames (3,000 words)
    kmeans_fit_sample: int = 20000
    placement_neighbors: int = 10
    placement_probe: int = 4
    min_top2_prob: float = 0.1
    k_non_blank: int | None = None
    min_match_share: float = matching.MIN_MATCH_SHARE
    min_match_count: int = matching.MIN_MATCH_COUNT
    threads: int | None = 1
    progress: bool = True


def _mean_flag(series: pd.Series) -> float | None:
    valid = series.dropna()
    return float(valid.mean()) if len(valid) else None


@dataclass
class _Exported:
    stored: RaggedArray  # float16 features, ragged over images
    frames: pd.DataFrame
    images: pd.DataFrame
    notes: dict[str, Any]


def _export(
    out: Path, outputs: ModelOutputs, charset: Charset, stored: RaggedArray, repaired: int
) -> _Exported:
    """Write logits.npz (``stored``: ``export.stored_features`` of the model's logits) and
    images.npz from the model stage's memory-mapped files, block by block; build the images
    and frames tables."""
    words = outputs.words
    mismatches = export.stored_greedy_mismatches(stored, words["greedy_text"].tolist(), charset)
    if mismatches:
        raise AssertionError(
            f"{mismatches} greedy texts change when the logits are stored as float16; this "
            "is a bug in crnn_core.analysis.export (the max-shift should make it exact)."
        )
    save_ragged(out / FILES["logits"], stored)
    save_ragged(out / FILES["pixels"], outputs.pixels)
    widths = outputs.pixels.sizes()
    frames = export.frames_table(stored, widths, charset)
    images = export.images_table(
        words["source"].tolist(), words["key"].tolist(),
        [None if pd.isna(t) else str(t) for t in words["truth"]],
        list(zip(words["greedy_text"].tolist(), words["greedy_confidence"].tolist(), strict=True)),
        list(zip(words["beam_text"].tolist(), words["beam_confidence"].tolist(), strict=True)),
        widths, stored.offsets,
    )  # fmt: skip
    notes = {
        "features": FEATURES_NOTE,
        "dtype": "float16",
        "float16_greedy_mismatches": mismatches,
        "float16_repaired_frames": repaired,
    }
    return _Exported(stored, frames, images, notes)


def umap_rows(n_frames: int, config: AnalysisConfig) -> np.ndarray:
    """The frames UMAP embeds (the reference frames): a seeded sample, sorted."""
    order = np.random.default_rng(config.seed).permutation(n_frames)
    return np.sort(order[: config.umap_sample])


def _map(
    features: np.ndarray,
    frames: pd.DataFrame,
    kmeans: clustering.KMeansResult,
    rows: np.ndarray,
    umap_job: UmapJob,
    config: AnalysisConfig,
    timer: StageTimer,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The UMAP of the reference ``rows`` (submitted to ``umap_job`` earlier), then every other
    frame placed among its nearest references (``place_by_cluster``); writes ``umap_x``/
    ``umap_y`` of all frames. Returns ``(umap info, placement info)``."""
    with timer.stage("umap"):
        umap = umap_job.result()
    placement = _placement_timing(features[rows], umap.coords, config)
    with timer.stage("umap_place"):
        coords = np.empty((len(frames), 2), np.float32)
        coords[rows] = umap.coords
        rest = np.setdiff1d(np.arange(len(frames)), rows, assume_unique=True)
        placer = FramePlacer(features[rows], umap.coords, config.placement_neighbors)

        def place(part: np.ndarray) -> None:
            coords[part, 0], coords[part, 1] = place_by_cluster(
                placer, features[part], kmeans.labels[part], kmeans.labels[rows],
                kmeans.centers, config.placement_probe,
            )  # fmt: skip

        parts = [rest[lo : lo + PLACE_CHUNK] for lo in range(0, rest.size, PLACE_CHUNK)]
        # Blocks in two threads (numpy's GEMM, partition and sort release the GIL), each on one
        # BLAS thread; the same coordinates as one after the other.
        with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(2) as pool:
            list(pool.map(place, parts))
        frames["umap_x"], frames["umap_y"] = coords[:, 0], coords[:, 1]
    placement["placed_frames"] = int(rest.size)
    placement["placed_method"] = PLACED_NOTE
    return umap.info, placement


def run_analysis(
    outputs: ModelOutputs,
    out_dir: str | Path,
    config: AnalysisConfig | None = None,
    context: dict[str, Any] | None = None,
    on_stage: StageHook | None = None,
    umap_job: UmapJob | None = None,
) -> dict[str, Any]:
    """Analyse the model stage's ``outputs`` (``model_stage.run_model_stage``); write the
    folder; return the summary. No TensorFlow here: the model ran in its own process.

    ``context`` (data sources, max_frames, ...) is merged into the summary as given; the model
    stage's timings come first in ``timings_seconds``. ``on_stage`` hears each stage name as it
    starts (``stages``). ``umap_job``: where the map is fitted; it gets the reference frames
    as soon as they are standardized, before the files are written and KMeans runs
    (``umap_worker.UmapWorker`` fits them in another process meanwhile); default: in this
    process, in the ``umap`` stage.
    """
    config = config or AnalysisConfig()
    umap_job = umap_job or InProcessUmap()
    context = dict(context or {})
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timer = StageTimer(on_stage)
    timer.seconds.update(outputs.info.get("timings_seconds", {}))
    timer.cpu_seconds.update(outputs.info.get("timings_cpu_seconds", {}))
    charset = outputs.charset
    with timer.stage("export"):
        stored, repaired = export.stored_features(outputs.logits)
        # The map needs only the standardized features: the UMAP job starts before the files.
        features, mean, scale = clustering.standardize(stored.values)
        rows = umap_rows(features.shape[0], config)
        umap_job.submit(features[rows], config.seed)
        exported = _export(out, outputs, charset, stored, repaired)
    frames, images = exported.frames, exported.images
    labels = frames["greedy_class"].to_numpy()
    with threadpool_limits(limits=config.threads):
        with timer.stage("kmeans"):
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
        umap_info, placement = _map(features, frames, km, rows, umap_job, config, timer)
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
        "model": outputs.info.get("model"),
        "data": outputs.info.get("data"),
        **context,
        "charset": charset.to_dict(),
        "num_classes": charset.num_classes,
        "seed": config.seed,
        "config": asdict(config),
        "k": km.info["k"],
        "counts": {
            "images": len(images),
            "frames": len(frames),
            "non_blank_frames": int((labels != BLANK_INDEX).sum()),
        },
        "accuracy": {name: _mean_flag(images[name]) for name in ACCURACY_COLUMNS},
        "scores": scores,
        "views": view_scores,
        "matching_rule": matching.matching_rule(config.min_match_share, config.min_match_count),
        "kmeans": km.info,
        "umap": umap_info,
        "placement": placement,
        "export": exported.notes,
        "timings_seconds": timer.seconds,
        "timings_cpu_seconds": timer.cpu_seconds,
        "memory": {
            "note": "peak RSS (VmHWM) of each process. The model child and the analysis "
            "process take turns; the UMAP worker (null: no worker) runs beside both",
            "model_process_peak_rss_mib": outputs.info.get("peak_rss_mib"),
            "analysis_process_peak_rss_mib": peak_rss_mib(),
            "umap_process_peak_rss_mib": umap_info.get("worker_peak_rss_mib"),
        },
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
