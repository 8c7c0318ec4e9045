"""Stacked bars of the share of each stage per group of a cohort."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.ticker import PercentFormatter

from asleep_nb.data.table import session_labels
from asleep_nb.definitions import PAD, SleepStage, research_sleep_period
from asleep_nb.plot._data import check_cohort, four_stage_only, is_two_stage, start_aligned
from asleep_nb.plot._groups import group_counts, group_order, group_ticks, stack_codes, stack_legend
from asleep_nb.plot._style import (
    LEGEND_ABOVE,
    STAGE_COLORS,
    TITLE_PAD_OVER_LEGEND,
    format_share,
    get_axes,
    stage_gid,
    style,
)
from asleep_nb.stats.sample import group_sizes

__all__ = ["stage_distribution"]

#: Column of the per-session frame holding the group label.
_GROUP = "group"


def stage_distribution(
    cohort: xr.Dataset,
    ax: Axes | None = None,
    by: str = "group",
    *,
    within: Literal["sleep_period", "night"] = "sleep_period",
    title: str | None = None,
) -> Axes:
    """Stacked bars of the share of each stage per group.

    Shares are computed per night, averaged over each user's nights, then
    over the users of a group (users are the unit, as in :func:`metric`; a
    cohort without ``user_id`` averages nights). Error epochs are a share of
    their own (grey, "No signal") so bars add up to 100 %. Shares of at
    least 5 % are written in their bar, with the precision of a ratio in the
    tables (:func:`asleep_nb.plot._style.format_share`: ``57.9%``). Each
    group's tick label says its numbers of users and nights. Two-stage
    sessions are left out (with a warning) unless every session is two-stage.

    Parameters
    ----------
    cohort
        A cohort from :func:`asleep_nb.to_cohort` (any alignment).
    ax
        Axes to draw on; new figure when ``None``.
    by
        Per-session coordinate to group by.
    within
        ``"sleep_period"`` (default): epochs from sleep onset to the final
        awakening by the research rule (first to last epoch scored as sleep,
        :func:`asleep_nb.definitions.research_sleep_period`), like the API's
        ratios. ``"night"``: every epoch of the recording.
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import asleep_nb.plot as ap
    >>> ax = ap.stage_distribution(cohort, by="group")
    """
    if within not in ("sleep_period", "night"):
        raise ValueError(f"within must be 'sleep_period' or 'night', got {within!r}")
    cohort = four_stage_only(check_cohort(cohort), "stage_distribution")
    labels = session_labels(cohort, by)
    stages, _ = start_aligned(cohort)
    keep = stages != PAD
    if within == "sleep_period":
        period = research_sleep_period(stages)
        col = np.arange(stages.shape[1])[None, :]
        keep &= (col >= period.onset[:, None]) & (col <= period.last[:, None])
    two = is_two_stage(cohort)
    codes, names = stack_codes(two)
    total = keep.sum(axis=1)
    shares = {c: ((stages == c) & keep).sum(axis=1) / np.where(total > 0, total, np.nan) for c in codes}
    frame = pd.DataFrame({_GROUP: labels, **{str(c): v for c, v in shares.items()}})
    frame["user_id"] = (
        session_labels(cohort, "user_id") if "user_id" in cohort.variables else np.arange(len(frame))
    )
    frame = frame[total > 0]
    per_user = frame.groupby([_GROUP, "user_id"], sort=False).mean()
    per_group = per_user.groupby(level=0).mean()
    sizes = group_sizes(frame["user_id"].to_numpy(), frame[_GROUP].to_numpy()).to_dict("index")
    order = [g for g in group_order(labels) if g in per_group.index]
    per_group = per_group.loc[order] * 100

    with style():
        ax = get_axes(ax, (max(3.2, 1.1 * len(order) + 2.2), 3.6))
        x = np.arange(len(order))
        bottom = np.zeros(len(order))
        for c in codes:
            height = per_group[str(c)].to_numpy()
            ax.bar(x, height, bottom=bottom, width=0.62, color=STAGE_COLORS[c], edgecolor="white",
                   linewidth=0.5, label=names[c], gid=stage_gid(c, two))  # fmt: skip
            for xi, b, h in zip(x, bottom, height, strict=True):
                if h >= 5:
                    ink = "white" if c in (SleepStage.DEEP, SleepStage.REM) else "black"
                    ax.text(float(xi), b + h / 2, format_share(h / 100), ha="center", va="center",
                            fontsize=7, color=ink, gid="share")  # fmt: skip
            bottom += height
        group_ticks(ax, order, [group_counts(sizes[g]["n_users"], sizes[g]["n_nights"]) for g in order])
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        span = "sleep period" if within == "sleep_period" else "recording"
        ax.set_ylabel(f"Share of {span} (%)")
        # no x label: the tick labels name the groups (and a label would not fit plain figures)
        stack_legend(ax, codes, names, **LEGEND_ABOVE, ncol=len(codes))
        if title:
            ax.set_title(title, pad=TITLE_PAD_OVER_LEGEND)
    return ax
