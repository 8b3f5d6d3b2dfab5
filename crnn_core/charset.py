"""An explicit, saved vocabulary with one blank convention: blank is index 0 everywhere.

Index ``i + 1`` is ``characters[i]``. Index 0 is the CTC blank, matching
``keras.ops.ctc_loss(..., mask_index=0)`` and ``keras.ops.ctc_decode(..., mask_index=0)``.
Never mix with ``tf.nn.ctc_*_decoder``, whose blank is the *last* class.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BLANK_INDEX", "PRESETS", "Charset", "CharsetError", "acc36_normalize"]

BLANK_INDEX = 0

PRESETS: dict[str, str] = {
    "36_lowercase": string.digits + string.ascii_lowercase,
    "62_mixed-case": string.digits + string.ascii_uppercase + string.ascii_lowercase,
    "94_full": string.digits + string.ascii_uppercase + string.ascii_lowercase + string.punctuation,
}
DEFAULT_PRESET = "94_full"


class CharsetError(ValueError):
    """A label holds characters the charset cannot encode, or a charset file is malformed."""


def acc36_normalize(text: str) -> str:
    """Lower-case and keep only ``[0-9a-z]``: the literature's acc36 protocol."""
    return "".join(ch for ch in text.lower() if ch in PRESETS["36_lowercase"])


@dataclass(frozen=True)
class Charset:
    """Ordered characters; class ``i + 1`` is ``characters[i]`` and class 0 is the blank."""

    characters: str
    name: str = "custom"

    def __post_init__(self) -> None:
        if not self.characters:
            raise CharsetError("A charset needs at least one character.")
        if len(set(self.characters)) != len(self.characters):
            dupes = sorted({c for c in self.characters if self.characters.count(c) > 1})
            raise CharsetError(f"Charset has duplicate characters: {dupes!r}.")
        if any(ch.isspace() for ch in self.characters):
            raise CharsetError("Whitespace is not allowed in a word-recognition charset.")
        object.__setattr__(self, "_index", {ch: i + 1 for i, ch in enumerate(self.characters)})

    @classmethod
    def preset(cls, name: str = DEFAULT_PRESET) -> Charset:
        if name not in PRESETS:
            raise CharsetError(f"Unknown charset preset {name!r}; choose one of {sorted(PRESETS)}.")
        return cls(PRESETS[name], name=name)

    @property
    def num_classes(self) -> int:
        """Number of model outputs: every character plus the blank."""
        return len(self.characters) + 1

    def labels(self) -> list[str]:
        """Display label of every class index, the blank shown as ``∅``."""
        return ["∅", *self.characters]

    def case_pairs(self) -> tuple[list[int], list[int]]:
        """Class ids ``(upper, lower)`` of every letter present in both cases (for caseless
        training labels); empty lists for a single-case charset."""
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        pairs = [
            (index[ch.upper()], index[ch])
            for ch in self.characters
            if ch.islower() and ch.upper() in index and ch.upper() != ch
        ]
        return [u for u, _ in pairs], [lo for _, lo in pairs]

    def unknown_characters(self, text: str) -> set[str]:
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        return {ch for ch in text if ch not in index}

    def can_encode(self, text: str) -> bool:
        return bool(text) and not self.unknown_characters(text)

    def encode(self, text: str) -> list[int]:
        """Class indices of ``text`` (1-based). Raises CharsetError for unknown characters."""
        unknown = self.unknown_characters(text)
        if unknown:
            raise CharsetError(
                f"Label {text!r} has characters outside charset {self.name!r}: {sorted(unknown)!r}."
            )
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        return [index[ch] for ch in text]

    def decode(self, indices: Iterable[int]) -> str:
        """Text of class indices, skipping blanks. No repeat merging: that is the decoder's job."""
        chars = self.characters
        return "".join(chars[i - 1] for i in indices if 0 < int(i) <= len(chars))

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "characters": self.characters, "blank_index": BLANK_INDEX}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Charset:
        if data.get("blank_index", BLANK_INDEX) != BLANK_INDEX:
            raise CharsetError("Only blank_index 0 is supported.")
        chars = data.get("characters")
        if not isinstance(chars, str):
            raise CharsetError("Charset file must have a 'characters' string.")
        return cls(chars, name=str(data.get("name", "custom")))

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2), "utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Charset:
        try:
            data = json.loads(Path(path).read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise CharsetError(f"Cannot read charset file {path}: {exc}") from exc
        return cls.from_dict(data)

    def filter_encodable(self, texts: Sequence[str]) -> tuple[list[int], int]:
        """Indices of texts the charset can encode, and how many were skipped."""
        keep = [i for i, t in enumerate(texts) if self.can_encode(t)]
        return keep, len(texts) - len(keep)
