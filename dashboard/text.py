"""Untrusted text (upload names, manifest strings, error messages) made safe to show.

Streamlit renders ``st.markdown``, ``st.error``, ``st.caption``... as Markdown, so a file named
``[x](http://e.com) ![i](http://e.com/a.png)`` would become a live link and make the browser load
an external image. Every user-supplied string goes through ``plain`` (control and bidi characters
made visible, long names shortened) and then ``literal`` (a Markdown code span, which renders its
content verbatim: no links, images, emphasis, ``:emoji:`` or ``$maths$``). Absolute server paths
are replaced by ``display_path`` / ``scrub_paths`` so the UI never shows where the server keeps
its files.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path
from typing import Any

__all__ = ["display_path", "literal", "md_escape", "plain", "scrub_paths", "scrub_tree"]

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_NAME = 80
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:^=])")
# An absolute POSIX path: a "/" not preceded by a word character, dot or another "/".
_ABS_PATH = re.compile(r"(?<![\w.~/:])/(?:[^\s'\"`,;()\[\]]+)")


def plain(text: object, limit: int = MAX_NAME) -> str:
    """``text`` as one visible line: control, format and bidi characters (e.g. U+202E, which
    flips the rest of a name) shown as ``\\u202e``; longer than ``limit``: middle elided."""
    out = []
    for char in str(text):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    shown = "".join(out)
    if len(shown) > limit:
        keep = (limit - 1) // 2
        shown = f"{shown[:keep]}…{shown[-keep:]}"
    return shown


def literal(text: object, limit: int = MAX_NAME) -> str:
    """``plain(text)`` as a Markdown code span: shown exactly as written, whatever it contains."""
    shown = plain(text, limit)
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    fence = "`" * (longest + 1)
    return f"{fence} {shown} {fence}" if longest or shown.startswith(" ") else f"`{shown}`"


def md_escape(text: object, limit: int = MAX_NAME) -> str:
    """``plain(text)`` with every Markdown/Streamlit-directive character backslash-escaped, for
    places where a code span would look wrong (widget option labels)."""
    return _MD_SPECIAL.sub(r"\\\1", plain(text, limit))


def display_path(path: str | Path, root: Path | None = None) -> str:
    """``path`` relative to the repository (``artifacts/model.keras``), else relative to ``root``
    (shown as ``$CRNN_ARTIFACTS/…`` by callers that pass it), else only its last part. A relative
    path (``../shared/data/x``, as recorded in a manifest) says nothing about the server: kept."""
    if not os.path.isabs(os.path.expanduser(str(path))):
        return str(path)
    resolved = Path(os.path.abspath(os.path.expanduser(str(path))))
    for base, prefix in ((REPO_ROOT, ""), (root, "…/")):
        if base is None:
            continue
        try:
            relative = resolved.relative_to(Path(os.path.abspath(base)))
        except ValueError:
            continue
        shown = relative.as_posix()
        return prefix + shown if shown != "." else (prefix.rstrip("/") or ".")
    return resolved.name or str(resolved)


def scrub_paths(text: object, root: Path | None = None) -> str:
    """Free text (an exception message, a recorded command) with every absolute path replaced
    by ``display_path``: ``/tmp/lex.txt`` → ``lex.txt``, ``/repo/artifacts`` → ``artifacts``."""
    return _ABS_PATH.sub(lambda m: display_path(m.group(0), root), str(text))


def scrub_tree(value: Any) -> Any:
    """``scrub_paths`` on every string of a JSON-like value (a recorded training config)."""
    if isinstance(value, str):
        return scrub_paths(value)
    if isinstance(value, dict):
        return {k: scrub_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_tree(v) for v in value]
    return value
