"""The data-quality and latency tables a report shows, built from :mod:`asleep_nb.stats` results.

Every number here is computed in :mod:`asleep_nb.stats` (no-signal shares,
edge runs, flags and both sleep latencies in :mod:`asleep_nb.stats.quality`);
this module only labels, orders and formats them for the page. The group
comparison is in :mod:`asleep_nb.report.comparison`, the page helpers in
:mod:`asleep_nb.report.page`.

Examples
--------
>>> import pandas as pd
>>> groups = pd.DataFrame({"nights": [25], "epochs": [23000], "no_signal_share": [0.031],
...                        "long_leading": [2], "long_trailing": [0], "flagged": [1]},
...                       index=pd.Index(["healthy"], name="group"))
>>> quality_summary(groups, flag_share=0.2, run_minutes=30).iloc[0].astype(str).tolist()
['25', '3.1', '2', '0', '1']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.report.sources import Missing

__all__ = [
    "VENDOR_ZERO",
    "constant_peculiarities",
    "alignment_words",
    "compared",
    "flagged_nights",
    "latency_rules",
    "left_out",
    "quality_summary",
]


def alignment_words(cohort: xr.Dataset) -> str:
    """How a cohort's epoch axis is aligned, in words (from its ``alignment`` attr).

    Examples
    --------
    >>> import xarray as xr
    >>> alignment_words(xr.Dataset(attrs={"alignment": "clock", "clock_start": "18:00"}))
    'on a common local clock from 18:00'
    """
    align = cohort.attrs.get("alignment", "start")
    if align == "clock":
        return f"on a common local clock from {cohort.attrs.get('clock_start', '')}"
    if align == "onset":
        return "at sleep onset by the research rule (the first epoch scored as sleep: light, deep or REM)"
    return "at each session's start"


def compared(nights: pd.DataFrame, *, exclude_flagged: bool) -> np.ndarray:
    """Positions of the nights a group comparison keeps: all of them, or the unflagged ones.

    Raises
    ------
    DataUnavailable
        Every night is flagged and flagged nights are excluded.

    Examples
    --------
    >>> compared(pd.DataFrame({"flagged": [True, False]}), exclude_flagged=True).tolist()
    [1]
    """
    from asleep_nb.report.errors import DataUnavailable

    flagged = nights["flagged"].to_numpy(dtype=bool)
    keep = ~flagged if exclude_flagged else np.ones(len(nights), dtype=bool)
    if not keep.any():
        raise DataUnavailable(
            "every night is flagged for no signal and --exclude-flagged leaves them all out; "
            "nothing is left to compare"
        )
    return np.flatnonzero(keep)


def _percent(share: float) -> str:
    return "—" if not np.isfinite(share) else f"{share * 100:.1f}"


def quality_summary(groups: pd.DataFrame, *, flag_share: float, run_minutes: float) -> pd.DataFrame:
    """Per group: nights, no-signal share (%), nights with long edge runs, flagged nights.

    Parameters
    ----------
    groups
        :func:`asleep_nb.stats.quality.group_quality`'s table.
    flag_share, run_minutes
        The thresholds the table was computed with (they name the columns).

    Returns
    -------
    pandas.DataFrame
        Indexed by group, with column names that say what is counted.
    """
    run = f"{run_minutes:g} min"
    return pd.DataFrame(
        {
            "nights": groups["nights"],
            "no-signal epochs (%)": groups["no_signal_share"].map(_percent),
            f"nights opening with > {run} of no signal": groups["long_leading"],
            f"nights ending with > {run} of no signal": groups["long_trailing"],
            f"nights flagged (> {flag_share * 100:g} % no signal)": groups["flagged"],
        },
        index=groups.index,
    )


def flagged_nights(nights: pd.DataFrame) -> pd.DataFrame:
    """The flagged nights: who, which group, their no-signal share and edge runs.

    Parameters
    ----------
    nights
        :func:`asleep_nb.stats.quality.night_quality`'s table.

    Examples
    --------
    >>> nights = pd.DataFrame({"user_id": ["u"], "group": ["g"], "no_signal_share": [0.25],
    ...                        "leading_no_signal": [35.0], "trailing_no_signal": [0.0],
    ...                        "flagged": [True]}, index=pd.Index(["s1"], name="session_id"))
    >>> flagged_nights(nights).iloc[0].astype(str).tolist()
    ['u', 'g', '25.0', '35.0', '0.0']
    """
    rows = nights[nights["flagged"]]
    return pd.DataFrame(
        {
            "user_id": rows["user_id"],
            "group": rows["group"],
            "no-signal epochs (%)": rows["no_signal_share"].map(_percent),
            "no signal at start (min)": rows["leading_no_signal"],
            "no signal at end (min)": rows["trailing_no_signal"],
        }
    )


def left_out(missing: Sequence[Missing], nights: pd.DataFrame, *, excluded: bool) -> pd.DataFrame:
    """Every session left out of the analysis and why: not had, or flagged and excluded.

    Parameters
    ----------
    missing
        The sessions that could not be had (:attr:`ReportData.missing`).
    nights
        :func:`asleep_nb.stats.quality.night_quality`'s table (``attrs`` hold its threshold).
    excluded
        Whether flagged nights are excluded from the comparison.

    Returns
    -------
    pandas.DataFrame
        Indexed by session id (``"—"`` for a manifest row that named none),
        columns ``user_id``, ``group``, ``left out`` and ``why``.
    """
    rows = [
        (m.session_id or "—", m.user_id, m.group, f"could not be had ({m.where})", m.reason) for m in missing
    ]
    if excluded:
        limit = nights.attrs.get("flag_share", float("nan")) * 100
        for session_id, night in nights[nights["flagged"]].iterrows():
            why = f"{_percent(night['no_signal_share'])} % of its epochs are no signal (> {limit:g} %)"
            rows.append((str(session_id), night["user_id"], night["group"], "flagged, excluded", why))
    frame = pd.DataFrame(rows, columns=["session_id", "user_id", "group", "left out", "why"])
    return frame.set_index("session_id")


#: The column of :func:`latency_rules` counting nights whose latency is 0 by the vendor rule alone.
VENDOR_ZERO = "of which latency 0 by the vendor rule (no signal before sleep)"


def constant_peculiarities(counts: pd.DataFrame, nights: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Split off the peculiarities every night carries: a row of full counts tells the reader nothing.

    Parameters
    ----------
    counts
        :func:`asleep_nb.stats.quality.peculiarity_counts`'s table (labels x groups).
    nights
        The nights it counted (column ``group``).

    Returns
    -------
    tuple
        The table without those rows, and their labels (to be said once, in words).

    Examples
    --------
    >>> nights = pd.DataFrame({"group": ["a", "a", "b"]})
    >>> counts = pd.DataFrame({"a": [2, 1], "b": [1, 0]}, index=["NO_BREATHING_STABILITY", "NEVER_SLEPT"])
    >>> rest, every = constant_peculiarities(counts, nights)
    >>> list(rest.index), every
    (['NEVER_SLEPT'], ['NO_BREATHING_STABILITY'])
    """
    sizes = nights.groupby("group").size().reindex(counts.columns, fill_value=0)
    everywhere = (counts == sizes).all(axis=1) & bool((sizes > 0).all())
    return counts[~everywhere], [str(label) for label in counts.index[everywhere]]


def latency_rules(nights: pd.DataFrame) -> pd.DataFrame:
    """Per group: nights whose two sleep latencies differ, and those at 0 under the vendor rule only.

    Parameters
    ----------
    nights
        :func:`asleep_nb.stats.quality.night_quality`'s table (columns
        ``sleep_latency``, the vendor's, and ``research_sleep_latency``).

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``nights``, ``latencies differ`` and
        :data:`VENDOR_ZERO` (the nights whose vendor latency is 0 while the
        research latency is not: they open with no signal).

    Examples
    --------
    >>> nights = pd.DataFrame({"group": ["a", "a", "a"], "sleep_latency": [0.0, 600.0, 60.0],
    ...                        "research_sleep_latency": [1800.0, 600.0, 90.0]})
    >>> latency_rules(nights).loc["a"].tolist()
    [3, 2, 1]
    """
    vendor, research = nights["sleep_latency"], nights["research_sleep_latency"]
    differ = (vendor != research) & vendor.notna() & research.notna()
    frame = pd.DataFrame({"group": nights["group"], "differ": differ, "zero": differ & (vendor == 0)})
    grouped = frame.groupby("group", sort=True)
    return pd.DataFrame(
        {
            "nights": grouped.size(),
            "latencies differ": grouped["differ"].sum().astype(np.int64),
            VENDOR_ZERO: grouped["zero"].sum().astype(np.int64),
        }
    )
