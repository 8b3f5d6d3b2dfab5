"""A user's labelled zip (``labels.tsv`` + images, the CLI's folder format), checked before use.

The zip comes from a browser upload, so every member is distrusted: ``check_zip`` reads only the
central directory and refuses, with a message naming the member, path traversal (``..``,
absolute or drive-letter names, backslashes), symlinks and other special files, encrypted
members, too many entries, too much uncompressed data in total or per member, and compression
ratios only a zip bomb has. ``extract_zip`` then writes the members into a folder of the
caller's (a temporary one), counting the bytes it actually inflates (a forged header cannot
smuggle more) and checking each image's magic bytes (an ``.png`` that is not an image is
refused). macOS metadata (``__MACOSX/``, ``.DS_Store``) is skipped, never written.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from crnn_core.analysis.io import AnalysisError

__all__ = [
    "IMAGE_SUFFIXES",
    "LABELS_NAME",
    "UnsafeZip",
    "ZipLimits",
    "ZipPlan",
    "check_zip",
    "extract_zip",
]

LABELS_NAME = "labels.tsv"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")
MAGIC = (
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"BM", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*",
)  # fmt: skip
KINDS = "PNG, JPEG, BMP, GIF, WEBP or TIFF"
IGNORED = ("__MACOSX", ".DS_Store")
CHUNK = 1 << 16


class UnsafeZip(AnalysisError):
    """The zip cannot be used; the message says which member and why."""


@dataclass(frozen=True)
class ZipLimits:
    """What an upload may hold. Defaults fit a few thousand word crops (a 10 MB upload)."""

    max_entries: int = 5000
    max_total_bytes: int = 200 * 1024 * 1024
    max_member_bytes: int = 20 * 1024 * 1024
    max_ratio: float = 100.0
    """Uncompressed / compressed size, per member and in total (word PNGs/JPEGs are ~1)."""
    max_labels_bytes: int = 5 * 1024 * 1024


@dataclass(frozen=True)
class ZipPlan:
    """The members ``extract_zip`` will write: ``root`` is the folder holding labels.tsv."""

    root: str
    labels: str
    images: tuple[str, ...]
    total_bytes: int


def _is_ignored(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return IGNORED[0] in parts or parts[-1:] == (IGNORED[1],)


def _check_name(name: str) -> None:
    if "\\" in name or "\x00" in name:
        raise UnsafeZip(f"{name!r}: backslashes or NUL in a member name are not allowed.")
    path = PurePosixPath(name)
    if path.is_absolute() or (len(name) > 1 and name[1] == ":"):
        raise UnsafeZip(f"{name!r}: absolute member paths are not allowed (path traversal).")
    if ".." in path.parts:
        raise UnsafeZip(f"{name!r}: '..' in a member path is not allowed (path traversal).")


def _check_kind(info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeZip(f"{info.filename!r} is a symbolic link; links are not allowed.")
    if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise UnsafeZip(f"{info.filename!r} is not a regular file (device, pipe, ...).")
    if info.flag_bits & 0x1:
        raise UnsafeZip(f"{info.filename!r} is encrypted; upload an unencrypted zip.")


def _check_size(info: zipfile.ZipInfo, limits: ZipLimits) -> None:
    if info.file_size > limits.max_member_bytes:
        raise UnsafeZip(
            f"{info.filename!r} is {info.file_size / 2**20:.1f} MiB uncompressed; each file may "
            f"be at most {limits.max_member_bytes / 2**20:.0f} MiB."
        )
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > CHUNK and ratio > limits.max_ratio:
        raise UnsafeZip(
            f"{info.filename!r} expands {ratio:.0f}x (more than {limits.max_ratio:.0f}x): "
            "this looks like a zip bomb."
        )


def _labels_member(names: list[str]) -> str:
    found = [n for n in names if PurePosixPath(n).name == LABELS_NAME]
    if not found:
        raise UnsafeZip(
            f"The zip has no {LABELS_NAME}: it needs one line 'relative/path<TAB>text' per image, "
            "at the top of the zip or of its one folder."
        )
    depth = {n: len(PurePosixPath(n).parts) for n in found}
    shallow = min(found, key=depth.__getitem__)
    if sum(d == depth[shallow] for d in depth.values()) > 1:
        raise UnsafeZip(f"The zip has several {LABELS_NAME} files at the same depth: {found[:5]}.")
    return shallow


def check_zip(source: str | Path | BinaryIO, limits: ZipLimits | None = None) -> ZipPlan:
    """Check a zip's directory against ``limits``; return what to extract or raise ``UnsafeZip``."""
    limits = limits or ZipLimits()
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeZip(f"This is not a readable zip file ({exc}).") from exc
    with archive:
        infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise UnsafeZip(f"The zip has {len(infos)} entries; at most {limits.max_entries} allowed.")
    files: list[zipfile.ZipInfo] = []
    for info in infos:
        _check_name(info.filename)
        _check_kind(info)
        if info.is_dir() or _is_ignored(info.filename):
            continue
        _check_size(info, limits)
        files.append(info)
    total = sum(i.file_size for i in files)
    packed = sum(i.compress_size for i in files)
    if total > limits.max_total_bytes:
        raise UnsafeZip(
            f"The zip holds {total / 2**20:.0f} MiB uncompressed; at most "
            f"{limits.max_total_bytes / 2**20:.0f} MiB allowed."
        )
    if total > CHUNK and total / max(packed, 1) > limits.max_ratio:
        raise UnsafeZip(
            f"The zip expands {total / max(packed, 1):.0f}x: this looks like a zip bomb."
        )
    names = [i.filename for i in files]
    labels = _labels_member(names)
    root = str(PurePosixPath(labels).parent)
    others = [n for n in names if n != labels]
    bad = [n for n in others if PurePosixPath(n).suffix.lower() not in IMAGE_SUFFIXES]
    if bad:
        raise UnsafeZip(
            f"{len(bad)} member(s) are not images, e.g. {bad[0]!r}; allowed: {LABELS_NAME} and "
            f"{', '.join(IMAGE_SUFFIXES)}."
        )
    outside = [n for n in others if root != "." and not n.startswith(root + "/")]
    if outside:
        raise UnsafeZip(f"{outside[0]!r} lies outside the folder of {labels!r}.")
    if next(i for i in files if i.filename == labels).file_size > limits.max_labels_bytes:
        raise UnsafeZip(f"{labels!r} is larger than {limits.max_labels_bytes / 2**20:.0f} MiB.")
    return ZipPlan(root, labels, tuple(others), total)


def _copy(archive: zipfile.ZipFile, name: str, target: Path, budget: int, image: bool) -> int:
    """Inflate one member into ``target``; stop past ``budget`` bytes; return the bytes written."""
    written = 0
    with archive.open(name) as src, open(target, "xb") as dst:
        while block := src.read(CHUNK):
            if written == 0 and image and not _looks_like_image(block):
                raise UnsafeZip(f"{name!r} has an image name but is not an image ({KINDS}).")
            written += len(block)
            if written > budget:
                raise UnsafeZip(f"{name!r} inflates to more than its declared size: refused.")
            dst.write(block)
    if image and written == 0:
        raise UnsafeZip(f"{name!r} is empty.")
    return written


def _looks_like_image(head: bytes) -> bool:
    return head.startswith(MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")


def extract_zip(
    source: str | Path | BinaryIO, destination: str | Path, limits: ZipLimits | None = None
) -> Path:
    """Check, then extract the labels and images into ``destination`` (an empty, usually
    temporary folder); return the dataset folder (the one holding labels.tsv)."""
    limits = limits or ZipLimits()
    plan = check_zip(source, limits)
    if hasattr(source, "seek"):
        source.seek(0)
    destination = Path(destination).resolve()
    destination.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(source) as archive:
        declared = {i.filename: i.file_size for i in archive.infolist()}
        spent = 0
        for name in (plan.labels, *plan.images):
            target = (destination / name).resolve()
            if not target.is_relative_to(destination):
                raise UnsafeZip(f"{name!r} would be written outside the folder: refused.")
            target.parent.mkdir(parents=True, exist_ok=True)
            budget = min(declared[name], limits.max_total_bytes - spent)
            try:
                spent += _copy(archive, name, target, budget, image=name != plan.labels)
            except FileExistsError as exc:
                raise UnsafeZip(f"{name!r} appears twice in the zip.") from exc
            except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError) as exc:
                raise UnsafeZip(f"{name!r} cannot be decompressed ({exc}).") from exc
    return destination / plan.root if plan.root != "." else destination
