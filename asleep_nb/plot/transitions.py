"""Heatmaps of stage transition probabilities (counts from :mod:`asleep_nb.stats.transitions`).

:func:`transition_matrix` draws one matrix on one axes; :func:`transition_matrices`
draws one per group side by side with a single shared colour bar, so no colour
bar label ever meets a neighbour's axis label. Every cell is written in one
format, a share's (:func:`asleep_nb.plot._style.format_share`: ``0.0%``,
``0.7%``, ``92.0%``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import FigureBase
from matplotlib.image import AxesImage

from asleep_nb.data.table import session_labels
from asleep_nb.plot._data import check_cohort, four_stage_only, is_two_stage
from asleep_nb.plot._groups import group_counts, group_order, group_title
from asleep_nb.plot._style import (
    CODE_ORDER,
    FULL_WIDTH,
    format_share,
    get_axes,
    get_figure,
    stage_labels,
    style,
    style_axes,
    width_inches,
)
from asleep_nb.stats.sample import group_sizes
from asleep_nb.stats.transitions import transition_counts

__all__ = ["transition_matrix", "transition_matrices"]

Within = Literal["sleep_period", "night"]

#: Colour-bar label; the cells carry the same numbers in :func:`format_share`'s format.
_BAR_LABEL = "Transition probability (%)"
#: Font size of each group's title (points).
_TITLE_POINTS = 9.0
#: Cells above this probability (percent) are written in white.
_DARK = 60.0


def _pooled_matrix(data: xr.Dataset, within: Within) -> tuple[np.ndarray, bool]:
    if "session" in data.dims:
        data = four_stage_only(check_cohort(data), "transition_matrix")
    pooled = transition_counts(data, within=within)
    if "session" in pooled.dims:
        pooled = pooled.sum("session")
    counts = np.asarray(pooled.values, dtype=float)
    two = is_two_stage(data)
    if two:
        counts = counts[:2, :2]
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / totals, np.nan), two


def _given_matrix(matrix: xr.DataArray | pd.DataFrame | np.ndarray) -> tuple[np.ndarray, bool]:
    probs = np.asarray(matrix.values if hasattr(matrix, "values") else matrix, dtype=float)
    if probs.shape not in ((4, 4), (2, 2)):
        raise ValueError(f"a transition matrix must be 4 x 4 (or 2 x 2), got shape {probs.shape}")
    if np.nanmin(probs) < 0 or np.nanmax(probs) > 1:
        raise ValueError("transition probabilities must lie in [0, 1]")
    return probs, probs.shape == (2, 2)


def _draw_matrix(ax: Axes, probs: np.ndarray, two: bool, *, from_label: bool = True) -> AxesImage:
    """The heatmap with one label per cell; stage names on both axes."""
    labels = stage_labels(two)
    names = [labels[c] for c in (CODE_ORDER[:2] if two else CODE_ORDER)]
    k = len(names)
    image = ax.imshow(probs * 100, cmap="Blues", vmin=0, vmax=100)
    for i in range(k):
        for j in range(k):
            p = probs[i, j]
            dark = bool(np.isfinite(p) and p * 100 > _DARK)
            ax.text(j, i, format_share(p), ha="center", va="center", fontsize=8,
                    color="white" if dark else "black", gid="cell")  # fmt: skip
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names if from_label else [])
    ax.set_xlabel("To stage (next 30-s epoch)")
    if from_label:
        ax.set_ylabel("From stage")
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return image


def _colorbar(image: AxesImage, axes: Axes | list[Axes], **kw: Any) -> None:
    figure = (axes[0] if isinstance(axes, list) else axes).figure
    bar = figure.colorbar(image, ax=axes, **kw)
    bar.set_label(_BAR_LABEL)
    bar.outline.set_visible(False)
    bar.ax.set_gid("colorbar")


def transition_matrix(
    cohort_or_matrix: xr.Dataset | xr.DataArray | pd.DataFrame | np.ndarray,
    ax: Axes | None = None,
    *,
    within: Within = "sleep_period",
    title: str | None = None,
    colorbar: bool = True,
) -> Axes:
    """Heatmap of stage transition probabilities, every cell in percent with one format.

    Parameters
    ----------
    cohort_or_matrix
        A night or a cohort (transitions are counted with
        :func:`asleep_nb.stats.transition_counts`, pooled over all
        sessions, then row-normalised), or a ready 4 x 4 (or 2 x 2, two-stage)
        matrix of probabilities, rows "from", columns "to", in code order
        wake, light, deep, REM.
    ax
        Axes to draw on; new figure when ``None``.
    within
        ``"sleep_period"`` (default) or ``"night"``; see ``transition_counts``.
    title
        Axes title.
    colorbar
        Draw a colour bar to the right of the matrix. To set several
        matrices side by side, use :func:`transition_matrices` (one shared
        colour bar), or pass ``colorbar=False``: the cells carry the numbers.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, asleep_nb.plot as ap
    >>> ax = ap.transition_matrix(np.array([[.9, .1], [.05, .95]]))
    >>> [t.get_text() for t in ax.get_yticklabels()], [t.get_text() for t in ax.texts]
    (['Wake', 'Sleep'], ['90.0%', '10.0%', '5.0%', '95.0%'])
    """
    if isinstance(cohort_or_matrix, xr.Dataset):
        probs, two = _pooled_matrix(cohort_or_matrix, within)
    else:
        probs, two = _given_matrix(cohort_or_matrix)
    with style():
        ax = get_axes(ax, (4.5, 3.4))
        image = _draw_matrix(ax, probs, two)
        if colorbar:
            _colorbar(image, ax, shrink=0.9)
        if title:
            ax.set_title(title)
    return ax


def transition_matrices(
    cohort: xr.Dataset,
    by: str = "group",
    fig: FigureBase | None = None,
    *,
    groups: Sequence[Any] | None = None,
    within: Within = "sleep_period",
) -> FigureBase:
    """One transition matrix per group, side by side, with one shared colour bar.

    Transitions are counted within each group's sessions and pooled, as
    :func:`transition_matrix` does for a whole cohort. Stage names label the
    rows of the first matrix only (the rows are the same in every matrix),
    and the one colour bar sits right of the last, so labels never touch.

    Parameters
    ----------
    cohort
        A cohort from :func:`asleep_nb.to_cohort`.
    by
        Per-session coordinate defining the groups.
    fig
        Figure (or SubFigure) to draw into; when ``None``, a new
        constrained-layout figure about 3.1 in wide per group (at most
        :data:`asleep_nb.plot._style.FULL_WIDTH`).
    groups
        Groups to draw, in this order; default all, sorted.
    within
        ``"sleep_period"`` (default) or ``"night"``; see ``transition_counts``.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes``: one matrix per group (its label is the group), then
        the colour bar.

    Examples
    --------
    >>> import asleep_nb.plot as ap
    >>> fig = ap.transition_matrices(cohort, by="group")
    """
    cohort = four_stage_only(check_cohort(cohort), "transition_matrices")
    labels = session_labels(cohort, by)
    order = group_order(labels) if groups is None else list(groups)
    missing = [g for g in order if not (labels == g).any()]
    if missing:
        raise KeyError(f"no session of group(s) {missing}; groups: {group_order(labels)}")
    users = session_labels(cohort, "user_id") if "user_id" in cohort.variables else None
    sizes = group_sizes(labels if users is None else users, labels).to_dict("index")
    with style():
        fig = get_figure(fig, (min(FULL_WIDTH, 1.2 + 3.1 * len(order)), 3.6))
        axes = fig.subplots(1, len(order), squeeze=False)[0]
        images = []
        for i, (ax, g) in enumerate(zip(axes, order, strict=True)):
            style_axes(ax)
            member = np.flatnonzero(labels == g)
            probs, two = _pooled_matrix(cohort.isel(session=member), within)
            images.append(_draw_matrix(ax, probs, two, from_label=i == 0))
            n_users = sizes[g]["n_users"] if users is not None else None
            side = width_inches(ax, square=True)
            ax.set_title(group_title(g, group_counts(n_users, sizes[g]["n_nights"]), side, _TITLE_POINTS),
                         fontsize=_TITLE_POINTS)  # fmt: skip
            ax.set_label(str(g))
        _colorbar(images[-1], list(axes), shrink=0.9, fraction=0.05, pad=0.02)
    return fig
