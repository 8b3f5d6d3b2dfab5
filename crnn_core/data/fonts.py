"""Find usable Latin fonts for synthetic text, and cache loaded font objects per thread.

Fonts come from system folders (``/usr/share/fonts``, ``~/.fonts``, ...) plus the folders named in
the ``CRNN_FONT_DIRS`` environment variable (``os.pathsep``-separated). A font is kept only if it
renders every digit and ASCII letter with a real glyph (not the ``.notdef`` box) and is not a
symbol, math or icon font. With no usable font the generator still works with Pillow's built-in
FreeType font (Aileron), but training data then has one typeface: run ``make fonts``.
"""

from __future__ import annotations

import logging
import os
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

__all__ = [
    "DEFAULT_FONT",
    "FontFile",
    "discover_fonts",
    "family_weights",
    "font_dirs",
    "group_by_family",
    "inspect_font",
    "inspection_key",
    "is_heavy",
    "style_weight",
]

log = logging.getLogger(__name__)

FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
SYSTEM_FONT_DIRS = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/usr/share/texmf/fonts/opentype",
    "~/.fonts",
    "~/.local/share/fonts",
)
# Family/style substrings of fonts that do not draw plain Latin words (case-insensitive).
SKIP_NAME_PARTS = (
    "symbol",
    "math",
    "icon",
    "dingbat",
    "emoji",
    "awesome",
    "d050000l",
    "keyboard",
    "initials",
    "hairline",
)
# Metric clones of the same typeface design (URW, TeX Gyre, Liberation, Croscore, FreeFont ship
# several). Sampling weights each *design* once, so Helvetica is not drawn five times as often.
DESIGN_OF_FAMILY: dict[str, str] = {
    **dict.fromkeys(
        ["Nimbus Sans", "TeX Gyre Heros", "Liberation Sans", "Arimo", "FreeSans"], "helvetica"
    ),
    **dict.fromkeys(
        ["Nimbus Sans Narrow", "TeX Gyre Heros Cn", "Liberation Sans Narrow"], "narrow"
    ),
    **dict.fromkeys(
        ["Nimbus Roman", "TeX Gyre Termes", "Liberation Serif", "Tinos", "FreeSerif"], "times"
    ),
    **dict.fromkeys(
        ["Nimbus Mono PS", "TeX Gyre Cursor", "Liberation Mono", "Cousine", "FreeMono"], "courier"
    ),
    **dict.fromkeys(["P052", "TeX Gyre Pagella"], "palatino"),
    **dict.fromkeys(["C059", "TeX Gyre Schola"], "century"),
    **dict.fromkeys(["URW Bookman", "TeX Gyre Bonum"], "bookman"),
    **dict.fromkeys(["URW Gothic", "TeX Gyre Adventor"], "avantgarde"),
    **dict.fromkeys(["Z003", "TeX Gyre Chorus"], "chancery"),
    **dict.fromkeys(["Hack", "DejaVu Sans Mono"], "dejavu-mono"),
}
REQUIRED_GLYPHS = string.digits + string.ascii_letters
_CHECK_SIZE = 24
_NOTDEF_PROBES = ("\U0010fffd", "\ue83a", "\uffff")


@dataclass(frozen=True)
class FontFile:
    """One font file. ``path == ""`` means Pillow's built-in default font."""

    path: str
    family: str
    style: str = "Regular"
    category: str = ""  # Google Fonts category when known: sans-serif, serif, display, ...


DEFAULT_FONT = FontFile(path="", family="Pillow default (Aileron)")


def font_dirs() -> list[Path]:
    """System font folders plus ``CRNN_FONT_DIRS`` entries that exist on this machine."""
    extra = [p for p in os.environ.get("CRNN_FONT_DIRS", "").split(os.pathsep) if p]
    dirs = [Path(p).expanduser() for p in (*extra, *SYSTEM_FONT_DIRS)]
    return [d for d in dirs if d.is_dir()]


def _font_paths(dirs: Iterable[Path]) -> list[Path]:
    paths: list[Path] = []
    for d in dirs:
        paths.extend(p for p in d.rglob("*") if p.suffix.lower() in FONT_SUFFIXES and p.is_file())
    return sorted(set(paths))


def _mask_signature(font: ImageFont.FreeTypeFont, ch: str) -> tuple[tuple[int, int], bytes] | None:
    mask = font.getmask(ch)
    if mask.getbbox() is None:
        return None
    return mask.size, bytes(mask)


def renders_latin(font: ImageFont.FreeTypeFont, glyphs: str = REQUIRED_GLYPHS) -> bool:
    """True if every glyph draws ink that differs from the ``.notdef`` box, and cases differ."""
    notdef = {_mask_signature(font, probe) for probe in _NOTDEF_PROBES}
    signatures = {}
    for ch in glyphs:
        sig = _mask_signature(font, ch)
        if sig is None or sig in notdef:
            return False
        signatures[ch] = sig
    # Fonts that draw capitals for lower-case letters (small caps, initials) would mislabel.
    pairs = [c for c in string.ascii_lowercase if c in signatures and c.upper() in signatures]
    same = sum(signatures[c] == signatures[c.upper()] for c in pairs)
    return same <= len(pairs) // 3


def inspect_font(path: Path, category: str = "", family: str = "") -> FontFile | None:
    """A usable Latin font at ``path``, or None (unreadable, symbol font, missing glyphs)."""
    try:
        font = ImageFont.truetype(str(path), _CHECK_SIZE, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        log.debug("Skipping unreadable font %s: %s", path, exc)
        return None
    name_family, style = font.getname()
    family = family or name_family or path.stem
    style = style or "Regular"
    name = f"{family} {style} {path.name}".lower()
    if any(part in name for part in SKIP_NAME_PARTS):
        return None
    if not renders_latin(font):
        log.debug("Skipping %s: missing Latin letters or digits", path)
        return None
    return FontFile(path=str(path), family=family, style=style, category=category)


def inspection_key() -> str:
    """What ``inspect_font``'s verdict depends on besides the file: the check's settings and the
    Pillow and FreeType that render the glyphs. A stored verdict is reused only under this key."""
    from PIL import __version__ as pillow_version
    from PIL import features

    parts = (
        f"pillow {pillow_version}",
        f"freetype {features.version('freetype2')}",
        f"size {_CHECK_SIZE}",
        f"glyphs {REQUIRED_GLYPHS}",
        f"probes {[hex(ord(p)) for p in _NOTDEF_PROBES]}",
        f"skip {sorted(SKIP_NAME_PARTS)}",
    )
    return "; ".join(parts)


@lru_cache(maxsize=8)
def _discover_cached(dirs: tuple[Path, ...]) -> tuple[FontFile, ...]:
    seen: set[tuple[str, str]] = set()
    found: list[FontFile] = []
    for path in _font_paths(dirs):
        info = inspect_font(path)
        if info is None or (info.family, info.style) in seen:
            continue  # the same face shipped twice (e.g. liberation and liberation2)
        seen.add((info.family, info.style))
        found.append(info)
    return tuple(found)


def discover_fonts(dirs: Sequence[str | Path] | None = None) -> list[FontFile]:
    """Usable Latin font files, sorted by path; ``[DEFAULT_FONT]`` if none are found.

    Scanning checks ~60 glyphs per file, so results are cached per folder list (about a second
    for 200 files, once per process).
    """
    search = tuple(Path(d).expanduser() for d in dirs) if dirs is not None else tuple(font_dirs())
    found = list(_discover_cached(search))
    if not found:
        log.warning(
            "No usable TTF/OTF fonts found in %s; using Pillow's built-in font only. "
            "Synthetic data will lack font variety: run `make fonts` (scripts/fonts/install.py) "
            "or set CRNN_FONT_DIRS.",
            [str(d) for d in search],
        )
        return [DEFAULT_FONT]
    return found


def group_by_family(fonts: Iterable[FontFile]) -> dict[str, list[FontFile]]:
    """Fonts keyed by family name, so sampling can pick a family first (each family equally)."""
    families: dict[str, list[FontFile]] = {}
    for f in fonts:
        families.setdefault(f.family, []).append(f)
    return dict(sorted(families.items()))


_MONO_HINTS = ("mono", "code", "cursor", "hack", "inconsolata", "cousine")
_HEAVY_STYLES = ("bold", "black", "heavy", "demi")


# Share of each Google Fonts category on signs, relative to sans-serif (pinned set only).
CATEGORY_WEIGHTS = {"serif": 0.8, "display": 0.8, "handwriting": 0.5, "monospace": 0.35}


def family_weights(
    families: Iterable[str], categories: Mapping[str, str] | None = None
) -> dict[str, float]:
    """Sampling weight per family: ``1 / (installed clones of its design)``, so each design
    counts once, times a category factor (``CATEGORY_WEIGHTS``; without a known category,
    0.35 for monospace-looking names): signs rarely use monospace or script faces."""
    names = list(families)
    categories = categories or {}
    designs = [DESIGN_OF_FAMILY.get(f, f) for f in names]
    weights = {}
    for name, design in zip(names, designs, strict=True):
        if categories.get(name):
            factor = CATEGORY_WEIGHTS.get(categories[name], 1.0)
        else:
            factor = 0.35 if any(h in name.lower() for h in _MONO_HINTS) else 1.0
        weights[name] = factor / designs.count(design)
    return weights


def is_heavy(font: FontFile) -> bool:
    return any(s in font.style.lower() for s in _HEAVY_STYLES)


def style_weight(font: FontFile) -> float:
    """Bold faces are common on signs, thin ones rare: weight within a family."""
    if is_heavy(font):
        return 1.5
    return 0.5 if any(s in font.style.lower() for s in ("thin", "light")) else 1.0
