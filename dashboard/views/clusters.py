"""Clusters: the UMAP map of per-frame logits, KMeans quality figures with their baselines for
both clusterings (all frames; non-blank frames on their own), selection, inspector, cluster ×
character contingency and confusable pairs, from a shipped analysis folder."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import (
    cluster_look,
    crops,
    figure_cache,
    insights,
    last_word,
    photo_jobs,
    quality,
    scoring,
    services,
    ui,
)
from dashboard.analysis_view import AnalysisView
from dashboard.components import map_selection, maps
from dashboard.text import literal, plain

COLOUR_BY = {
    "cluster": "KMeans cluster",
    "char": "greedy character",
    "entropy": "entropy",
    "correct": "word correct (greedy, acc36)",
}
SECTION_TABS = ["Map", "Cluster inspector", "Cluster × character", "Confusable pairs"]
VIEW_NAMES = {"all": "All frames", "non_blank": "Non-blank frames, on their own"}


class MapFilters(NamedTuple):
    """The sidebar's map settings, in ``figure_cache.umap_figure``'s argument order."""

    color_by: str
    hide_blank: bool
    wrong_only: bool
    chars: tuple[str, ...]
    clusters: tuple[int, ...]
    size: float
    points: bool


def show_crops(pictures: list[tuple[np.ndarray, str]]) -> None:
    if pictures:
        st.image([c for c, _ in pictures], caption=[c for _, c in pictures], width=96)
    else:
        st.caption("No word images stored for these frames.")


def show_cluster_look(analysis: AnalysisView, members: pd.DataFrame, cluster: int) -> None:
    """The mean and a grid of the image columns behind the cluster's frames, and the words its
    top characters come from."""
    st.markdown(f"**What cluster {cluster} looks like** · frame *t* = input columns 4t…4t+3")
    a, b = st.columns(2)
    context = a.toggle(
        "With 6 columns either side", key="look_context",
        help="The frame's own 4 columns are what the cluster is about; the model's receptive "
        "field is wider, so context helps to see the character.",
    )  # fmt: skip
    polarity = b.toggle(
        "Dark text on light", value=True, key="look_polarity",
        help="Invert light-on-dark words first, so the mean is not a flat grey.",
    )  # fmt: skip
    look = cluster_look.cluster_columns(
        analysis, members, context=6 if context else 0, polarity=polarity
    )
    left, right = st.columns([1, 5])
    if look is None:
        right.caption("No word images stored for these frames.")
    else:
        left.image(look.mean, caption="mean column strip", width=look.mean.shape[1])
        right.image(look.grid)
        right.caption(f"Column grid: {look.shown:,} of {look.total:,} frames, by word and frame")
    st.dataframe(
        cluster_look.chars_and_words(analysis, members),
        hide_index=True,
        key="cluster_words",
        column_config={"share": st.column_config.ProgressColumn("share", format="percent")},
    )


def show_map(
    analysis: AnalysisView, frames_all: pd.DataFrame, view: str, filters: MapFilters
) -> None:
    """The UMAP map with the sidebar's filters; a lasso/box selection shows its frames below."""
    if not analysis.has_umap:
        st.warning("This analysis has no UMAP coordinates; only the tables are shown.")
        return
    word = placed_word(analysis, view, filters.hide_blank)
    umap, shown = figure_cache.umap_figure(analysis, view, *filters, word=word)
    draw = maps.draw_mode(len(shown), filters.points)
    mapped = int(frames_all["x"].notna().sum())
    how = (
        "each point hovers its frame"
        if draw == "points"
        else "drawn as a picture: hover shows what lies under the pointer"
    )
    st.caption(
        f"{len(shown):,} frames shown ({mapped:,} of {len(frames_all):,} are on the UMAP map; "
        f"{how}) · lasso or box-select points to see their image columns"
    )
    event = st.plotly_chart(
        umap,
        theme=None,
        key="umap",
        on_select="rerun",
        selection_mode=("lasso", "box"),
        config={"displaylogo": False},
    )
    selection = event.selection if event else None
    if draw == "points":
        rows = maps.selected_rows(selection.points if selection else [])
        selected = frames_all.loc[frames_all.index.intersection(rows)]
    elif selection and map_selection.has_geometry(selection):
        inside = map_selection.in_selection(shown["x"].to_numpy(), shown["y"].to_numpy(), selection)
        selected = frames_all.loc[shown.index[inside]]
    else:
        selected = frames_all.iloc[:0]
    if len(selected):
        show_selection(analysis, selected)


def placed_word(analysis: AnalysisView, view: str, hide_blank: bool) -> maps.PlacedWord | None:
    """The last word read on the Recognize page, placed on this map (``None``: no word, not
    wanted, or it cannot be placed: then the page says why)."""
    word = last_word.recall()
    if word is None or not st.session_state.get("show_word", True):
        return None
    try:
        x, y = figure_cache.placed_frames(analysis, word.logits)
    except services.AnalysisUnavailable as exc:
        st.caption(f"Your word {literal(word.text)} cannot be placed on this map: {exc}")
        return None
    keep = word.shown(hide_blank or view != "all")
    left, right = st.columns([1, 4], vertical_alignment="center")
    left.image(word.image, caption=plain(word.name))
    right.caption(
        f"Your word, read {literal(word.text)} on the Recognize page: its {len(keep)} "
        f"{'non-blank ' if len(keep) < len(word.chars) else ''}frames are the large outlined "
        "points, from the first (blue) to the last (red); hover one for its frame and character."
    )
    return maps.PlacedWord(x[keep], y[keep], [word.chars[i] for i in keep])


def show_selection(analysis: AnalysisView, selected: pd.DataFrame) -> None:
    st.subheader(f"Selection · {len(selected):,} frames")
    left, right = st.columns([2, 3])
    with left:
        st.bar_chart(
            selected["char"].astype(str).value_counts().head(15), horizontal=True, height=260
        )
        words = analysis.words_of(selected["image_id"].to_numpy())
        keep = [c for c in ("image_id", "source", "truth", "greedy", "beam") if c in words]
        table = words[keep].head(200)
        if analysis.has_truth and "greedy" in words:
            table = table.assign(right=scoring.word_correct(words.head(200), "greedy").to_numpy())
        st.dataframe(table, hide_index=True, height=240, key="selection_words")
    with right:
        show_crops(crops.frame_crops(analysis, selected))


def show_inspector(
    analysis: AnalysisView, frames_all: pd.DataFrame, view: str, cluster_ids: list[int]
) -> None:
    """One cluster: size, purity, matched character, example crops and its column grid."""
    st.subheader(f"Cluster inspector · {VIEW_NAMES[view].lower()}")
    if not cluster_ids:
        return
    left, right = st.columns([2, 3])
    with left:
        start = figure_cache.largest_non_blank_cluster(analysis, view)
        cluster = st.selectbox(
            "Cluster",
            cluster_ids,
            index=cluster_ids.index(start) if start in cluster_ids else 0,
            key="inspect",
            help="Starts on the largest cluster whose frames are mostly characters.",
        )
        size_c, purity, top = insights.cluster_profile(frames_all, cluster)
        matched = analysis.cluster_row(cluster, view).get("matched_char")
        matched = "—" if matched is None or pd.isna(matched) else str(matched)
        a, b, c = st.columns(3)
        a.metric("Frames in cluster", f"{size_c:,}")
        b.metric("Purity", "—" if np.isnan(purity) else f"{purity:.1%}")
        rule = quality.matching_line(analysis.matching_rule(), None)
        c.metric("Matched char", matched, help=rule)
        st.dataframe(
            top,
            hide_index=True,
            column_config={
                "share": st.column_config.ProgressColumn(
                    "share", min_value=0.0, max_value=1.0, format="percent"
                )
            },
        )
    with right:
        members = frames_all[frames_all["cluster"] == cluster]
        sample = members.sample(min(12, len(members)), random_state=0)
        show_crops(crops.frame_crops(analysis, sample, limit=12))
    show_cluster_look(analysis, members, cluster)


def show_heatmap(analysis: AnalysisView, view: str) -> None:
    st.subheader(f"Cluster × character · {VIEW_NAMES[view].lower()}")
    t1, t2 = st.columns(2)
    normalise = t1.toggle("Share of each cluster (rows sum to 1)", value=True, key="normalise")
    no_blank = t2.toggle("Hide the blank column", value=True, key="no_blank_column")
    figure = figure_cache.contingency_figure(analysis, view, normalise, no_blank)
    if figure is None:
        st.caption("No frames to count.")
        return
    st.caption(
        "Sorted by the matching: each named cluster sits on the diagonal with its character "
        "(named characters by group: digits, capitals, lower case, punctuation); unnamed "
        "clusters follow, under their most common character."
    )
    st.plotly_chart(figure, key="contingency")


def show_pairs(analysis: AnalysisView, frames_all: pd.DataFrame) -> None:
    """The confusable pairs and, for one, the frames where the model hesitated between them."""
    st.subheader("Confusable pairs")
    pairs = analysis.pairs
    if pairs is None or pairs.empty:
        st.caption("The analysis lists no confusable pairs.")
        return
    st.dataframe(pairs, hide_index=True, height=300)
    examples = analysis.pair_examples
    if examples is None or examples.empty or "rank" not in pairs:
        return
    labels = {int(r): f"{a} / {b}" for r, a, b in pairs[["rank", "char_a", "char_b"]].values}
    rank = st.selectbox("Examples of", list(labels), format_func=labels.__getitem__, key="pair")
    row = pairs[pairs["rank"] == rank].iloc[0]
    char_a, char_b = str(row["char_a"]), str(row["char_b"])
    pair = cluster_look.hesitations(analysis.frames, char_a, char_b)
    if pair is not None and (len(pair[0]) or len(pair[1])):
        st.caption(
            f"Frames where the model hesitated between {literal(char_a)} and "
            f"{literal(char_b)} (closest calls first)"
        )
        sides = zip(st.columns(2), pair, (char_a, char_b), (char_b, char_a), strict=True)
        for column, found, x, y in sides:
            column.markdown(f"read {literal(x)}, {literal(y)} second · {len(found)} frames")
            with column:
                show_crops(crops.frame_crops(analysis, found, limit=12))
    else:
        chosen = examples[(examples["rank"] == rank) & (examples["t"] >= 0)]
        found = frames_all.merge(chosen[["image_id", "t", "kind"]], on=["image_id", "t"])
        show_crops(crops.frame_crops(analysis, found, limit=12))


st.title("Logit clusters")
photo_jobs.upload_panel()
analysis = ui.analysis_picker()
if analysis is None:
    st.stop()

cols = st.columns(3)
cols[0].metric("Frames", f"{len(analysis.frames):,}")
cols[1].metric("Non-blank frames", f"{int((analysis.frames['label'] != 0).sum()):,}")
cols[2].metric("Clusters (K)", analysis.summary.get("k", len(analysis.clusters())))
quality.show_quality(analysis)

with st.sidebar:
    st.subheader("Clustering")
    view: str = st.radio(
        "Clusters of",
        list(analysis.views),
        format_func=VIEW_NAMES.__getitem__,
        key="view",
        help="All frames (K = number of classes), or the non-blank frames clustered on their "
        "own. Drives the map colours, the cluster filter, the inspector and the heatmap.",
    )
    st.subheader("Map")
    options = [c for c in COLOUR_BY if c != "correct" or analysis.has_truth]
    color_by: str = st.selectbox(
        "Colour by", options, format_func=COLOUR_BY.__getitem__, key="colour"
    )
    hide_blank = st.checkbox(
        "Hide blank frames",
        value=True,
        key="hide_blank",
        help="Blank frames dominate CTC output and hide the structure.",
        disabled=view != "all",
    )
    correct_codes = insights.frame_correct(analysis)
    wrong_only = st.checkbox(
        "Only frames of wrongly read words",
        value=False,
        key="wrong_only",
        help="Frames of the images whose greedy reading differs from the truth (acc36): "
        "the confusion modes on your photos.",
        disabled=correct_codes is None,
    )
    chars = st.multiselect(
        "Characters", analysis.characters(), key="chars", help="Type to search a character."
    )
    frames_all = analysis.frames_of(view)
    cluster_ids = sorted(int(c) for c in frames_all["cluster"].unique() if c >= 0)
    clusters = st.multiselect("Clusters", cluster_ids, key="clusters")
    size = st.slider("Point size", 1.0, 8.0, 3.0, 0.5, key="size")
    word = last_word.recall()
    if word is not None:
        st.toggle(
            f"Show your word {literal(word.text)}",
            value=True,
            key="show_word",
            help="The frames of the word last read on the Recognize page, placed on the map.",
        )
    points = st.toggle(
        "Draw every point",
        value=False,
        key="draw_points",
        help=f"Off: a map of more than {maps.SVG_POINT_LIMIT:,} frames is drawn as one picture "
        "with a hover grid, several times faster in a browser without a GPU; zooming enlarges "
        "the picture. On: one plotly point per frame, each with its own hover, and the "
        "legend can hide a character group.",
    )

filters = MapFilters(
    color_by, hide_blank, wrong_only and correct_codes is not None, tuple(chars),
    tuple(clusters), size, points,
)  # fmt: skip
# Lazy tabs: only the open section runs and is sent to the browser, so the first paint, a
# recolour or a box selection does not also rebuild the inspector's image grids, the heatmap
# and the pair examples.
map_tab, inspector_tab, heatmap_tab, pairs_tab = st.tabs(
    SECTION_TABS, key="clusters_tab", on_change="rerun"
)
if map_tab.open:
    with map_tab:
        show_map(analysis, frames_all, view, filters)
if inspector_tab.open:
    with inspector_tab:
        show_inspector(analysis, frames_all, view, cluster_ids)
if heatmap_tab.open:
    with heatmap_tab:
        show_heatmap(analysis, view)
if pairs_tab.open:
    with pairs_tab:
        show_pairs(analysis, frames_all)
