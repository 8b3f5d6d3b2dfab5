"""Your data: evaluate a labelled zip (labels.tsv + images, the CLI's folder format) in the
browser, with the same code as ``python -m crnn_core evaluate``, and see where the model fails."""

from __future__ import annotations

import hashlib
import logging

import streamlit as st

from crnn_core.decode import DECODERS
from dashboard import evaluation_report as report
from dashboard import settings, ui
from dashboard.components import evaluation_charts as charts
from dashboard.components import png
from dashboard.components.forced_alignment import show_comparison
from dashboard.evaluation_job import (
    DatasetProblem,
    UnsafeZip,
    UserEvaluation,
    evaluate_zip,
    is_error,
)
from dashboard.text import literal, md_escape, plain, scrub_paths
from dashboard.typed_truth import TypedTextError, compare

logger = logging.getLogger(__name__)
PERCENT = st.column_config.NumberColumn(format="percent")
STATE = "your_data_run"

st.title("Evaluate your own data")
recognizer = ui.require_recognizer()
st.markdown(
    "Upload a **zip** in the command line's dataset format: a `labels.tsv` with one line "
    "`relative/path<TAB>text` per image, and the images (PNG, JPEG, BMP, GIF, WEBP, TIFF). "
    "It is evaluated exactly as `python -m crnn_core evaluate --data FOLDER` would; the files are "
    "unpacked into a temporary folder that is deleted right after."
)
uploads = st.file_uploader(
    "Labelled zips (one dataset each)",
    accept_multiple_files=True,
    key="your_zips",
    max_upload_size=settings.MAX_UPLOAD_MB,
)
decoder = st.radio("Decoder", list(DECODERS), horizontal=True, key="your_decoder")
files = [(f.name, f.getvalue()) for f in uploads or []]
if not files:
    st.info("Upload one or more labelled zips to evaluate them.", icon=":material/upload:")
    st.stop()

signature = (decoder, *((n, hashlib.sha256(d).hexdigest()) for n, d in files))
run = st.session_state.get(STATE)
if run is None or run[0] != signature:
    evaluations: list[UserEvaluation] = []
    refused: list[tuple[str, str]] = []
    bar = st.progress(0.0, text="Starting…")
    for name, data in files:

        def progress(done: int, total: int, name: str = name) -> None:
            bar.progress(min(done / max(total, 1), 1.0), text=f"{plain(name)}: {done} of {total}")

        try:
            evaluations.append(evaluate_zip(recognizer, name, data, decoder, on_progress=progress))
        except (UnsafeZip, DatasetProblem) as exc:
            refused.append((name, str(exc)))
        except Exception as exc:  # never a traceback in the page for a bad upload
            logger.exception("Evaluation of an uploaded zip failed")
            refused.append((name, f"It could not be evaluated ({type(exc).__name__})."))
    bar.empty()
    run = (signature, evaluations, refused)
    st.session_state[STATE] = run
_, evaluations, refused = run

for name, why in refused:
    st.error(
        f"{literal(name)} was not evaluated: {md_escape(scrub_paths(why), limit=400)}",
        icon=":material/block:",
    )
if not evaluations:
    st.stop()

st.subheader("Per dataset")
table = report.dataset_table(evaluations)
rates = ["acc36", "acc_case", "1 − NED", "CER", "mean confidence"]
st.dataframe(
    table,
    hide_index=True,
    key="your_table",
    column_config={
        "dataset": st.column_config.TextColumn("dataset"),
        **dict.fromkeys(rates, PERCENT),
        "ms/word": st.column_config.NumberColumn(format="%.2f"),
    },
)
for evaluation in evaluations:
    for line in report.skipped_lines(evaluation):
        st.caption(f"{literal(evaluation.result.dataset)} skipped · {line}")
st.download_button(
    "Download per-image CSV",
    report.records_csv(evaluations),
    "evaluation.csv",
    "text/csv",
    icon=":material/download:",
    key="your_csv",
)

st.subheader("Error gallery")
errors = [
    (evaluation, i)
    for evaluation in evaluations
    for i, record in enumerate(evaluation.result.records)
    if is_error(record) and i in evaluation.kept
]
errors.sort(key=lambda pair: -pair[0].result.records[pair[1]].confidence)
if not errors:
    st.success("Every image was read right (acc36).", icon=":material/check_circle:")
else:
    st.caption(
        f"{len(errors)} wrongly read images (acc36), most confident first · select a row to see "
        "the truth aligned against the reading"
    )
    rows = [
        {
            "image": png.data_uri(e.kept[i].thumbnail),
            "dataset": e.result.dataset,
            "file": plain(e.result.records[i].key),
            "truth": e.result.records[i].truth,
            "reading": e.result.records[i].prediction,
            "confidence": e.result.records[i].confidence,
        }
        for e, i in errors
    ]
    event = st.dataframe(
        rows,
        hide_index=True,
        height=360,
        key="your_gallery",
        on_select="rerun",
        selection_mode="single-row",
        column_config={
            "image": st.column_config.ImageColumn("image", width="medium"),
            "confidence": st.column_config.ProgressColumn(
                "confidence", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    picked = event.selection.rows[0] if event and event.selection.rows else 0
    evaluation, index = errors[picked]
    record, kept = evaluation.result.records[index], evaluation.kept[index]
    st.markdown(f"**Truth against reading** · {literal(record.key)}")
    try:
        comparison = compare(kept.logits, record.prediction, record.truth, recognizer.charset)
    except TypedTextError as exc:
        st.warning(md_escape(exc, limit=400), icon=":material/block:")
    else:
        show_comparison(kept.image, comparison, recognizer.charset, key="your_alignment")

st.subheader("Character confusions")
records = [r for e in evaluations for r in e.result.records]
matrix = report.confusion_matrix(report.char_confusions(records))
if matrix.empty:
    st.caption("No character was misread.")
else:
    st.caption(
        "Edit alignment of truth and reading (acc36: lower case, letters and digits), for the "
        "characters most often involved in an error; grey diagonal: read right."
    )
    st.plotly_chart(charts.confusion_figure(matrix), key="your_confusion")

st.subheader("Accuracy by word length and image height")
by_length, by_height = st.columns(2)
with by_length:
    lengths = report.breakdown_table(records, "length")
    st.plotly_chart(charts.accuracy_figure(lengths, "word length"), key="your_by_length")
with by_height:
    heights = report.breakdown_table(records, "height")
    st.plotly_chart(charts.accuracy_figure(heights, "image height"), key="your_by_height")
