"""What every dataset reader returns: ``LabeledSource`` (lazy images), ``Sample``, ``SkipReport``.

The readers (``readers.py``: labels.tsv folders, LMDBs; ``synthetic_source.py``) differ only in
where an image's bytes come from (``image_source``); indexing, lazy decoding and the counting of
skipped entries by reason live here once.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from crnn_core.charset import Charset
from crnn_core.preprocess import ImageLoadError, load_image

__all__ = ["SKIP_REASONS", "LabeledSource", "Sample", "SkipReport", "check_label"]

SKIP_REASONS: dict[str, str] = {
    "malformed_line": "no TAB between path and text, empty path, or LMDB label key missing",
    "bad_encoding": "label bytes are not valid UTF-8",
    "empty_label": "label is empty",
    "too_long": "label longer than max_length",
    "unknown_characters": "label has characters outside the charset",
    "unsafe_path": "path points outside the dataset folder",
    "missing_image": "image file or LMDB image key does not exist",
    "corrupt_image": "image is empty or cannot be decoded",
}


@dataclass
class SkipReport:
    """Entries dropped from one source: counts per reason and the first few examples of each."""

    source: str = ""
    entries: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    max_examples: int = 3

    def add(self, reason: str, example: str) -> None:
        if reason not in SKIP_REASONS:
            raise ValueError(f"Unknown skip reason {reason!r}; use one of {sorted(SKIP_REASONS)}.")
        self.counts[reason] = self.counts.get(reason, 0) + 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < self.max_examples:
            shown.append(example)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        """Human-readable lines, e.g. for a log or the CLI."""
        head = f"{self.source}: skipped {self.total} of {self.entries} entries"
        if not self.total:
            return head
        lines = [head + ":"]
        for reason, count in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {reason} ({SKIP_REASONS[reason]}): {count}")
            lines.extend(f"    e.g. {example}" for example in self.examples.get(reason, []))
        return "\n".join(lines)

    def log(self, logger: logging.Logger | None = None) -> None:
        """Warn when anything was skipped, otherwise a debug line."""
        logger = logger or logging.getLogger(__name__)
        logger.log(logging.WARNING if self.total else logging.DEBUG, "%s", self.summary())

    def to_dict(self) -> dict[str, object]:
        return {
            "entries": self.entries,
            "total": self.total,
            "counts": dict(self.counts),
            "examples": {k: list(v) for k, v in self.examples.items()},
        }


@dataclass(frozen=True)
class Sample:
    """One decoded entry; ``index`` is the position in the source, ``key`` its path or LMDB key."""

    index: int
    key: str
    image: Image.Image
    text: str


class LabeledSource(ABC):
    """Valid entries of one dataset, images decoded lazily.

    ``len(source)`` counts indexed entries. Without ``validate=True`` an image can still turn out
    corrupt when loaded: ``load`` then raises ``ImageLoadError`` and ``samples`` skips it; both
    record it once in ``skipped`` under ``corrupt_image``.
    """

    def __init__(self, name: str, keys: list[str], texts: list[str], skipped: SkipReport) -> None:
        self.name = name
        self._keys = keys
        self._texts = texts
        self.skipped = skipped
        self._bad: set[int] = set()

    def __len__(self) -> int:
        return len(self._texts)

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(name={self.name!r}, n={len(self)}, skipped={self.skipped.total})"

    @property
    def texts(self) -> list[str]:
        """Ground-truth labels in index order (no decoding needed)."""
        return list(self._texts)

    def key(self, i: int) -> str:
        """Relative image path (folder) or image key (LMDB) of entry ``i``."""
        return self._keys[i]

    def text(self, i: int) -> str:
        return self._texts[i]

    @abstractmethod
    def image_source(self, i: int) -> bytes | Path:
        """What ``load_image`` decodes for entry ``i``: encoded bytes or a file path."""

    def load(self, i: int) -> tuple[Image.Image, str]:
        """Decode entry ``i``. Raises ``ImageLoadError`` (recorded in ``skipped``) if unreadable."""
        try:
            image = load_image(self.image_source(i))
        except (ImageLoadError, OSError) as exc:
            self._record_bad(i, exc)
            raise ImageLoadError(f"{self.name}: cannot read {self._keys[i]}: {exc}") from exc
        return image, self._texts[i]

    def samples(self, indices: Iterable[int] | None = None) -> Iterator[Sample]:
        """Decodable entries (all, in order, by default); unreadable images are skipped, counted."""
        for i in range(len(self)) if indices is None else indices:
            try:
                image, text = self.load(i)
            except ImageLoadError:
                continue
            yield Sample(i, self._keys[i], image, text)

    def validate(self) -> None:
        """Decode every image once and drop the unreadable ones from the index."""
        for i in range(len(self)):
            try:
                load_image(self.image_source(i))
            except (ImageLoadError, OSError) as exc:
                self._record_bad(i, exc)
        if self._bad:
            keep = [i for i in range(len(self)) if i not in self._bad]
            self._keys = [self._keys[i] for i in keep]
            self._texts = [self._texts[i] for i in keep]
            self._bad = set()

    def _record_bad(self, i: int, exc: BaseException) -> None:
        if i not in self._bad:
            self._bad.add(i)
            self.skipped.add("corrupt_image", f"{self._keys[i]}: {exc}")


def check_label(text: str, charset: Charset | None, max_length: int | None) -> str | None:
    """Skip reason for a decoded label, or None if it is usable."""
    if not text:
        return "empty_label"
    if max_length is not None and len(text) > max_length:
        return "too_long"
    if charset is not None and charset.unknown_characters(text):
        return "unknown_characters"
    return None
