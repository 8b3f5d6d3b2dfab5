"""Zip uploads for the "your photos" analysis: hostile zips are refused with a clear message,
a good one extracts only its labels and images into the given folder."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from crnn_core.analysis.zipdata import UnsafeZip, ZipLimits, check_zip, extract_zip


def png(width: int = 24) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, 16), 200).save(buffer, format="PNG")
    return buffer.getvalue()


def make_zip(members: dict[str, bytes], prefix: str = "") -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(prefix + name, data)
    buffer.seek(0)
    return buffer


def good_members() -> dict[str, bytes]:
    return {
        "labels.tsv": b"img/a.png\tab\nimg/b.png\tcd\n",
        "img/a.png": png(),
        "img/b.png": png(30),
    }


def refused(upload: io.BytesIO, limits: ZipLimits | None = None) -> str:
    with pytest.raises(UnsafeZip) as caught:
        check_zip(upload, limits)
    return str(caught.value)


def test_a_good_zip_extracts_labels_and_images(tmp_path: Path) -> None:
    root = extract_zip(make_zip(good_members()), tmp_path / "out")
    assert root == (tmp_path / "out").resolve()
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.*")) == [
        "img/a.png", "img/b.png", "labels.tsv",
    ]  # fmt: skip


def test_a_zipped_folder_is_found_and_macos_metadata_skipped(tmp_path: Path) -> None:
    members = {f"mywords/{k}": v for k, v in good_members().items()}
    members |= {"__MACOSX/mywords/._a.png": b"junk", "mywords/.DS_Store": b"junk"}
    upload = make_zip(members)
    root = extract_zip(upload, tmp_path / "out")
    assert root.name == "mywords" and (root / "labels.tsv").is_file()
    assert not list((tmp_path / "out").rglob("._a.png"))
    assert not list((tmp_path / "out").rglob(".DS_Store"))


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.png", "path traversal"),
        ("img/../../evil.png", "path traversal"),
        ("/etc/evil.png", "absolute"),
        ("C:/evil.png", "absolute"),
        ("img\\..\\evil.png", "backslashes"),
    ],
)
def test_path_traversal_is_refused(name: str, why: str, tmp_path: Path) -> None:
    upload = make_zip(good_members() | {name: png()})
    assert why in refused(upload)
    with pytest.raises(UnsafeZip):
        extract_zip(make_zip(good_members() | {name: png()}), tmp_path / "out")
    assert not (tmp_path / "evil.png").exists()


def test_symlinks_are_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in good_members().items():
            archive.writestr(name, data)
        link = zipfile.ZipInfo("img/c.png")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    buffer.seek(0)
    assert "symbolic link" in refused(buffer)


def test_a_zip_bomb_is_refused_by_ratio_and_by_total_size() -> None:
    bomb = make_zip(good_members() | {"img/big.png": b"\x89PNG\r\n\x1a\n" + bytes(8 << 20)})
    assert "zip bomb" in refused(bomb)
    small = ZipLimits(max_total_bytes=100)
    assert "at most" in refused(make_zip(good_members()), small)
    assert "each file may be at most" in refused(
        make_zip(good_members()), ZipLimits(max_member_bytes=20)
    )


def test_too_many_entries_are_refused() -> None:
    members = good_members() | {f"img/{i}.png": png() for i in range(30)}
    assert "entries" in refused(make_zip(members), ZipLimits(max_entries=20))


def test_non_image_members_are_refused(tmp_path: Path) -> None:
    assert "not images" in refused(make_zip(good_members() | {"run.sh": b"rm -rf /"}))
    disguised = make_zip(good_members() | {"img/c.png": b"#!/bin/sh\necho not a picture\n"})
    with pytest.raises(UnsafeZip, match="not an image"):
        extract_zip(disguised, tmp_path / "out")


def test_missing_labels_and_junk_uploads_are_explained() -> None:
    members = good_members()
    del members["labels.tsv"]
    assert "no labels.tsv" in refused(make_zip(members))
    assert "not a readable zip" in refused(io.BytesIO(b"this is not a zip"))
    twice = good_members() | {"x/labels.tsv": b"", "y/labels.tsv": b""}
    del twice["labels.tsv"]
    assert "several labels.tsv" in refused(make_zip(twice))


def test_members_outside_the_labels_folder_are_refused() -> None:
    members = {f"words/{k}": v for k, v in good_members().items()} | {"other/x.png": png()}
    assert "outside the folder" in refused(make_zip(members))


def test_encrypted_members_are_refused() -> None:
    upload = make_zip(good_members())
    data = bytearray(upload.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        infos = archive.infolist()
    # Set the "encrypted" flag bit in the central directory entry of the first member.
    central = data.rfind(b"PK\x01\x02", 0, len(data))
    first = data.find(b"PK\x01\x02")
    assert central >= first >= 0 and infos
    data[first + 8] |= 0x1
    assert "encrypted" in refused(io.BytesIO(bytes(data)))
