"""The pinned training font set: Google Fonts families from npm, locked by version and sha256.

``fonts_lock.tsv`` (next to this file) lists every font file the synthetic renderer may use;
``scripts/fonts/install.py`` puts them in the font cache (``$CRNN_FONT_CACHE`` or
``~/.cache/crnn-ocr-lab/fonts``). When that set is installed, the renderer uses it and nothing
else, so ``synthetic:N`` renders the same pixels on every machine; otherwise it falls back to
whatever the system has (``fonts.discover_fonts``) and says so.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crnn_core.data.fonts import FontFile, discover_fonts, inspect_font

__all__ = ["FontSet", "font_cache", "lock_rows", "training_fonts"]

log = logging.getLogger(__name__)
LOCK_PATH = Path(__file__).with_name("fonts_lock.tsv")
INSTALL_HINT = "python scripts/fonts/install.py"


def font_cache() -> Path:
    return Path(os.environ.get("CRNN_FONT_CACHE", "~/.cache/crnn-ocr-lab/fonts")).expanduser()


@lru_cache(maxsize=1)
def lock_rows() -> tuple[dict[str, str], ...]:
    with LOCK_PATH.open(newline="", encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh, delimiter="\t"))


@dataclass(frozen=True)
class FontSet:
    """The fonts a generator draws from, and what to record about them in a manifest."""

    fonts: tuple[FontFile, ...]
    source: str  # "pinned" (the full lock), "pinned-partial" or "system"
    fingerprint: str  # sha256 over (file hash, family, style) of every font used

    def describe(self) -> dict[str, object]:
        return {
            "source": self.source,
            "files": len(self.fonts),
            "families": len({f.family for f in self.fonts}),
            "fingerprint": self.fingerprint,
            "lock": LOCK_PATH.name,
        }


def _fingerprint(fonts: list[FontFile], hashes: list[str]) -> str:
    digest = hashlib.sha256()
    for font, file_hash in sorted(zip(fonts, hashes, strict=True), key=lambda p: p[1]):
        digest.update(f"{file_hash}\t{font.family}\t{font.style}\n".encode())
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _pinned(cache: Path) -> tuple[tuple[FontFile, ...], tuple[str, ...], int]:
    """(usable fonts, their file hashes, lock files missing); a present font that fails the
    Latin check (e.g. capitals only) is left out but is not missing."""
    fonts, hashes, missing = [], [], 0
    for row in lock_rows():
        path = cache / row["package"] / Path(row["file"]).name
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != row["sha256"]:
            missing += 1
            continue
        # one family per npm package, whatever name each weight's file carries
        font = inspect_font(path, category=row["category"], family=row["package"])
        if font is not None:
            fonts.append(font)
            hashes.append(row["sha256"])
    return tuple(fonts), tuple(hashes), missing


def training_fonts(cache: Path | None = None) -> FontSet:
    """The pinned set when installed (complete or not, with a warning), else system fonts."""
    fonts, hashes, missing = _pinned((cache or font_cache()).resolve())
    if fonts:
        if missing:
            log.warning(
                "%d of %d pinned font files are missing; run `%s` for the full set.",
                missing,
                len(lock_rows()),
                INSTALL_HINT,
            )
        source = "pinned-partial" if missing else "pinned"
        return FontSet(fonts, source, _fingerprint(list(fonts), list(hashes)))
    log.warning("Pinned training fonts not installed (run `%s`); using system fonts.", INSTALL_HINT)
    system = discover_fonts()
    file_hashes = [
        hashlib.sha256(Path(f.path).read_bytes()).hexdigest() if f.path else "builtin"
        for f in system
    ]
    return FontSet(tuple(system), "system", _fingerprint(system, file_hashes))
