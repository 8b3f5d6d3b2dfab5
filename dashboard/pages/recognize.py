"""Recognize: upload word images (or pick a sample), decode greedy / beam / lexicon, and see how
the CTC frames line up with the image."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from dashboard import insights, services, ui
from dashboard.components import alignment, maps
from dashboard.recognition import (
    DecodeOptions,
    Recognition,
    UploadError,
    parse_lexicon,
    process_uploads,
    results_csv,
    results_json,
)

UPLOAD_TYPES = ["png", "jpg", "jpeg", "bmp", "webp", "tif", "tiff", "gif"]

st.title("Recognize a word")
recognizer = ui.require_recognizer()

left, right = st.columns([3, 2], gap="large")
with left:
    uploads = st.file_uploader(
        "Word images (cropped to one word)",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key="uploads",
        help="PNG, JPEG, BMP, WebP, TIFF (GIF: first frame).",
    )
    samples = dict(services.sample_images(recognizer.charset.characters))
    picked = st.pills("…or try a built-in sample", list(samples), key="sample", wrap=True)
with right:
    decoder = st.radio(
        "Decoder",
        ["greedy", "beam"],
        horizontal=True,
        key="decoder",
        format_func={"greedy": "Greedy (best path)", "beam": "Beam search"}.__getitem__,
    )
    beam = decoder == "beam"
    beam_width = st.slider("Beam width", 1, 50, 10, key="beam_width", disabled=not beam)
    top_k = st.slider("Top-k candidates", 1, 10, 5, key="top_k", disabled=not beam)
    lexicon_text = st.text_area(
        "Lexicon (optional)",
        key="lexicon",
        height=80,
        placeholder="words separated by spaces or new lines",
        help="If given, the answer is the lexicon word with the highest exact CTC "
        "probability, whatever the decoder above.",
    )

sources: list[tuple[str, bytes]] = [(f.name, f.getvalue()) for f in uploads or []]
if not sources and picked:
    sources = [(picked, samples[picked])]
if not sources:
    st.info("Upload one or more word images, or pick a sample above.", icon=":material/upload:")
    st.stop()

lexicon = parse_lexicon(lexicon_text)
options = DecodeOptions(decoder, beam_width, top_k, lexicon)
with st.spinner("Reading…"):
    results = process_uploads(recognizer, sources, options, frame_fn=services.frame_logits)

for failed in (r for r in results if isinstance(r, UploadError)):
    st.error(f"**{failed.name}** — {failed.message}", icon=":material/broken_image:")
good = [r for r in results if isinstance(r, Recognition)]
if not good:
    st.stop()

if len(good) > 1:
    st.dataframe(
        pd.DataFrame(
            {
                "file": [r.name for r in good],
                "text": [r.prediction.text for r in good],
                "confidence": [r.prediction.confidence for r in good],
            }
        ),
        hide_index=True,
        column_config={
            "confidence": st.column_config.ProgressColumn(
                "confidence", min_value=0.0, max_value=1.0, format="percent"
            )
        },
    )
    names = [r.name for r in good]
    chosen = st.selectbox(
        "Details for", range(len(good)), index=len(good) - 1, format_func=names.__getitem__
    )
    result = good[chosen]
else:
    result = good[0]

pred = result.prediction
st.caption(
    f"{result.name} · decoder: **{pred.decoder}**"
    + (f" (beam width {beam_width})" if pred.decoder == "beam" else "")
    + (f" · lexicon of {len(lexicon)} words" if lexicon else "")
)
st.markdown(ui.confidence_html(pred.text, pred.char_confidences), unsafe_allow_html=True)
m1, m2, m3 = st.columns(3)
m1.metric("Word confidence", f"{pred.confidence:.1%}")
m2.metric("Frames", result.logits.shape[0], help="one frame per 4 image columns")
m3.metric("Model input", f"32 × {result.image.shape[1]} px")

if pred.candidates:
    cands = pd.DataFrame(pred.candidates, columns=["text", "log_prob"])
    cands["probability"] = [math.exp(v) for v in cands["log_prob"]]
    st.markdown("**Beam candidates** (top-k, probability of each text)")
    st.dataframe(
        cands,
        hide_index=True,
        column_config={
            "probability": st.column_config.ProgressColumn(
                "probability", min_value=0.0, max_value=1.0, format="%.4f"
            ),
            "log_prob": st.column_config.NumberColumn("log P", format="%.3f"),
        },
    )

align_tab, map_tab, table_tab = st.tabs(["Alignment", "On the cluster map", "Frames"])
with align_tab:
    st.caption(
        "Top: the model's input with frame boundaries (every 4 columns). Middle: "
        "probability of the most likely characters per frame. Bottom: frame uncertainty. "
        "Hover any row: the vertical line marks the same image column in all three."
    )
    st.plotly_chart(
        alignment.alignment_figure(result.image, result.logits, result.frames, recognizer.charset),
        key="alignment",
    )
with map_tab:
    try:
        analysis = services.get_analysis()
        with st.spinner("Placing frames on the map…"):
            x, y = services.place_frames(analysis, result.logits)
        st.plotly_chart(
            maps.placement_figure(
                insights.map_sample(analysis.frames, 8_000),
                x,
                y,
                list(result.frames["char"]),
            ),
            key="placement",
            theme=None,
        )
        st.caption(
            "Grey: frames of the reference analysis. Coloured: this image's frames, "
            "labelled `frame:greedy character`."
        )
    except services.AnalysisUnavailable as exc:
        st.info(f"No cluster map to place this image on: {exc}", icon=":material/info:")
with table_tab:
    st.dataframe(result.frames, hide_index=True, height=300)

d1, d2, _ = st.columns([1, 1, 3])
d1.download_button(
    "Download CSV", results_csv(results), "predictions.csv", "text/csv", icon=":material/download:"
)
d2.download_button(
    "Download JSON",
    results_json(results),
    "predictions.json",
    "application/json",
    icon=":material/download:",
)
