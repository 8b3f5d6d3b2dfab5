from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from crnn_core.preprocess import (
    ImageLoadError,
    load_image,
    logit_length,
    pad_batch,
    to_gray_height,
)


def _png(image: Image.Image, fmt: str = "PNG", **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


def test_resize_keeps_aspect_and_clamps_width() -> None:
    gray = to_gray_height(Image.new("L", (100, 50)), max_width=160)
    assert gray.shape == (32, 64) and gray.dtype == np.uint8
    assert to_gray_height(Image.new("L", (1000, 20)), max_width=160).shape == (32, 160)


def test_pad_batch_and_logit_lengths() -> None:
    batch, widths = pad_batch([np.full((32, 10), 7, np.uint8), np.full((32, 33), 9, np.uint8)])
    assert batch.shape == (2, 32, 36, 1)
    assert widths.tolist() == [10, 33]
    assert batch[0, :, 10:].max() == 0 and batch[0, :, :10].min() == 7
    assert logit_length(33) == 9 and logit_length(np.array([4, 5])).tolist() == [1, 2]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"", "empty"),
        (b"%PDF-1.4 definitely not an image", "not an image"),
        (_png(Image.new("RGB", (40, 20)))[:60], "corrupt or truncated"),
        (_png(Image.new("RGB", (1, 1))), "at least"),
    ],
)
def test_bad_inputs_raise_clear_errors(payload: bytes, message: str) -> None:
    with pytest.raises(ImageLoadError, match=message):
        load_image(payload)


def test_enormous_images_are_refused_before_decoding(monkeypatch) -> None:
    import crnn_core.preprocess as pre

    monkeypatch.setattr(pre, "MAX_PIXELS", 100)
    with pytest.raises(ImageLoadError, match="crop it"):
        load_image(_png(Image.new("L", (20, 20))))


def test_modes_are_normalised_to_gray() -> None:
    cmyk = load_image(_png(Image.new("CMYK", (20, 10), (0, 0, 0, 255)), "JPEG"))
    assert cmyk.mode == "L"
    sixteen = Image.fromarray(np.linspace(0, 65535, 200, dtype=np.uint16).reshape(10, 20))
    gray16 = np.asarray(load_image(_png(sixteen)))
    assert gray16.min() == 0 and gray16.max() == 255
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    assert np.asarray(load_image(_png(rgba))).min() == 255  # transparent → white, as shown


def test_animated_gif_uses_first_frame() -> None:
    frames = [Image.new("L", (20, 10), 10), Image.new("L", (20, 10), 200)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    assert np.asarray(load_image(buffer.getvalue())).mean() < 50


def test_exif_rotation_is_applied() -> None:
    image = Image.new("L", (40, 10), 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise for display
    loaded = load_image(_png(image, "JPEG", exif=exif.tobytes()))
    assert loaded.size == (10, 40)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ImageLoadError, match="No such image"):
        load_image(tmp_path / "nope.png")
