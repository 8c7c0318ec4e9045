"""Palette, stage order and the matplotlib style shared by every figure.

Stage colours and labels come from :data:`asleep_nb.definitions.STAGES`
(one colour per stage from the Okabe-Ito palette, safe for the common
colour-vision deficiencies: wake orange, REM vermillion, light sky blue,
deep blue, no signal grey); this module only arranges them for figures.

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
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

from asleep_nb.definitions import SNORING_COLOR as DEFINED_SNORING_COLOR
from asleep_nb.definitions import STAGES, SleepStage
from asleep_nb.definitions.display import format_value

__all__ = [
    "STAGE_COLORS",
    "STAGE_LABELS",
    "TWO_STAGE_LABELS",
    "HYPNOGRAM_ORDER",
    "TWO_STAGE_ORDER",
    "CODE_ORDER",
    "STACK_ORDER",
    "SNORING_COLOR",
    "ERROR_COLOR",
    "RC_PARAMS",
    "LEGEND_ABOVE",
    "TITLE_PAD_OVER_LEGEND",
    "FULL_WIDTH",
    "FEW_NIGHTS_HATCH",
    "format_share",
    "width_inches",
    "text_width",
    "style",
    "style_axes",
    "get_axes",
    "get_figure",
    "stage_labels",
    "stage_gid",
]

#: Colour of each stage code (Okabe-Ito). ``-1`` is no signal.
STAGE_COLORS: dict[int, str] = {code: stage.color for code, stage in STAGES.items()}
#: Label of each stage code (four-stage contract).
STAGE_LABELS: dict[int, str] = {code: stage.label for code, stage in STAGES.items()}
#: Label of each stage code on a two-stage night (code 1 means "sleep").
TWO_STAGE_LABELS: dict[int, str] = {
    code: stage.two_stage_label for code, stage in STAGES.items() if stage.two_stage_label is not None
}
#: Hypnogram rows from top to bottom (four-stage nights).
HYPNOGRAM_ORDER: tuple[int, ...] = (0, 3, 1, 2)
#: Hypnogram rows from top to bottom (two-stage nights).
TWO_STAGE_ORDER: tuple[int, ...] = (0, 1)
#: Stage codes in code order (legends, transition matrices).
CODE_ORDER: tuple[int, ...] = (0, 1, 2, 3)
#: Stacks from bottom to top (stage distribution, hypnodensity): deep sleep
#: at the bottom, wake and no signal on top, like a hypnogram upside down.
STACK_ORDER: tuple[int, ...] = (2, 1, 3, 0, -1)
#: Colour of snoring epochs (Okabe-Ito bluish green).
SNORING_COLOR: str = DEFINED_SNORING_COLOR
#: Colour of no-signal shading.
ERROR_COLOR: str = STAGE_COLORS[SleepStage.ERROR]

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
#: Width (inches) of a figure meant to fill a report page or a notebook cell,
#: as wide as the report's rows of metric figures.
FULL_WIDTH: float = 12.0
#: How a figure marks what rests on too few nights: a white veil and grey hatching.
FEW_NIGHTS_HATCH: dict[str, Any] = {
    "facecolor": (1.0, 1.0, 1.0, 0.5),
    "edgecolor": "none",
    "hatch": "////",
    "hatchcolor": "#666666",
    "linewidth": 0,
}
#: A stage share and a transition probability are ratios: shown as the
#: definitions show the stage ratios (percent, with their precision).
_SHARE_FIELD = "light_ratio"


def format_share(fraction: float) -> str:
    """A share in [0, 1] as text: percent with the precision of a ratio in the definitions.

    Every share in a figure (stage shares, transition probabilities) has
    this one format, whatever its value, as the tables show ratios.

    Examples
    --------
    >>> format_share(0.0), format_share(0.0072), format_share(0.92), format_share(float("nan"))
    ('0.0%', '0.7%', '92.0%', '–')
    """
    return format_value(_SHARE_FIELD, fraction)


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
    params: dict[Any, Any] = dict(RC_PARAMS)
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


def text_width(text: str, points: float) -> float:
    """Width (inches) of one line of ``text`` at ``points`` in the current font (no renderer needed).

    Examples
    --------
    >>> text_width("", 9), 0.4 < text_width("Nights", 9) < 0.5
    (0.0, True)
    """
    width, _height, _descent = TextToPath().get_text_width_height_descent(
        text, FontProperties(size=points), ismath=False
    )
    return float(width) / 72


def width_inches(ax: Axes, *, square: bool = False) -> float:
    """Width of ``ax`` in inches as laid out now (``square``: its smaller side, for an equal-aspect image).

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> round(width_inches(plt.figure(figsize=(4, 3)).add_axes((0, 0, 0.5, 1))), 2)
    2.0
    """
    figure = ax.get_figure(root=True)
    dpi = figure.dpi if figure is not None else 72.0
    box = ax.get_window_extent()
    return float(min(box.width, box.height) if square else box.width) / dpi


def stage_labels(two_stage: bool) -> dict[int, str]:
    """Display label of each stage code: :data:`TWO_STAGE_LABELS` or :data:`STAGE_LABELS`."""
    return TWO_STAGE_LABELS if two_stage else STAGE_LABELS


def stage_gid(code: int, two_stage: bool = False) -> str:
    """The ``gid`` of the artist drawing a stage: ``"stage_"`` + its name (``"stage_sleep"`` two-stage).

    Examples
    --------
    >>> stage_gid(-1), stage_gid(3), stage_gid(1, two_stage=True)
    ('stage_error', 'stage_rem', 'stage_sleep')
    """
    name = "sleep" if two_stage and code == SleepStage.LIGHT else STAGES[code].name
    return f"stage_{name}"
