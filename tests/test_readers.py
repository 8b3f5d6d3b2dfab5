from __future__ import annotations

import io
from pathlib import Path

import lmdb
import pytest
from PIL import Image, ImageDraw

from crnn_core.charset import Charset
from crnn_core.data.readers import (
    FolderSource,
    LmdbSource,
    SkipReport,
    discover_sources,
    open_source,
    read_folder,
    read_lmdb,
)
from crnn_core.preprocess import ImageLoadError

CHARSET = Charset.preset("94_full")


def word_png(text: str, width: int = 60) -> bytes:
    image = Image.new("RGB", (width, 24), "white")
    ImageDraw.Draw(image).text((2, 4), text, fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def make_folder(root: Path) -> Path:
    """A labels.tsv folder with 4 usable rows and one bad row of every kind."""
    (root / "images").mkdir(parents=True)
    for name, width in (("ok0", 50), ("ok1", 61), ("ok2", 72), ("ok3", 83)):
        (root / "images" / f"{name}.png").write_bytes(word_png(name, width))
    (root / "images" / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a png")
    (root / "images" / "empty.png").write_bytes(b"")
    (root.parent / "outside.png").write_bytes(word_png("out"))
    lines = [
        b"images/ok0.png\thello",
        b"images/ok1.png\tWorld",
        b"images/corrupt.png\tbad",  # found corrupt only when decoded
        b"images/missing.png\tgone",  # missing_image
        b"images/ok2.png\t",  # empty_label
        b"images/ok2.png hello",  # malformed_line: no tab
        b"images/ok3.png\tcaf\xc3\xa9",  # unknown_characters (valid UTF-8 'café')
        b"images/ok3.png\t\xff\xfeab",  # bad_encoding
        b"../outside.png\tout",  # unsafe_path
        b"/etc/passwd\tout",  # unsafe_path
        b"images/empty.png\tabc",  # corrupt_image at index time (0 bytes)
        b"",  # blank line: ignored, not counted
        b"images/ok0.png\tline\r",  # CRLF line ending
    ]
    (root / "labels.tsv").write_bytes(b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n")
    return root


def make_lmdb(
    path: Path, entries: list[tuple[bytes | None, bytes | None]], count: int | None = None
) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(path), map_size=1 << 24)
    with env.begin(write=True) as txn:
        txn.put(b"num-samples", str(len(entries) if count is None else count).encode())
        for i, (image, label) in enumerate(entries, start=1):
            if image is not None:
                txn.put(f"image-{i:09d}".encode(), image)
            if label is not None:
                txn.put(f"label-{i:09d}".encode(), label)
    env.close()
    return path


LMDB_ENTRIES: list[tuple[bytes | None, bytes | None]] = [
    (word_png("hello", 55), b"hello"),
    (b"GIF89a broken", b"bad"),  # corrupt, found at decode time
    (None, b"gone"),  # missing_image
    (word_png("x"), b""),  # empty_label
    (word_png("x"), b"\xffab"),  # bad_encoding
    (word_png("x"), "naïve".encode()),  # unknown_characters
    (word_png("x"), b"x" * 30),  # too_long with max_length=25
    (word_png("x"), None),  # malformed_line: label key missing
    (b"", b"void"),  # corrupt_image at index time (empty value)
    (word_png("Test", 66), b"Test"),
]


def test_folder_index_skips_every_bad_row_with_exact_counts(tmp_path: Path) -> None:
    source = read_folder(make_folder(tmp_path / "set"), charset=CHARSET)
    assert isinstance(source, FolderSource)
    assert source.name == "set"
    assert source.skipped.entries == 12
    assert source.skipped.counts == {
        "missing_image": 1,
        "empty_label": 1,
        "malformed_line": 1,
        "unknown_characters": 1,
        "bad_encoding": 1,
        "unsafe_path": 2,
        "corrupt_image": 1,
    }
    assert len(source) == 4
    assert source.texts == ["hello", "World", "bad", "line"]
    assert source.key(1) == "images/ok1.png"


def test_folder_lazy_corrupt_image_is_skipped_and_counted_once(tmp_path: Path) -> None:
    source = read_folder(make_folder(tmp_path / "set"), charset=CHARSET)
    for _ in range(2):
        samples = list(source.samples())
        assert [(s.index, s.text) for s in samples] == [(0, "hello"), (1, "World"), (3, "line")]
    assert [s.image.size[0] for s in samples] == [50, 61, 50]
    assert all(s.image.mode == "L" for s in samples)
    assert source.skipped.counts["corrupt_image"] == 2
    assert source.skipped.total == 9
    with pytest.raises(ImageLoadError, match=r"images/corrupt\.png"):
        source.load(2)
    assert source.skipped.counts["corrupt_image"] == 2


def test_folder_validate_drops_undecodable_entries_up_front(tmp_path: Path) -> None:
    source = read_folder(make_folder(tmp_path / "set"), charset=CHARSET, validate=True)
    assert source.texts == ["hello", "World", "line"]
    assert source.skipped.counts["corrupt_image"] == 2
    image, text = source.load(2)
    assert (image.size[0], text) == (50, "line")


def test_folder_without_charset_keeps_any_valid_utf8_label(tmp_path: Path) -> None:
    source = read_folder(make_folder(tmp_path / "set"))
    assert "café" in source.texts
    assert "unknown_characters" not in source.skipped.counts
    assert len(source) == 5


def test_lmdb_index_skips_bad_entries_with_exact_counts(tmp_path: Path) -> None:
    path = make_lmdb(tmp_path / "bench" / "IIIT5k", LMDB_ENTRIES)
    source = read_lmdb(path, charset=CHARSET, max_length=25)
    assert isinstance(source, LmdbSource)
    assert source.name == "IIIT5k"
    assert source.skipped.entries == 10
    assert source.skipped.counts == {
        "missing_image": 1,
        "empty_label": 1,
        "bad_encoding": 1,
        "unknown_characters": 1,
        "too_long": 1,
        "malformed_line": 1,
        "corrupt_image": 1,
    }
    assert source.texts == ["hello", "bad", "Test"]
    assert source.key(2) == "image-000000010"
    samples = list(source.samples())
    assert [(s.index, s.key, s.text, s.image.size[0]) for s in samples] == [
        (0, "image-000000001", "hello", 55),
        (2, "image-000000010", "Test", 66),
    ]
    assert source.skipped.counts["corrupt_image"] == 2
    source.close()


def test_lmdb_validate_keeps_keys_aligned(tmp_path: Path) -> None:
    path = make_lmdb(tmp_path / "db", LMDB_ENTRIES)
    source = read_lmdb(path, charset=CHARSET, max_length=25, validate=True)
    assert source.texts == ["hello", "Test"]
    assert source.key(1) == "image-000000010"
    assert source.load(1)[0].size[0] == 66


def test_two_sources_share_one_lmdb_handle(tmp_path: Path) -> None:
    path = make_lmdb(tmp_path / "db", LMDB_ENTRIES[:1])
    first, second = read_lmdb(path), read_lmdb(path / "data.mdb")
    first.close()
    assert second.load(0)[1] == "hello"
    second.close()
    third = read_lmdb(path)
    assert third.load(0)[1] == "hello"
    third.close()


def test_lmdb_without_num_samples_explains(tmp_path: Path) -> None:
    path = tmp_path / "db"
    env = lmdb.open(str(path), map_size=1 << 20)
    with env.begin(write=True) as txn:
        txn.put(b"label-000000001", b"a")
    env.close()
    with pytest.raises(ValueError, match="num-samples"):
        read_lmdb(path)


def test_open_source_detects_formats_and_names(tmp_path: Path) -> None:
    folder = make_folder(tmp_path / "words")
    db = make_lmdb(tmp_path / "lm" / "CUTE80", LMDB_ENTRIES[:1])
    assert isinstance(open_source(folder), FolderSource)
    from_dir = open_source(db)
    from_file = open_source(db / "data.mdb")
    assert isinstance(from_dir, LmdbSource) and isinstance(from_file, LmdbSource)
    assert from_dir.name == from_file.name == "CUTE80"
    assert from_file.load(0)[1] == "hello"
    assert open_source(f"mine={folder}").name == "mine"
    assert discover_sources(tmp_path) == sorted([folder, db])
    with pytest.raises(ValueError, match="CUTE80"):
        open_source(tmp_path / "lm")
    with pytest.raises(FileNotFoundError):
        open_source(tmp_path / "nope")


def test_skip_report_summary_and_limits() -> None:
    report = SkipReport(source="demo", entries=10, max_examples=2)
    for i in range(3):
        report.add("missing_image", f"img{i}")
    report.add("empty_label", "line 4")
    assert report.total == 4
    assert report.examples["missing_image"] == ["img0", "img1"]
    text = report.summary()
    assert text.splitlines()[0] == "demo: skipped 4 of 10 entries:"
    assert "missing_image" in text.splitlines()[1] and text.splitlines()[1].endswith(": 3")
    assert report.to_dict()["counts"] == {"missing_image": 3, "empty_label": 1}
    with pytest.raises(ValueError, match="Unknown skip reason"):
        report.add("whatever", "x")


def test_symlinked_image_folder_is_not_unsafe(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.png").write_bytes(word_png("a", 44))
    root = tmp_path / "set"
    root.mkdir()
    (root / "images").symlink_to(elsewhere, target_is_directory=True)
    (root / "labels.tsv").write_text("images/a.png\ta\n", encoding="utf-8")
    source = read_folder(root)
    assert source.skipped.total == 0
    assert source.load(0)[0].size == (44, 24)
