"""Evaluation: scores of the analysis set per dataset, where greedy and beam disagree, and a
gallery of the errors sorted by confidence."""

from __future__ import annotations

import streamlit as st

from crnn_core.artifacts import ArtifactError
from dashboard import crops, manifest_view, scoring, services, ui

PERCENT = st.column_config.NumberColumn(format="percent")
PROTOCOL_NAMES = {"acc36": "acc36 (case and punctuation ignored)", "case": "case-sensitive"}

st.title("Evaluation")
ui.health_banner()

try:
    manifest = services.get_manifest()
except ArtifactError:
    manifest = {}  # the banner above lists what is wrong with the artifacts
if manifest_view.metrics_reports(manifest.get("metrics")):
    st.subheader("Shipped model (recorded in the manifest)")
    ui.metric_reports(manifest, with_commands=False)

analysis = ui.analysis_picker(banner=False)
if analysis is None:
    st.stop()
images = analysis.images
protocol = st.radio(
    "Count as correct",
    list(PROTOCOL_NAMES),
    format_func=PROTOCOL_NAMES.__getitem__,
    horizontal=True,
    key="protocol",
)

st.subheader("Analysis set, per dataset")
scores = scoring.dataset_scores(images)
if scores.empty:
    st.info("The analysis images carry no ground truth, so nothing can be scored.")
else:
    rates = [c for c in scores.columns if c not in ("dataset", "n")]
    st.dataframe(scores, hide_index=True, column_config=dict.fromkeys(rates, PERCENT))

st.subheader("Greedy vs beam")
diff = scoring.decoder_differences(images, protocol)
if diff.empty and not {"greedy", "beam"} <= set(images.columns):
    st.caption("The analysis does not store both greedy and beam texts.")
elif diff.empty:
    st.success("Greedy and beam search agree on every image of this set.")
else:
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Images that differ",
        f"{len(diff):,}",
        f"{len(diff) / max(len(images), 1):.1%} of {len(images):,}",
        delta_color="off",
        delta_arrow="off",
    )
    if "beam right" in diff:
        greedy_right = diff["greedy right"].fillna(False)
        beam_right = diff["beam right"].fillna(False)
        c2.metric("Beam fixes greedy", int((beam_right & ~greedy_right).sum()))
        c3.metric("Beam breaks greedy", int((greedy_right & ~beam_right).sum()))
    shown = crops.gallery_table(analysis, diff, limit=200)
    keep = [
        c
        for c in (
            "image",
            "source",
            "truth",
            "greedy",
            "beam",
            "greedy right",
            "beam right",
            "confidence",
        )
        if c in shown
    ]
    st.dataframe(
        shown[keep].rename(columns={"confidence": "greedy confidence"}),
        hide_index=True,
        height=300,
        column_config={"image": st.column_config.ImageColumn("image", width="medium")},
    )

st.subheader("Error gallery")
decoder = st.radio("Errors of", ["greedy", "beam"], horizontal=True, key="gallery_decoder")
errors = scoring.error_gallery(images, decoder, protocol)
if errors.empty:
    st.caption("No errors to show (or no ground truth / predictions for this decoder).")
else:
    order = st.radio(
        "Sort by confidence",
        ["lowest first", "highest first"],
        horizontal=True,
        key="gallery_order",
        help="Confident errors are the interesting ones: the model was sure.",
    )
    if "confidence" in errors and order == "highest first":
        errors = errors.sort_values("confidence", ascending=False, kind="stable")
    limit = st.slider("Rows", 10, 500, 100, 10, key="gallery_rows")
    st.caption(f"{len(errors):,} errors · click a column header to re-sort")
    gallery = crops.gallery_table(analysis, errors, limit)
    keep = [c for c in ("image", "source", "truth", "prediction", "confidence") if c in gallery]
    st.dataframe(
        gallery[keep],
        hide_index=True,
        height=480,
        column_config={
            "image": st.column_config.ImageColumn("image", width="medium"),
            "confidence": st.column_config.ProgressColumn(
                "confidence", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
