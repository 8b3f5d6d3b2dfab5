"""Turn arbitrary user images into what the model expects: grayscale uint8, height 32, width kept.

Everything that reaches the model passes through here, so bad input (not an image, truncated,
enormous, animated, CMYK, 16-bit, EXIF-rotated) is handled once, with messages a user can act on.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from crnn_core.geometry import DOWNSAMPLE, HEIGHT, frames_for_width
from crnn_core.grayscale import contrast_gray

__all__ = [
    "DOWNSAMPLE",
    "HEIGHT",
    "MAX_PIXELS",
    "ImageLoadError",
    "load_image",
    "logit_length",
    "pad_batch",
    "to_gray_height",
]

MAX_PIXELS = (
    40_000_000  # a word crop is never this big; larger is a decompression bomb or a mistake
)
MIN_SIDE = 4


class ImageLoadError(ValueError):
    """The input cannot be used as a word image; the message says why and what to do."""


def _open(source: bytes | str | Path | Image.Image) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if isinstance(source, bytes | bytearray):
                if not source:
                    raise ImageLoadError(
                        "The file is empty; upload a PNG, JPEG, BMP, WebP or TIFF."
                    )
                image = Image.open(io.BytesIO(source))
            else:
                image = Image.open(Path(source))
            if image.width * image.height > MAX_PIXELS:
                raise ImageLoadError(
                    f"Image is {image.width}×{image.height} pixels (over {MAX_PIXELS:,}); "
                    "crop it to the word first."
                )
            image.load()
    except ImageLoadError:
        raise
    except FileNotFoundError as exc:
        name = source if isinstance(source, str | Path) else "<bytes>"
        raise ImageLoadError(f"No such image file: {name}.") from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError(
            "This is not an image Pillow can read; upload a PNG, JPEG, BMP, WebP or TIFF."
        ) from exc
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageLoadError("Image has too many pixels; crop it to the word first.") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageLoadError(f"The image file is corrupt or truncated ({exc}).") from exc
    return image


def load_image(source: bytes | str | Path | Image.Image) -> Image.Image:
    """Decode an image and normalise it to 8-bit grayscale (mode ``L``), upright.

    Animated images use their first frame; EXIF orientation is applied; 16-bit, CMYK, palette and
    alpha images are converted (alpha composited on white, as a viewer would show them).
    """
    image = _open(source)
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    # A broken EXIF block must not make the photo unreadable.
    with contextlib.suppress(Exception):
        image = ImageOps.exif_transpose(image) or image
    if image.width < MIN_SIDE or image.height < MIN_SIDE:
        raise ImageLoadError(
            f"Image is only {image.width}×{image.height} pixels; a word crop needs at least "
            f"{MIN_SIDE}×{MIN_SIDE}."
        )
    return _to_gray(image)


def _to_gray(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        scaled = (array - low) / (high - low) * 255.0 if high > low else np.zeros_like(array)
        return Image.fromarray(scaled.astype(np.uint8), mode="L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return contrast_gray(Image.alpha_composite(background, rgba).convert("RGB"))
    if image.mode == "L":
        return image
    if image.mode == "1":
        return image.convert("L")
    # Colour: along the crop's own colour axis (grayscale.py), not fixed luminance weights.
    return contrast_gray(image.convert("RGB"))


def target_width(width: int, height: int, out_height: int = HEIGHT, max_width: int = 256) -> int:
    """Width after resizing to ``out_height`` with the aspect ratio kept, clamped to the range."""
    scaled = round(width * out_height / max(height, 1))
    return int(min(max(scaled, DOWNSAMPLE * 2), max_width))


def to_gray_height(
    image: Image.Image | np.ndarray, height: int = HEIGHT, max_width: int = 256
) -> np.ndarray:
    """Resize to ``height`` keeping the aspect ratio (squashed only beyond ``max_width``).

    Returns uint8 ``(height, width)``.
    """
    if isinstance(image, np.ndarray):
        if image.ndim == 3:
            image = _to_gray(Image.fromarray(image.astype(np.uint8)))
        else:
            image = Image.fromarray(image.astype(np.uint8), mode="L")
    elif image.mode != "L":
        image = _to_gray(image)
    width = target_width(image.width, image.height, height, max_width)
    resized = image.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(resized, dtype=np.uint8)


def logit_length(width: int | np.ndarray) -> int | np.ndarray:
    """Number of valid output frames for an input of ``width`` columns (``geometry``)."""
    return frames_for_width(width)


def pad_batch(
    images: Sequence[np.ndarray], multiple: int = DOWNSAMPLE
) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad ``(32, W_i)`` uint8 images with zeros into ``(batch, 32, W_max, 1)``.

    Returns the batch and the true widths (int32), from which the model derives logit lengths.
    """
    if not images:
        raise ValueError("pad_batch needs at least one image.")
    widths = np.array([img.shape[1] for img in images], dtype=np.int32)
    height = images[0].shape[0]
    padded_width = int(math.ceil(widths.max() / multiple) * multiple)
    batch = np.zeros((len(images), height, padded_width, 1), dtype=np.uint8)
    for i, img in enumerate(images):
        batch[i, :, : img.shape[1], 0] = img
    return batch, widths
