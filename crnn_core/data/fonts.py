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
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

__all__ = [
    "DEFAULT_FONT",
    "FontFile",
    "discover_fonts",
    "font_dirs",
    "group_by_family",
    "load_font",
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
REQUIRED_GLYPHS = string.digits + string.ascii_letters
_CHECK_SIZE = 24
_NOTDEF_PROBES = ("\U0010fffd", "\ue83a", "\uffff")


@dataclass(frozen=True)
class FontFile:
    """One font file. ``path == ""`` means Pillow's built-in default font."""

    path: str
    family: str
    style: str = "Regular"


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


def _inspect(path: Path) -> FontFile | None:
    try:
        font = ImageFont.truetype(str(path), _CHECK_SIZE, layout_engine=ImageFont.Layout.BASIC)
    except OSError as exc:
        log.debug("Skipping unreadable font %s: %s", path, exc)
        return None
    family, style = font.getname()
    family = family or path.stem
    style = style or "Regular"
    name = f"{family} {style} {path.name}".lower()
    if any(part in name for part in SKIP_NAME_PARTS):
        return None
    if not renders_latin(font):
        log.debug("Skipping %s: missing Latin letters or digits", path)
        return None
    return FontFile(path=str(path), family=family, style=style)


@lru_cache(maxsize=8)
def _discover_cached(dirs: tuple[Path, ...]) -> tuple[FontFile, ...]:
    seen: set[tuple[str, str]] = set()
    found: list[FontFile] = []
    for path in _font_paths(dirs):
        info = _inspect(path)
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
            "Synthetic data will lack font variety: run `make fonts` (scripts/install_fonts.sh) "
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


_local = threading.local()


def load_font(font: FontFile, size: int) -> ImageFont.FreeTypeFont:
    """A cached ``FreeTypeFont`` for ``(font, size)``; caches are per thread (FreeType faces
    are not safe to share between threads that render at the same time)."""
    cache: dict[tuple[str, int], ImageFont.FreeTypeFont] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    key = (font.path, size)
    loaded = cache.get(key)
    if loaded is None:  # FreeType fonts only: ``getbbox``/stroke need them
        if len(cache) > 2048:
            cache.clear()
        if font.path:
            loaded = ImageFont.truetype(font.path, size, layout_engine=ImageFont.Layout.BASIC)
        else:
            default = ImageFont.load_default(size)
            if not isinstance(default, ImageFont.FreeTypeFont):
                raise RuntimeError(
                    "Pillow was built without FreeType; reinstall Pillow from wheels."
                )
            loaded = default
        cache[key] = loaded
    return loaded
