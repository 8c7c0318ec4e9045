"""Stage transitions of a night or a cohort: counts, probabilities, fragmentation.

Inputs are those of :mod:`asleep_nb.stats.stage_matrix` (one night or a
cohort). ``within="sleep_period"`` restricts transitions to the sleep period
of the **research rule** (:func:`asleep_nb.definitions.research_sleep_period`:
from the first to the last epoch scored as sleep), so wake before sleep
onset and after the final awakening is left out, as is a run of no signal
before the first sleep epoch.

Examples
--------
>>> from asleep_nb.stats.transitions import transition_counts
>>> int(transition_counts([0, -1, 1, 1, 0, 1, -1, 0]).sum())  # 1-1, 1-0, 0-1
3
"""

from __future__ import annotations

import functools
from typing import Any, Literal

import numpy as np
import xarray as xr

from asleep_nb.definitions import EPOCH_SECONDS, STAGES, SleepStage, research_sleep_period
from asleep_nb.stats.session_chunks import per_session_chunk
from asleep_nb.stats.stage_matrix import StageMatrix, per_block, stage_matrix, wrap

__all__ = [
    "STAGE_NAMES",
    "LIGHTENING_TRANSITIONS",
    "transition_counts",
    "transition_probabilities",
    "sleep_fragmentation_index",
]

#: Names of the scored stages, in code order (index = code), as used for the
#: ``from_stage`` / ``to_stage`` labels of transition matrices.
STAGE_NAMES: tuple[str, ...] = tuple(STAGES[code].name for code in range(4))

#: The (from, to) transitions counted by :func:`sleep_fragmentation_index`:
#: every shift from sleep to wake, plus deep -> light and REM -> light.
LIGHTENING_TRANSITIONS: frozenset[tuple[int, int]] = frozenset({(1, 0), (2, 0), (3, 0), (2, 1), (3, 1)})

Within = Literal["sleep_period", "night"]


def _check_within(within: Any) -> None:
    if within not in ("sleep_period", "night"):
        raise ValueError(f"within must be 'sleep_period' or 'night', got {within!r}")


def _transition_counts_array(m: StageMatrix, within: Within) -> np.ndarray:
    _check_within(within)
    return per_block(m.codes, functools.partial(_counts, within=within), m.n_epochs)


def _counts(codes: np.ndarray, within: Within) -> np.ndarray:
    """(rows, 4, 4) transition counts of a block of codes."""
    a, b = codes[:, :-1], codes[:, 1:]
    ok = (a >= 0) & (b >= 0)
    if within == "sleep_period":
        period = research_sleep_period(codes)
        first, last = period.onset, period.last
        i = np.arange(a.shape[1])
        ok &= (i >= first[:, None]) & (i + 1 <= last[:, None])
    n_sessions = codes.shape[0]
    session = np.broadcast_to(np.arange(n_sessions)[:, None], a.shape)
    flat = (session[ok] * 16 + a[ok].astype(np.int64) * 4 + b[ok]).ravel()
    return np.bincount(flat, minlength=n_sessions * 16).reshape(n_sessions, 4, 4)


def _matrix_dataarray(values: np.ndarray, m: StageMatrix, name: str, attrs: dict[str, Any]) -> xr.DataArray:
    labels = {"from_stage": list(STAGE_NAMES), "to_stage": list(STAGE_NAMES)}
    if not m.is_cohort:
        return xr.DataArray(values[0], dims=("from_stage", "to_stage"), coords=labels, name=name, attrs=attrs)
    return xr.DataArray(
        values,
        dims=("session", "from_stage", "to_stage"),
        coords={**m.coords, **labels},
        name=name,
        attrs=attrs,
    )


def _fragmentation(codes: np.ndarray, within: Within) -> np.ndarray:
    """Sleep fragmentation index of each row of a block of codes."""
    counts = _counts(codes, within)
    frm, to = zip(*sorted(LIGHTENING_TRANSITIONS), strict=True)
    shifts = counts[:, list(frm), list(to)].sum(axis=1)
    sleep_hours = (codes >= SleepStage.LIGHT).sum(axis=1) * (EPOCH_SECONDS / 3600.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sleep_hours > 0, shifts / sleep_hours, np.nan)


@per_session_chunk
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
        ``"sleep_period"`` (default): only pairs with both epochs in the
        sleep period of the research rule (first to last epoch scored as
        sleep), so sleep-latency wake and the final awakening are left out.
        ``"night"``: every pair of the recording.

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


@per_session_chunk
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


@per_session_chunk
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
    _check_within(within)
    out = per_block(m.codes, functools.partial(_fragmentation, within=within), m.n_epochs)
    attrs = {"units": "1/h", "long_name": "sleep fragmentation index", "within": within}
    return wrap(out, m, "sleep_fragmentation_index", attrs)
