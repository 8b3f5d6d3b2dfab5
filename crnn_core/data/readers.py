"""Lazy readers for labelled word images: a ``labels.tsv`` folder or a benchmark LMDB.

Both formats become one ``LabeledSource``: an index of valid ``(key, text)`` entries built
without decoding images (unless ``validate=True``), and images decoded on demand through
``crnn_core.preprocess.load_image``. Bad entries are skipped, never fatal, and counted per reason
in a ``SkipReport`` so "why is n 857 and not 860?" always has an answer.

LMDB layout (clovaai deep-text-recognition-benchmark / PARSeq): ``num-samples`` (ASCII int),
``image-%09d`` (encoded image bytes), ``label-%09d`` (UTF-8 text), indices starting at 1.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import lmdb

from crnn_core.charset import Charset
from crnn_core.data.labeled import SKIP_REASONS, LabeledSource, Sample, SkipReport, check_label
from crnn_core.data.specs import parse_data_spec
from crnn_core.preprocess import ImageLoadError

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
            reason = check_label(text, charset, max_length)
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
                reason = check_label(text, charset, max_length)
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


def open_source(
    spec: str | Path,
    charset: Charset | None = None,
    max_length: int | None = None,
    validate: bool = False,
) -> LabeledSource:
    """Open a ``--data`` spec (grammar: ``crnn_core.data.specs``): ``path`` or ``name=path`` of a
    folder with labels.tsv, an LMDB dir / data.mdb file; or ``synthetic:N``, the first N seeded
    synthetic words."""
    from crnn_core.data.synthetic_source import SyntheticSource

    parsed = parse_data_spec(spec)
    count = parsed.synthetic_count
    if count is not None:
        return SyntheticSource(count, charset)
    name, path = parsed.name, Path(parsed.path)
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
