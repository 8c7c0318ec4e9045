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
    "LEGEND_ABOVE",
    "TITLE_PAD_OVER_LEGEND",
    "style",
    "style_axes",
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
    # compact ticks and label pads: the labels fit matplotlib's default
    # figure margins, so plain (not constrained-layout) figures stay complete
    "xtick.major.size": 2.5,
    "ytick.major.size": 2.5,
    "xtick.major.pad": 2.5,
    "ytick.major.pad": 2.5,
    "axes.labelpad": 2.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "font.size": 9,
    "hatch.color": "#888888",
    "hatch.linewidth": 0.6,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
}

#: Where every single-axes figure puts its legend: one row just above the
#: axes, left-aligned, inside the figure's default top margin, so it is never
#: clipped by a plain (not constrained-layout) figure nor hides data.
LEGEND_ABOVE: dict[str, Any] = {
    "loc": "lower left",
    "bbox_to_anchor": (0.0, 1.0),
    "borderaxespad": 0.2,
    "handlelength": 1.2,
    "handletextpad": 0.4,
    "columnspacing": 1.0,
}
#: Title pad (points) that lifts an axes title over a :data:`LEGEND_ABOVE` legend.
TITLE_PAD_OVER_LEGEND: float = 18.0


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


def style_axes(ax: Axes) -> Axes:
    """Apply the axes-level part of :data:`RC_PARAMS` to an existing axes.

    ``rc_context`` only reaches artists created inside it, while a user's
    axes already has its spines and axis labels, and its tick labels are
    created at draw time (outside the context). This sets them explicitly,
    so a figure looks (and fits) the same on a caller's plain axes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = style_axes(plt.figure().add_subplot())
    >>> ax.spines["top"].get_visible(), ax.yaxis.label.get_fontsize()
    (False, 9.0)
    """
    for side in ("top", "right"):
        ax.spines[side].set_visible(RC_PARAMS[f"axes.spines.{side}"])
    for name in ("x", "y"):
        ax.tick_params(
            axis=name,
            which="major",
            labelsize=RC_PARAMS[f"{name}tick.labelsize"],
            length=RC_PARAMS[f"{name}tick.major.size"],
            pad=RC_PARAMS[f"{name}tick.major.pad"],
        )
        label = getattr(ax, f"{name}axis").label
        label.set_fontsize(RC_PARAMS["axes.labelsize"])
        getattr(ax, f"{name}axis").labelpad = RC_PARAMS["axes.labelpad"]
    return ax


def get_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """Return ``ax`` (styled with :func:`style_axes`), or a new axes on a new pyplot figure."""
    if ax is not None:
        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes, not {type(ax).__name__}")
        return style_axes(ax)
    _, new = plt.subplots(figsize=figsize, layout="constrained")
    return style_axes(new)


def get_figure(fig: FigureBase | None, figsize: tuple[float, float]) -> FigureBase:
    """Return ``fig`` (a Figure or SubFigure), or a new constrained-layout pyplot figure."""
    if fig is not None:
        if not isinstance(fig, FigureBase):
            raise TypeError(f"fig must be a matplotlib Figure, not {type(fig).__name__}")
        return fig
    return plt.figure(figsize=figsize, layout="constrained")
