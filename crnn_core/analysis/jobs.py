"""Background analysis jobs for a user's labelled zip: the dashboard's "your photos" analysis.

A job is a folder ``<analyses root>/<name>/`` (``$CRNN_USER_DATA/analyses`` or
``~/.cache/crnn-ocr-lab/analyses``). ``prepare_job`` checks and extracts the zip into a
temporary folder and writes ``job.json``; ``launch`` starts ``python -m
crnn_core.analysis.jobs DIR`` (a separate, low-priority process, so a crash or the memory of
one analysis never takes the dashboard down), which runs the same ``analyze`` as the CLI into
the job folder, records each step in ``job.json`` as it starts, and removes the temporary
folder at the end. The folder becomes an analysis when ``summary.json`` appears (written last).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from crnn_core.analysis.io import AnalysisError
from crnn_core.analysis.zipdata import ZipLimits, extract_zip

__all__ = [
    "JOB_FILE",
    "STEPS",
    "USER_DATA_ENV",
    "JobStatus",
    "analyses_root",
    "discard_job",
    "launch",
    "list_jobs",
    "prepare_job",
    "read_status",
    "run_job",
    "safe_name",
]

USER_DATA_ENV = "CRNN_USER_DATA"
JOB_FILE = "job.json"
PID_FILE = "worker.pid"
SCRATCH_PREFIX = "crnn-upload-"
STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("read photos", ("read_data",)),
    ("model", ("load_model",)),
    ("logits", ("model_logits", "decode_greedy_beam", "export")),
    ("KMeans", ("kmeans",)),
    ("scores", ("scores", "matching", "confusions")),
    ("UMAP", ("umap", "umap_place", "write")),
)
"""The steps a user sees, each with the pipeline stages (``stages.STAGES``) it covers."""
_STEP_OF = {stage: i for i, (_, stages) in enumerate(STEPS) for stage in stages}
NAME_PATTERN = re.compile(r"[^A-Za-z0-9_-]+")


def analyses_root() -> Path:
    """Where user analyses live: ``$CRNN_USER_DATA/analyses`` or the user's cache folder."""
    base = os.environ.get(USER_DATA_ENV) or Path.home() / ".cache" / "crnn-ocr-lab"
    return Path(base).expanduser() / "analyses"


def safe_name(text: str) -> str:
    """A folder name from user text: letters, digits, ``_`` and ``-``, at most 40 characters."""
    name = NAME_PATTERN.sub("-", text.strip()).strip("-_")[:40]
    if not name:
        raise AnalysisError("Give the analysis a name (letters, digits, '-' or '_').")
    return name


@dataclass(frozen=True)
class JobStatus:
    """``job.json`` of one job. ``state``: queued, running, done or failed; ``step``: index into
    ``STEPS`` of the step running (``len(STEPS)`` when done)."""

    directory: Path
    state: str
    step: int
    message: str
    created: str
    source: str

    @property
    def name(self) -> str:
        return self.directory.name

    @property
    def fraction(self) -> float:
        return min(self.step / len(STEPS), 1.0)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _write(directory: Path, **fields: Any) -> None:
    """Merge ``fields`` into ``job.json`` atomically (readers never see half a file)."""
    path = directory / JOB_FILE
    data = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    data.update(fields)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2), "utf-8")
    os.replace(temporary, path)


def prepare_job(
    upload: str | Path | BinaryIO,
    name: str,
    source: str = "upload.zip",
    root: Path | None = None,
    limits: ZipLimits | None = None,
) -> Path:
    """Check and extract ``upload`` into a temporary folder and create the job folder; return
    it. Raises ``AnalysisError`` (``UnsafeZip``) with the reason, leaving nothing behind."""
    root = root or analyses_root()
    folder = root / safe_name(name)
    if folder.exists():
        raise AnalysisError(f"An analysis named {folder.name!r} exists already; pick another name.")
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    try:
        data = extract_zip(upload, scratch / "data", limits)
        folder.mkdir(parents=True)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    _write(folder, state="queued", step=0, message="waiting to start", created=_now(),
           source=source, scratch=str(scratch), data=str(data))  # fmt: skip
    return folder


def run_job(folder: Path, artifacts: str | Path, config: Any = None) -> bool:
    """Run the analysis of job ``folder`` here (the worker process calls this); ``True`` if
    it finished. Every outcome lands in ``job.json``; the temporary data is removed."""
    from crnn_core.analysis.command import analyze
    from crnn_core.analysis.pipeline import AnalysisConfig

    folder = Path(folder)
    info = json.loads((folder / JOB_FILE).read_text("utf-8"))
    _write(folder, state="running", pid=os.getpid(), started=_now())

    def on_stage(stage: str) -> None:
        step = _STEP_OF.get(stage, 0)
        _write(folder, step=step, stage=stage, message=f"{STEPS[step][0]} ({stage})")

    try:
        summary = analyze([info["data"]], folder, artifacts,
                          config or AnalysisConfig(progress=False), on_stage=on_stage)  # fmt: skip
    except Exception as exc:  # every failure must reach the user as a message, not a hang
        message = str(exc) if isinstance(exc, AnalysisError) else f"{type(exc).__name__}: {exc}"
        (folder / "job.log").write_text(traceback.format_exc(), "utf-8")
        _write(folder, state="failed", message=message, finished=_now())
        return False
    finally:
        shutil.rmtree(info["scratch"], ignore_errors=True)
    counts = summary["counts"]
    _write(folder, state="done", step=len(STEPS), finished=_now(),
           message=f"{counts['images']} images, {counts['frames']} frames")  # fmt: skip
    return True


def launch(folder: Path, artifacts: str | Path) -> int:
    """Start the worker process for job ``folder``; return its pid."""
    log = open(folder / "worker.log", "ab")  # noqa: SIM115 (handed to the child)
    process = subprocess.Popen(
        [sys.executable, "-m", "crnn_core.analysis.jobs", str(folder), str(artifacts)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    log.close()
    (folder / PID_FILE).write_text(str(process.pid))  # not job.json: the child writes that
    return process.pid


def _alive(pid: int | None) -> bool:
    """Whether ``pid`` runs (a zombie, i.e. finished but not yet reaped, counts as ended)."""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def _pid_file(folder: Path) -> int | None:
    try:
        return int((folder / PID_FILE).read_text())
    except (OSError, ValueError):
        return None


def read_status(folder: Path) -> JobStatus | None:
    """The job's state, or ``None`` if ``folder`` is no job. A worker that died without saying
    so (killed, out of memory) reads as failed."""
    try:
        data = json.loads((Path(folder) / JOB_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    state, message = str(data.get("state", "failed")), str(data.get("message", ""))
    pid = data.get("pid") or _pid_file(Path(folder))
    if state in ("queued", "running") and pid and not _alive(pid):
        state, message = "failed", "the analysis process stopped unexpectedly (out of memory?)"
    return JobStatus(Path(folder), state, int(data.get("step", 0)), message,
                     str(data.get("created", "")), str(data.get("source", "")))  # fmt: skip


def list_jobs(root: Path | None = None) -> list[JobStatus]:
    """Every job under ``root``, newest first."""
    root = root or analyses_root()
    found = [read_status(p.parent) for p in root.glob(f"*/{JOB_FILE}")]
    return sorted((s for s in found if s), key=lambda s: s.created, reverse=True)


def discard_job(folder: Path, root: Path | None = None) -> None:
    """Delete a finished job's folder (only a direct child of ``root`` holding ``job.json``)."""
    root = (root or analyses_root()).resolve()
    folder = Path(folder).resolve()
    status = read_status(folder)
    if folder.parent != root or status is None or not status.finished:
        raise AnalysisError(f"{folder.name!r} is not a finished job of this dashboard.")
    scratch = json.loads((folder / JOB_FILE).read_text("utf-8")).get("scratch")
    if scratch and Path(scratch).name.startswith(SCRATCH_PREFIX):  # a killed worker's leftovers
        shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(folder)


def main(argv: list[str] | None = None) -> int:
    """Worker entry: ``python -m crnn_core.analysis.jobs FOLDER ARTIFACTS``."""
    folder, artifacts = (argv if argv is not None else sys.argv[1:])[:2]
    with contextlib.suppress(OSError):
        os.nice(10)  # the dashboard's answers come first
    return 0 if run_job(Path(folder), artifacts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
