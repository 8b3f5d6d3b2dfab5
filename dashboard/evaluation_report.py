"""Tables of evaluated user zips: per-dataset scores, per-image rows, character confusions,
accuracy by word length / image height, and the CSV download (no Streamlit here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import pandas as pd
from rapidfuzz.distance import Levenshtein

from crnn_core.breakdown import breakdown
from crnn_core.charset import acc36_normalize
from crnn_core.data.labeled import SKIP_REASONS
from crnn_core.evaluate import SampleRecord, combined_scores
from crnn_core.metrics import RecognitionScores
from dashboard.evaluation_job import UserEvaluation

__all__ = [
    "GAP",
    "breakdown_table",
    "char_confusions",
    "confusion_matrix",
    "dataset_table",
    "records_csv",
    "records_table",
    "skipped_lines",
]

GAP = "∅"  # a dropped (truth side) or inserted (reading side) character


def _score_row(name: str, s: RecognitionScores, skipped: int | None) -> dict[str, object]:
    return {
        "dataset": name, "n": s.n, "acc36": s.acc36, "acc_case": s.acc_case,
        "1 − NED": s.one_minus_ned, "CER": s.cer, "mean confidence": s.mean_confidence,
        "ms/word": s.ms_per_word, "skipped": skipped,
    }  # fmt: skip


def dataset_table(evaluations: Sequence[UserEvaluation]) -> pd.DataFrame:
    """One row per dataset (as the CLI's table), plus a pooled "Combined" row for several."""
    rows = [
        _score_row(e.result.dataset, e.result.scores, e.result.skipped.total) for e in evaluations
    ]
    if len(evaluations) > 1:
        pooled = combined_scores([e.result for e in evaluations])
        rows.append(
            _score_row("Combined", pooled, sum(e.result.skipped.total for e in evaluations))
        )
    return pd.DataFrame(rows)


def skipped_lines(evaluation: UserEvaluation) -> list[str]:
    """``reason (what it means): count`` for each skip reason of one dataset."""
    counts = evaluation.result.skipped.counts
    return [f"{SKIP_REASONS.get(k, k)}: {v}" for k, v in sorted(counts.items())]


def records_table(evaluations: Sequence[UserEvaluation]) -> pd.DataFrame:
    """One row per evaluated image of every dataset."""
    rows = [
        {
            "dataset": e.result.dataset, "file": r.key, "truth": r.truth, "reading": r.prediction,
            "confidence": r.confidence, "correct_acc36": r.correct_acc36,
            "correct_case": r.correct_case, "height_px": r.height, "length": len(r.truth),
        }
        for e in evaluations
        for r in e.result.records
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _inert(value: object) -> object:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection advice)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def records_csv(evaluations: Sequence[UserEvaluation]) -> str:
    """The per-image table as CSV; user strings cannot become spreadsheet formulas."""
    frame = records_table(evaluations)
    for column in ("dataset", "file", "truth", "reading"):
        if column in frame:
            frame[column] = frame[column].map(_inert)
    return frame.to_csv(index=False)


def char_confusions(records: Sequence[SampleRecord]) -> Counter[tuple[str, str]]:
    """``(truth char, read char)`` counts from the edit alignment of each acc36-normalised pair;
    matches included, ``GAP`` on the side of a dropped or inserted character."""
    counts: Counter[tuple[str, str]] = Counter()
    for record in records:
        truth, read = acc36_normalize(record.truth), acc36_normalize(record.prediction)
        if not truth:
            continue
        matched = [True] * len(truth)
        for op in Levenshtein.editops(truth, read):
            if op.tag == "replace":
                counts[(truth[op.src_pos], read[op.dest_pos])] += 1
                matched[op.src_pos] = False
            elif op.tag == "delete":
                counts[(truth[op.src_pos], GAP)] += 1
                matched[op.src_pos] = False
            else:
                counts[(GAP, read[op.dest_pos])] += 1
        counts.update((c, c) for c, ok in zip(truth, matched, strict=True) if ok)
    return counts


def confusion_matrix(counts: Counter[tuple[str, str]], top: int = 20) -> pd.DataFrame:
    """Truth (rows) × reading (columns) counts for the ``top`` characters most often misread or
    produced by mistake, matches on the diagonal; empty when there is no error."""
    errors: Counter[str] = Counter()
    for (a, b), n in counts.items():
        if a != b:
            errors[a] += n
            errors[b] += n
    chars = sorted(c for c, _ in errors.most_common(top))
    if not chars:
        return pd.DataFrame()
    matrix = pd.DataFrame(0, index=chars, columns=chars, dtype=int)
    for (a, b), n in counts.items():
        if a in matrix.index and b in matrix.columns:
            matrix.loc[a, b] = n
    return matrix


def breakdown_table(records: Sequence[SampleRecord], by: str) -> pd.DataFrame:
    """``crnn_core.breakdown`` buckets (``height`` or ``length``) as a table, in natural order."""
    rows = [
        {"bucket": b.name, "n": b.n, "acc36": b.acc36, "acc_case": b.acc_case}
        for b in breakdown(records, by)
    ]
    return pd.DataFrame(rows, columns=["bucket", "n", "acc36", "acc_case"])
