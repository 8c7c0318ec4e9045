"""Research metrics of one night, beyond the API's ``stat`` object.

Every function accepts the same three kinds of input:

* a 1-D array-like of stage codes (``-1`` error, ``0`` wake, ``1`` light,
  ``2`` deep, ``3`` REM; :data:`asleep_nb.definitions.PAD` slots are ignored);
* the ``sleep_stage`` :class:`xarray.DataArray` of one night (dim ``time``),
  or the night's :class:`xarray.Dataset`;
* a cohort: a :class:`xarray.Dataset` with ``sleep_stage`` along
  (``session``, ``epoch``), or that ``DataArray``, padded with ``PAD``.

A single night gives a Python ``float`` (or a small ``DataArray`` /
``DataFrame``); a cohort gives one value per session as a ``DataArray`` along
``session`` that keeps the cohort's per-session coordinates. Cohorts are
computed with array operations across all sessions at once, and give exactly
what the single-night call gives on each session.

Epoch positions are counted from each session's first epoch: a session's
epochs are its non-``PAD`` slots, whatever the cohort's alignment.

Examples
--------
>>> from asleep_nb.stats.night import persistent_sleep_latency, rem_latency_from_onset
>>> night = [0] * 4 + [1] * 25 + [3] * 3 + [0] * 2
>>> persistent_sleep_latency(night)
120.0
>>> rem_latency_from_onset(night)
750.0
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions import EPOCH_SECONDS, PAD, SleepStage

__all__ = [
    "STAGE_NAMES",
    "LIGHTENING_TRANSITIONS",
    "StageMatrix",
    "stage_matrix",
    "sleep_period_bounds",
    "persistent_sleep_latency",
    "sleep_fragmentation_index",
    "transition_counts",
    "transition_probabilities",
    "stage_bouts",
    "rem_latency_from_onset",
]

#: Names of the scored stages, in code order (index = code), as used for the
#: ``from_stage`` / ``to_stage`` labels of transition matrices.
STAGE_NAMES: tuple[str, ...] = ("wake", "light", "deep", "rem")

#: Names of every code a stage array may hold, error first (for bouts).
_CODE_NAMES: dict[int, str] = {int(s): s.name.lower() for s in SleepStage}

#: The (from, to) transitions counted by :func:`sleep_fragmentation_index`:
#: every shift from sleep to wake, plus deep -> light and REM -> light.
LIGHTENING_TRANSITIONS: frozenset[tuple[int, int]] = frozenset({(1, 0), (2, 0), (3, 0), (2, 1), (3, 1)})

_VALID_CODES = np.array(sorted({PAD, *(int(s) for s in SleepStage)}))
Within = Literal["sleep_period", "night"]


@dataclass(frozen=True)
class StageMatrix:
    """Stage codes of one or more sessions, left-justified, ready for array work.

    Attributes
    ----------
    codes
        ``int8`` array (session, epoch): each session's epochs from its first
        epoch on, then ``PAD`` up to the longest session.
    n_epochs
        Number of epochs of each session.
    start_time
        UTC-naive ``datetime64`` start of each session's first epoch, or
        ``None`` when the input does not carry it.
    session_coords
        The cohort's coordinates along ``session`` (``None`` for one night).
    """

    codes: np.ndarray
    n_epochs: np.ndarray
    start_time: np.ndarray | None
    session_coords: dict[Hashable, xr.DataArray] | None

    @property
    def is_cohort(self) -> bool:
        """Whether the input was a cohort (results go along ``session``)."""
        return self.session_coords is not None


def _check_codes(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{what} must hold integer stage codes, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{what} is empty: a night needs at least one epoch")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{what} holds values that are not whole stage codes (NaN or fractions)")
    bad = np.setdiff1d(np.unique(arr), _VALID_CODES)
    if bad.size:
        raise ValueError(
            f"{what} holds unknown stage codes {bad.tolist()[:10]}; "
            f"expected -1 (error), 0 (wake), 1 (light), 2 (deep), 3 (REM) or PAD ({PAD})"
        )
    return arr.astype(np.int8)


def _left_justify(codes: np.ndarray) -> np.ndarray:
    pad = codes == PAD
    if not pad.any():
        return codes
    order = np.argsort(pad, axis=1, kind="stable")
    return np.take_along_axis(codes, order, axis=1)


def stage_matrix(stages: Any) -> StageMatrix:
    """Normalise any accepted stage input to a :class:`StageMatrix`.

    Parameters
    ----------
    stages
        A 1-D array-like of stage codes, a single night's ``sleep_stage``
        ``DataArray`` (or its ``Dataset``), or a cohort ``Dataset`` /
        ``DataArray`` with dims (``session``, ``epoch``).

    Returns
    -------
    StageMatrix

    Raises
    ------
    TypeError
        When the codes are not numbers.
    ValueError
        When the input is empty, has the wrong dimensions or holds unknown codes.

    Examples
    --------
    >>> m = stage_matrix([0, -2, 1, 1])
    >>> m.codes.tolist(), m.n_epochs.tolist(), m.is_cohort
    ([[0, 1, 1, -2]], [3], False)
    """
    if isinstance(stages, xr.Dataset):
        if "sleep_stage" not in stages.data_vars:
            raise ValueError("the dataset has no 'sleep_stage' variable")
        stages = stages["sleep_stage"]
    if isinstance(stages, xr.DataArray):
        if stages.ndim == 1:
            codes = _check_codes(stages.values, "sleep_stage")[None, :]
            start = None
            dim = stages.dims[0]
            if dim in stages.coords and np.issubdtype(stages[dim].dtype, np.datetime64):
                start = stages[dim].values[:1].astype("datetime64[ns]")
            return _finish(codes, start, None)
        if stages.ndim == 2 and set(stages.dims) == {"session", "epoch"}:
            da = stages.transpose("session", "epoch")
            if da.sizes["session"] == 0:
                raise ValueError("the cohort has no sessions")
            codes = _check_codes(da.values, "sleep_stage")
            coords = {name: c.variable for name, c in da.coords.items() if c.dims == ("session",)}
            start = None
            if "start_time" in da.coords and np.issubdtype(da["start_time"].dtype, np.datetime64):
                start = da["start_time"].values.astype("datetime64[ns]")
            return _finish(codes, start, {k: xr.DataArray(v, dims="session") for k, v in coords.items()})
        raise ValueError(
            f"sleep_stage must have dim ('time',) for one night or ('session', 'epoch') for a cohort, "
            f"got {stages.dims}"
        )
    if isinstance(stages, (str, bytes)) or np.ndim(stages) != 1:
        raise ValueError(
            "stages must be a 1-D array of codes (one night) or a cohort xarray object with dims "
            f"('session', 'epoch'); got an object with {np.ndim(stages)} dimensions"
        )
    return _finish(_check_codes(stages, "stages")[None, :], None, None)


def _finish(codes: np.ndarray, start: np.ndarray | None, coords: dict | None) -> StageMatrix:
    codes = _left_justify(codes)
    n_epochs = (codes != PAD).sum(axis=1)
    if coords is None and n_epochs[0] == 0:
        raise ValueError("the night has no epochs (only padding)")
    return StageMatrix(codes, n_epochs, start, coords)


def _wrap(values: np.ndarray, m: StageMatrix, name: str, attrs: dict[str, str]) -> Any:
    """Give one night's value as a Python float, a cohort's as a DataArray."""
    if not m.is_cohort:
        return float(values[0])
    return xr.DataArray(values, dims="session", coords=m.session_coords, name=name, attrs=attrs)


def sleep_period_bounds(m: StageMatrix) -> tuple[np.ndarray, np.ndarray]:
    """Sleep onset and final-awakening epoch indices of every session.

    Onset is the first epoch that is not wake, the final awakening the last
    such epoch (the vendor's ``first`` and ``last``; error epochs count as
    not wake). Both are ``-1`` for a session without such an epoch.

    Examples
    --------
    >>> sleep_period_bounds(stage_matrix([0, 1, 0, 2, 0]))
    (array([1]), array([3]))
    """
    nonwake = (m.codes != SleepStage.WAKE) & (m.codes != PAD)
    has = nonwake.any(axis=1)
    n = m.codes.shape[1]
    first = np.where(has, nonwake.argmax(axis=1), -1)
    last = np.where(has, n - 1 - nonwake[:, ::-1].argmax(axis=1), -1)
    return first, last


def persistent_sleep_latency(stages: Any, *, min_epochs: int = 20) -> Any:
    """Latency to persistent sleep, in seconds.

    The time from the session's first epoch to the start of the first run of
    at least ``min_epochs`` consecutive sleep epochs (light, deep or REM; an
    error epoch breaks the run). With the default 20 epochs of 30 s this is
    the "latency to persistent sleep" (LPS) of insomnia trials: the first
    10 minutes of uninterrupted sleep.

    Parameters
    ----------
    stages
        One night or a cohort (see the module docstring).
    min_epochs
        Length of the run of sleep that counts as persistent (default 20).

    Returns
    -------
    float or xarray.DataArray
        Seconds; ``NaN`` when there is no such run.

    References
    ----------
    .. [1] Roth T, Stubbs C, Walsh JK. Ramelteon (TAK-375), a selective
       MT1/MT2-receptor agonist, reduces latency to persistent sleep in a
       model of transient insomnia related to a novel sleep environment.
       Sleep 2005;28(3):303-307 (LPS: start of the first 20 consecutive
       epochs of sleep).

    Examples
    --------
    >>> persistent_sleep_latency([0, 0, 1, 0] + [2] * 20)
    120.0
    >>> persistent_sleep_latency([1] * 19)
    nan
    """
    if not isinstance(min_epochs, (int, np.integer)) or isinstance(min_epochs, bool) or min_epochs < 1:
        raise ValueError(f"min_epochs must be a positive integer, got {min_epochs!r}")
    m = stage_matrix(stages)
    sleep = m.codes >= SleepStage.LIGHT
    total = np.cumsum(sleep, axis=1, dtype=np.int32)
    run = total - np.maximum.accumulate(np.where(sleep, 0, total), axis=1)
    hit = run >= min_epochs
    start = hit.argmax(axis=1) - (min_epochs - 1)
    out = np.where(hit.any(axis=1), start * float(EPOCH_SECONDS), np.nan)
    return _wrap(
        out, m, "persistent_sleep_latency", {"units": "s", "long_name": "latency to persistent sleep"}
    )


def rem_latency_from_onset(stages: Any) -> Any:
    """REM latency: seconds from sleep onset to the first REM epoch.

    Sleep onset is the first epoch that is not wake (an error epoch counts as
    not wake, the vendor's rule), so this equals the API's ``rem_latency``.

    Returns
    -------
    float or xarray.DataArray
        Seconds; ``NaN`` when the night has no REM epoch.

    References
    ----------
    .. [1] Berry RB et al. The AASM Manual for the Scoring of Sleep and
       Associated Events, version 2.6. American Academy of Sleep Medicine,
       2020 (REM latency: from sleep onset to the first epoch of REM).

    Examples
    --------
    >>> rem_latency_from_onset([0, 0, 1, 1, 2, 3, 0])
    90.0
    >>> rem_latency_from_onset([0, 1, 2])
    nan
    """
    m = stage_matrix(stages)
    first, _ = sleep_period_bounds(m)
    rem = m.codes == SleepStage.REM
    out = np.where(rem.any(axis=1), (rem.argmax(axis=1) - first) * float(EPOCH_SECONDS), np.nan)
    return _wrap(
        out, m, "rem_latency_from_onset", {"units": "s", "long_name": "REM latency from sleep onset"}
    )


def _transition_counts_array(m: StageMatrix, within: Within) -> np.ndarray:
    if within not in ("sleep_period", "night"):
        raise ValueError(f"within must be 'sleep_period' or 'night', got {within!r}")
    a, b = m.codes[:, :-1], m.codes[:, 1:]
    ok = (a >= 0) & (b >= 0)
    if within == "sleep_period":
        first, last = sleep_period_bounds(m)
        i = np.arange(a.shape[1])
        ok &= (i >= first[:, None]) & (i + 1 <= last[:, None])
    n_sessions = m.codes.shape[0]
    session = np.broadcast_to(np.arange(n_sessions)[:, None], a.shape)
    flat = (session[ok] * 16 + a[ok].astype(np.int64) * 4 + b[ok]).ravel()
    return np.bincount(flat, minlength=n_sessions * 16).reshape(n_sessions, 4, 4)


def _matrix_dataarray(values: np.ndarray, m: StageMatrix, name: str, attrs: dict) -> xr.DataArray:
    labels = {"from_stage": list(STAGE_NAMES), "to_stage": list(STAGE_NAMES)}
    if not m.is_cohort:
        return xr.DataArray(values[0], dims=("from_stage", "to_stage"), coords=labels, name=name, attrs=attrs)
    return xr.DataArray(
        values,
        dims=("session", "from_stage", "to_stage"),
        coords={**m.session_coords, **labels},
        name=name,
        attrs=attrs,
    )


def transition_counts(stages: Any, *, within: Within = "sleep_period") -> xr.DataArray:
    """Counts of epoch-to-epoch stage transitions.

    Every pair of consecutive epochs (i, i + 1) is one transition from the
    stage of i to the stage of i + 1, self-transitions included. A pair
    involving an error epoch (or padding) is not counted.

    Parameters
    ----------
    stages
        One night or a cohort (see the module docstring).
    within
        ``"sleep_period"`` (default): only pairs with both epochs between
        sleep onset and the final awakening (the vendor's first and last
        non-wake epochs), so sleep-latency wake and the final awakening are
        left out. ``"night"``: every pair of the recording.

    Returns
    -------
    xarray.DataArray
        ``int64`` counts with dims (``from_stage``, ``to_stage``) labelled
        ``"wake"``, ``"light"``, ``"deep"``, ``"rem"``; a cohort adds a
        leading ``session`` dim.

    References
    ----------
    .. [1] Swihart BJ, Caffo B, Bandeen-Roche K, Punjabi NM. Characterizing
       sleep structure using the hypnogram. J Clin Sleep Med
       2008;4(4):349-355.

    Examples
    --------
    >>> c = transition_counts([0, 1, 1, 2, 1, 0, 0], within="night")
    >>> int(c.sel(from_stage="light", to_stage="deep")), int(c.sel(from_stage="wake", to_stage="wake"))
    (1, 1)
    >>> int(transition_counts([0, 1, 1, 2, 1, 0, 0]).sum())
    3
    """
    m = stage_matrix(stages)
    counts = _transition_counts_array(m, within)
    attrs = {"long_name": "epoch-to-epoch stage transitions", "units": "1", "within": within}
    return _matrix_dataarray(counts, m, "transition_counts", attrs)


def transition_probabilities(
    stages: Any, *, within: Within = "sleep_period", self_transitions: bool = True
) -> xr.DataArray:
    """Stage transition probabilities: :func:`transition_counts`, row-normalised.

    Entry (a, b) estimates P(next epoch is b | this epoch is a).

    Parameters
    ----------
    stages
        One night or a cohort (see the module docstring).
    within
        As for :func:`transition_counts`.
    self_transitions
        ``False`` drops a -> a transitions before normalising, giving the
        probabilities of where a bout of each stage goes when it ends; the
        diagonal is then ``NaN``.

    Returns
    -------
    xarray.DataArray
        ``float64`` with the dims of :func:`transition_counts`; a row is
        ``NaN`` when no counted transition leaves that stage.

    References
    ----------
    .. [1] Swihart BJ, Caffo B, Bandeen-Roche K, Punjabi NM. Characterizing
       sleep structure using the hypnogram. J Clin Sleep Med
       2008;4(4):349-355.

    Examples
    --------
    >>> p = transition_probabilities([1, 1, 1, 2, 1, 3, 1])
    >>> p.sel(from_stage="light").values.tolist()
    [0.0, 0.5, 0.25, 0.25]
    >>> p.sel(from_stage="wake").isnull().all().item()
    True
    """
    m = stage_matrix(stages)
    counts = _transition_counts_array(m, within).astype(np.float64)
    eye = np.eye(4, dtype=bool)
    if not self_transitions:
        counts[:, eye] = 0.0
    totals = counts.sum(axis=2, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        probs = np.where(totals > 0, counts / totals, np.nan)
    if not self_transitions:
        probs[:, eye] = np.nan
    attrs = {
        "long_name": "stage transition probabilities (rows: from_stage)",
        "units": "1",
        "within": within,
        "self_transitions": int(self_transitions),
    }
    return _matrix_dataarray(probs, m, "transition_probabilities", attrs)


def sleep_fragmentation_index(stages: Any, *, within: Within = "sleep_period") -> Any:
    """Sleep fragmentation index: awakenings and shifts to lighter sleep per hour of sleep.

    The count of epoch-to-epoch transitions in
    :data:`LIGHTENING_TRANSITIONS` (light -> wake, deep -> wake, REM -> wake,
    deep -> light, REM -> light), divided by total sleep time in hours
    (light + deep + REM epochs x 30 s over the whole recording). With four
    classes, "lighter sleep" means wake from any sleep stage, or light from
    deep or from REM (light stands for N1/N2). Transitions are counted as by
    :func:`transition_counts` with the same ``within``: pairs involving an
    error epoch are not counted, and with ``"sleep_period"`` (default) the
    final awakening, which lies after the sleep period, is not counted.

    Parameters
    ----------
    stages
        One night or a cohort (see the module docstring).
    within
        ``"sleep_period"`` or ``"night"``, as for :func:`transition_counts`.

    Returns
    -------
    float or xarray.DataArray
        Transitions per hour of sleep; ``NaN`` for a night without sleep.

    References
    ----------
    .. [1] Haba-Rubio J, Ibanez V, Sforza E. An alternative measure of sleep
       fragmentation in clinical practice: the sleep fragmentation index.
       Sleep Med 2004;5(6):577-581.

    Examples
    --------
    One hour of sleep (120 epochs) with one awakening and one deep -> light shift:

    >>> night = [0] * 4 + [1] * 40 + [2] * 20 + [1] * 20 + [0] * 2 + [1] * 40 + [0] * 3
    >>> sleep_fragmentation_index(night)
    2.0
    """
    m = stage_matrix(stages)
    counts = _transition_counts_array(m, within)
    frm, to = zip(*sorted(LIGHTENING_TRANSITIONS), strict=True)
    shifts = counts[:, list(frm), list(to)].sum(axis=1)
    sleep_hours = (m.codes >= SleepStage.LIGHT).sum(axis=1) * (EPOCH_SECONDS / 3600.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(sleep_hours > 0, shifts / sleep_hours, np.nan)
    attrs = {"units": "1/h", "long_name": "sleep fragmentation index", "within": within}
    return _wrap(out, m, "sleep_fragmentation_index", attrs)


def stage_bouts(stages: Any, *, min_epochs: int = 1) -> pd.DataFrame:
    """Runs of identical stage (bouts), one row per bout, in time order.

    Parameters
    ----------
    stages
        One night or a cohort (see the module docstring). Error epochs form
        bouts of stage ``"error"``; padding forms none.
    min_epochs
        Keep only bouts of at least this many epochs (default 1: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``session`` (cohorts only: the ``session`` coordinate's
        value), ``stage`` (categorical: error, wake, light, deep, rem),
        ``start_epoch`` (index from the session's first epoch), ``n_epochs``,
        ``duration_s`` (``n_epochs * 30``), and ``start_time`` (UTC-naive
        ``datetime64``) when the input carries the start time.

    References
    ----------
    .. [1] Swihart BJ, Caffo B, Bandeen-Roche K, Punjabi NM. Characterizing
       sleep structure using the hypnogram. J Clin Sleep Med
       2008;4(4):349-355 (bout durations by stage).

    Examples
    --------
    >>> stage_bouts([0, 0, 1, 1, 1, -1, 1]).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'stage': ['wake', 'light', 'error', 'light'], 'start_epoch': [0, 2, 5, 6],
     'n_epochs': [2, 3, 1, 1], 'duration_s': [60, 90, 30, 30]}
    """
    if not isinstance(min_epochs, (int, np.integer)) or isinstance(min_epochs, bool) or min_epochs < 1:
        raise ValueError(f"min_epochs must be a positive integer, got {min_epochs!r}")
    m = stage_matrix(stages)
    codes = m.codes
    width = codes.shape[1]
    starts_mask = np.ones_like(codes, dtype=bool)
    starts_mask[:, 1:] = codes[:, 1:] != codes[:, :-1]
    flat_starts = np.flatnonzero(starts_mask)
    lengths = np.diff(np.append(flat_starts, codes.size))
    row, col = np.divmod(flat_starts, width)
    code = codes.ravel()[flat_starts]
    keep = (code != PAD) & (lengths >= min_epochs)
    row, col, code, lengths = row[keep], col[keep], code[keep], lengths[keep]
    categories = [_CODE_NAMES[c] for c in sorted(_CODE_NAMES)]
    columns: dict[str, Any] = {}
    if m.is_cohort:
        session_values = m.session_coords["session"].values if "session" in m.session_coords else None
        columns["session"] = session_values[row] if session_values is not None else row
    columns["stage"] = pd.Categorical.from_codes(code.astype(np.int64) + 1, categories=categories)
    columns["start_epoch"] = col.astype(np.int64)
    columns["n_epochs"] = lengths.astype(np.int64)
    columns["duration_s"] = lengths.astype(np.int64) * EPOCH_SECONDS
    if m.start_time is not None:
        columns["start_time"] = m.start_time[row] + col.astype("timedelta64[s]") * EPOCH_SECONDS
    return pd.DataFrame(columns)
