"""UMAP fitted in a process of its own, while the analysis process runs KMeans and the scores.

After the model stage, KMeans + scores and the UMAP fit each take ~20 s of one core, and they
do not depend on each other. In one process they run one after the other: umap-learn's numba
kernels hold the GIL, so a UMAP thread beside KMeans made KMeans 2.7x slower (93.4 s against
94.1 s for the whole run), and forking a ready worker is refused once GNU OpenMP has run.

So ``analyze`` starts this worker first thing (``python -m crnn_core.analysis.umap_worker
FOLDER``). It imports umap-learn and compiles its numba kernels (``warm_up_umap``: numba keeps
no cache on disk, so every fresh process compiles them) on the core the parent leaves idle while
it renders the words, then waits for one line, ``go``, on its stdin. The parent writes the
standardized sample (``FILES["features"]``, ``FILES["request"]``) and sends ``go`` as soon as
the features exist, runs KMeans and the scores, and collects the map (``FILES["coords"]``,
``FILES["result"]``; ``FILES["error"]`` with a message when the fit failed). No pickles cross:
``.npy`` without objects and JSON only. The coordinates are those ``fit_umap`` gives in the
parent (same code, seed and data).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from crnn_core.analysis.children import child_command, child_environment
from crnn_core.analysis.io import AnalysisError, read_json, write_json
from crnn_core.analysis.model_outputs import peak_rss_mib
from crnn_core.analysis.projection import UmapResult, fit_umap, warm_up_umap

__all__ = ["FILES", "InProcessUmap", "UmapJob", "UmapWorker", "main"]

FILES = {
    "features": "umap_features.npy",
    "request": "umap_request.json",
    "coords": "umap_coords.npy",
    "result": "umap_result.json",
    "error": "umap_error.json",
}
GO = "go"


class UmapJob:
    """What ``run_analysis`` needs of a UMAP fit: ``submit`` the rows as early as they exist,
    ``result`` when the map is needed."""

    def submit(self, features: np.ndarray, seed: int) -> None:
        raise NotImplementedError

    def result(self) -> UmapResult:
        raise NotImplementedError


class InProcessUmap(UmapJob):
    """Fit in this process, when the result is asked for (the default of ``run_analysis``)."""

    def __init__(self) -> None:
        self._args: tuple[np.ndarray, int] | None = None

    def submit(self, features: np.ndarray, seed: int) -> None:
        self._args = (features, seed)

    def result(self) -> UmapResult:
        if self._args is None:
            raise RuntimeError("submit() the features before asking for the result.")
        features, seed = self._args
        return fit_umap(features, seed=seed)


class UmapWorker(UmapJob):
    """The worker process seen from the parent; use as a context manager (``close`` kills a
    worker that is still running, e.g. after an error elsewhere in the run).

    If the worker cannot be started or dies without a message (killed, out of memory), the
    fit runs here instead and ``info["worker"]`` says why; a fit that fails in the worker
    raises its message as ``AnalysisError``.
    """

    def __init__(self, folder: str | Path, verbose: bool = False) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._fallback: InProcessUmap | None = None
        self._problem: str | None = None
        self._submitted = 0.0
        self.process: subprocess.Popen[str] | None = None
        try:
            self.process = subprocess.Popen(
                child_command("crnn_core.analysis.umap_worker", self.folder),
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                env=child_environment(verbose),
            )  # fmt: skip
        except OSError as exc:
            self._problem = f"could not start the worker ({exc})"

    def submit(self, features: np.ndarray, seed: int) -> None:
        features = np.ascontiguousarray(features, dtype=np.float32)
        self._submitted = time.perf_counter()
        if self.process is not None and self.process.stdin is not None:
            np.save(self.folder / FILES["features"], features, allow_pickle=False)
            write_json({"seed": int(seed)}, self.folder / FILES["request"])
            try:
                self.process.stdin.write(GO + "\n")
                self.process.stdin.close()
                return
            except OSError as exc:  # BrokenPipeError: the worker is gone
                self._problem = f"the worker had stopped ({exc})"
        self._fallback = InProcessUmap()
        self._fallback.submit(features, seed)

    def result(self) -> UmapResult:
        if self._fallback is None and self.process is not None:
            status = self.process.wait()
            error = self.folder / FILES["error"]
            if error.is_file():
                raise AnalysisError(str(read_json(error).get("message", "the UMAP fit failed")))
            if status == 0 and (self.folder / FILES["result"]).is_file():
                info = read_json(self.folder / FILES["result"])
                coords = np.load(self.folder / FILES["coords"], allow_pickle=False)
                info["worker"] = "separate process, beside KMeans and the scores"
                info["wait_seconds"] = round(time.perf_counter() - self._submitted, 3)
                return UmapResult(coords.astype(np.float32), info)
            self._problem = f"the worker stopped with status {status} (killed, out of memory?)"
            features = np.load(self.folder / FILES["features"], allow_pickle=False)
            self._fallback = InProcessUmap()
            self._fallback.submit(features, int(read_json(self.folder / FILES["request"])["seed"]))
        if self._fallback is None:
            raise RuntimeError("submit() the features before asking for the result.")
        found = self._fallback.result()
        found.info["worker"] = f"fitted in the analysis process: {self._problem}"
        return found

    def close(self) -> None:
        """Stop a worker that never got (or never finished) its work."""
        if self.process is None:
            return
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # the worker reads EOF and exits
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def __enter__(self) -> UmapWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(folder: Path, stdin: IO[str]) -> int:
    warm_up_seconds = warm_up_umap()
    if stdin.readline().strip() != GO:
        return 0  # the parent closed the pipe: the run ended before the map was needed
    request = read_json(folder / FILES["request"])
    features = np.load(folder / FILES["features"], allow_pickle=False)
    found = fit_umap(features, seed=int(request["seed"]))
    np.save(folder / FILES["coords"], found.coords, allow_pickle=False)
    info: dict[str, Any] = {
        **found.info,
        "warm_up_seconds": warm_up_seconds,
        "worker_peak_rss_mib": peak_rss_mib(),
    }
    write_json(info, folder / FILES["result"])
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Worker entry: ``python -m crnn_core.analysis.umap_worker FOLDER``. One BLAS thread:
    the other core is the parent's."""
    from threadpoolctl import threadpool_limits

    folder = Path((sys.argv[1:] if argv is None else argv)[0])
    try:
        with threadpool_limits(limits=1):
            return _serve(folder, sys.stdin)
    except Exception as exc:
        traceback.print_exc()
        write_json({"message": f"UMAP failed: {type(exc).__name__}: {exc}"},
                   folder / FILES["error"])  # fmt: skip
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
