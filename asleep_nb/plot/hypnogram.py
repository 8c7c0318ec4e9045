"""The hypnogram of one night."""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from asleep_nb.definitions import EPOCH_SECONDS, NO_SIGNAL_LABEL, SleepStage, research_sleep_period
from asleep_nb.plot._data import check_night
from asleep_nb.plot._style import (
    ERROR_COLOR,
    HYPNOGRAM_ORDER,
    LEGEND_ABOVE,
    SNORING_COLOR,
    STAGE_COLORS,
    TITLE_PAD_OVER_LEGEND,
    TWO_STAGE_ORDER,
    get_axes,
    stage_gid,
    stage_labels,
    style,
)
from asleep_nb.plot._time import local_time_axes, to_num
from asleep_nb.timezones import validate_timezone

__all__ = ["hypnogram", "runs"]

_EPOCH_DAYS = EPOCH_SECONDS / 86400.0
#: y of the snoring row (Deep is 0) and of the line separating it from the stages.
_SNORING_LEVEL = -1.05
_SEPARATOR = -0.55


def runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start indices and lengths of the runs of ``True`` in a 1-d boolean array.

    Examples
    --------
    >>> runs(np.array([0, 1, 1, 0, 1], dtype=bool))
    (array([1, 4]), array([2, 1]))
    """
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    starts, stops = edges[::2], edges[1::2]
    return starts, stops - starts


def _bars(ax: Axes, x0: np.ndarray, mask: np.ndarray, y: tuple[float, float], **kw: Any) -> None:
    starts, lengths = runs(mask)
    if starts.size:
        ax.broken_barh(list(zip(x0[starts], lengths * _EPOCH_DAYS, strict=True)), y, **kw)


def hypnogram(
    ds: xr.Dataset,
    ax: Axes | None = None,
    *,
    snoring: bool = True,
    cycles: bool = True,
    error_shading: bool = True,
    markers: bool = True,
    timezone: str | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """Draw the hypnogram of one night against local clock time.

    Stages run top to bottom Wake, REM, Light, Deep (two-stage nights: Wake,
    Sleep). The night is a thin step line; each stage is overdrawn as a bar in
    its colour, REM as a thick bar so it stands out. No-signal epochs (code
    -1) break the line and are shaded grey and hatched over the full height.

    The x data are real instants, so the axis is linear in elapsed time even
    on a night that crosses a daylight-saving change; tick labels are the
    local wall-clock times of those instants (they jump ``01:00, 03:00`` in
    spring).

    Parameters
    ----------
    ds
        One night, as returned by :func:`asleep_nb.to_dataset`.
    ax
        Axes to draw on; a new figure (8 x 3.4 in) is created when ``None``.
    snoring
        Add a snoring row under Deep (when ``snoring_stage`` is present),
        inside ``ax`` and separated from the stages by a thin line, with the
        y tick label ``"Snoring"``. Being inside the axes, it can never be
        clipped by the figure, and the x tick labels stay on ``ax``.
    cycles
        Draw sleep-cycle boundaries (``sleep_cycle_time`` after onset) as thin
        dotted vertical lines.
    error_shading
        Shade no-signal epochs.
    markers
        Mark sleep onset and final awakening with triangles above the Wake
        row, by the research rule
        (:func:`asleep_nb.definitions.research_sleep_period`): the start of
        the first and the end of the last epoch scored as sleep. Where
        no-signal epochs border the sleep period the ``stat`` object's
        ``sleep_time`` / ``wake_time`` (vendor rule) lie further out.
    timezone
        IANA zone for the clock axis; default: the dataset's ``timezone`` attr.
    title
        Axes title; default: none.
    legend
        Draw a legend in one row above the axes (under the title).

    Returns
    -------
    matplotlib.axes.Axes
        The axes with the stages.

    Examples
    --------
    >>> import asleep_nb, asleep_nb.plot as ap
    >>> ds = asleep_nb.to_dataset(result)
    >>> ax = ap.hypnogram(ds, timezone="Europe/Paris")
    >>> ax.figure.savefig("night.png", dpi=200)
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    ds = check_night(ds)
    zone = timezone if timezone is not None else str(ds.attrs.get("timezone", "UTC"))
    validate_timezone(zone)
    stages = np.asarray(ds["sleep_stage"].values, dtype=np.int8)
    if stages.size == 0:
        raise ValueError("the night has no epoch to draw")
    x0 = to_num(ds["time"].values)
    x_end = x0[-1] + _EPOCH_DAYS
    two_stage = bool(int(ds.attrs.get("two_stage", 0)))
    order = TWO_STAGE_ORDER if two_stage else HYPNOGRAM_ORDER
    labels = stage_labels(two_stage)
    level = {code: len(order) - 1 - i for i, code in enumerate(order)}
    top = len(order) - 1
    with_snoring = snoring and "snoring_stage" in ds
    y_low = -1.6 if with_snoring else -0.6  # bottom of the axes (data units)

    with style():
        ax = get_axes(ax, (8, 3.4))
        # step line, broken at error epochs
        y = np.array([level.get(int(s), np.nan) for s in range(-1, 4)])[np.clip(stages + 1, 0, 4)]
        y = np.where(np.isin(stages, list(order)), y, np.nan)
        ax.step(np.append(x0, x_end), np.append(y, y[-1]), where="post", color="#333333", lw=0.7, zorder=2)
        handles: list[Artist] = []
        for code in order:
            thick = code == 3
            half = 0.22 if thick else 0.09
            _bars(
                ax,
                x0,
                stages == code,
                (level[code] - half, 2 * half),
                facecolors=STAGE_COLORS[code],
                edgecolors="none",
                zorder=3,
                gid=stage_gid(code, two_stage),
            )
        if error_shading and (stages == SleepStage.ERROR).any():
            _bars(
                ax,
                x0,
                stages == SleepStage.ERROR,
                (_SEPARATOR, top + 0.9 - _SEPARATOR),
                facecolors="#EEEEEE",
                edgecolors=ERROR_COLOR,
                hatch="////",
                linewidth=0,
                zorder=1,
                gid="error",
            )
            handles.append(
                Patch(facecolor="#EEEEEE", edgecolor=ERROR_COLOR, hatch="////", label=NO_SIGNAL_LABEL)
            )
        if cycles and "sleep_cycle_time" in ds:
            times = to_num(np.asarray(ds["sleep_cycle_time"].values).ravel())
            times = np.sort(times[np.isfinite(times)])[1:]  # the first entry is sleep onset
            for t in times:
                ax.axvline(t, color="#666666", lw=0.6, ls=(0, (2, 2)), zorder=1, gid="cycle")
            if times.size:
                handles.append(Line2D([], [], color="#666666", lw=0.6, ls=(0, (2, 2)), label="Cycle end"))
        if markers:
            period = research_sleep_period(stages)
            slept = bool(period.slept)
            onset = float(x0[period.onset]) if slept else None
            wake = float(x0[period.last] + _EPOCH_DAYS) if slept else None
            ymark = top + 0.55
            if onset is not None:
                ax.plot(
                    [onset],
                    [ymark],
                    marker="v",
                    ms=7,
                    color="#000000",
                    ls="none",
                    zorder=4,
                    gid="onset",
                    clip_on=False,
                )
                handles.append(Line2D([], [], marker="v", color="#000000", ls="none", label="Sleep onset"))
            if wake is not None:
                ax.plot([wake], [ymark], marker="v", ms=7, mfc="white", mec="#000000", ls="none",
                        zorder=4, clip_on=False, gid="awakening")  # fmt: skip
                handles.append(
                    Line2D([], [], marker="v", mfc="white", mec="#000000", ls="none", label="Final awakening")
                )
        rows: list[tuple[float, str, str]] = [(level[c], labels[c], f"ytick_{c}") for c in order]
        if with_snoring:
            _snoring_row(ax, x0, np.asarray(ds["snoring_stage"].values, dtype=np.int8))
            rows.append((_SNORING_LEVEL, "Snoring", "ytick_snoring"))
        ax.set_yticks([r[0] for r in rows], [r[1] for r in rows])
        for tick, (_, _, gid) in zip(ax.get_yticklabels(), rows, strict=True):
            tick.set_color("#000000")
            tick.set_gid(gid)
        ax.set_ylim(y_low, top + 0.9)
        local_time_axes(ax, zone, x0[0], x_end)
        if legend and handles:  # own row above the axes; the title goes above it
            ax.legend(handles=handles, **LEGEND_ABOVE, ncol=len(handles))
        if title:
            ax.set_title(title, pad=TITLE_PAD_OVER_LEGEND if legend and handles else 6)
    return ax


def _snoring_row(ax: Axes, x0: np.ndarray, snore: np.ndarray) -> None:
    """Snoring epochs as a green row at :data:`_SNORING_LEVEL`, under a thin separator line."""
    lo, hi = _SNORING_LEVEL - 0.5, _SEPARATOR
    ax.axhspan(lo - 0.1, hi, color="#F7F7F7", lw=0, zorder=0, gid="snoring_band")
    ax.axhline(hi, color="#888888", lw=0.6, zorder=2, gid="snoring_separator")
    _bars(ax, x0, snore == 1, (_SNORING_LEVEL - 0.22, 0.44), facecolors=SNORING_COLOR, edgecolors="none",
          zorder=3, gid="snoring")  # fmt: skip
    _bars(ax, x0, snore == -1, (lo, hi - lo), facecolors="#EEEEEE", edgecolors=ERROR_COLOR, hatch="////",
          linewidth=0, zorder=1, gid="snoring_error")  # fmt: skip
