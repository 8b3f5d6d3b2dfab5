"""Clusters page panel: analyse your own labelled photos (a zip) as a background job.

The zip is checked and extracted by ``crnn_core.analysis.jobs.prepare_job`` (refusals are
shown with their reason), the analysis runs in a separate low-priority process (the same
``analyze`` as the CLI) and its step is polled every two seconds by a fragment, so the page
stays usable meanwhile. When it is done, the new folder joins the analysis picker and is
selected.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from crnn_core.analysis import jobs
from crnn_core.analysis.io import AnalysisError
from dashboard import services
from dashboard.text import literal, scrub_paths

__all__ = ["STARTED_KEY", "upload_panel"]

STARTED_KEY = "photos_started"
"""Session key: the job folder this session started (selected in the picker once done)."""
POLL_SECONDS = 2.0
FORMAT_NOTE = (
    "A **zip** holding `labels.tsv` (one `relative/path<TAB>text` line per image, UTF-8) and the "
    "word images (PNG, JPEG, BMP, GIF, WEBP, TIFF), at its top or in one folder: the format of "
    "`python -m crnn_core analyze --data DIR`. The analysis runs in the background (model → "
    "logits → KMeans → scores → UMAP; about a minute for a few hundred photos) and then appears "
    "in the *Analysis folder* list."
)


def _steps_line(status: jobs.JobStatus) -> str:
    marks = []
    for i, (title, _) in enumerate(jobs.STEPS):
        marks.append(
            f"✓ {title}" if i < status.step else f"**▶ {title}**" if i == status.step else title
        )
    return " · ".join(marks)


@st.fragment(run_every=POLL_SECONDS)
def _progress(folder: str) -> None:
    """Progress of one running job; a full rerun once it ends (the picker then offers it)."""
    status = jobs.read_status(Path(folder))
    if status is None or status.finished:
        st.rerun()
        return
    step = min(status.step, len(jobs.STEPS) - 1)
    st.progress(
        status.fraction,
        text=f"Analysing {literal(status.name)}: step {step + 1} of {len(jobs.STEPS)}, "
        f"{jobs.STEPS[step][0]}",
    )
    st.caption(_steps_line(status))


def _start(upload: object, name: str) -> None:
    source = str(getattr(upload, "name", "upload.zip"))
    try:
        folder = jobs.prepare_job(upload, name or Path(source).stem, source)  # type: ignore[arg-type]
    except AnalysisError as exc:
        st.error(
            f"This zip cannot be analysed: {literal(scrub_paths(exc), 400)}",
            icon=":material/block:",
        )
        return
    jobs.launch(folder, services.artifacts_dir())
    st.session_state[STARTED_KEY] = str(folder)


def _announce_finished() -> None:
    """Select the job this session started once it is done (before the picker is drawn)."""
    started = st.session_state.get(STARTED_KEY)
    status = jobs.read_status(Path(started)) if started else None
    if status is None or not status.finished:
        return
    del st.session_state[STARTED_KEY]
    if status.state == "done" and status.directory in services.analysis_dirs():
        st.session_state["analysis_dir"] = status.directory
        st.success(f"Your analysis {literal(status.name)} is ready ({status.message}).")


def _failed(status: jobs.JobStatus) -> None:
    left, right = st.columns([5, 1])
    left.error(
        f"The analysis {literal(status.name)} failed: {literal(scrub_paths(status.message), 400)}",
        icon=":material/error:",
    )
    if right.button("Remove", key=f"photos_remove_{status.name}"):
        jobs.discard_job(status.directory)
        st.rerun()


def upload_panel() -> None:
    """The upload form, the running job's progress and failed jobs, above the Clusters page."""
    _announce_finished()
    found = jobs.list_jobs()
    running = [s for s in found if not s.finished]
    failed = [s for s in found if s.state == "failed"]
    with st.expander(
        "Analyse your own photos", expanded=bool(running or failed), icon=":material/upload:"
    ):
        st.markdown(FORMAT_NOTE)
        upload = st.file_uploader("Labelled zip", type=["zip"], key="photos_zip")
        name = st.text_input(
            "Name of the analysis", key="photos_name", placeholder="the zip's name",
            help="Letters, digits, '-' and '_'; other characters become '-'.",
        )  # fmt: skip
        if running:
            st.caption("One analysis runs at a time; start the next one when it is done.")
        if st.button("Analyse", key="photos_start", disabled=upload is None or bool(running)):
            _start(upload, name)
            running = [s for s in jobs.list_jobs() if not s.finished]
        for status in failed:
            _failed(status)
    for status in running[:1]:
        _progress(str(status.directory))
