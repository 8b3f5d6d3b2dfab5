"""Recognize: upload word images (or pick a sample), decode greedy / beam / lexicon, and see how
the CTC frames line up with the image."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from crnn_core.decode import DECODERS
from dashboard import crop_box, figure_cache, last_word, photo, services, ui
from dashboard.components import crop_controls, forced_alignment, inputs, png, reading
from dashboard.recognition import (
    DecodeOptions,
    Recognition,
    UploadError,
    parse_lexicon,
    process_uploads,
    refusal,
    results_csv,
    results_json,
)
from dashboard.text import literal, md_escape, plain

DETAIL_TABS = ["Alignment", "On the cluster map", "Frames"]
LEXICON_MODES = {
    "soft": "Suggest (next to the reading)",
    "force": "Force (the answer is a lexicon word)",
}

st.title("Recognize a word")
# The inputs need only the charset, so they are drawn while the model may still be loading
# (model_preload); the model is asked for once there is something to read.
known = None if ui.health_banner() else services.charset_characters()
characters = known or ui.require_recognizer(banner=False).charset.characters

left, right = st.columns([3, 2], gap="large")
with left:
    files = inputs.uploaded_files()
    shot = inputs.camera_shot()
    samples = dict(services.sample_images(characters))
    picked = st.pills(
        "…or try a built-in sample", list(samples), key="sample", wrap=True, format_func=md_escape
    )
DECODER_LABELS = {
    "greedy": "Greedy (best path)",
    "beam": "Beam search",
    "beam_lm": "Beam + language model",
}
with right:
    decoder = st.radio(
        "Decoder",
        list(DECODERS),
        horizontal=True,
        key="decoder",
        format_func=DECODER_LABELS.__getitem__,
        help="Beam + language model re-weights the beam with an English character 4-gram "
        "model: it mends dropped or doubled letters but never forces a dictionary word.",
    )
    beam = decoder != "greedy"
    beam_width = st.slider("Beam width", 1, 50, 10, key="beam_width", disabled=not beam)
    top_k = st.slider("Top-k candidates", 1, 10, 5, key="top_k", disabled=not beam)
    lexicon_text = st.text_area(
        "Lexicon (optional)",
        key="lexicon",
        height=80,
        placeholder="words separated by spaces or new lines",
        help="The lexicon word with the highest exact CTC probability is shown next to the "
        "free reading, or replaces it in Force mode.",
    )
    lexicon_mode = st.radio(
        "Lexicon use",
        list(LEXICON_MODES),
        horizontal=True,
        key="lexicon_mode",
        format_func=LEXICON_MODES.__getitem__,
    )
    match_case = st.checkbox(
        "Match case", value=False, key="match_case", help="Off: centre matches Centre, CENTRE."
    )

files = [*files, shot] if shot else files
refused = [UploadError(name, why) for name, data in files if (why := refusal(name, data))]
sources = [(name, data) for name, data in files if refusal(name, data) is None]
if not files and picked:
    sources = [(picked, samples[picked])]
for failed in refused:
    st.error(f"{literal(failed.name)} was not read: {failed.message}", icon=":material/block:")
if not sources:
    if not refused:
        st.info("Upload one or more word images, or pick a sample above.", icon=":material/upload:")
    st.stop()

recognizer = ui.require_recognizer(banner=False)
lexicon = parse_lexicon(lexicon_text)
options = DecodeOptions(decoder, beam_width, top_k, lexicon, lexicon_mode, match_case)
with st.spinner("Reading…"):
    processed = process_uploads(recognizer, sources, options, frame_fn=services.frame_logits)
results = [*refused, *processed]
original = {id(r): data for (_, data), r in zip(sources, processed, strict=True)}

for failed in (r for r in processed if isinstance(r, UploadError)):
    st.error(f"{literal(failed.name)} — {failed.message}", icon=":material/broken_image:")
good = [r for r in processed if isinstance(r, Recognition)]
if not good:
    st.stop()

if len(good) > 1:
    st.dataframe(
        pd.DataFrame(
            {
                "image": [png.data_uri(r.image) for r in good],
                "file": [plain(r.name) for r in good],
                "text": [r.prediction.text for r in good],
                "confidence": [r.prediction.confidence for r in good],
                "status": [r.verdict.kind if r.verdict else "ok" for r in good],
            }
        ),
        hide_index=True,
        column_config={
            "image": st.column_config.ImageColumn("model input", width="medium"),
            "confidence": st.column_config.ProgressColumn(
                "confidence", min_value=0.0, max_value=1.0, format="percent"
            ),
        },
    )
    names = [plain(r.name) for r in good]
    chosen = st.selectbox(
        "Details for", range(len(good)), index=len(good) - 1, format_func=names.__getitem__
    )
    result = good[chosen]
else:
    result = good[0]

data = original[id(result)]
view, adjust = st.columns([3, 2], gap="large")
with adjust:
    turns, tilt = inputs.rotation_controls()
if turns or tilt:
    turned = photo.rotated_png(data, turns, tilt)
    (again,) = process_uploads(
        recognizer, [(result.name, turned)], options, frame_fn=services.frame_logits
    )
    if isinstance(again, Recognition):
        result, data = again, turned
with adjust:
    box = crop_controls.crop_controls(data)
if box is not None:
    cut = crop_box.cropped_png(data, box)
    (again,) = process_uploads(
        recognizer, [(result.name, cut)], options, frame_fn=services.frame_logits
    )
    if isinstance(again, Recognition):
        result, data = again, cut
with view:
    try:
        shown = photo.viewable(data)
    except Exception:  # the model read it, so this is only the preview failing
        st.caption("This image cannot be previewed.")
    else:
        st.image(
            shown,
            caption="Your image"
            + (" (rotated)" if turns or tilt else "")
            + (" (the box read)" if box else ""),
        )

pred = result.prediction
last_word.remember(result)  # the Clusters page shows its frames on the map
lexicon_forced = lexicon_mode == "force"
reading.show_reading(result, beam_width, len(lexicon), lexicon_forced)

if pred.candidates and pred.decoder == "beam_lm":
    cands = pd.DataFrame(pred.candidates, columns=["text", "score"])
    st.markdown(
        "**Beam candidates** (top-k by fused score: log P(text | image) + "
        "λ·log P_LM(text) + bonus·length; not a probability)"
    )
    st.dataframe(
        cands,
        hide_index=True,
        column_config={"score": st.column_config.NumberColumn("fused score", format="%.3f")},
    )
elif pred.candidates:
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

forced_alignment.show_forced_alignment(result.image, result.logits, pred.text, recognizer.charset)

# Lazy tabs: only the open one runs and is sent, so the cluster map (thousands of points) and
# the frame table cost nothing until asked for; a decoder toggle redraws only what is shown.
align_tab, map_tab, table_tab = st.tabs(DETAIL_TABS, key="detail_tab", on_change="rerun")
if align_tab.open:
    with align_tab:
        st.caption(
            "Top: the model's input with frame boundaries (every 4 columns). Middle: "
            "probability of the most likely characters per frame. Bottom: frame uncertainty. "
            "Hover any row: the vertical line marks the same image column in all three."
        )
        st.plotly_chart(
            figure_cache.alignment_figure(
                result.image, result.logits, result.frames, recognizer.charset
            ),
            key="alignment",
        )
if map_tab.open:
    with map_tab:
        try:
            analysis = services.get_analysis()
            with st.spinner("Placing frames on the map…"):
                placed = figure_cache.placement_figure(
                    analysis, result.logits, list(result.frames["char"])
                )
            st.plotly_chart(placed, key="placement", theme=None)
            st.caption(
                "Grey: frames of the reference analysis. Outlined: this image's frames, "
                "coloured from the first (blue) to the last (red); hover one for its frame "
                "number and greedy character. The Clusters page shows them among the clusters."
            )
        except services.AnalysisUnavailable as exc:
            st.info(f"No cluster map to place this image on: {exc}", icon=":material/info:")
if table_tab.open:
    with table_tab:
        st.dataframe(result.frames, hide_index=True, height=300)

# The files are built only when a button is clicked (deferred download, no rerun): building
# them on every rerun cost each decoder toggle the CSV and JSON of every result.
d1, d2, _ = st.columns([1, 1, 3])
d1.download_button(
    "Download CSV",
    lambda: results_csv(results),
    "predictions.csv",
    "text/csv",
    on_click="ignore",
    icon=":material/download:",
)
d2.download_button(
    "Download JSON",
    lambda: results_json(results),
    "predictions.json",
    "application/json",
    on_click="ignore",
    icon=":material/download:",
)
