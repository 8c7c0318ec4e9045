"""Many nights of one user stacked by date: a sleep-diary view."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.patches import Patch

from asleep_nb.definitions import EPOCH_SECONDS, PAD
from asleep_nb.plot._data import check_cohort, check_night, start_aligned
from asleep_nb.plot._style import (
    LEGEND_ABOVE,
    STAGE_COLORS,
    STAGE_LABELS,
    TITLE_PAD_OVER_LEGEND,
    get_axes,
    style,
)
from asleep_nb.plot._time import parse_clock

__all__ = ["nights"]

_CODES = (-1, 0, 1, 2, 3)
_COLS = 24 * 3600 // EPOCH_SECONDS
_WEEKEND_COLOR = "#EFEFEF"


def _auto_clock(start: np.ndarray, zones: np.ndarray) -> pd.Timedelta:
    """Six hours before the circular-mean local bedtime (session start), floored to the hour.

    Examples
    --------
    >>> starts = np.array(["2025-01-01T22:30", "2025-01-02T23:30", "2025-01-04T01:30"], "datetime64[ns]")
    >>> _auto_clock(starts, np.array(["UTC"] * 3, dtype=object))
    Timedelta('0 days 17:00:00')
    """
    hours = np.empty(start.size)
    for zone in set(zones.tolist()):
        idx = np.flatnonzero(zones == zone)
        local = pd.DatetimeIndex(start[idx]).tz_localize("UTC").tz_convert(zone)
        hours[idx] = local.hour + local.minute / 60
    angle = hours / 24 * 2 * np.pi
    mean = np.arctan2(np.sin(angle).mean(), np.cos(angle).mean()) / (2 * np.pi) * 24
    return pd.Timedelta(hours=int(np.floor(mean - 6)) % 24)


def _sessions(obj: object, user_id: str | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start-aligned stages, UTC start times and zone names of the sessions to draw."""
    if isinstance(obj, xr.Dataset) and "session" not in obj.dims:
        obj = [obj]
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        rows = [check_night(d) for d in obj]
        if not rows:
            raise ValueError("no night to draw")
        if user_id is not None:
            rows = [d for d in rows if d.attrs.get("user_id") == user_id]
        width = max(d.sizes["time"] for d in rows) if rows else 0
        stages = np.full((len(rows), width), PAD, dtype=np.int8)
        for i, d in enumerate(rows):
            stages[i, : d.sizes["time"]] = d["sleep_stage"].values
        start = np.array([d["time"].values[0] for d in rows], dtype="datetime64[ns]")
        zones = np.array([str(d.attrs.get("timezone", "UTC")) for d in rows], dtype=object)
    else:
        cohort = check_cohort(obj)
        users = np.asarray(cohort["user_id"].values) if "user_id" in cohort.variables else None
        if user_id is not None:
            if users is None:
                raise KeyError("the cohort has no user_id coordinate to select on")
            cohort = cohort.isel(session=np.flatnonzero(users == user_id))
        elif users is not None and len(set(users.tolist())) > 1:
            raise ValueError(
                f"the cohort holds {len(set(users.tolist()))} users; pass user_id= to pick one "
                f"(e.g. {sorted(set(users.tolist()))[:3]})"
            )
        stages, _ = start_aligned(cohort) if cohort.sizes["session"] else (np.zeros((0, 0), np.int8), None)
        start = np.asarray(cohort["start_time"].values, dtype="datetime64[ns]")
        zones = np.asarray(cohort["timezone"].values, dtype=object)
    if stages.shape[0] == 0:
        raise ValueError(f"no night of user {user_id!r} to draw")
    return stages, start, zones


def nights(
    ds_or_cohort: xr.Dataset | Sequence[xr.Dataset],
    ax: Axes | None = None,
    *,
    user_id: str | None = None,
    clock_start: str = "auto",
    weekends: bool = True,
    title: str | None = None,
) -> Axes:
    """Draw the nights of one user stacked by date on a common local clock axis.

    Each night is a horizontal band coloured by stage, one row per calendar
    night (nights without a recording stay empty), first night at the top.
    Each epoch sits at its *local wall-clock* time in its own zone, so
    bedtimes and wake times read true; on a daylight-saving night the band
    shows the skipped hour as a gap (spring) or draws the repeated hour twice
    (autumn). Rows of nights before a weekend day (Friday and Saturday
    nights) are shaded.

    Parameters
    ----------
    ds_or_cohort
        A cohort (see :func:`asleep_nb.to_cohort`), one night, or a list of nights.
    ax
        Axes to draw on; a new figure is created when ``None`` (height grows
        with the number of nights).
    user_id
        The user to draw; required when the cohort holds several users.
    clock_start
        Local clock time ``"HH:MM"`` where a row (a night) begins; a night is
        filed under the date on which its row begins. ``"auto"`` (default):
        six hours before the circular-mean bedtime (local start time) of the
        nights shown, floored to the hour. The x axis always covers every
        epoch: a night running past the next ``clock_start`` extends the
        axis beyond 24 h rather than being cropped.
    weekends
        Shade Friday and Saturday nights.
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import asleep_nb.plot as ap
    >>> panel = asleep_nb.load_cohort(client, demo / "panel.csv", progress=False)
    >>> ax = ap.nights(panel, user_id=str(panel["user_id"].values[0]))
    """
    stages, start, zones = _sessions(ds_or_cohort, user_id)
    origin = _auto_clock(start, zones) if clock_start == "auto" else parse_clock(clock_start)
    n_sess, width = stages.shape
    offsets = np.arange(width) * np.timedelta64(EPOCH_SECONDS, "s")
    row_day = np.empty(n_sess, dtype="datetime64[ns]")
    col = np.empty((n_sess, width), dtype=np.int64)
    for zone in set(zones.tolist()):  # one conversion per zone, vectorised over sessions
        idx = np.flatnonzero(zones == zone)
        epochs = (start[idx, None] + offsets[None, :]).ravel()
        local_index = pd.DatetimeIndex(epochs).tz_localize("UTC").tz_convert(zone).tz_localize(None)
        local = local_index.to_numpy().reshape(idx.size, width)
        day = ((pd.DatetimeIndex(local[:, 0]) - origin).floor("D")).to_numpy()
        row_day[idx] = day
        since = local - (day + np.timedelta64(origin.value, "ns"))[:, None]
        col[idx] = since // np.timedelta64(EPOCH_SECONDS, "s")
    first_day = row_day.min()
    n_days = int((row_day.max() - first_day) // np.timedelta64(1, "D")) + 1
    row = ((row_day - first_day) // np.timedelta64(1, "D")).astype(np.int64)
    valid = stages != PAD
    # every epoch gets a column: a row runs past 24 h (or before its start, in an
    # autumn DST hour) rather than cropping data
    c_lo = min(0, int(col[valid].min())) if valid.any() else 0
    c_hi = max(_COLS, int(col[valid].max()) + 1) if valid.any() else _COLS
    grid = np.full((n_days, c_hi - c_lo), PAD, dtype=np.int8)
    grid[np.broadcast_to(row[:, None], col.shape)[valid], col[valid] - c_lo] = stages[valid]

    # bands with gaps: interleave masked rows (pcolormesh with uneven y edges)
    half = 0.36
    data = np.full((2 * n_days - 1, grid.shape[1]), PAD, dtype=np.int8)
    data[::2] = grid
    y_edges = np.empty(2 * n_days)
    y_edges[0::2] = np.arange(n_days) - half
    y_edges[1::2] = np.arange(n_days) + half
    x_edges = (c_lo + np.arange(grid.shape[1] + 1)) * EPOCH_SECONDS / 3600.0
    used = np.flatnonzero((grid != PAD).any(axis=0))
    lo = np.floor(x_edges[used[0]]) if used.size else 0.0
    hi = np.ceil(x_edges[used[-1] + 1]) if used.size else 24.0
    days = pd.DatetimeIndex(first_day + np.arange(n_days) * np.timedelta64(1, "D"))
    zone_names = sorted(set(zones.tolist()))

    with style():
        ax = get_axes(ax, (8, min(max(3.3, 1.4 + 0.24 * n_days), 12)))
        if weekends:
            for i in np.flatnonzero(days.day_of_week.isin([4, 5])):
                ax.axhspan(i - 0.5, i + 0.5, color=_WEEKEND_COLOR, lw=0, zorder=0, gid="weekend")
        cmap = ListedColormap([STAGE_COLORS[c] for c in _CODES])
        norm = BoundaryNorm(np.arange(-1.5, 4.0, 1.0), cmap.N)
        ax.pcolormesh(x_edges, y_edges, np.ma.masked_equal(data, PAD), cmap=cmap, norm=norm,
                      shading="flat", rasterized=True, zorder=1)  # fmt: skip
        ax.set_ylim(n_days - 0.5, -0.5)
        step = max(1, int(np.ceil(n_days / 31)))
        ticks = np.arange(0, n_days, step)
        ax.set_yticks(ticks, [d.strftime("%a %d %b") for d in days[ticks]])
        ax.set_ylabel("Night (date the row starts)")
        hours = np.arange(lo, hi + 1e-9, 1 if hi - lo <= 8 else (2 if hi - lo <= 16 else 3))
        clock = [((origin + pd.Timedelta(hours=float(h))).components) for h in hours]
        ax.set_xticks(hours, [f"{c.hours:02d}:{c.minutes:02d}" for c in clock])
        ax.set_xlim(lo, hi)
        where = zone_names[0] if len(zone_names) == 1 else "each night's zone"
        ax.set_xlabel(f"Local time ({where})")
        ax.tick_params(axis="y", length=0)
        ax.spines["left"].set_visible(False)
        ax.grid(axis="x", color="#DDDDDD", lw=0.6)
        ax.set_axisbelow(True)
        handles = [Patch(color=STAGE_COLORS[c], label=STAGE_LABELS[c]) for c in (0, 3, 1, 2, -1)]
        if weekends:
            handles.append(Patch(color=_WEEKEND_COLOR, label="Fri/Sat night"))
        ax.legend(handles=handles, **LEGEND_ABOVE, ncol=len(handles))
        if title:
            ax.set_title(title, pad=TITLE_PAD_OVER_LEGEND)
    return ax
