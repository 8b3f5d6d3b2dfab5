"""The pinned training font set: Google Fonts families from npm, locked by version and sha256.

``fonts_lock.tsv`` (next to this file) lists every font file the synthetic renderer may use;
``scripts/fonts/install.py`` puts them in the font cache (``$CRNN_FONT_CACHE`` or
``~/.cache/crnn-ocr-lab/fonts``). When that set is installed, the renderer uses it and nothing
else, so ``synthetic:N`` renders the same pixels on every machine; otherwise it falls back to
whatever the system has (``fonts.discover_fonts``) and says so.

Every file is still checked against its sha256 in each process, but the Latin check of
``inspect_font`` (65 glyphs rendered per file, ~3.4 s for the whole set) runs once per file and
Pillow/FreeType version: its verdicts are kept in the cache folder (``INSPECTION_FILE``, JSON).
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from crnn_core.data.fonts import FontFile, discover_fonts, inspect_font, inspection_key

__all__ = ["FontSet", "font_cache", "lock_rows", "training_fonts"]

log = logging.getLogger(__name__)
LOCK_PATH = Path(__file__).with_name("fonts_lock.tsv")
INSTALL_HINT = "python scripts/fonts/install.py"
INSPECTION_FILE = "inspection.json"
"""In the font cache: ``{"key": fonts.inspection_key(), "fonts": {sha256: style or null}}``, the
verdict of ``inspect_font`` on each locked file (null: fails the Latin check)."""


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


def _read_verdicts(cache: Path, key: str) -> dict[str, str | None]:
    """Stored ``inspect_font`` verdicts by file sha256; empty when absent, unreadable or made
    under another ``inspection_key`` (another Pillow, FreeType or check)."""
    try:
        data = json.loads((cache / INSPECTION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("key") != key:
        return {}
    fonts = data.get("fonts")
    if not isinstance(fonts, dict):
        return {}
    return {sha: style for sha, style in fonts.items() if style is None or isinstance(style, str)}


def _write_verdicts(cache: Path, key: str, verdicts: dict[str, str | None]) -> None:
    """Store the verdicts (atomically: readers see the old file or the new one); a read-only
    cache is fine, the check then runs again next time."""
    part = cache / f".{INSPECTION_FILE}.{os.getpid()}.part"
    try:
        part.write_text(json.dumps({"key": key, "fonts": verdicts}, sort_keys=True, indent=0))
        part.replace(cache / INSPECTION_FILE)
    except OSError as exc:
        log.debug("Font check verdicts not stored in %s: %s", cache, exc)
        part.unlink(missing_ok=True)


@lru_cache(maxsize=4)
def _pinned(cache: Path) -> tuple[tuple[FontFile, ...], tuple[str, ...], int]:
    """(usable fonts, their file hashes, lock files missing); a present font that fails the
    Latin check (e.g. capitals only) is left out but is not missing."""
    key = inspection_key()
    known = _read_verdicts(cache, key)
    fresh: dict[str, str | None] = {}
    fonts, hashes, missing = [], [], 0
    for row in lock_rows():
        path = cache / row["package"] / Path(row["file"]).name
        sha = row["sha256"]
        if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != sha:
            missing += 1
            continue
        # one family per npm package, whatever name each weight's file carries
        if sha in known:
            style = known[sha]
            font = None if style is None else FontFile(str(path), row["package"], style,
                                                       row["category"])  # fmt: skip
        else:
            font = inspect_font(path, category=row["category"], family=row["package"])
            fresh[sha] = None if font is None else font.style
        if font is not None:
            fonts.append(font)
            hashes.append(sha)
    if fresh:
        _write_verdicts(cache, key, {**known, **fresh})
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
