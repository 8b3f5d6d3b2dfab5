"""Lazy readers for labelled word images: a ``labels.tsv`` folder or a benchmark LMDB.

Both formats become one ``LabeledSource``: an index of valid ``(key, text)`` entries built
without decoding images (unless ``validate=True``), and images decoded on demand through
``crnn_core.preprocess.load_image``. Bad entries are skipped, never fatal, and counted per reason
in a ``SkipReport`` so "why is n 857 and not 860?" always has an answer.

LMDB layout (clovaai deep-text-recognition-benchmark / PARSeq): ``num-samples`` (ASCII int),
``image-%09d`` (encoded image bytes), ``label-%09d`` (UTF-8 text), indices starting at 1.
"""

from __future__ import annotations

import logging
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lmdb
from PIL import Image

from crnn_core.charset import Charset
from crnn_core.preprocess import ImageLoadError, load_image

__all__ = [
    "SKIP_REASONS",
    "FolderSource",
    "LabeledSource",
    "LmdbSource",
    "Sample",
    "SkipReport",
    "discover_sources",
    "open_source",
    "read_folder",
    "read_lmdb",
]

LABELS_FILE = "labels.tsv"
LMDB_FILE = "data.mdb"
_ENVIRONMENTS: dict[tuple[int, str], list[Any]] = {}  # (pid, data file) -> [env, open sources]
_ENV_LOCK = threading.Lock()

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


def _check_label(text: str, charset: Charset | None, max_length: int | None) -> str | None:
    """Skip reason for a decoded label, or None if it is usable."""
    if not text:
        return "empty_label"
    if max_length is not None and len(text) > max_length:
        return "too_long"
    if charset is not None and charset.unknown_characters(text):
        return "unknown_characters"
    return None


class FolderSource(LabeledSource):
    """``root/labels.tsv`` (UTF-8, no header, ``relative/path<TAB>text``) plus image files."""

    def __init__(
        self,
        root: str | Path,
        charset: Charset | None = None,
        max_length: int | None = None,
        name: str | None = None,
        validate: bool = False,
    ) -> None:
        self.root = Path(root)
        labels = self.root / LABELS_FILE
        if not labels.is_file():
            raise FileNotFoundError(
                f"{labels} not found: a folder dataset needs a {LABELS_FILE} with "
                "'relative/path<TAB>text' lines."
            )
        name = name or self.root.resolve().name
        report = SkipReport(source=name)
        keys, texts = self._index(labels.read_bytes(), charset, max_length, report)
        super().__init__(name, keys, texts, report)
        if validate:
            self.validate()

    def _index(
        self, raw: bytes, charset: Charset | None, max_length: int | None, report: SkipReport
    ) -> tuple[list[str], list[str]]:
        keys: list[str] = []
        texts: list[str] = []
        raw = raw.removeprefix(b"\xef\xbb\xbf")  # tolerate a UTF-8 BOM
        for number, line_bytes in enumerate(raw.split(b"\n"), start=1):
            line_bytes = line_bytes.rstrip(b"\r")
            if not line_bytes.strip():
                continue  # blank lines are layout, not entries
            report.entries += 1
            where = f"line {number}"
            try:
                line = line_bytes.decode("utf-8")
            except UnicodeDecodeError:
                report.add("bad_encoding", f"{where}: {line_bytes[:40]!r}")
                continue
            rel, tab, text = line.partition("\t")
            if not tab or not rel.strip():
                report.add("malformed_line", f"{where}: {line[:60]!r} (expected path<TAB>text)")
                continue
            reason = _check_label(text, charset, max_length)
            if reason:
                report.add(reason, f"{where}: {rel} {text!r}")
                continue
            # Lexical check, so a symlinked images/ folder still works.
            if Path(rel).is_absolute() or os.path.normpath(rel).split(os.sep)[0] == "..":
                report.add("unsafe_path", f"{where}: {rel} points outside {self.root}")
                continue
            path = self.root / rel
            try:
                size = path.stat().st_size
            except OSError:
                report.add("missing_image", f"{where}: {rel}")
                continue
            if size == 0 or not path.is_file():
                report.add("corrupt_image", f"{where}: {rel} is empty or not a file")
                continue
            keys.append(rel)
            texts.append(text)
        return keys, texts

    def image_source(self, i: int) -> Path:
        return self.root / self._keys[i]


class LmdbSource(LabeledSource):
    """A clovaai/PARSeq benchmark LMDB, opened read-only, lock-free, without readahead."""

    def __init__(
        self,
        path: str | Path,
        charset: Charset | None = None,
        max_length: int | None = None,
        name: str | None = None,
        validate: bool = False,
    ) -> None:
        self.path = Path(path)
        data_file = self.path if self.path.is_file() else self.path / LMDB_FILE
        if not data_file.is_file():
            raise FileNotFoundError(f"No LMDB at {self.path}: expected {self.path / LMDB_FILE}.")
        self._data_file = str(data_file.resolve())
        self._env_key: tuple[int, str] | None = None
        name = name or data_file.resolve().parent.name
        report = SkipReport(source=name)
        keys, texts = self._index(charset, max_length, report)
        super().__init__(name, keys, texts, report)
        if validate:
            self.validate()

    def _environment(self) -> lmdb.Environment:
        """The shared handle of this process (re-opened after a fork: handles must not cross)."""
        key = (os.getpid(), self._data_file)
        with _ENV_LOCK:
            if self._env_key != key:
                if key not in _ENVIRONMENTS:
                    # lmdb refuses a second handle on one file per process, so sources share it.
                    env = lmdb.open(
                        self._data_file,
                        subdir=False,
                        readonly=True,
                        lock=False,
                        readahead=False,
                        meminit=False,
                        max_readers=128,
                    )
                    _ENVIRONMENTS[key] = [env, 0]
                _ENVIRONMENTS[key][1] += 1
                self._env_key = key
            return _ENVIRONMENTS[key][0]

    def close(self) -> None:
        """Release this source's handle; the file closes when no source of it remains open."""
        with _ENV_LOCK:
            key, self._env_key = self._env_key, None
            if key is None or key not in _ENVIRONMENTS:
                return
            _ENVIRONMENTS[key][1] -= 1
            if _ENVIRONMENTS[key][1] <= 0:
                _ENVIRONMENTS.pop(key)[0].close()

    def _index(
        self, charset: Charset | None, max_length: int | None, report: SkipReport
    ) -> tuple[list[str], list[str]]:
        keys: list[str] = []
        texts: list[str] = []
        with self._environment().begin(write=False, buffers=True) as txn:
            raw_count = txn.get(b"num-samples")
            try:
                count = int(bytes(raw_count).decode("ascii")) if raw_count is not None else -1
            except ValueError:
                count = -1
            if count < 0:
                raise ValueError(
                    f"{self.path} has no valid 'num-samples' key: is it a clovaai/PARSeq LMDB?"
                )
            for idx in range(1, count + 1):
                report.entries += 1
                image_key = f"image-{idx:09d}"
                raw_label = txn.get(f"label-{idx:09d}".encode())
                if raw_label is None:
                    report.add("malformed_line", f"{image_key}: no label-{idx:09d} key")
                    continue
                try:
                    text = bytes(raw_label).decode("utf-8")
                except UnicodeDecodeError:
                    report.add("bad_encoding", f"{image_key}: {bytes(raw_label)[:40]!r}")
                    continue
                reason = _check_label(text, charset, max_length)
                if reason:
                    report.add(reason, f"{image_key}: {text!r}")
                    continue
                raw_image = txn.get(image_key.encode())  # a memoryview: no copy
                if raw_image is None:
                    report.add("missing_image", image_key)
                    continue
                if len(raw_image) == 0:
                    report.add("corrupt_image", f"{image_key}: empty value")
                    continue
                keys.append(image_key)
                texts.append(text)
        return keys, texts

    def image_source(self, i: int) -> bytes:
        with self._environment().begin(write=False) as txn:
            data = txn.get(self._keys[i].encode())
        if data is None:
            raise ImageLoadError(f"{self.name}: key {self._keys[i]} vanished from {self.path}.")
        return bytes(data)


def read_folder(
    root: str | Path,
    charset: Charset | None = None,
    max_length: int | None = None,
    validate: bool = False,
) -> FolderSource:
    """A ``labels.tsv`` folder; see ``FolderSource``."""
    return FolderSource(root, charset=charset, max_length=max_length, validate=validate)


def read_lmdb(
    path: str | Path,
    charset: Charset | None = None,
    max_length: int | None = None,
    validate: bool = False,
) -> LmdbSource:
    """A clovaai/PARSeq LMDB; see ``LmdbSource``."""
    return LmdbSource(path, charset=charset, max_length=max_length, validate=validate)


def _split_spec(spec: str | Path) -> tuple[str | None, Path]:
    """``"name=path"`` names a dataset explicitly; an existing path always wins."""
    text = str(spec)
    if not Path(text).exists() and "=" in text:
        name, _, rest = text.partition("=")
        if name and os.sep not in name:
            return name, Path(rest)
    return None, Path(text)


def open_source(
    spec: str | Path,
    charset: Charset | None = None,
    max_length: int | None = None,
    validate: bool = False,
) -> LabeledSource:
    """Open ``path`` or ``name=path``: a folder with labels.tsv, or an LMDB dir / data.mdb file;
    or ``synthetic:N``, the first N seeded synthetic words."""
    from crnn_core.data.synthetic_source import SyntheticSource, parse_synthetic_spec

    count = parse_synthetic_spec(spec)
    if count is not None and not Path(str(spec)).exists():
        return SyntheticSource(count, charset)
    name, path = _split_spec(spec)
    if (path / LABELS_FILE).is_file():
        return FolderSource(path, charset, max_length, name=name, validate=validate)
    if (path / LMDB_FILE).is_file() or (path.is_file() and path.name == LMDB_FILE):
        return LmdbSource(path, charset, max_length, name=name, validate=validate)
    if not path.exists():
        raise FileNotFoundError(f"Dataset path {path} does not exist.")
    found = discover_sources(path)
    hint = f" It contains datasets: {[str(p) for p in found[:10]]}." if found else ""
    raise ValueError(
        f"{path} is neither a folder with {LABELS_FILE} nor an LMDB ({LMDB_FILE}).{hint}"
    )


def discover_sources(root: str | Path) -> list[Path]:
    """Every dataset folder under ``root`` (PARSeq keeps one LMDB per benchmark subfolder)."""
    root = Path(root)
    found = {p.parent for p in root.rglob(LABELS_FILE)} | {p.parent for p in root.rglob(LMDB_FILE)}
    return sorted(found)
