"""Model: what is shipped in the artifacts directory and how it was made (the manifest)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from crnn_core.artifacts import ArtifactError
from dashboard import manifest_view, services, ui
from dashboard.components import curves
from dashboard.text import literal, scrub_paths, scrub_tree

st.title("Model")
ui.health_banner()
try:
    manifest = services.get_manifest()
except ArtifactError as exc:
    ui.artifact_error_page(exc)

model = manifest.get("model", {})
charset = manifest.get("charset", {})
training = manifest.get("training", []) or []

c1, c2, c3, c4 = st.columns(4)
c1.metric("Parameters", f"{model.get('parameters', 0):,}")
c2.metric("Classes", model.get("num_classes", "?"), help="characters + the CTC blank (index 0)")
c3.metric(
    "Input (height × width)",
    f"{manifest.get('input', {}).get('height', '?')} × ≤{model.get('max_width', '?')} px",
    help="grayscale (colour photos along their own main colour axis, so coloured text keeps "
    "its contrast); aspect ratio kept, wider words are squashed to the maximum width",
)
c4.metric("Created", str(manifest.get("created", "?"))[:10])

st.subheader("Learning curve")
x_axis = "steps"
if curves.has_cpu_hours(training):
    x_axis = st.radio(
        "Horizontal axis",
        ["cpu", "steps"],
        horizontal=True,
        key="curve_axis",
        format_func={"cpu": "cumulative CPU-hours", "steps": "training steps"}.__getitem__,
    )
figure = curves.learning_curve_figure(training, x_axis)
if figure is None:
    st.caption("The manifest has no validation curve.")
else:
    st.plotly_chart(figure, key="curve")

st.subheader("Metrics")
if not ui.metric_reports(manifest, with_commands=True):
    st.caption(
        "No evaluation recorded in the manifest. Record one with `python -m crnn_core evaluate "
        "--data DIR --record NAME`."
    )

st.subheader("Charset")
characters = charset.get("characters", "")
st.markdown(
    f"{literal(charset.get('name', 'custom'))} · {len(characters)} characters · blank = class "
    f"{charset.get('blank_index', 0)}"
)
st.code(characters, language=None)

st.subheader("Architecture")
st.dataframe(
    pd.DataFrame({"setting": list(model), "value": [json.dumps(v) for v in model.values()]}),
    hide_index=True,
)

st.subheader("Training")
if not training:
    st.caption("No training record in the manifest.")
for stage, entry in enumerate(training, start=1):
    st.markdown(f"**Stage {stage}** · {manifest_view.stage_summary(entry)}")
    command = scrub_paths(entry.get("command", "(command not recorded)"))
    st.code(command, language="bash", wrap_lines=True)
    data = manifest_view.stage_data(entry)
    if data is not None:
        st.dataframe(data, hide_index=True)
    if entry.get("config"):
        with st.expander("Full training configuration"):
            st.json(scrub_tree(entry["config"]))

st.subheader("Files")
files = manifest.get("files", {})
st.dataframe(pd.DataFrame({"file": list(files), "sha256": list(files.values())}), hide_index=True)
st.caption(
    f"Artifacts directory: {literal(services.shown_path(services.artifacts_dir()))} · software: "
    + ", ".join(f"{literal(k)} {literal(v)}" for k, v in manifest.get("software", {}).items())
)
