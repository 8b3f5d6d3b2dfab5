"""Small Streamlit building blocks shared by the pages: error pages, pickers, coloured text."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import streamlit as st

from dashboard import health, manifest_view, services
from dashboard.analysis_view import AnalysisView
from dashboard.health import Fault
from dashboard.text import literal, scrub_paths

if TYPE_CHECKING:  # Keras: imported by the model load, not to draw a page
    from crnn_core.recognizer import Recognizer

__all__ = [
    "analysis_picker",
    "artifact_error_page",
    "confidence_html",
    "health_banner",
    "require_recognizer",
]

EXPORT_COMMAND = "python -m crnn_core export --run-dir runs/NAME --out artifacts"


def _fault_list(faults: list[Fault]) -> str:
    return "\n".join(
        f"- {literal(f.file)} {f.problem} → fix: {literal(f.fix, limit=200)}" for f in faults
    )


def health_banner() -> list[Fault]:
    """Every fault of the artifacts folder, each with its fix, at the top of a page; returns
    the faults. Each page that depends on the artifacts calls it (directly, through
    ``require_recognizer`` or ``analysis_picker``): a page can run without the app entry
    (AppTest's ``switch_page`` does), so the entry cannot do it for them."""
    faults = services.get_faults()
    if not faults:
        return faults
    where = services.shown_path(services.artifacts_dir())
    st.error(
        f"**The model files in {literal(where)} are not usable** ({len(faults)} "
        f"problem{'s' if len(faults) > 1 else ''}); pages that use the model may be wrong or "
        f"empty until they are repaired:\n\n{_fault_list(faults)}",
        icon=":material/error:",
    )
    st.code("\n".join(health.repair_commands(faults)), language="bash")
    return faults


def artifact_error_page(exc: Exception) -> NoReturn:
    """Explain why the model cannot be loaded and the command that fixes it, then stop the page.

    The faults themselves are listed by ``health_banner`` above the page; only a load failure
    the file checks did not see (e.g. a Keras error inside a valid archive) is spelt out here."""
    root = services.artifacts_dir()
    if services.get_faults():
        st.error("The model could not be loaded: repair the files listed above.")
    else:
        st.error(
            f"The model could not be loaded.\n\n{literal(scrub_paths(exc, root), 400)}",
            icon=":material/error:",
        )
        st.markdown(
            f"**How to fix it.** The model files live in "
            f"{literal(services.shown_path(root))} (set `{services.ARTIFACTS_ENV}` to use "
            "another folder). Restore the shipped ones or export a training run:"
        )
        st.code(f"git checkout -- artifacts/\n{EXPORT_COMMAND}", language="bash")
    st.stop()


def require_recognizer(banner: bool = True) -> Recognizer:
    """The loaded recognizer, or the artifact error page (which stops the script);
    ``banner=False`` when the page has listed the faults already."""
    if banner:
        health_banner()
    from crnn_core.artifacts import ArtifactError  # Keras: needed now anyway

    try:
        return services.get_recognizer()
    except ArtifactError as exc:
        artifact_error_page(exc)


def confidence_colour(confidence: float) -> str:
    """Red (0) → amber → green (1), as an ``rgb(...)`` background for one character."""
    c = min(max(confidence, 0.0), 1.0)
    red = int(220 if c < 0.5 else 220 - (c - 0.5) * 2 * 170)
    green = int(60 + c * 2 * 130 if c < 0.5 else 190)
    return f"rgb({red},{green},70)"


def confidence_html(text: str, confidences: Sequence[float]) -> str:
    """The text as large monospace characters, each on a background coloured by confidence."""
    if not text:
        return "<div style='font-size:1.6rem;color:#888'>(empty: the model saw no characters)</div>"
    spans = []
    for char, conf in zip(text, confidences, strict=False):
        spans.append(
            f"<span title='{conf:.1%}' style='background:{confidence_colour(conf)};color:#fff;"
            "padding:0.1em 0.18em;margin:0 1px;border-radius:4px;font-family:monospace'>"
            f"{html.escape(char)}</span>"
        )
    return (
        "<div class='prediction' style='font-size:2.2rem;line-height:1.6' data-testid="
        f"'prediction-text' data-text='{html.escape(text, quote=True)}'>{''.join(spans)}</div>"
    )


def metric_reports(manifest: dict[str, Any], with_commands: bool) -> bool:
    """Tables of the evaluation reports recorded in ``manifest``; ``False`` if there are none."""
    reports = manifest_view.metrics_reports(manifest.get("metrics"))
    current = manifest.get("files", {}).get("model.keras")
    for name, report in reports:
        st.markdown(f"{literal(name)} · {manifest_view.report_caption(report, current)}")
        table = manifest_view.metrics_table(report)
        percent = st.column_config.NumberColumn(format="percent")
        config = dict.fromkeys([c for c in manifest_view.RATE_COLUMNS if c in table], percent)
        config["ms_per_word"] = st.column_config.NumberColumn("ms/word", format="%.2f")
        st.dataframe(table, column_config=config)
        if with_commands and report.get("command"):
            st.code(scrub_paths(report["command"]), language="bash", wrap_lines=True)
    return bool(reports)


def analysis_picker(sidebar: bool = True, banner: bool = True) -> AnalysisView | None:
    """Pick one of the analysis folders under the artifacts directory; ``None`` (with a note) if
    there is none or it cannot be loaded. ``banner``: first list the artifact faults (an
    analysis describes the model it was made with)."""
    if banner:
        health_banner()
    found = services.analysis_dirs()
    if not found:
        try:
            services.get_analysis()
        except services.AnalysisUnavailable as exc:
            st.info(str(exc), icon=":material/info:")
        return None
    place = st.sidebar if sidebar else st
    choice = place.selectbox(
        "Analysis folder",
        found,
        format_func=services.analysis_label,
        key="analysis_dir",
    )
    try:
        analysis = services.get_analysis(Path(choice))
    except services.AnalysisUnavailable as exc:
        st.info(str(exc), icon=":material/info:")
        return None
    _warn_if_other_model(analysis)
    return analysis


def _warn_if_other_model(analysis: AnalysisView) -> None:
    current = services.model_sha256()
    made_with = analysis.model_sha256
    if current and made_with and current != made_with:
        st.warning(
            f"This analysis was made with another model (sha256 {made_with[:12]}…) than the one "
            f"loaded now ({current[:12]}…), so it describes that model. Re-create it with "
            f"`{services.ANALYZE_HINT}`.",
            icon=":material/warning:",
        )
