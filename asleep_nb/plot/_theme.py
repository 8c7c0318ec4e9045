"""The dark variant of a drawn figure: neutral colours mirrored in lightness, stage colours kept.

Every figure function draws light ink on white (:data:`~asleep_nb.plot._style.RC_PARAMS`).
:func:`to_dark` turns a figure already drawn into its variant for a dark page,
in place: each neutral colour (grey, black, white: see
:data:`asleep_nb.definitions.theme.NEUTRAL_TOLERANCE`) of text, lines,
patches, hatches and collections becomes its mirror in lightness (black ink
near-white, a light grey band dark grey), while coloured artists (the stage
colours) keep their defined values. Saved with ``transparent=True`` the
figure then sits on the page's own background.

Examples
--------
>>> from matplotlib.figure import Figure
>>> fig = Figure()
>>> ax = fig.subplots()
>>> line = ax.plot([0, 1], color="black", marker="v")[0]
>>> bar = ax.bar([0], [1], color="#D55E00")[0]
>>> _ = to_dark(fig)
>>> from matplotlib.colors import to_hex
>>> line.get_color(), line.get_markerfacecolor(), to_hex(bar.get_facecolor())
('#ffffff', '#ffffff', '#d55e00')
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import Collection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from asleep_nb.definitions import STAGES
from asleep_nb.definitions.theme import NEUTRAL_TOLERANCE

__all__ = ["mirror_neutral", "to_dark"]

#: Colours kept as defined even when neutral: the stage colours (no signal is a grey).
_KEPT = frozenset(to_hex(stage.color) for stage in STAGES.values())


def mirror_neutral(color: Any) -> Any:
    """``color`` with its lightness mirrored when it is neutral (a grey); other colours as given.

    Examples
    --------
    >>> mirror_neutral("#333333"), mirror_neutral("#E69F00"), mirror_neutral("none")
    ('#cccccc', '#E69F00', 'none')
    >>> from asleep_nb.definitions import STAGES
    >>> mirror_neutral(STAGES[-1].color) == STAGES[-1].color  # no signal keeps its grey
    True
    """
    if color is None or (isinstance(color, str) and color.lower() in ("none", "auto")):
        return color
    r, g, b, a = to_rgba(color)
    if max(r, g, b) - min(r, g, b) > NEUTRAL_TOLERANCE or to_hex((r, g, b)) in _KEPT:
        return color
    mirrored = (1.0 - r, 1.0 - g, 1.0 - b, a)
    return to_hex(mirrored, keep_alpha=a < 1.0)


def _mirror_array(colors: Any) -> Any:
    out = np.array(colors, dtype=float, copy=True).reshape(-1, 4)
    neutral = (out[:, :3].max(axis=1) - out[:, :3].min(axis=1)) <= NEUTRAL_TOLERANCE
    neutral &= np.array([to_hex(tuple(rgb)) not in _KEPT for rgb in out[:, :3]], dtype=bool)
    out[neutral, :3] = 1.0 - out[neutral, :3]
    return out


def _recolor(artist: Artist) -> None:
    if isinstance(artist, Text):
        artist.set_color(mirror_neutral(artist.get_color()))
    elif isinstance(artist, Line2D):  # read all three first: marker colours may follow the line's
        line, face, edge = artist.get_color(), artist.get_markerfacecolor(), artist.get_markeredgecolor()
        artist.set_color(mirror_neutral(line))
        artist.set_markerfacecolor(mirror_neutral(face))
        artist.set_markeredgecolor(mirror_neutral(edge))
    elif isinstance(artist, Patch | Collection):
        shape: Any = artist  # matplotlib's stubs type colours narrowly; ours are RGBA arrays
        if isinstance(artist, Patch):
            artist.set_facecolor(mirror_neutral(artist.get_facecolor()))
            artist.set_edgecolor(mirror_neutral(artist.get_edgecolor()))
        else:
            if len(shape.get_facecolor()):
                shape.set_facecolor(_mirror_array(shape.get_facecolor()))
            if len(shape.get_edgecolor()):
                shape.set_edgecolor(_mirror_array(shape.get_edgecolor()))
        if hasattr(shape, "get_hatchcolor") and shape.get_hatch():
            hatch = shape.get_hatchcolor()
            shape.set_hatchcolor(_mirror_array(hatch) if np.ndim(hatch) > 1 else mirror_neutral(hatch))


def to_dark(fig: Any) -> Any:
    """Recolour a drawn figure for a dark page, in place (see the module docstring); return it.

    Draw (or save) the figure once before, so that its tick labels exist;
    save it afterwards with ``transparent=True``.
    """
    seen: set[int] = set()
    for artist in fig.findobj(include_self=False):
        if id(artist) in seen or artist is fig.patch:
            continue
        seen.add(id(artist))
        _recolor(artist)
    for ax in fig.get_axes():  # ticks made after this (a redraw) copy these settings
        for axis in ("x", "y"):
            labels = getattr(ax, f"get_{axis}ticklabels")()
            if labels:
                ax.tick_params(axis=axis, labelcolor=labels[0].get_color())
    return fig
