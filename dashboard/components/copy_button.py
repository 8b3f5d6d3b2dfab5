"""A copy-to-clipboard button for a short text (the Recognize page's reading).

Why not ``st.code``, whose copy button this replaces: in the browser its syntax highlighter cost
~390 ms of JavaScript on the first code block of every page load, which was half the time from
an upload to the settled page (Chrome DevTools profile, ``bench/dashboard_speed.py``). This is a
plain button and a fixed script; the text reaches the script only through an HTML-escaped
``data-text`` attribute, never as code, so no reading can inject anything.
"""

from __future__ import annotations

import html

import streamlit as st

__all__ = ["COPY_SCRIPT", "copy_button_html", "show_copy_button"]

COPY_SCRIPT = """<script>
(() => {
  const copy = async (button) => {
    const text = button.dataset.text || "";
    try {
      await navigator.clipboard.writeText(text);
    } catch (err) {  // not a secure context (plain http on a LAN): the old way
      const area = document.createElement("textarea");
      area.value = text; document.body.appendChild(area); area.select();
      document.execCommand("copy"); area.remove();
    }
    button.textContent = "Copied"; setTimeout(() => { button.textContent = "Copy"; }, 1200);
  };
  for (const button of document.querySelectorAll("button.crnn-copy:not([data-armed])")) {
    button.dataset.armed = "1";
    button.addEventListener("click", () => copy(button));
  }
})();
</script>"""

BUTTON_STYLE = (
    "font-size:0.85rem;padding:0.15rem 0.7rem;border-radius:0.4rem;cursor:pointer;"
    "border:1px solid rgba(49,51,63,0.3);background:transparent"
)


def copy_button_html(text: str) -> str:
    """The button's HTML; ``text`` only ever appears escaped, inside an attribute."""
    return (
        f"<button type='button' class='crnn-copy' data-testid='copy-reading' "
        f"data-text='{html.escape(text, quote=True)}' title='Copy the reading to the clipboard' "
        f"style='{BUTTON_STYLE}'>Copy</button>{COPY_SCRIPT}"
    )


def show_copy_button(text: str) -> None:
    """A "Copy" button that puts ``text`` on the user's clipboard."""
    st.html(copy_button_html(text), width="content", unsafe_allow_javascript=True)
