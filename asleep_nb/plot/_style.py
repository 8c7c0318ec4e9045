"""Palette, stage order and the matplotlib style shared by every figure.

One colour per stage, taken from the Okabe-Ito palette (safe for the common
colour-vision deficiencies), used by every figure of :mod:`asleep_nb.plot`:
wake orange, REM vermillion, light sky blue, deep blue, error grey.

Styling is applied with :func:`style`, a ``plt.rc_context`` wrapper, so no
figure function ever changes the global ``matplotlib.rcParams``.

Examples
--------
>>> from asleep_nb.plot._style import STAGE_COLORS, STAGE_LABELS
>>> STAGE_LABELS[3], STAGE_COLORS[3]
('REM', '#D55E00')
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import FigureBase

__all__ = [
    "STAGE_COLORS",
    "STAGE_LABELS",
    "HYPNOGRAM_ORDER",
    "TWO_STAGE_ORDER",
    "CODE_ORDER",
    "STACK_ORDER",
    "SNORING_COLOR",
    "ERROR_COLOR",
    "RC_PARAMS",
    "style",
    "get_axes",
]

#: Colour of each stage code (Okabe-Ito). ``-1`` is the error code.
STAGE_COLORS: dict[int, str] = {
    -1: "#BBBBBB",
    0: "#E69F00",
    1: "#56B4E9",
    2: "#0072B2",
    3: "#D55E00",
}
#: Label of each stage code (four-stage contract).
STAGE_LABELS: dict[int, str] = {-1: "Error", 0: "Wake", 1: "Light", 2: "Deep", 3: "REM"}
#: Label of each stage code on a two-stage night (code 1 means "sleep").
TWO_STAGE_LABELS: dict[int, str] = {-1: "Error", 0: "Wake", 1: "Sleep"}
#: Hypnogram rows from top to bottom (four-stage nights).
HYPNOGRAM_ORDER: tuple[int, ...] = (0, 3, 1, 2)
#: Hypnogram rows from top to bottom (two-stage nights).
TWO_STAGE_ORDER: tuple[int, ...] = (0, 1)
#: Stage codes in code order (legends, transition matrices).
CODE_ORDER: tuple[int, ...] = (0, 1, 2, 3)
#: Stacks from bottom to top (stage distribution, hypnodensity): deep sleep
#: at the bottom, wake and error on top, like a hypnogram upside down.
STACK_ORDER: tuple[int, ...] = (2, 1, 3, 0, -1)
#: Colour of snoring epochs (Okabe-Ito bluish green).
SNORING_COLOR: str = "#009E73"
#: Colour of error / no-signal shading.
ERROR_COLOR: str = STAGE_COLORS[-1]

#: The rc parameters every figure is drawn with.
RC_PARAMS: dict[str, Any] = {
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "font.size": 9,
    "hatch.color": "#888888",
    "hatch.linewidth": 0.6,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}


@contextlib.contextmanager
def style(extra: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Context manager applying :data:`RC_PARAMS` (plus ``extra``) temporarily.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> before = dict(mpl.rcParams)
    >>> with style():
    ...     pass
    >>> dict(mpl.rcParams) == before
    True
    """
    params = dict(RC_PARAMS)
    if extra:
        params.update(extra)
    with plt.rc_context(params):
        yield


def get_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax``, or a new axes on a new pyplot figure of ``figsize`` inches."""
    if ax is not None:
        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes, not {type(ax).__name__}")
        return ax
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return new


def get_figure(fig: FigureBase | None, figsize: tuple[float, float]) -> FigureBase:
    """Return ``fig`` (a Figure or SubFigure), or a new constrained-layout pyplot figure."""
    if fig is not None:
        if not isinstance(fig, FigureBase):
            raise TypeError(f"fig must be a matplotlib Figure, not {type(fig).__name__}")
        return fig
    return plt.figure(figsize=figsize, layout="constrained")
