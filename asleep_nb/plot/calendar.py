"""A study's adherence calendar: participants x nights, each night coloured by its status.

Examples
--------
>>> import pandas as pd
>>> from datetime import date
>>> nights = pd.DataFrame({"user_id": ["G-1", "G-1"], "timezone": ["Europe/Paris"] * 2,
...                        "night": [date(2025, 3, 29), date(2025, 3, 30)], "status": ["valid", "missing"]})
>>> ax = adherence_calendar(nights)
>>> [t.get_text() for t in ax.get_yticklabels()]
['G-1 (Paris)']
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from asleep_nb.definitions.adherence import NIGHT_STATUSES, OUTSIDE_STUDY_COLOR, STATUS_ORDER
from asleep_nb.plot._style import (
    FULL_WIDTH,
    LEGEND_ABOVE,
    TITLE_PAD_OVER_LEGEND,
    get_axes,
    style,
    width_inches,
)

__all__ = ["adherence_calendar", "clock_changes"]

_ID_TAIL = 8  # characters of a user id shown on the axis
_LABEL_INCHES = 0.45  # room a night's tick label ("Sun / 30 Mar" at 7 pt) needs


def clock_changes(night: date, zone: str) -> bool:
    """Whether the zone's clocks change during ``night`` (from its noon to the next day's noon).

    Examples
    --------
    >>> clock_changes(date(2025, 3, 29), "Europe/Paris"), clock_changes(date(2025, 3, 28), "Europe/Paris")
    (True, False)
    """
    tz = ZoneInfo(zone)
    noon = datetime.combine(night, time(12), tzinfo=tz)
    return noon.utcoffset() != datetime.combine(night + timedelta(days=1), time(12), tzinfo=tz).utcoffset()


def _label(user_id: str, zone: str) -> str:
    shown = user_id if len(user_id) <= _ID_TAIL + 1 else "…" + user_id[-_ID_TAIL:]
    return f"{shown} ({zone.rsplit('/', 1)[-1].replace('_', ' ')})"


def adherence_calendar(
    nights: pd.DataFrame, ax: Axes | None = None, *, last: int | None = 21, title: str | None = None
) -> Axes:
    """Participants (rows) x nights (columns), each study night coloured by its status.

    Parameters
    ----------
    nights
        :func:`asleep_nb.stats.night_table`: ``user_id``, ``timezone``,
        ``night`` (local dates), ``status``. Nights are local dates in each
        participant's zone, so a night across a daylight-saving change is one
        cell, marked with a small diamond where it is a study night.
    ax
        Axes to draw on; a new figure when ``None``.
    last
        Show the last ``last`` nights up to the latest night of the table
        (``None``: every night).
    title
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    Colours and labels are :data:`asleep_nb.definitions.adherence.NIGHT_STATUSES`;
    a white cell is no study night (before the enrolment, after it, or not
    come yet).
    """
    missing = {"user_id", "timezone", "night", "status"} - set(nights.columns)
    if missing:
        raise ValueError(
            f"nights needs the columns of asleep_nb.stats.night_table; missing {sorted(missing)}"
        )
    users = list(dict.fromkeys(nights["user_id"]))
    zones = dict(zip(nights["user_id"], nights["timezone"], strict=True))
    known = nights.dropna(subset=["night"])
    if len(known):
        end = max(known["night"])
        start = min(known["night"]) if last is None else end - timedelta(days=last - 1)
    else:
        end = start = date.today()
    days = [start + timedelta(days=k) for k in range((end - start).days + 1)]
    codes = {name: i + 1 for i, name in enumerate(STATUS_ORDER)}
    grid = np.zeros((len(users), len(days)), dtype=int)
    row_of = {u: i for i, u in enumerate(users)}
    for user, night, status in known[["user_id", "night", "status"]].itertuples(index=False):
        if start <= night <= end:
            grid[row_of[user], (night - start).days] = codes[status]
    cmap = ListedColormap([OUTSIDE_STUDY_COLOR, *(NIGHT_STATUSES[s].color for s in STATUS_ORDER)])
    with style():
        ax = get_axes(
            ax, (min(FULL_WIDTH, max(5.0, 0.42 * len(days) + 2.6)), max(1.8, 0.3 * len(users) + 1.2))
        )
        ax.imshow(grid, cmap=cmap, vmin=0, vmax=len(STATUS_ORDER), aspect="auto", interpolation="nearest")
        ax.set_xticks(np.arange(len(days) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(users) + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", linewidth=1.2)
        ax.tick_params(which="minor", length=0)
        for side in ("left", "bottom", "top", "right"):
            ax.spines[side].set_visible(False)
        step = max(1, math.ceil(_LABEL_INCHES * len(days) / max(width_inches(ax), 0.1)))
        ax.set_xticks(range(0, len(days), step))
        ax.set_xticklabels([f"{d:%a}\n{d.day} {d:%b}" for d in days[::step]], fontsize=7)
        ax.set_yticks(range(len(users)))
        ax.set_yticklabels([_label(u, zones[u]) for u in users])
        ax.set_xlabel("Night (local date in each participant's zone)")
        changed = [
            (row_of[u], k)
            for u in users
            for k, d in enumerate(days)
            if grid[row_of[u], k] and clock_changes(d, zones[u])
        ]
        if changed:
            ys, xs = zip(*changed, strict=True)
            ax.scatter(xs, ys, marker="D", s=9, color="black", zorder=3, gid="clock-change")
        handles: list[Patch | Line2D] = [
            Patch(color=NIGHT_STATUSES[s].color, label=NIGHT_STATUSES[s].label) for s in STATUS_ORDER
        ]
        handles.append(
            Line2D([], [], marker="D", markersize=3.5, color="black", linestyle="", label="Clock change")
        )
        ax.legend(handles=handles, **LEGEND_ABOVE, ncol=len(handles))
        if title:
            ax.set_title(title, pad=TITLE_PAD_OVER_LEGEND)
    return ax
