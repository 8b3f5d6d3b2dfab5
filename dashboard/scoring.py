"""Word-level views of the analysis images: per-dataset scores (``crnn_core.metrics``), where
greedy and beam disagree, and the errors, under the acc36 or the case-sensitive protocol."""

from __future__ import annotations

import pandas as pd

from crnn_core import metrics
from crnn_core.charset import acc36_normalize

__all__ = ["PROTOCOLS", "dataset_scores", "decoder_differences", "error_gallery", "word_correct"]

PROTOCOLS = ("acc36", "case")
"""acc36: lower-case, ``[0-9a-z]`` only (the literature's protocol); case: exact string match."""


def confidence_column(decoder: str) -> str:
    """The images column holding ``decoder``'s word confidence."""
    return "confidence" if decoder == "greedy" else f"{decoder}_confidence"


def word_correct(images: pd.DataFrame, decoder: str, protocol: str = "acc36") -> pd.Series:
    """Nullable booleans: is ``decoder``'s text right under ``protocol``? ``<NA>`` where there is
    no truth (or, for acc36, the truth has no ``[0-9a-z]`` character). Uses the analysis' own
    ``<decoder>_correct_<protocol>`` flags when present."""
    flag = f"{decoder}_correct_{protocol}"
    if flag in images:
        return images[flag].astype("boolean")
    values: list[bool | None] = []
    for text, truth in zip(images[decoder], images["truth"], strict=True):
        if pd.isna(truth) or pd.isna(text):
            values.append(None)
        elif protocol == "acc36":
            target = acc36_normalize(str(truth))
            values.append(acc36_normalize(str(text)) == target if target else None)
        else:
            values.append(str(text) == str(truth))
    return pd.Series(values, index=images.index, dtype="boolean")


def _pairs(images: pd.DataFrame, column: str) -> list[tuple[str, str]]:
    rows = images.dropna(subset=[column, "truth"])
    return list(zip(rows[column].astype(str), rows["truth"].astype(str), strict=True))


def dataset_scores(images: pd.DataFrame) -> pd.DataFrame:
    """Per source (dataset): n, then acc36 / case-sensitive accuracy / 1-NED for greedy and beam
    and the mean greedy confidence. Empty when the images carry no truth."""
    if "truth" not in images or images["truth"].isna().all():
        return pd.DataFrame()
    groups = images.groupby("source", sort=True) if "source" in images else [("all", images)]
    rows = []
    for source, group in groups:
        row: dict[str, object] = {"dataset": str(source), "n": len(group)}
        for decoder in ("greedy", "beam"):
            if decoder in group:
                pairs = _pairs(group, decoder)
                row[f"{decoder} acc36"] = metrics.acc36(pairs)
                row[f"{decoder} acc_case"] = metrics.acc_case(pairs)
                row[f"{decoder} 1-NED"] = metrics.one_minus_ned(pairs)
        if "confidence" in group:
            row["mean confidence"] = float(group["confidence"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def decoder_differences(images: pd.DataFrame, protocol: str = "acc36") -> pd.DataFrame:
    """Images where the greedy and beam texts differ, with whether each is right."""
    if not {"greedy", "beam"} <= set(images.columns):
        return pd.DataFrame()
    differ = images["greedy"].astype(str) != images["beam"].astype(str)
    diff = images[differ].copy()
    if "truth" in images:
        diff["greedy right"] = word_correct(images, "greedy", protocol)[differ]
        diff["beam right"] = word_correct(images, "beam", protocol)[differ]
    return diff


def error_gallery(
    images: pd.DataFrame, decoder: str = "greedy", protocol: str = "acc36"
) -> pd.DataFrame:
    """Images that ``decoder`` got wrong under ``protocol``, least confident first, with a
    ``prediction`` and a ``confidence`` column for that decoder."""
    if decoder not in images or "truth" not in images:
        return pd.DataFrame()
    wrong = images[word_correct(images, decoder, protocol).eq(False).fillna(False)].copy()
    wrong["prediction"] = wrong[decoder]
    conf = confidence_column(decoder)
    if conf in wrong:
        wrong["confidence"] = wrong[conf]
        wrong = wrong.sort_values("confidence", kind="stable")
    return wrong
