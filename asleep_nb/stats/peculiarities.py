"""Peculiarities that follow from the stage arrays and the session times.

The server labels sessions with peculiarities; three of them (and the share
of error epochs) can be derived from what a session carries:

- ``NEVER_SLEPT``: no light, deep or REM epoch (error epochs -1 are not
  sleep, matching :mod:`asleep_nb.stats.vendor`);
- ``TOO_SHORT_FOR_ANALYSIS``: ``end_time - start_time`` under
  :data:`TOO_SHORT_SECONDS`. The Korean API reference says 5 minutes
  (300 s, the default); a later English page says 20 minutes: pass
  ``too_short_seconds=1200`` for that reading;
- ``TOO_LONG_FOR_ANALYSIS``: over :data:`TOO_LONG_SECONDS` (24 hours).

Examples
--------
>>> from datetime import datetime, timedelta, timezone
>>> start = datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)
>>> derive_peculiarities([0] * 8, start, start + timedelta(minutes=4))
['NEVER_SLEPT', 'TOO_SHORT_FOR_ANALYSIS']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import numpy as np
import xarray as xr

from asleep_nb.definitions.rules import research_sleep_period
from asleep_nb.stats._checks import aware_datetime
from asleep_nb.stats.quality import no_signal_share

__all__ = [
    "TOO_SHORT_SECONDS",
    "TOO_LONG_SECONDS",
    "derive_peculiarities",
    "error_epoch_share",
    "peculiarity_flags",
]

#: Sessions shorter than this (seconds) are ``TOO_SHORT_FOR_ANALYSIS``
#: (the Korean reference's 5 minutes; the English page's reading is 1200).
TOO_SHORT_SECONDS: float = 300
#: Sessions longer than this (seconds) are ``TOO_LONG_FOR_ANALYSIS``.
TOO_LONG_SECONDS: float = 86400


def derive_peculiarities(
    sleep_stages: Sequence[int] | np.ndarray,
    start_time: datetime,
    end_time: datetime,
    *,
    too_short_seconds: float = TOO_SHORT_SECONDS,
) -> list[str]:
    """Labels among ``NEVER_SLEPT``, ``TOO_SHORT_FOR_ANALYSIS``, ``TOO_LONG_FOR_ANALYSIS``.

    Parameters
    ----------
    sleep_stages
        One code per epoch (-1 error, 0 wake, 1 light, 2 deep, 3 REM).
    start_time, end_time
        Timezone-aware session start and end.
    too_short_seconds
        Threshold of ``TOO_SHORT_FOR_ANALYSIS`` (default 300 s).

    Returns
    -------
    list of str
        The labels that apply, in the order above.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> start = datetime(2025, 1, 15, 22, 0, tzinfo=UTC)
    >>> derive_peculiarities([0, 1, 1, 0], start, start + timedelta(hours=25))
    ['TOO_LONG_FOR_ANALYSIS']
    """
    start = aware_datetime(start_time, "start_time")
    end = aware_datetime(end_time, "end_time")
    stages = np.asarray(sleep_stages)
    tib = (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()
    labels = []
    if _never_slept(stages):
        labels.append("NEVER_SLEPT")
    if tib < too_short_seconds:
        labels.append("TOO_SHORT_FOR_ANALYSIS")
    if tib > TOO_LONG_SECONDS:
        labels.append("TOO_LONG_FOR_ANALYSIS")
    return labels


def error_epoch_share(sleep_stages: Sequence[int] | np.ndarray) -> float:
    """Share of error epochs (-1) among a night's epochs; ``nan`` when empty.

    ``PAD`` slots (cohort padding) are not epochs and are ignored.

    Examples
    --------
    >>> error_epoch_share([0, -1, 1, 1])
    0.25
    """
    return float(no_signal_share(np.asarray(sleep_stages, dtype=np.int64))[0])


def peculiarity_flags(cohort: xr.Dataset, *, too_short_seconds: float = TOO_SHORT_SECONDS) -> xr.Dataset:
    """The derivable peculiarities of every session of a cohort, vectorised.

    Parameters
    ----------
    cohort
        Dims ``session``, ``epoch``; ``sleep_stage`` padded with ``PAD``;
        coords ``start_time`` and ``end_time`` (``datetime64``).
    too_short_seconds
        Threshold of ``TOO_SHORT_FOR_ANALYSIS``.

    Returns
    -------
    xarray.Dataset
        Boolean ``NEVER_SLEPT``, ``TOO_SHORT_FOR_ANALYSIS``,
        ``TOO_LONG_FOR_ANALYSIS`` and float ``error_epoch_share`` along
        ``session``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> cohort = xr.Dataset(
    ...     {"sleep_stage": (("session", "epoch"), np.array([[0, -1, 1, 0], [0, 0, -2, -2]], "int8"))},
    ...     coords={"start_time": ("session", np.array(["2025-01-01T22:00", "2025-01-02T22:00"], "M8[ns]")),
    ...             "end_time": ("session", np.array(["2025-01-01T22:02", "2025-01-02T22:01"], "M8[ns]"))})
    >>> flags = peculiarity_flags(cohort)
    >>> flags["NEVER_SLEPT"].values.tolist(), flags["error_epoch_share"].values.tolist()
    ([False, True], [0.25, 0.0])
    """
    stages = cohort["sleep_stage"]
    tib = (cohort["end_time"] - cohort["start_time"]) / np.timedelta64(1, "s")
    share = xr.apply_ufunc(
        no_signal_share, stages, input_core_dims=[["epoch"]], dask="parallelized", output_dtypes=[np.float64]
    )
    return xr.Dataset(
        {
            "NEVER_SLEPT": xr.apply_ufunc(
                _never_slept, stages, input_core_dims=[["epoch"]], dask="parallelized", output_dtypes=[bool]
            ),
            "TOO_SHORT_FOR_ANALYSIS": tib < too_short_seconds,
            "TOO_LONG_FOR_ANALYSIS": tib > TOO_LONG_SECONDS,
            "error_epoch_share": share,
        }
    )


def _never_slept(stages: np.ndarray) -> np.ndarray:
    """Nights without a sleep onset: no epoch scored light, deep or REM (the rules agree on this)."""
    return np.asarray(research_sleep_period(stages).onset < 0)
