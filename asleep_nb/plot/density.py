"""Hypnodensity: the share of a group's nights in each stage over the night, stacked.

Each group has a panel of stacked stage shares and, beneath it, a strip with
the number of nights that contribute to each time bin; bins resting on fewer
than ``min_nights`` nights are hatched, so a late tail that rests on a handful
of long nights reads as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import FigureBase
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from asleep_nb.data.table import session_labels
from asleep_nb.definitions import EPOCH_SECONDS, PAD, research_sleep_period
from asleep_nb.plot._data import check_cohort, four_stage_only, is_two_stage, start_aligned
from asleep_nb.plot._groups import count, group_order, stack_codes, stack_legend
from asleep_nb.plot._style import (
    FEW_NIGHTS_HATCH,
    FULL_WIDTH,
    RC_PARAMS,
    STAGE_COLORS,
    TITLE_PAD_OVER_LEGEND,
    get_figure,
    stage_gid,
    style,
    style_axes,
    text_width,
    width_inches,
)
from asleep_nb.plot._time import parse_clock
from asleep_nb.stats.sample import group_sizes

__all__ = ["hypnodensity", "hypnodensity_figsize"]

#: Heights (inches) of a group's stage panel and of its nights strip beneath it.
_PANEL_HEIGHT, _STRIP_HEIGHT = 1.55, 0.5
#: Height (inches) of the space between one group's strip and the next group's title.
_GROUP_GAP = 0.2
#: Font size of each group's title (points).
_TITLE_POINTS = 9.0
#: Colour of the nights-per-bin strip.
_NIGHTS_COLOR = "#9A9A9A"


def hypnodensity_figsize(n_groups: int, width: float = FULL_WIDTH) -> tuple[float, float]:
    """Default size (inches) of a :func:`hypnodensity` figure of ``n_groups`` groups.

    Full width (:data:`asleep_nb.plot._style.FULL_WIDTH`, the report's page),
    and tall enough for each group's panel, its nights strip and its title;
    pass ``plt.figure(figsize=hypnodensity_figsize(n, width))`` as ``fig`` to
    draw it narrower.

    Examples
    --------
    >>> hypnodensity_figsize(2)
    (12.0, 5.8)
    """
    return (float(width), round(0.9 + (_PANEL_HEIGHT + _STRIP_HEIGHT + _GROUP_GAP + 0.2) * n_groups, 2))


@dataclass(frozen=True)
class _Density:
    """One group's binned shares (percent, stage x bin) and nights per bin."""

    shares: np.ndarray
    nights: np.ndarray
    n_nights: int
    n_users: int | None


def _gather(stages: np.ndarray, n: np.ndarray, shift: np.ndarray, width: int) -> np.ndarray:
    """Row i of the result, column j, holds epoch ``j - shift[i]`` of session i (PAD outside)."""
    src = np.arange(width, dtype=np.int32)[None, :] - shift.astype(np.int32)[:, None]
    inside = (src >= 0) & (src < n[:, None])
    taken = np.take_along_axis(stages, np.clip(src, 0, stages.shape[1] - 1), axis=1)
    return np.where(inside, taken, np.int8(PAD))


def _clock_shift(cohort: xr.Dataset, clock_start: str) -> np.ndarray:
    """Epochs from each session's local ``clock_start`` window opening to its start."""
    origin = parse_clock(clock_start)
    start = pd.DatetimeIndex(np.asarray(cohort["start_time"].values, dtype="datetime64[ns]"))
    zones = np.asarray(cohort["timezone"].values, dtype=object)
    out = np.empty(start.size, dtype=np.int64)
    for zone in set(zones.tolist()):  # one vectorised conversion per zone
        idx = np.flatnonzero(zones == zone)
        local = start[idx].tz_localize("UTC").tz_convert(zone).tz_localize(None)
        opened = (local - origin).floor("D") + origin
        out[idx] = ((local - opened) // pd.Timedelta(seconds=EPOCH_SECONDS)).to_numpy()
    return out


def _densities(
    aligned: np.ndarray, labels: np.ndarray, users: np.ndarray | None, codes: tuple[int, ...], per_bin: int
) -> dict[Any, _Density]:
    """Shares of each stage and nights recording, per group and time bin (vectorised over sessions)."""
    n_bins = aligned.shape[1] // per_bin
    # the one rule of a group's size (users and nights), as every panel counts it
    sizes = group_sizes(labels if users is None else users, labels).to_dict("index")
    out: dict[Any, _Density] = {}
    for g in group_order(labels):  # a handful of groups; sessions are vectorised
        member = labels == g
        rows = aligned[member].reshape(-1, n_bins, per_bin)
        recording = (rows != PAD).sum(axis=(0, 2))
        counts = np.stack([(rows == c).sum(axis=(0, 2)) for c in codes])
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(recording > 0, counts / recording, np.nan) * 100
        n_users = None if users is None else sizes[g]["n_users"]
        out[g] = _Density(share, (rows != PAD).any(axis=2).sum(axis=0), sizes[g]["n_nights"], n_users)
    return out


def _shown_bins(densities: dict[Any, _Density], min_nights: int, *, crop_start: bool) -> tuple[int, int]:
    """First and last bin of the time axis.

    The axis ends with the last bin where some group has ``min_nights``
    nights (with any night, when no bin has that many) and starts with the
    first bin with a night, or (``crop_start``) the first with ``min_nights``.
    """
    nights = np.stack([d.nights for d in densities.values()])
    some = np.flatnonzero((nights > 0).any(axis=0))
    enough = np.flatnonzero((nights >= max(min_nights, 1)).any(axis=0))
    if enough.size == 0:
        enough = some
    return int(enough[0] if crop_start else some[0]), int(enough[-1])


#: The legend: one row above the first panel, at its right.
_LEGEND: dict[str, Any] = {
    "loc": "lower right",
    "bbox_to_anchor": (1.0, 1.0),
    "borderaxespad": 0.2,
    "handlelength": 1.2,
    "handletextpad": 0.5,
    "columnspacing": 1.0,
}


def _lift_title_over_legend(ax: Axes) -> None:
    """Lift the first panel's title above the legend when both do not fit side by side on its top."""
    legend = ax.get_legend()
    if legend is None:
        return
    em = float(RC_PARAMS["legend.fontsize"]) / 72
    per_entry = (_LEGEND["handlelength"] + _LEGEND["handletextpad"] + _LEGEND["columnspacing"]) * em
    texts = [t.get_text() for t in legend.get_texts()]
    needed = sum(text_width(t, float(RC_PARAMS["legend.fontsize"])) + per_entry for t in texts)
    needed += text_width(ax.get_title(loc="left"), _TITLE_POINTS) + 0.3
    if needed > width_inches(ax):
        ax.set_title(ax.get_title(loc="left"), loc="left", fontsize=_TITLE_POINTS, pad=TITLE_PAD_OVER_LEGEND)


def _draw_group(
    ax: Axes, strip: Axes, density: _Density, edges: np.ndarray, codes: tuple[int, ...], two: bool,
    min_nights: int,
) -> None:  # fmt: skip
    """One group's stacked shares on ``ax``, hatched where few nights, and its nights per bin on ``strip``."""
    bottom = np.zeros(density.shares.shape[1])
    for row, c in zip(density.shares, codes, strict=True):
        top = bottom + np.nan_to_num(row)
        valid = np.isfinite(row)
        ax.stairs(np.where(valid, top, np.nan), edges, baseline=np.where(valid, bottom, np.nan),
                  fill=True, color=STAGE_COLORS[c], lw=0, gid=stage_gid(c, two))  # fmt: skip
        bottom = top
    few = (density.nights > 0) & (density.nights < min_nights)
    ax.stairs(np.where(few, 100.0, np.nan), edges, baseline=0.0, fill=True, gid="few_nights",
              **FEW_NIGHTS_HATCH)  # fmt: skip
    ax.set_ylim(0, 100)
    ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_yticks([0, 50, 100])
    ax.set_ylabel("Nights (%)")
    ax.tick_params(axis="x", labelbottom=False)
    strip.stairs(density.nights.astype(float), edges, fill=True, color=_NIGHTS_COLOR, lw=0, gid="nights")
    if 0 < min_nights <= density.n_nights:
        strip.axhline(min_nights, color="#333333", lw=0.7, ls=(0, (1, 1.5)), gid="min_nights")
    strip.set_ylim(0, density.n_nights * 1.08)
    strip.set_yticks([0, density.n_nights])
    strip.set_ylabel("Nights", rotation=0, ha="right", va="center")
    strip.tick_params(axis="x", labelbottom=False)
    strip.spines["left"].set_bounds(0, density.n_nights)


def hypnodensity(
    cohort: xr.Dataset,
    by: str = "group",
    fig: FigureBase | None = None,
    relative_to: Literal["onset", "clock"] = "onset",
    *,
    bin_minutes: int = 5,
    before_onset: float = 0.5,
    clock_start: str = "18:00",
    min_nights: int = 10,
) -> FigureBase:
    """Share of nights in each stage over time, stacked, one panel per group, nights per bin beneath.

    Each group gets a panel of stacked stage shares (the epochs of all its
    nights in each time bin, pooled) and, beneath it and sharing its time
    axis, a strip (y label ``"Nights"``) with the number of nights that
    contribute to each bin: the sessions with at least one epoch in it. Bins
    resting on fewer than ``min_nights`` nights are veiled and hatched (legend
    "Fewer than N nights"), and a dotted line marks ``min_nights`` in the
    strip. The time axis ends with the last bin where at least one group
    has ``min_nights`` nights (the last with a night, when no bin has that
    many), so one unusually long night does not stretch it. It starts with
    the first bin with a night (from onset: at most ``before_onset`` before
    it) or, on the clock, with the first bin where a group has ``min_nights``.

    Parameters
    ----------
    cohort
        A cohort (any alignment; realigned here from ``offset``/``n_epochs``).
    by
        Per-session coordinate to group by (one panel per value).
    fig
        Figure (or SubFigure) to draw into (its existing axes are left alone);
        when ``None``, a new constrained-layout figure of
        :func:`hypnodensity_figsize`: the full width of a report page.
    relative_to
        ``"onset"``: time since sleep onset by the research rule (the first
        epoch scored as sleep, :func:`asleep_nb.definitions.research_sleep_period`),
        in hours; nights that never slept are left out. ``"clock"``: local wall-clock
        time of each session's zone, from ``clock_start``.
    bin_minutes
        Width of the time bins the shares are pooled over (epochs of all
        nights of the group in the bin).
    before_onset
        Hours shown before sleep onset (``relative_to="onset"``).
    clock_start
        ``"HH:MM"`` opening the clock axis (``relative_to="clock"``).
    min_nights
        Bins where fewer than this many of a group's nights contribute are
        hatched: their shares rest on too few nights to compare (late tails
        rest on the longest nights only). ``0`` hatches nothing.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes`` holds, top to bottom, each group's panel (its label is
        the group) followed by its nights strip (label ``"<group> nights"``);
        the last axes carries the time axis.

    Raises
    ------
    ValueError
        A bad ``relative_to``, ``bin_minutes`` or ``min_nights``, or (onset)
        no night with sleep.

    Examples
    --------
    >>> import asleep_nb.plot as ap
    >>> fig = ap.hypnodensity(cohort, by="group", relative_to="onset", min_nights=10)
    >>> [ax.get_label() for ax in fig.axes]
    ['apnea', 'apnea nights', 'healthy', 'healthy nights']
    """
    if relative_to not in ("onset", "clock"):
        raise ValueError(f"relative_to must be 'onset' or 'clock', got {relative_to!r}")
    if bin_minutes * 60 % EPOCH_SECONDS or bin_minutes <= 0:
        raise ValueError(f"bin_minutes must be a positive multiple of 0.5, got {bin_minutes}")
    if min_nights < 0 or int(min_nights) != min_nights:
        raise ValueError(f"min_nights must be a whole number of nights, 0 or more, got {min_nights}")
    min_nights = int(min_nights)
    cohort = four_stage_only(check_cohort(cohort), "hypnodensity")
    labels = session_labels(cohort, by)
    users = session_labels(cohort, "user_id") if "user_id" in cohort.variables else None
    stages, n = start_aligned(cohort)
    if relative_to == "onset":
        first = research_sleep_period(stages).onset
        slept = first >= 0
        if not slept.any():
            raise ValueError("no night of the cohort contains sleep; nothing to align on onset")
        lead = round(before_onset * 3600 / EPOCH_SECONDS)
        shift = lead - first
        width = int((n - first + lead)[slept].max())
        stages, n, shift, labels = stages[slept], n[slept], shift[slept], labels[slept]
        users = None if users is None else users[slept]
        x0 = -lead * EPOCH_SECONDS / 3600
    else:
        shift = _clock_shift(cohort, clock_start)
        width = int((shift + n).max())
        x0 = 0.0
    per_bin = bin_minutes * 60 // EPOCH_SECONDS
    width = -(-width // per_bin) * per_bin
    two = is_two_stage(cohort)
    codes, names = stack_codes(two)
    densities = _densities(_gather(stages, n, shift, width), labels, users, codes, per_bin)
    edges = x0 + np.arange(width // per_bin + 1) * bin_minutes / 60
    first_bin, last_bin = _shown_bins(densities, min_nights, crop_start=relative_to == "clock")
    lo, hi = edges[first_bin], edges[last_bin + 1]

    with style():
        fig = get_figure(fig, hypnodensity_figsize(len(densities)))
        # one flat grid, rows panel, strip, spacer, ...: constrained layout keeps each strip close
        # to its panel (nested grids would pad them apart); the spacer separates the groups
        ratios = [_PANEL_HEIGHT, _STRIP_HEIGHT, _GROUP_GAP] * len(densities)
        grid = fig.add_gridspec(len(ratios) - 1, 1, height_ratios=ratios[:-1], hspace=0.15)
        axes: list[Axes] = []
        for i, (g, density) in enumerate(densities.items()):
            ax = fig.add_subplot(grid[3 * i], sharex=axes[0] if axes else None)
            strip = fig.add_subplot(grid[3 * i + 1], sharex=ax)
            for a in (ax, strip):
                style_axes(a)
            _draw_group(ax, strip, density, edges, codes, two, min_nights)
            who = f"{count(density.n_users, 'user')}, " if density.n_users is not None else ""
            ax.set_title(f"{g} ({who}{count(density.n_nights, 'night')})", fontsize=_TITLE_POINTS)
            ax.set_label(str(g))
            strip.set_label(f"{g} nights")
            if relative_to == "onset":
                for a in (ax, strip):
                    a.axvline(0, color="black", lw=0.7, ls=(0, (3, 2)), gid="onset")
            axes += [ax, strip]
        bottom = axes[-1]
        bottom.tick_params(axis="x", labelbottom=True)
        bottom.set_xlim(lo, hi)
        if relative_to == "onset":
            bottom.set_xlabel("Time since sleep onset (h)")
        else:
            origin = parse_clock(clock_start)
            zones = sorted(set(np.asarray(cohort["timezone"].values).tolist()))
            where = zones[0] if len(zones) == 1 else "each session's zone"
            bottom.set_xlabel(f"Local time ({where})")
            step = 2 if hi - lo > 8 else 1
            ticks = np.arange(np.ceil(lo / step) * step, hi + 1e-9, step)
            clock = [(origin + pd.Timedelta(hours=float(t))).components for t in ticks]
            bottom.set_xticks(ticks, [f"{c.hours:02d}:{c.minutes:02d}" for c in clock])
        fig.align_ylabels(axes)
        few = (
            [Patch(label=f"Fewer than {count(min_nights, 'night')}", **FEW_NIGHTS_HATCH)]
            if min_nights
            else []
        )
        stack_legend(axes[0], codes, names, extra=few, **_LEGEND, ncol=len(codes) + len(few))
        _lift_title_over_legend(axes[0])
    return fig
