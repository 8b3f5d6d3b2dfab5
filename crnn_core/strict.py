"""Strict loading of the JSON configs: an unknown key is an error, never silently dropped.

A typo such as ``{"lstm_unit": 96}`` used to train the default model without a word; now it
names the bad key and lists the known ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["ConfigError", "known_fields"]


class ConfigError(ValueError):
    """A config file or override has keys the dataclass does not know (the message lists them)."""


def known_fields(cls: type, data: Mapping[str, Any], where: str = "") -> dict[str, Any]:
    """``data`` as a dict after checking every key is a field of dataclass ``cls``."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        source = f" in {where}" if where else ""
        raise ConfigError(
            f"Unknown {cls.__name__} key(s) {unknown}{source}; known keys: {sorted(names)}."
        )
    return dict(data)
