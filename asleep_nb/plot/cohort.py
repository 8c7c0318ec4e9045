"""Cohort comparisons: stage shares, a stat per group, hypnodensity, transitions.

Groups come from any per-session coordinate (default ``"group"``). All
computations are vectorised over sessions (numpy on the padded stage
matrix, pandas ``groupby`` for per-user aggregation), so 10,000 nights draw
in about the time one does, give or take the array arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.figure import Figure, FigureBase
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from asleep_nb.data.table import session_labels
from asleep_nb.definitions import EPOCH_SECONDS, PAD, STAT_FIELDS
from asleep_nb.plot._data import check_cohort, four_stage_only, is_two_stage, onset_final, start_aligned
from asleep_nb.plot._style import (
    LEGEND_ABOVE,
    STACK_ORDER,
    STAGE_COLORS,
    STAGE_LABELS,
    TITLE_PAD_OVER_LEGEND,
    TWO_STAGE_LABELS,
    get_axes,
    get_figure,
    style,
    style_axes,
)
from asleep_nb.plot.nights import _parse_clock
from asleep_nb.stats.groups import GROUP, compare_groups, metric_values, stats_frame, user_means

__all__ = ["stage_distribution", "metric", "hypnodensity", "transition_matrix"]


def _stack_codes(two_stage: bool) -> tuple[tuple[int, ...], dict[int, str]]:
    if two_stage:
        return (1, 0, -1), TWO_STAGE_LABELS
    return STACK_ORDER, STAGE_LABELS


def _group_order(labels: np.ndarray) -> list:
    return sorted(pd.unique(labels).tolist(), key=str)


def _stack_legend(target: Axes | Figure, codes: Sequence[int], names: dict[int, str], **kw) -> None:
    handles = [Patch(color=STAGE_COLORS[c], label=names[c]) for c in reversed(codes)]
    target.legend(handles=handles, **kw)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _group_ticks(ax: Axes, order: Sequence, counts: Sequence[str], many: int = 6) -> None:
    """Group names with their counts underneath; beyond ``many`` groups, names only, slanted."""
    if len(order) <= many:
        ax.set_xticks(np.arange(len(order)), [f"{g}\n({c})" for g, c in zip(order, counts, strict=True)])
    else:
        ax.set_xticks(np.arange(len(order)), [str(g) for g in order], rotation=35, ha="right",
                      rotation_mode="anchor")  # fmt: skip


# ---------------------------------------------------------------- stage distribution
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
    their own (grey) so bars add up to 100 %. Two-stage sessions are left
    out (with a warning) unless every session is two-stage.

    Parameters
    ----------
    cohort
        A cohort from :func:`asleep_nb.to_cohort` (any alignment).
    ax
        Axes to draw on; new figure when ``None``.
    by
        Per-session coordinate to group by.
    within
        ``"sleep_period"`` (default): epochs from sleep onset (first sleep
        epoch) to final awakening (end of the last sleep epoch), like the
        API's ratios. ``"night"``: every epoch of the recording.
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import asleep_nb.plot as ap
    >>> ax = ap.stage_distribution(cohort, by="group")  # doctest: +SKIP
    """
    if within not in ("sleep_period", "night"):
        raise ValueError(f"within must be 'sleep_period' or 'night', got {within!r}")
    cohort = four_stage_only(check_cohort(cohort), "stage_distribution")
    labels = session_labels(cohort, by)
    stages, _ = start_aligned(cohort)
    keep = stages != PAD
    if within == "sleep_period":
        first, last = onset_final(stages)
        col = np.arange(stages.shape[1])[None, :]
        keep &= (col >= first[:, None]) & (col < last[:, None])
    two = is_two_stage(cohort)
    codes, names = _stack_codes(two)
    total = keep.sum(axis=1)
    shares = {c: ((stages == c) & keep).sum(axis=1) / np.where(total > 0, total, np.nan) for c in codes}
    frame = pd.DataFrame({GROUP: labels, **{str(c): v for c, v in shares.items()}})
    frame["user_id"] = (
        session_labels(cohort, "user_id") if "user_id" in cohort.variables else np.arange(len(frame))
    )
    frame = frame[total > 0]
    per_user = frame.groupby([GROUP, "user_id"], sort=False).mean()
    per_group = per_user.groupby(level=0).mean()
    n_users = per_user.groupby(level=0).size()
    n_nights = frame.groupby(GROUP).size()
    order = [g for g in _group_order(labels) if g in per_group.index]
    per_group = per_group.loc[order] * 100

    with style():
        ax = get_axes(ax, (max(3.2, 1.1 * len(order) + 2.2), 3.6))
        x = np.arange(len(order))
        bottom = np.zeros(len(order))
        for c in codes:
            height = per_group[str(c)].to_numpy()
            ax.bar(x, height, bottom=bottom, width=0.62, color=STAGE_COLORS[c], edgecolor="white",
                   linewidth=0.5, label=names[c], gid=f"stage_{names[c].lower()}")  # fmt: skip
            for xi, b, h in zip(x, bottom, height, strict=True):
                if h >= 5:
                    ink = "white" if c in (2, 3) else "black"
                    ax.text(xi, b + h / 2, f"{h:.0f}%", ha="center", va="center", fontsize=7, color=ink)
            bottom += height
        counts = [f"{_count(n_users[g], 'user')}, {_count(n_nights[g], 'night')}" for g in order]
        _group_ticks(ax, order, counts)
        ax.set_ylim(0, 100)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        period = "sleep period" if within == "sleep_period" else "recording"
        ax.set_ylabel(f"Share of {period} (%)")
        # no x label: the tick labels name the groups (and a label would not fit plain figures)
        _stack_legend(ax, codes, names, **LEGEND_ABOVE, ncol=len(codes))
        if title:
            ax.set_title(title, pad=TITLE_PAD_OVER_LEGEND)
    return ax


# ---------------------------------------------------------------- one stat per group
def _display(name: str, values: np.ndarray) -> tuple[float, str, FuncFormatter | None]:
    """Scale, axis label and optional tick formatter for a stat."""
    field = STAT_FIELDS.get(name)
    pretty = name.replace("_", " ").capitalize().replace("Rem", "REM").replace("rem", "REM")
    pretty = pretty.replace("Waso", "WASO").replace("waso", "WASO")
    kind = field.kind if field is not None else None
    if kind == "duration":
        finite = values[np.isfinite(values)]
        if finite.size and np.nanmedian(np.abs(finite)) >= 3 * 3600:
            return 1 / 3600, f"{pretty} (h)", None
        return 1 / 60, f"{pretty} (min)", None
    if kind == "ratio":
        return 100.0, f"{pretty} (%)", None
    if kind == "time":

        def clock(v: float, _pos: int | None = None) -> str:
            minutes = round(v * 60) % (24 * 60)
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        return 1.0, f"{pretty} (local clock time)", FuncFormatter(clock)
    unit = field.units if field is not None and field.units not in ("", "1") else ""
    return 1.0, pretty + (f" ({unit})" if unit else ""), None


def metric(
    stats: pd.DataFrame | xr.Dataset,
    name: str,
    by: str = "group",
    ax: Axes | None = None,
    *,
    groups: Sequence[str] | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    title: str | None = None,
) -> Axes:
    """One stat per group: each user's mean as a point, group mean with a bootstrap 95 % CI.

    Nights are averaged within users first; points are jittered horizontally
    (deterministically, from ``seed``). The black marker and bar are the
    mean of user means and its percentile-bootstrap 95 % confidence interval
    (users resampled within groups; numbers from :func:`compare_groups`).
    With two groups the difference and its CI are written above the plot.
    Durations are shown in minutes (hours when the typical value is 3 h or
    more), ratios in percent, stat times as local clock time.

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
    >>> ax = ap.metric(asleep_nb.stats_table(cohort), "sleep_efficiency")  # doctest: +SKIP
    """
    table = compare_groups(stats, name, by=by, groups=groups, n_boot=n_boot, seed=seed)
    frame = stats_frame(stats, name, by)  # the same frame compare_groups used
    frame["value"] = metric_values(frame, name)
    per_user = user_means(frame)
    order = [g for g in table.index if g in set(per_user[GROUP])]
    scale, ylabel, formatter = _display(name, per_user["mean"].to_numpy(dtype=float))
    rng = np.random.default_rng(seed)

    with style():
        ax = get_axes(ax, (max(2.8, 1.0 * len(order) + 1.6), 3.4))
        pos = {g: i for i, g in enumerate(order)}
        xs = per_user[GROUP].map(pos).to_numpy(dtype=float) + rng.uniform(-0.16, 0.16, len(per_user))
        ax.scatter(xs, per_user["mean"].to_numpy() * scale, s=14, color="#777777", alpha=0.75,
                   linewidths=0, zorder=2, label="User mean", gid="users")  # fmt: skip
        rows = table.loc[order]
        means = rows["mean"].to_numpy() * scale
        err = np.vstack(
            [means - rows["ci_low"].to_numpy() * scale, rows["ci_high"].to_numpy() * scale - means]
        )
        ax.errorbar(np.arange(len(order)) + 0.3, means, yerr=np.nan_to_num(err), fmt="o", color="black",
                    ms=5, capsize=3, lw=1.2, zorder=3, label="Group mean, 95% CI", gid="groups")  # fmt: skip
        _group_ticks(ax, order, [_count(rows.loc[g, "n_users"], "user") for g in order])
        ax.set_xlim(-0.5, len(order) - 0.3)
        # no x label: the tick labels name the groups (and a label would not fit plain figures)
        ax.set_ylabel(ylabel)
        if formatter is not None:  # clock hours: ticks on whole hours, half or quarter hours
            ax.yaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 3, 6, 10]))
            ax.yaxis.set_major_formatter(formatter)
        ax.grid(axis="y", color="#E5E5E5", lw=0.6)
        ax.set_axisbelow(True)
        ax.legend(**LEGEND_ABOVE, ncol=2)
        if len(table) == 3 and len(order) == 2:
            diff = table.iloc[2]
            if formatter is not None:
                unit = "h"
            elif ylabel.endswith(")") and "(" in ylabel:  # "Time in sleep (h)" -> "h"
                unit = ylabel[ylabel.rfind("(") + 1 : -1]
            else:  # a count has no unit
                unit = ""
            dscale = scale if formatter is None else 1.0
            mean, low, high = (diff[k] * dscale for k in ("mean", "ci_low", "ci_high"))
            digits = _shared_decimals(mean, low, high)
            text = (f"{table.index[2]}: {mean:+.{digits}f}{' ' + unit if unit else ''} "
                    f"[95% CI {low:.{digits}f}, {high:.{digits}f}]")  # fmt: skip
            ax.annotate(text, (0.0, 1.0), xycoords="axes fraction", xytext=(0, 16),
                        textcoords="offset points",
                        ha="left", va="bottom", fontsize=7, color="#333333")  # fmt: skip
        if title:
            ax.set_title(title, pad=30)
    return ax


# ---------------------------------------------------------------- hypnodensity
def _gather(stages: np.ndarray, n: np.ndarray, shift: np.ndarray, width: int) -> np.ndarray:
    """Row i of the result, column j, holds epoch ``j - shift[i]`` of session i (PAD outside)."""
    src = np.arange(width, dtype=np.int32)[None, :] - shift.astype(np.int32)[:, None]
    inside = (src >= 0) & (src < n[:, None])
    taken = np.take_along_axis(stages, np.clip(src, 0, stages.shape[1] - 1), axis=1)
    return np.where(inside, taken, np.int8(PAD))


def _clock_shift(cohort: xr.Dataset, clock_start: str) -> np.ndarray:
    """Epochs from each session's local ``clock_start`` window opening to its start."""
    origin = _parse_clock(clock_start)
    start = pd.DatetimeIndex(np.asarray(cohort["start_time"].values, dtype="datetime64[ns]"))
    zones = np.asarray(cohort["timezone"].values, dtype=object)
    out = np.empty(start.size, dtype=np.int64)
    for zone in set(zones.tolist()):  # one vectorised conversion per zone
        idx = np.flatnonzero(zones == zone)
        local = start[idx].tz_localize("UTC").tz_convert(zone).tz_localize(None)
        opened = (local - origin).floor("D") + origin
        out[idx] = ((local - opened) // pd.Timedelta(seconds=EPOCH_SECONDS)).to_numpy()
    return out


def hypnodensity(
    cohort: xr.Dataset,
    by: str = "group",
    fig: FigureBase | None = None,
    relative_to: Literal["onset", "clock"] = "onset",
    *,
    bin_minutes: int = 5,
    before_onset: float = 0.5,
    clock_start: str = "18:00",
    min_nights: float = 0.2,
) -> FigureBase:
    """Share of nights in each stage over time, stacked areas, one panel per group.

    Parameters
    ----------
    cohort
        A cohort (any alignment; realigned here from ``offset``/``n_epochs``).
    by
        Per-session coordinate to group by (one panel per value).
    fig
        Figure to draw into (its existing axes are left alone); new when ``None``.
    relative_to
        ``"onset"``: time since sleep onset (first sleep epoch), in hours;
        nights that never slept are left out. ``"clock"``: local wall-clock
        time of each session's zone, from ``clock_start``.
    bin_minutes
        Width of the time bins the shares are pooled over (epochs of all
        nights of the group in the bin).
    before_onset
        Hours shown before sleep onset (``relative_to="onset"``).
    clock_start
        ``"HH:MM"`` opening the clock axis (``relative_to="clock"``).
    min_nights
        Bins where fewer than this share of a group's nights are recording
        are left blank (late tails rest on very few nights).

    Returns
    -------
    matplotlib.figure.Figure
        Axes in ``fig.axes``, one per group, top to bottom.

    Examples
    --------
    >>> import asleep_nb.plot as ap
    >>> fig = ap.hypnodensity(cohort, by="group", relative_to="onset")  # doctest: +SKIP
    """
    if relative_to not in ("onset", "clock"):
        raise ValueError(f"relative_to must be 'onset' or 'clock', got {relative_to!r}")
    if bin_minutes * 60 % EPOCH_SECONDS or bin_minutes <= 0:
        raise ValueError(f"bin_minutes must be a positive multiple of 0.5, got {bin_minutes}")
    cohort = four_stage_only(check_cohort(cohort), "hypnodensity")
    labels = session_labels(cohort, by)
    stages, n = start_aligned(cohort)
    if relative_to == "onset":
        first, _ = onset_final(stages)
        slept = first >= 0
        if not slept.any():
            raise ValueError("no night of the cohort contains sleep; nothing to align on onset")
        lead = round(before_onset * 3600 / EPOCH_SECONDS)
        shift = lead - first
        width = int((n - first + lead)[slept].max())
        stages, n, shift, labels = stages[slept], n[slept], shift[slept], labels[slept]
        x0 = -lead * EPOCH_SECONDS / 3600
    else:
        shift = _clock_shift(cohort, clock_start)
        width = int((shift + n).max())
        x0 = 0.0
    per_bin = bin_minutes * 60 // EPOCH_SECONDS
    width = -(-width // per_bin) * per_bin
    aligned = _gather(stages, n, shift, width)
    two = is_two_stage(cohort)
    codes, names = _stack_codes(two)
    order = _group_order(labels)
    shares, n_group = {}, {}
    for g in order:  # a handful of groups; sessions are vectorised
        rows = aligned[labels == g].reshape(-1, width // per_bin, per_bin)
        recording = (rows != PAD).sum(axis=(0, 2))
        nights_rec = (rows != PAD).any(axis=2).sum(axis=0)
        counts = np.stack([(rows == c).sum(axis=(0, 2)) for c in codes])
        with np.errstate(invalid="ignore", divide="ignore"):
            share = counts / recording
        n_group[g] = int((labels == g).sum())
        share[:, nights_rec < max(1.0, min_nights * n_group[g])] = np.nan
        shares[g] = share * 100
    edges = x0 + np.arange(width // per_bin + 1) * bin_minutes / 60
    shown = np.flatnonzero(np.any([np.isfinite(s[0]) for s in shares.values()], axis=0))
    lo, hi = edges[shown[0]], edges[shown[-1] + 1]

    with style():
        fig = get_figure(fig, (7, 1.2 + 1.6 * len(order)))
        axes = fig.subplots(len(order), 1, sharex=True, sharey=True, squeeze=False)[:, 0]
        for ax in axes:
            style_axes(ax)
        for ax, g in zip(axes, order, strict=True):
            bottom = np.zeros(shares[g].shape[1])
            for row, c in zip(shares[g], codes, strict=True):
                top = bottom + np.nan_to_num(row)
                valid = np.isfinite(row)
                ax.stairs(np.where(valid, top, np.nan), edges, baseline=np.where(valid, bottom, np.nan),
                          fill=True, color=STAGE_COLORS[c], lw=0,
                          gid=f"stage_{names[c].lower()}")  # fmt: skip
                bottom = top
            ax.set_ylim(0, 100)
            ax.set_xlim(lo, hi)
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
            ax.set_yticks([0, 50, 100])
            ax.set_ylabel("Nights (%)")
            ax.set_title(f"{g} (n = {n_group[g]} nights)", fontsize=9)
            ax.set_label(str(g))
        if relative_to == "onset":
            axes[-1].set_xlabel("Time since sleep onset (h)")
            for ax in axes:
                ax.axvline(0, color="black", lw=0.7, ls=(0, (3, 2)))
        else:
            origin = _parse_clock(clock_start)
            zones = sorted(set(np.asarray(cohort["timezone"].values).tolist()))
            where = zones[0] if len(zones) == 1 else "each session's zone"
            axes[-1].set_xlabel(f"Local time ({where})")
            step = 2 if hi - lo > 8 else 1
            ticks = np.arange(np.ceil(lo / step) * step, hi + 1e-9, step)
            clock = [(origin + pd.Timedelta(hours=float(t))).components for t in ticks]
            axes[-1].set_xticks(ticks, [f"{c.hours:02d}:{c.minutes:02d}" for c in clock])
        _stack_legend(axes[0], codes, names, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=len(codes),
                      borderaxespad=0.2, handlelength=1.2, columnspacing=1.0)  # fmt: skip
    return fig


# ---------------------------------------------------------------- transition matrix
def _pooled_matrix(data: xr.Dataset, within: str) -> tuple[np.ndarray, bool]:
    from asleep_nb.stats.night import transition_counts  # lazy: plot does not need stats at import

    if "session" in data.dims:
        data = four_stage_only(check_cohort(data), "transition_matrix")
    counts = transition_counts(data, within=within)
    if "session" in counts.dims:
        counts = counts.sum("session")
    counts = np.asarray(counts.values, dtype=float)
    two = is_two_stage(data)
    if two:
        counts = counts[:2, :2]
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, counts / totals, np.nan), two


def transition_matrix(
    cohort_or_matrix: xr.Dataset | xr.DataArray | pd.DataFrame | np.ndarray,
    ax: Axes | None = None,
    *,
    within: Literal["sleep_period", "night"] = "sleep_period",
    title: str | None = None,
) -> Axes:
    """Heatmap of stage transition probabilities, annotated in percent.

    Parameters
    ----------
    cohort_or_matrix
        A night or a cohort (transitions are counted with
        :func:`asleep_nb.stats.night.transition_counts`, pooled over all
        sessions, then row-normalised), or a ready 4 x 4 (or 2 x 2, two-stage)
        matrix of probabilities, rows "from", columns "to", in code order
        wake, light, deep, REM.
    ax
        Axes to draw on; new figure when ``None``.
    within
        ``"sleep_period"`` (default) or ``"night"``; see ``transition_counts``.
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, asleep_nb.plot as ap
    >>> ax = ap.transition_matrix(np.array([[.9, .1], [.05, .95]]))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['Wake', 'Sleep']
    """
    if isinstance(cohort_or_matrix, xr.Dataset):
        probs, two = _pooled_matrix(cohort_or_matrix, within)
    else:
        probs = np.asarray(
            cohort_or_matrix.values if hasattr(cohort_or_matrix, "values") else cohort_or_matrix, dtype=float
        )
        if probs.shape not in ((4, 4), (2, 2)):
            raise ValueError(f"a transition matrix must be 4 x 4 (or 2 x 2), got shape {probs.shape}")
        if np.nanmin(probs) < 0 or np.nanmax(probs) > 1:
            raise ValueError("transition probabilities must lie in [0, 1]")
        two = probs.shape == (2, 2)
    names = ["Wake", "Sleep"] if two else [STAGE_LABELS[c] for c in (0, 1, 2, 3)]
    k = len(names)
    with style():
        ax = get_axes(ax, (3.9, 3.3))
        image = ax.imshow(probs * 100, cmap="Blues", vmin=0, vmax=100)
        for i in range(k):
            for j in range(k):
                p = probs[i, j] * 100
                text = "–" if not np.isfinite(p) else (f"{p:.0f}%" if p >= 1 or p == 0 else f"{p:.1f}%")
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if np.isfinite(p) and p > 60 else "black")  # fmt: skip
        ax.set_xticks(range(k), names)
        ax.set_yticks(range(k), names)
        ax.set_xlabel("To stage (next 30-s epoch)")
        ax.set_ylabel("From stage")
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
        bar.set_label("Transition probability (%)")
        bar.outline.set_visible(False)
        if title:
            ax.set_title(title)
    return ax


def _shared_decimals(*values: float, significant: int = 3) -> int:
    """Decimals that give the largest of ``values`` ``significant`` digits, for all of them.

    A difference and its CI are then written with one precision (``-0.74 [-1.29, -0.14]``),
    not each with its own.

    Examples
    --------
    >>> _shared_decimals(-0.735, -1.29, -0.14), _shared_decimals(13.6, 8.06, 18.7), _shared_decimals(0.0)
    (2, 1, 0)
    """
    finite = [abs(v) for v in values if np.isfinite(v) and v != 0]
    if not finite:
        return 0
    return int(max(0, significant - 1 - np.floor(np.log10(max(finite)))))
