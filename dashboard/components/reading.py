"""The reading of one image on the Recognize page: notice, text, lexicon suggestion, metrics.

Kept out of the page script so the page stays a layout; every user-supplied string (file name,
lexicon word) is shown through ``dashboard.text`` so it can never render as Markdown.
"""

from __future__ import annotations

import streamlit as st

from dashboard import ui
from dashboard.components.copy_button import show_copy_button
from dashboard.lexicon_match import LexiconMatch
from dashboard.recognition import Recognition
from dashboard.text import literal

__all__ = ["show_lexicon", "show_reading"]

NO_TEXT_HTML = (
    "<div class='prediction no-text' data-testid='prediction-text' data-text='' "
    "style='font-size:1.6rem;color:#888'>— no text found —</div>"
)


def show_lexicon(match: LexiconMatch | None, forced: bool, lexicon_size: int) -> None:
    """The best lexicon word next to the free reading, both with their exact probability."""
    if match is None:
        st.caption(
            f"No word of the lexicon ({lexicon_size} words) fits this image: too long for its "
            "width, or written with characters this model does not know (try without Match case)."
        )
        return
    case_note = f" (as {literal(match.matched)})" if match.matched != match.word else ""
    if match.agrees:
        st.success(
            f"Lexicon agrees: {literal(match.word)}{case_note} · P = {match.probability:.2%}",
            icon=":material/check_circle:",
        )
        return
    verb = "Answer forced to the lexicon word" if forced else "Lexicon suggests"
    st.info(
        f"{verb} {literal(match.word)}{case_note} · P = {match.probability:.2%}, "
        f"against the free reading {literal(match.reading or '(empty)')} · "
        f"P = {match.reading_probability:.2%}",
        icon=":material/menu_book:",
    )
    l1, l2 = st.columns(2)
    l1.metric("Free reading · P(text | image)", f"{match.reading_probability:.2%}")
    l2.metric("Lexicon word · P(text | image)", f"{match.probability:.2%}")


def show_reading(result: Recognition, beam_width: int, lexicon_size: int, forced: bool) -> None:
    """Caption, verdict, the coloured text (or a "no text" placeholder), lexicon and metrics."""
    pred = result.prediction
    st.caption(
        f"{literal(result.name)} · decoder: **{pred.decoder}**"
        + (f" (beam width {beam_width})" if pred.decoder.startswith("beam") else "")
        + (f" · lexicon of {lexicon_size} words" if lexicon_size else "")
    )
    verdict = result.verdict
    if verdict is not None:
        place = st.info if verdict.no_text else st.warning
        place(verdict.message, icon=":material/visibility_off:")
    if verdict is not None and verdict.no_text:
        st.markdown(NO_TEXT_HTML, unsafe_allow_html=True)
    else:
        st.markdown(ui.confidence_html(pred.text, pred.char_confidences), unsafe_allow_html=True)
        show_copy_button(pred.text)
    if lexicon_size and not (verdict is not None and verdict.no_text):
        show_lexicon(result.lexicon, forced, lexicon_size)
    m1, m2, m3 = st.columns(3)
    m1.metric("Word confidence", f"{pred.confidence:.1%}")
    m2.metric("Frames", result.logits.shape[0], help="one frame per 4 image columns")
    m3.metric("Model input", f"32 × {result.image.shape[1]} px")
