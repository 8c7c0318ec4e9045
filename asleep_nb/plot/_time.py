"""A time axis that is linear in real time and labelled in local wall-clock time.

The x data of a hypnogram are UTC instants (matplotlib date numbers of the
UTC-naive ``time`` index). :class:`LocalTimeLocator` puts ticks on round
*local* clock times and :class:`LocalTimeFormatter` labels each tick with
the wall-clock time of the zone at that instant. On a night that crosses a
daylight-saving change the axis therefore stays linear in elapsed time while
the labels jump (``01:00, 03:00`` in spring; ``02:00`` twice in autumn).

Examples
--------
>>> import matplotlib.dates as mdates
>>> from datetime import datetime
>>> fmt = LocalTimeFormatter("Europe/Paris")
>>> fmt(mdates.date2num(datetime(2025, 3, 30, 0, 59)))  # 00:59 UTC = 01:59 CET
'01:59'
>>> fmt(mdates.date2num(datetime(2025, 3, 30, 1, 0)))  # one minute later = 03:00 CEST
'03:00'
"""

from __future__ import annotations

from datetime import UTC, datetime

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import Formatter, Locator

from asleep_nb.data.alignment import parse_clock_start
from asleep_nb.timezones import validate_timezone

__all__ = ["LocalTimeFormatter", "LocalTimeLocator", "local_time_axes", "to_num", "parse_clock"]

# candidate tick spacings in minutes of local clock time
_STEPS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720)


def to_num(values: np.ndarray) -> np.ndarray:
    """Matplotlib date numbers (days since the epoch) of UTC-naive ``datetime64`` values."""
    arr = np.atleast_1d(np.asarray(values, dtype="datetime64[ns]"))
    return np.asarray(mdates.date2num(arr), dtype=float)


def parse_clock(text: str) -> pd.Timedelta:
    """A figure's ``clock_start`` (``"HH:MM"``) as time since midnight, parsed as ``to_cohort`` does.

    Examples
    --------
    >>> parse_clock("18:00")
    Timedelta('0 days 18:00:00')
    """
    return pd.Timedelta(parse_clock_start(text))


def _num_to_utc(x: float) -> datetime:
    return mdates.num2date(float(x), tz=UTC)


class LocalTimeFormatter(Formatter):
    """Label UTC date numbers with the local wall-clock time of an IANA zone.

    Parameters
    ----------
    timezone
        IANA zone name, e.g. ``"Europe/Paris"``.
    fmt
        ``strftime`` format of the labels (default ``"%H:%M"``).
    """

    def __init__(self, timezone: str, fmt: str = "%H:%M") -> None:
        self.zone = validate_timezone(timezone)
        self.fmt = fmt

    def __call__(self, x: float, pos: int | None = None) -> str:
        if not np.isfinite(x):
            return ""
        # round to the second so float noise never shows as 01:59:59
        dt = _num_to_utc(x).astimezone(self.zone)
        if dt.microsecond >= 500_000:  # float noise must never show as 01:59:59
            dt = dt.replace(microsecond=0) + pd.Timedelta(seconds=1)
        return dt.strftime(self.fmt)


class LocalTimeLocator(Locator):
    """Ticks at round local clock times (every 5 min ... 12 h), at most ``max_ticks``.

    Candidates are real instants every minute of the view; the ones whose
    local wall-clock minute-of-day is a multiple of the chosen step are kept.
    Works for zones with half- and quarter-hour offsets and across DST.

    Parameters
    ----------
    timezone
        IANA zone name.
    max_ticks
        Upper bound on the number of ticks.
    """

    def __init__(self, timezone: str, max_ticks: int = 9) -> None:
        self.timezone = timezone
        validate_timezone(timezone)
        self.max_ticks = max_ticks

    def __call__(self) -> list[float]:
        if self.axis is None:
            return []
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> list[float]:
        if not (np.isfinite(vmin) and np.isfinite(vmax)) or vmax <= vmin:
            return []
        span_min = (vmax - vmin) * 1440
        step = next((s for s in _STEPS_MIN if span_min / s <= self.max_ticks), None)
        if step is None:  # more than a few days: one tick per local midnight
            step = 1440
        start = pd.Timestamp(_num_to_utc(vmin)).floor("min")
        n = min(int(span_min) + 2, 20_000)
        if span_min > 20_000:
            return mdates.AutoDateLocator().tick_values(
                _num_to_utc(vmin).replace(tzinfo=None), _num_to_utc(vmax).replace(tzinfo=None)
            )
        utc = pd.date_range(start, periods=n, freq="min")
        local = utc.tz_convert(self.timezone)
        minute_of_day = local.hour * 60 + local.minute
        keep = np.asarray(minute_of_day % step == 0)
        nums = to_num(utc[keep].tz_localize(None).to_numpy())
        return [float(v) for v in nums if vmin - 1e-9 <= v <= vmax + 1e-9]


def local_time_axes(ax: Axes, zone: str, left: float, right: float) -> None:
    """Dress ``ax`` as a stage timeline: x from ``left`` to ``right`` in ``zone``'s clock, y rows gridded.

    The x axis gets :class:`LocalTimeLocator` ticks and :class:`LocalTimeFormatter`
    labels with the label ``Local time (zone)``; the y axis loses its spine and
    tick marks and gets light horizontal grid lines behind the data. The
    hypnogram and the device/reference comparison share this look.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> local_time_axes(ax, "Europe/Paris", 20089.9, 20090.3)
    >>> ax.get_xlabel(), ax.spines["left"].get_visible()
    ('Local time (Europe/Paris)', False)
    >>> plt.close(fig)
    """
    ax.set_xlim(left, right)
    ax.xaxis.set_major_locator(LocalTimeLocator(zone))
    ax.xaxis.set_major_formatter(LocalTimeFormatter(zone))
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="y", color="#E5E5E5", lw=0.6, zorder=0)
    ax.set_axisbelow(True)
    ax.set_xlabel(f"Local time ({zone})")
