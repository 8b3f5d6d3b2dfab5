"""Contract and variety of the synthetic word generator (fonts, words, rendering)."""

from __future__ import annotations

import dataclasses
import json
import os
import string
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from crnn_core.charset import Charset
from crnn_core.data.fonts import (
    DEFAULT_FONT,
    FontFile,
    discover_fonts,
    family_weights,
    font_dirs,
    group_by_family,
    inspection_key,
    renders_latin,
)
from crnn_core.data.glyphs import ink_rows, load_font
from crnn_core.data.pinned_fonts import (
    INSPECTION_FILE,
    _pinned,
    font_cache,
    lock_rows,
    training_fonts,
)
from crnn_core.data.synthetic import SynthConfig, SyntheticWordGenerator
from crnn_core.data.words import WordSampler

FULL = Charset.preset("94_full")


@pytest.fixture(scope="module")
def generator() -> SyntheticWordGenerator:
    return SyntheticWordGenerator(FULL, seed=3)


@pytest.fixture(scope="module")
def samples(generator: SyntheticWordGenerator) -> list[tuple[np.ndarray, str]]:
    return generator.batch(0, 200)


def test_same_seed_and_index_give_identical_samples(generator: SyntheticWordGenerator) -> None:
    twin = SyntheticWordGenerator(FULL, seed=3)
    for index in (0, 7, 12345):
        img_a, text_a = generator.sample(index)
        img_b, text_b = twin.sample(index)
        assert text_a == text_b
        np.testing.assert_array_equal(img_a, img_b)


def test_different_seeds_or_indices_differ(generator: SyntheticWordGenerator) -> None:
    other = SyntheticWordGenerator(FULL, seed=4)
    pairs = [(generator.sample(i), other.sample(i)) for i in range(10)]
    assert sum(a[1] != b[1] for a, b in pairs) >= 8
    texts = [generator.sample(i)[1] for i in range(20)]
    assert len(set(texts)) >= 15


def test_shape_dtype_and_width_bounds(samples: list[tuple[np.ndarray, str]]) -> None:
    for img, text in samples:
        assert img.dtype == np.uint8
        assert img.ndim == 2 and img.shape[0] == 32
        assert 16 <= img.shape[1] <= 256
        # enough CTC frames (width / 4) for the label and its repeated pairs
        repeats = sum(a == b for a, b in pairwise(text))
        assert img.shape[1] // 4 >= len(text) + repeats


def test_custom_width_bounds_are_respected() -> None:
    gen = SyntheticWordGenerator(FULL, seed=1, min_width=40, max_width=96)
    widths = [gen.sample(i)[0].shape[1] for i in range(60)]
    assert min(widths) >= 40 and max(widths) <= 96
    assert max(widths) == 96  # long words get squashed to the limit, not dropped


@pytest.mark.parametrize("preset", ["36_lowercase", "62_mixed-case", "94_full"])
def test_labels_are_encodable(preset: str) -> None:
    charset = Charset.preset(preset)
    sampler = WordSampler(charset)
    rng = np.random.default_rng(0)
    words = [sampler.sample(rng) for _ in range(2000)]
    assert all(charset.can_encode(w) and 1 <= len(w) <= 20 for w in words)
    if preset == "36_lowercase":
        assert all(w == w.lower() for w in words)
    else:
        assert sum(w.isupper() for w in words) > 400  # upper case is common on signs
        assert sum(any(c.isdigit() for c in w) for w in words) > 100
    if preset == "94_full":
        assert any(set(w) & set(string.punctuation) for w in words)


def test_generator_labels_encodable_for_lowercase_charset() -> None:
    charset = Charset.preset("36_lowercase")
    gen = SyntheticWordGenerator(charset, seed=0)
    assert all(charset.can_encode(gen.sample(i)[1]) for i in range(30))


def test_variety_of_fonts_intensity_and_polarity(
    generator: SyntheticWordGenerator, samples: list[tuple[np.ndarray, str]]
) -> None:
    fonts_used = {generator.font_for(i).path for i in range(len(samples))}
    if len(generator.families) >= 10:
        assert len(fonts_used) >= 40
    means = np.array([img.mean() for img, _ in samples])
    assert means.std() > 25
    # light-on-dark: the border (background) darker than the overall mean's middle rows
    inverted = 0
    for img, _ in samples:
        border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]]).astype(float)
        centre = img[8:24].astype(float)
        inverted += centre.max() - border.mean() > border.mean() - centre.min()
    assert 0.15 < inverted / len(samples) < 0.6


def test_plain_config_has_flat_background() -> None:
    gen = SyntheticWordGenerator(FULL, seed=0, config=SynthConfig.plain())
    for img, _ in gen.batch(0, 20):
        border = np.concatenate([img[0], img[-1], img[:, 0], img[:, -1]])
        values, counts = np.unique(border, return_counts=True)
        assert counts.max() / border.size > 0.6  # flat background
        assert values[counts.argmax()] == img.max()  # dark text on the lighter background


def test_fallback_to_pillow_default_font() -> None:
    gen = SyntheticWordGenerator(FULL, seed=0, fonts=[])
    assert gen.families == [[DEFAULT_FONT]]
    img, text = gen.sample(0)
    assert img.shape[0] == 32 and FULL.can_encode(text)
    assert img.std() > 5  # something was drawn


def test_discover_fonts_empty_folder_falls_back(tmp_path: Path) -> None:
    assert discover_fonts([tmp_path]) == [DEFAULT_FONT]


def test_renders_latin_rejects_fonts_without_letters() -> None:
    default = load_font(DEFAULT_FONT, 24)
    assert renders_latin(default)  # Aileron has Latin letters
    assert not renders_latin(default, glyphs="\u4e00")  # ... but no CJK glyph


def test_load_font_is_cached() -> None:
    assert load_font(DEFAULT_FONT, 20) is load_font(DEFAULT_FONT, 20)
    assert load_font(DEFAULT_FONT, 20) is not load_font(DEFAULT_FONT, 24)


def test_font_dirs_honours_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRNN_FONT_DIRS", f"{tmp_path}{os.pathsep}/no/such/dir")
    dirs = font_dirs()
    assert dirs[0] == tmp_path and Path("/no/such/dir") not in dirs


def test_ink_rows_match_word_bbox() -> None:
    for text in ("Hg", "ace", "Q2", "x"):
        _, top, _, bottom = load_font(DEFAULT_FONT, 32).getbbox(text)
        assert ink_rows(DEFAULT_FONT, text, 32) == (top, bottom)


def test_family_weights_count_each_design_once() -> None:
    weights = family_weights(["Arimo", "Liberation Sans", "Lato", "Hack"])
    assert weights["Arimo"] == weights["Liberation Sans"] == 0.5  # Helvetica clones share
    assert weights["Lato"] == 1.0 and weights["Hack"] < 0.5  # monospace drawn less often


def test_rare_words_appear() -> None:
    sampler = WordSampler(Charset.preset("36_lowercase"))
    rng = np.random.default_rng(1)
    words = [sampler.sample(rng) for _ in range(3000)]
    assert len(set(words)) > 1500  # flattened frequencies: not just "the", "of", "and"


def test_group_by_family() -> None:
    fonts = [FontFile("a.ttf", "A"), FontFile("b.ttf", "B", "Bold"), FontFile("c.ttf", "A", "Bold")]
    groups = group_by_family(fonts)
    assert list(groups) == ["A", "B"] and len(groups["A"]) == 2


def test_pinned_font_set_when_installed() -> None:
    """The locked Google Fonts set (scripts/fonts/install.py) is what the renderer uses."""
    rows = lock_rows()
    assert len({r["package"] for r in rows}) >= 250
    assert all(len(r["sha256"]) == 64 and r["integrity"].startswith("sha512-") for r in rows)
    font_set = training_fonts()
    if font_set.source == "system":
        pytest.skip("pinned fonts not installed (python scripts/fonts/install.py)")
    families = group_by_family(font_set.fonts)
    assert len(families) >= 250
    assert {f.category for f in font_set.fonts} >= {"serif", "sans-serif", "display"}
    assert SyntheticWordGenerator(FULL, seed=0).font_set.fingerprint == font_set.fingerprint


def test_missing_pinned_fonts_fall_back_to_system(tmp_path: Path) -> None:
    font_set = training_fonts(cache=tmp_path)
    assert font_set.source == "system" and font_set.fonts


def _one_pinned_font(cache: Path) -> dict[str, str]:
    """Copy one locked serif file into ``cache`` (skip when the set is not installed)."""
    row = next(r for r in lock_rows() if r["category"] == "serif")
    source = font_cache() / row["package"] / Path(row["file"]).name
    if not source.is_file():
        pytest.skip("pinned fonts not installed (python scripts/fonts/install.py)")
    (cache / row["package"]).mkdir()
    (cache / row["package"] / source.name).write_bytes(source.read_bytes())
    return row


def test_partly_installed_pinned_set_is_named_partial(tmp_path: Path) -> None:
    row = _one_pinned_font(tmp_path)
    (tmp_path / "tampered").mkdir()
    font_set = training_fonts(cache=tmp_path)
    assert font_set.source == "pinned-partial"
    assert [f.family for f in font_set.fonts] == [row["package"]]


def test_font_check_verdicts_are_stored_and_reused(tmp_path: Path) -> None:
    """The Latin check runs once per file: its verdict is stored and read back, but only under
    the same check settings and Pillow/FreeType (``inspection_key``)."""
    row = _one_pinned_font(tmp_path)
    first = training_fonts(cache=tmp_path)
    stored = json.loads((tmp_path / INSPECTION_FILE).read_text())
    assert stored["key"] == inspection_key()
    assert stored["fonts"] == {row["sha256"]: first.fonts[0].style}

    # A stored "fails the check" verdict is believed: the font is not inspected again.
    stored["fonts"][row["sha256"]] = None
    (tmp_path / INSPECTION_FILE).write_text(json.dumps(stored))
    _pinned.cache_clear()
    assert training_fonts(cache=tmp_path).source == "system"

    # Under another key (e.g. another FreeType) the verdict is stale: checked again, rewritten.
    stored["key"] = "pillow 0.0; freetype 0.0"
    (tmp_path / INSPECTION_FILE).write_text(json.dumps(stored))
    _pinned.cache_clear()
    again = training_fonts(cache=tmp_path)
    assert again.fonts == first.fonts and again.fingerprint == first.fingerprint
    assert json.loads((tmp_path / INSPECTION_FILE).read_text())["key"] == inspection_key()


def test_unreadable_font_check_verdicts_are_ignored(tmp_path: Path) -> None:
    _one_pinned_font(tmp_path)
    (tmp_path / INSPECTION_FILE).write_text("{not json")
    font_set = training_fonts(cache=tmp_path)
    assert font_set.source == "pinned-partial" and len(font_set.fonts) == 1


def test_sample_is_thread_safe(generator: SyntheticWordGenerator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    expected = [generator.sample(i) for i in range(40)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(generator.sample, range(40)))
    for (img_a, text_a), (img_b, text_b) in zip(expected, got, strict=True):
        assert text_a == text_b
        np.testing.assert_array_equal(img_a, img_b)


def test_texture_photos_load_without_download() -> None:
    from crnn_core.data.backgrounds import texture_images

    pytest.importorskip("sklearn", reason="scikit-learn ships the sample photos")
    photos = texture_images()
    assert len(photos) == 2 and all(p.mode == "L" and p.width > 300 for p in photos)


def test_hollow_outlined_text_shows_the_background_through_its_fill() -> None:
    from crnn_core.data.backgrounds import Appearance, compose

    alpha = np.zeros((32, 64), np.float32)
    alpha[10:22, 20:44] = 1.0  # the glyph fill
    outline = np.zeros_like(alpha)
    outline[7:25, 17:47] = 1.0  # fill + a 3 px border
    flat = {"textured": False, "p_shadow": 0.0, "p_extrude": 0.0, "p_fg_gradient": 0.0}
    for seed in range(5):
        hollow = compose(
            np.random.default_rng(seed), alpha, outline, 12, Appearance(p_hollow=1.0, **flat)
        )
        filled = compose(
            np.random.default_rng(seed), alpha, outline, 12, Appearance(p_hollow=0.0, **flat)
        )
        assert hollow[16, 32] == pytest.approx(hollow[0, 0], abs=1e-6)  # fill = background
        assert abs(hollow[8, 32] - hollow[0, 0]) > 0.05  # the outline is drawn
        assert abs(filled[16, 32] - filled[0, 0]) > 0.05  # solid text differs from background


def test_tight_crops_cut_into_the_edge_glyphs_only_when_enabled() -> None:
    """Real crops often cut into the first or last letter (ic03 "P|ark"); the renderer must
    show that with ``p_cut_into_word`` and never without it."""

    def edge_ink(cut: float) -> tuple[float, float]:
        config = dataclasses.replace(SynthConfig.plain(), p_cut_into_word=cut)
        generator = SyntheticWordGenerator(FULL, seed=0, max_width=160, config=config)
        images = [generator.sample(i)[0] for i in range(60)]
        # dark text on a light flat background: ink in a border column/row = a cut glyph
        sides = [max((im[:, 0] < 100).mean(), (im[:, -1] < 100).mean()) for im in images]
        rows = [max((im[0] < 100).mean(), (im[-1] < 100).mean()) for im in images]
        return float(np.mean(np.array(sides) > 0.15)), float(np.mean(np.array(rows) > 0.1))

    sides_off, _ = edge_ink(0.0)
    sides_on, rows_on = edge_ink(1.0)
    assert sides_off == 0.0
    assert sides_on > 0.25 and rows_on > 0.25
