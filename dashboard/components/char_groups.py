"""Characters in five groups (blank, digits, upper case, lower case, punctuation), one hue each.

Ninety characters cannot get ninety distinguishable colours, and a 90-entry legend is unusable.
So a character's colour says which group it belongs to (blue digits, orange capitals, green
lower case, purple punctuation, grey blank) with a different shade per character, the legend
lists the groups, and hovering a point names its character. The same order sorts the
contingency heatmap's columns, so related characters sit together there too.
"""

from __future__ import annotations

from collections.abc import Iterable

from plotly import colors as pcolors

from crnn_core.analysis.export import BLANK_DISPLAY

__all__ = ["GROUPS", "char_group", "char_order", "group_colour", "group_colours"]

GROUPS: dict[str, str] = {
    "blank": "Greys",
    "digits": "Blues",
    "upper case": "Oranges",
    "lower case": "Greens",
    "punctuation": "Purples",
}
"""Group name → plotly sequential colour scale, in display order."""


def char_group(char: str) -> str:
    """Group of a display character (``∅`` is the CTC blank)."""
    if char == BLANK_DISPLAY:
        return "blank"
    if char.isdigit():
        return "digits"
    if char.isupper():
        return "upper case"
    if char.isalpha():
        return "lower case"
    return "punctuation"


def char_order(chars: Iterable[str]) -> list[str]:
    """Distinct ``chars`` by group (as in ``GROUPS``), then by code point."""
    rank = {name: i for i, name in enumerate(GROUPS)}
    return sorted(set(chars), key=lambda c: (rank[char_group(c)], c))


def group_colours(chars: Iterable[str]) -> dict[str, str]:
    """Character → colour: its group's hue, a different shade for each character of a group
    (from light-but-visible to dark; a group of one gets the middle shade)."""
    by_group: dict[str, list[str]] = {}
    for char in char_order(chars):
        by_group.setdefault(char_group(char), []).append(char)
    colours: dict[str, str] = {}
    for group, members in by_group.items():
        n = len(members)
        points = [0.65] if n == 1 else [0.4 + 0.55 * i / (n - 1) for i in range(n)]
        shades = pcolors.sample_colorscale(GROUPS[group], points)
        colours.update(zip(members, shades, strict=True))
    return colours


def group_colour(group: str) -> str:
    """The legend colour of a group (its middle shade)."""
    return str(pcolors.sample_colorscale(GROUPS[group], [0.7])[0])
