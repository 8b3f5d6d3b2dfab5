"""The data behind "what a cluster looks like": column grid, top characters with their words,
and the frames where the model hesitated between two characters."""

from __future__ import annotations

import numpy as np
import pandas as pd
from dashboard_support import FakeAnalysis

from dashboard import cluster_look
from dashboard.analysis_view import AnalysisView


def view() -> AnalysisView:
    return AnalysisView.from_object(FakeAnalysis(), "fake")


def test_cluster_columns_show_the_frames_own_columns() -> None:
    analysis = view()
    members = analysis.frames[analysis.frames["cluster"] == 1]
    look = cluster_look.cluster_columns(analysis, members.head(3), limit=10)
    assert look is not None and look.shown == look.total == 3
    strips = [analysis.pixels(int(i))[:, 4 * int(t) : 4 * int(t) + 4] for i, t in
              members.head(3)[["image_id", "t"]].to_numpy()]  # fmt: skip
    mean = np.mean(np.stack(strips).astype(float), axis=0).round()
    assert look.mean.shape == (32 * cluster_look.MEAN_SCALE, 4 * cluster_look.MEAN_SCALE)
    assert np.array_equal(look.mean[:: cluster_look.MEAN_SCALE, :: cluster_look.MEAN_SCALE], mean)
    assert np.array_equal(look.grid[::2, ::2][:32, :4], strips[0])
    sampled = cluster_look.cluster_columns(analysis, members, limit=5)
    assert sampled is not None and (sampled.shown, sampled.total) == (5, len(members))


def test_chars_and_words_name_the_source_words() -> None:
    analysis = view()
    members = analysis.frames[analysis.frames["image_id"].isin([0, 1])]
    table = cluster_look.chars_and_words(analysis, members, top=2)
    assert list(table.columns) == ["char", "frames", "share", "words"]
    assert table["frames"].sum() <= len(members) and len(table) == 2
    assert table["words"].iloc[0] == "w0 ×4, w1 ×4"  # 20 frames per image, char = frame % 5


def test_hesitations_are_split_by_which_character_won() -> None:
    frames = pd.DataFrame(
        {
            "char": ["0", "O", "0", "O", "a"],
            "top2_char": ["O", "0", "O", "x", "O"],
            "max_prob": [0.5, 0.6, 0.95, 0.5, 0.5],
            "margin": [0.1, 0.3, 0.9, 0.1, 0.1],
        }
    )
    found = cluster_look.hesitations(frames, "0", "O")
    assert found is not None
    zero_first, o_first = found
    assert zero_first.index.tolist() == [0]  # frame 2: O only 0.05 likely, no hesitation
    assert o_first.index.tolist() == [1]
    assert cluster_look.hesitations(frames.drop(columns="top2_char"), "0", "O") is None
