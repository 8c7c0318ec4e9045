"""Data quality of a cohort: no-signal epochs, long no-signal runs at a night's edges, flagged nights.

The API scores an epoch -1 when its audio was unusable or its analysis
failed: nothing is known of the sleeper then, and reports call it
"No signal". How much of a night is no signal, and where, decides how far
its numbers can be trusted:

- the **no-signal share** of a night is its -1 epochs over its epochs
  (padding excluded); a night whose share exceeds a threshold
  (:data:`FLAG_NO_SIGNAL_SHARE` by default) is **flagged**, and an analysis
  may leave flagged nights out;
- a **leading** (trailing) no-signal run is the run of -1 epochs that opens
  (closes) a night. Under the vendor's rule a leading run counts as "not
  wake", so it is *sleep latency 0*; a run longer than
  :data:`LONG_EDGE_RUN_MINUTES` is counted per group;
- the **research sleep latency** is the time from the session start to the
  first epoch scored as sleep (light, deep or REM: the research onset rule
  of :mod:`asleep_nb.definitions.rules`), next to the vendor's
  ``sleep_latency`` of the ``stat`` object.

Functions on a stage matrix (sessions x epochs, ``int8``, padded with
``PAD``; one night may be given 1-D) are vectorised numpy;
:func:`night_quality`, :func:`group_quality` and :func:`peculiarity_counts`
turn a cohort into tidy tables.

Examples
--------
>>> import numpy as np
>>> stages = np.array([[-1, -1, 0, 1, 1, 0], [0, 1, 2, -1, -2, -2]], dtype=np.int8)
>>> no_signal_share(stages).round(3).tolist()
[0.333, 0.25]
>>> [runs.tolist() for runs in edge_no_signal_runs(stages)]
[[2, 0], [0, 1]]
>>> research_sleep_latency(stages).values.tolist()  # seconds: epoch 3 and epoch 1
[90.0, 30.0]
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import xarray as xr
from numpy.typing import ArrayLike

from asleep_nb.definitions import EPOCH_SECONDS, PAD, SleepStage
from asleep_nb.definitions.adherence import FLAG_NO_SIGNAL_SHARE
from asleep_nb.stats.night import research_sleep_latency

__all__ = [
    "FLAG_NO_SIGNAL_SHARE",
    "check_flag_share",
    "check_run_minutes",
    "LONG_EDGE_RUN_MINUTES",
    "NO_SIGNAL",
    "edge_no_signal_runs",
    "group_quality",
    "night_quality",
    "no_signal_share",
    "peculiarity_counts",
    "research_sleep_latency",
]

#: The stage code of an epoch without signal (the API's -1).
NO_SIGNAL: Final = int(SleepStage.ERROR)
#: A leading or trailing no-signal run longer than this many minutes is a *long* edge run.
LONG_EDGE_RUN_MINUTES: Final = 30.0


def _matrix(stages: ArrayLike) -> np.ndarray:
    """Stage codes as a 2-D integer array (one night becomes one row)."""
    codes = np.asarray(stages)
    if codes.ndim == 1:
        codes = codes[None, :]
    if codes.ndim != 2:
        raise ValueError(f"stages must be 1-D (one night) or 2-D (sessions, epochs), got shape {codes.shape}")
    if codes.dtype == bool or not np.issubdtype(codes.dtype, np.integer):
        raise TypeError(f"stages must hold integer stage codes, got dtype {codes.dtype}")
    return codes


def _first_epoch(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column of each row's first epoch (0 for a row without any) and its number of epochs."""
    valid = codes != PAD
    return np.argmax(valid, axis=1), valid.sum(axis=1)


def no_signal_share(stages: ArrayLike) -> np.ndarray:
    """Share of no-signal (-1) epochs in each night; ``nan`` for a night without epochs.

    Parameters
    ----------
    stages
        Integer stage codes: one night (1-D) or sessions x epochs padded with ``PAD``.

    Returns
    -------
    numpy.ndarray
        ``float64``, one value per night (shape ``(1,)`` for one night).

    Examples
    --------
    >>> no_signal_share([[0, -1, 1, 1], [-2, -2, -2, -2]]).tolist()
    [0.25, nan]
    """
    codes = _matrix(stages)
    n = (codes != PAD).sum(axis=1)
    lost = (codes == NO_SIGNAL).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, lost / np.maximum(n, 1), np.nan)


def edge_no_signal_runs(stages: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Length in epochs of the no-signal run opening and of the one closing each night.

    A night's epochs are contiguous between ``PAD`` slots (any alignment).
    A night made only of no-signal epochs has both runs equal to its length;
    a night without epochs has 0 and 0.

    Parameters
    ----------
    stages
        Integer stage codes: one night (1-D) or sessions x epochs padded with ``PAD``.

    Returns
    -------
    leading, trailing : numpy.ndarray
        ``int64`` epoch counts, one per night.

    Examples
    --------
    >>> lead, trail = edge_no_signal_runs([[-2, -1, -1, 0, -1, -2], [-1, -1, -1, -2, -2, -2]])
    >>> lead.tolist(), trail.tolist()
    ([2, 3], [1, 3])
    """
    codes = _matrix(stages)
    first, n = _first_epoch(codes)
    signal = (codes != PAD) & (codes != NO_SIGNAL)
    has_signal = signal.any(axis=1)
    first_signal = np.argmax(signal, axis=1)
    last_signal = codes.shape[1] - 1 - np.argmax(signal[:, ::-1], axis=1)
    last = first + n - 1
    leading = np.where(has_signal, first_signal - first, n)
    trailing = np.where(has_signal, last - last_signal, n)
    return leading.astype(np.int64), trailing.astype(np.int64)


def check_flag_share(share: object) -> float:
    """A no-signal share threshold as a ``float``, checked to lie in [0, 1].

    Raises
    ------
    ValueError
        Not a number in [0, 1].

    Examples
    --------
    >>> check_flag_share("0.25")
    0.25
    """
    value = _as_float(share)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"the no-signal threshold must be a share between 0 and 1, got {share!r}")
    return value


def check_run_minutes(minutes: object) -> float:
    """A long-run threshold as a ``float``, checked to be a finite, non-negative number of minutes.

    Raises
    ------
    ValueError
        Not a finite number >= 0.

    Examples
    --------
    >>> check_run_minutes(30)
    30.0
    """
    value = _as_float(minutes)
    if not 0.0 <= value < np.inf:
        raise ValueError(f"the long no-signal run must be a non-negative number of minutes, got {minutes!r}")
    return value


def _as_float(value: object) -> float:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


def night_quality(
    cohort: xr.Dataset,
    *,
    flag_share: float = FLAG_NO_SIGNAL_SHARE,
    long_run_minutes: float = LONG_EDGE_RUN_MINUTES,
) -> pd.DataFrame:
    """One row per night: its no-signal share and edge runs, whether it is flagged, both latencies.

    Parameters
    ----------
    cohort
        A cohort (:func:`asleep_nb.to_cohort`, any alignment): ``sleep_stage``
        along (``session``, ``epoch``) and the coordinates ``session_id``,
        ``user_id``, ``group``; ``peculiarities`` and ``sleep_latency`` are
        used when present.
    flag_share
        A night whose no-signal share exceeds this (in [0, 1]) is flagged.
    long_run_minutes
        An edge run longer than this is long.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``session_id``, in the cohort's order; columns ``user_id``,
        ``group``, ``epochs``, ``no_signal_epochs``, ``no_signal_share``,
        ``leading_no_signal`` and ``trailing_no_signal`` (minutes),
        ``long_leading``, ``long_trailing``, ``flagged`` (bool),
        ``peculiarities`` (comma-separated text), ``sleep_latency`` (the
        ``stat`` object's, seconds) and ``research_sleep_latency`` (seconds).
        ``attrs`` record ``flag_share`` and ``long_run_minutes``.

    Raises
    ------
    ValueError
        A threshold out of range.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> stages = np.array([[-1] * 70 + [1] * 50, [0] * 10 + [1] * 100 + [-1] * 10], dtype=np.int8)
    >>> cohort = xr.Dataset({"sleep_stage": (("session", "epoch"), stages)},
    ...                     coords={"session_id": ("session", ["a", "b"]),
    ...                             "user_id": ("session", ["u1", "u2"]),
    ...                             "group": ("session", ["x", "x"])})
    >>> q = night_quality(cohort)
    >>> q[["leading_no_signal", "long_leading", "flagged"]].values.tolist()
    [[35.0, True, True], [0.0, False, False]]
    >>> q["research_sleep_latency"].tolist()
    [2100.0, 300.0]
    """
    flag_share, long_run_minutes = check_flag_share(flag_share), check_run_minutes(long_run_minutes)
    codes = _matrix(cohort["sleep_stage"].values)
    _, n = _first_epoch(codes)
    leading, trailing = edge_no_signal_runs(codes)
    share = no_signal_share(codes)
    minutes = EPOCH_SECONDS / 60.0
    frame = pd.DataFrame(
        {
            "user_id": np.asarray(cohort["user_id"].values, dtype=object),
            "group": np.asarray(cohort["group"].values, dtype=object),
            "epochs": n.astype(np.int64),
            "no_signal_epochs": (codes == NO_SIGNAL).sum(axis=1).astype(np.int64),
            "no_signal_share": share,
            "leading_no_signal": leading * minutes,
            "trailing_no_signal": trailing * minutes,
            "long_leading": leading * minutes > long_run_minutes,
            "long_trailing": trailing * minutes > long_run_minutes,
            "flagged": np.nan_to_num(share, nan=0.0) > flag_share,
            "peculiarities": _per_session(cohort, "peculiarities", ""),
            "sleep_latency": np.asarray(_per_session(cohort, "sleep_latency", np.nan), dtype=np.float64),
            "research_sleep_latency": np.asarray(research_sleep_latency(codes), dtype=float),
        },
        index=pd.Index(np.asarray(cohort["session_id"].values, dtype=object), name="session_id"),
    )
    frame.attrs.update({"flag_share": float(flag_share), "long_run_minutes": float(long_run_minutes)})
    return frame


def _per_session(cohort: xr.Dataset, name: str, missing: object) -> np.ndarray:
    """A per-session variable's values, or ``missing`` for every session when absent."""
    if name in cohort.variables and cohort[name].dims == ("session",):
        return np.asarray(cohort[name].values)
    return np.full(cohort.sizes["session"], missing, dtype=object)


def group_quality(nights: pd.DataFrame) -> pd.DataFrame:
    """Per group: nights, pooled no-signal share, nights with long edge runs, flagged nights.

    Parameters
    ----------
    nights
        The output of :func:`night_quality`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``group`` (sorted); columns ``nights``, ``epochs``,
        ``no_signal_share`` (the group's no-signal epochs over its epochs,
        every night weighted by its length), ``long_leading``,
        ``long_trailing`` and ``flagged`` (numbers of nights).

    Examples
    --------
    >>> nights = pd.DataFrame({"group": ["x", "x", "y"], "epochs": [100, 300, 50],
    ...                        "no_signal_epochs": [50, 50, 0], "long_leading": [True, False, False],
    ...                        "long_trailing": [False, False, False], "flagged": [True, False, False]})
    >>> group_quality(nights)[["nights", "no_signal_share", "flagged"]].values.tolist()
    [[2.0, 0.25, 1.0], [1.0, 0.0, 0.0]]
    """
    grouped = nights.groupby("group", sort=True)
    out = grouped.agg(
        nights=("epochs", "size"),
        epochs=("epochs", "sum"),
        no_signal_epochs=("no_signal_epochs", "sum"),
        long_leading=("long_leading", "sum"),
        long_trailing=("long_trailing", "sum"),
        flagged=("flagged", "sum"),
    )
    out.insert(2, "no_signal_share", out["no_signal_epochs"] / out["epochs"].where(out["epochs"] > 0))
    counts = ["nights", "epochs", "long_leading", "long_trailing", "flagged"]
    out[counts] = out[counts].astype(np.int64)
    return out.drop(columns="no_signal_epochs")


def peculiarity_counts(nights: pd.DataFrame) -> pd.DataFrame:
    """How many nights of each group carry each peculiarity label.

    Parameters
    ----------
    nights
        A table with columns ``group`` and ``peculiarities`` (comma-separated
        labels, ``""`` for none), such as :func:`night_quality`'s.

    Returns
    -------
    pandas.DataFrame
        One row per label (sorted), one ``int64`` column per group (sorted);
        no rows when no night has a peculiarity.

    Examples
    --------
    >>> nights = pd.DataFrame({"group": ["x", "x", "y"],
    ...                        "peculiarities": ["NEVER_SLEPT,TOO_SHORT_FOR_ANALYSIS", "", "NEVER_SLEPT"]})
    >>> peculiarity_counts(nights).to_dict(orient="index")
    {'NEVER_SLEPT': {'x': 1, 'y': 1}, 'TOO_SHORT_FOR_ANALYSIS': {'x': 1, 'y': 0}}
    """
    pairs = pd.DataFrame(
        {"group": nights["group"].to_numpy(), "label": nights["peculiarities"].fillna("").astype(str)}
    )
    pairs["label"] = pairs["label"].str.split(",")
    pairs = pairs.explode("label")
    pairs = pairs[pairs["label"].str.strip() != ""]
    groups = sorted(nights["group"].unique().tolist(), key=str)
    table = pd.crosstab(pairs["label"], pairs["group"]).reindex(columns=groups, fill_value=0)
    table.columns.name = None
    table.index.name = "peculiarity"
    return table.sort_index().astype(np.int64)
