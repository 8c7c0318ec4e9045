"""One metric per group of a cohort: users as points, group means with their intervals.

The numbers are :func:`asleep_nb.stats.compare_groups`'; this module draws
them, in the metric's display unit and precision
(:mod:`asleep_nb.definitions.display`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, MaxNLocator

from asleep_nb.definitions.display import (
    axis_label,
    display_unit,
    display_value,
    format_clock_hours,
    format_estimate,
    split_difference_label,
)
from asleep_nb.plot._groups import group_counts, group_ticks
from asleep_nb.plot._style import LEGEND_ABOVE, RC_PARAMS, get_axes, style
from asleep_nb.stats.study.bootstrap import DEFAULT_N_BOOT
from asleep_nb.stats.study.groups import GROUP, compare_groups, metric_values, stats_frame, user_means

__all__ = ["metric"]


def metric(
    stats: pd.DataFrame | xr.Dataset,
    name: str,
    by: str = "group",
    ax: Axes | None = None,
    *,
    groups: Sequence[str] | None = None,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    title: str | None = None,
) -> Axes:
    """One stat per group: each user's mean as a point, group mean with a bootstrap 95 % CI.

    Nights are averaged within users first; points are jittered horizontally
    (deterministically, from ``seed``). The black marker and bar are the
    mean of user means and its percentile-bootstrap 95 % confidence interval
    (users resampled within groups; numbers from :func:`compare_groups`).
    Each group's tick label gives its own numbers of users and nights.
    Differences against the reference group, always other minus reference
    (the reference is the first group; with two groups the second minus the
    first), labelled ``"<other> - <reference>"`` as in
    :func:`compare_groups` and Table 1, are written above the plot with their
    95 % CI, in the
    metric's difference unit and precision (ratios in percentage points,
    ``"pp"``), as :func:`asleep_nb.definitions.display.format_estimate`
    writes them in every table.
    Values are shown in the metric's display unit and precision
    (:mod:`asleep_nb.definitions.display`: the night's totals in hours,
    other durations in minutes, ratios in percent and their differences in
    percentage points, stat times as local clock time), as in every table.

    Parameters
    ----------
    stats
        A :func:`asleep_nb.stats_table` DataFrame, or a cohort Dataset that
        holds ``name`` along ``session``.
    name
        The stat to show, e.g. ``"time_in_sleep"``.
    by
        Per-session column / coordinate defining the groups.
    ax
        Axes to draw on; new figure when ``None``.
    groups, n_boot, seed
        As for :func:`compare_groups`.
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import asleep_nb, asleep_nb.plot as ap
    >>> ax = ap.metric(asleep_nb.stats_table(cohort), "sleep_efficiency")
    """
    table = compare_groups(stats, name, by=by, groups=groups, n_boot=n_boot, seed=seed)
    frame = stats_frame(stats, name, by)  # the same frame compare_groups used
    frame["value"] = metric_values(frame, name)
    per_user = user_means(frame)
    order = [g for g in table.index if g in set(per_user[GROUP])]
    differences = _difference_lines(table, order, name)
    is_clock = display_unit(name) == "local clock time"
    rng = np.random.default_rng(seed)

    with style():
        # wide enough for each group's counts, and (plain figures) for clock tick labels
        ax = get_axes(ax, (max(4.0, 1.2 * len(order) + 1.8) + (0.6 if is_clock else 0.0), 3.4))
        pos = {g: i for i, g in enumerate(order)}
        xs = per_user[GROUP].map(pos).to_numpy(dtype=float) + rng.uniform(-0.16, 0.16, len(per_user))
        user_values = display_value(name, per_user["mean"].to_numpy())
        ax.scatter(xs, user_values, s=14, color="#777777", alpha=0.75, linewidths=0, zorder=2,
                   label="User mean", gid="users")  # fmt: skip
        # reindex, never .loc[list]: a list of boolean labels (by="two_stage") would be read as a mask
        rows = table.reindex(pd.Index(order, dtype=object))
        means, low, high = (display_value(name, rows[c].to_numpy()) for c in ("mean", "ci_low", "ci_high"))
        err = np.vstack([means - low, high - means])
        ax.errorbar(np.arange(len(order)) + 0.3, means, yerr=np.nan_to_num(err), fmt="o", color="black",
                    ms=5, capsize=3, lw=1.2, zorder=3, label="Group mean, 95% CI", gid="groups")  # fmt: skip
        # each group's own numbers of users and nights (never a difference row's totals)
        group_ticks(
            ax, order, [group_counts(u, n) for u, n in zip(rows["n_users"], rows["n_nights"], strict=True)]
        )
        ax.set_xlim(-0.5, len(order) - 0.3)
        # no x label: the tick labels name the groups (and a label would not fit plain figures)
        ax.set_ylabel(axis_label(name))
        if is_clock:  # clock hours: ticks on whole hours, half or quarter hours
            ax.yaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 3, 6, 10]))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: format_clock_hours(v)))
        ax.grid(axis="y", color="#E5E5E5", lw=0.6)
        ax.set_axisbelow(True)
        ax.legend(**LEGEND_ABOVE, ncol=2)
        # the difference is the panel's result: written as large as the axis labels, never below the ticks
        size = RC_PARAMS["axes.labelsize"]
        if differences:
            ax.annotate("\n".join(differences), (0.0, 1.0), xycoords="axes fraction", xytext=(0, 16),
                        textcoords="offset points", ha="left", va="bottom", fontsize=size, color="#333333",
                        gid="difference")  # fmt: skip
        if title:
            ax.set_title(title, pad=16 + 4 + 1.25 * size * max(len(differences), 1))
    return ax


def _difference_lines(table: pd.DataFrame, order: Sequence[object], name: str) -> list[str]:
    """One line per difference row of ``table`` between drawn groups: ``"b - a: +3.2 pp [95% CI 1.1, 5.4]"``.

    The estimate and its interval are in the metric's difference unit and
    precision (:func:`asleep_nb.definitions.display.format_estimate`); ratios
    differ in percentage points.
    """
    drawn = {str(g) for g in order}
    reference = str(table.attrs.get("reference", order[0] if order else ""))
    lines = []
    for label, row in table.iterrows():
        if label in order:
            continue
        pair = split_difference_label(label)
        if pair is None or pair[1] != reference or pair[0] not in drawn or pair[1] not in drawn:
            continue
        estimate = format_estimate(name, row["mean"], row["ci_low"], row["ci_high"], difference=True)
        lines.append(f"{label}: {estimate}")
    return lines
