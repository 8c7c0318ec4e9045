"""Research metrics of one night (or of every night of a cohort), beyond the API's ``stat`` object.

Inputs are those of :mod:`asleep_nb.stats.stage_matrix`: a 1-D array-like of
stage codes, one night's ``sleep_stage`` (or its ``Dataset``), or a cohort
(``session``, ``epoch``) padded with :data:`asleep_nb.definitions.PAD`. A
single night gives a Python ``float`` (or a small ``DataArray`` /
``DataFrame``); a cohort gives one value per session as a ``DataArray`` along
``session`` that keeps the cohort's per-session coordinates. Cohorts are
computed with array operations across sessions, block by block of sessions
of like length (:func:`asleep_nb.stats.stage_matrix.per_block`), so a night
of 25 hours costs its own epochs, not that length times every session; they
give exactly what the single-night call gives on each session. Epoch positions are
counted from each session's first epoch, whatever the cohort's alignment.

Sleep onset is that of the **research rule**
(:func:`asleep_nb.definitions.research_sleep_period`: the first epoch scored
as sleep), not the ``stat`` object's vendor rule; the two differ only on a
night whose sleep is preceded by no-signal epochs.

The transition metrics live in :mod:`asleep_nb.stats.transitions` and are
importable from here too.

Examples
--------
>>> from asleep_nb.stats.night import persistent_sleep_latency, rem_latency_from_onset
>>> night = [0] * 4 + [1] * 25 + [3] * 3 + [0] * 2
>>> persistent_sleep_latency(night)
120.0
>>> rem_latency_from_onset(night)
750.0
>>> research_sleep_latency([0, -1, 1, 1, 0, 1, -1, 0])  # the stat's sleep_latency is 30 s
60.0
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pandas as pd

from asleep_nb.definitions import EPOCH_SECONDS, PAD, STAGES, SleepStage, research_sleep_period, stat_attrs
from asleep_nb.stats._runs import Runs
from asleep_nb.stats.session_chunks import per_session_chunk
from asleep_nb.stats.stage_matrix import StageMatrix, blocks_of, per_block, stage_matrix
from asleep_nb.stats.stage_matrix import wrap as _wrap
from asleep_nb.stats.transitions import (
    LIGHTENING_TRANSITIONS,
    STAGE_NAMES,
    sleep_fragmentation_index,
    transition_counts,
    transition_probabilities,
)

__all__ = [
    "STAGE_NAMES",
    "LIGHTENING_TRANSITIONS",
    "StageMatrix",
    "stage_matrix",
    "research_sleep_latency",
    "persistent_sleep_latency",
    "sleep_fragmentation_index",
    "transition_counts",
    "transition_probabilities",
    "stage_bouts",
    "rem_latency_from_onset",
]

#: Names of every code a stage array may hold, in code order (bout categories).
_CODE_NAMES: dict[int, str] = {code: stage.name for code, stage in STAGES.items()}


def _positive_epochs(min_epochs: Any) -> int:
    if not isinstance(min_epochs, (int, np.integer)) or isinstance(min_epochs, bool) or min_epochs < 1:
        raise ValueError(f"min_epochs must be a positive integer, got {min_epochs!r}")
    return int(min_epochs)


def _research_sleep_latency(codes: np.ndarray) -> np.ndarray:
    onset = research_sleep_period(codes).onset
    return np.where(onset >= 0, onset * float(EPOCH_SECONDS), np.nan)


def _persistent_sleep_latency(codes: np.ndarray, min_epochs: int) -> np.ndarray:
    sleep = codes >= SleepStage.LIGHT
    total = np.cumsum(sleep, axis=1, dtype=np.int32)
    run = total - np.maximum.accumulate(np.where(sleep, 0, total), axis=1)
    hit = run >= min_epochs
    start = hit.argmax(axis=1) - (min_epochs - 1)
    return np.where(hit.any(axis=1), start * float(EPOCH_SECONDS), np.nan)


def _rem_latency_from_onset(codes: np.ndarray) -> np.ndarray:
    first = research_sleep_period(codes).onset
    rem = codes == SleepStage.REM
    return np.where(rem.any(axis=1), (rem.argmax(axis=1) - first) * float(EPOCH_SECONDS), np.nan)


def _bouts(codes: np.ndarray, rows: np.ndarray, min_epochs: int) -> tuple[np.ndarray, ...]:
    """Session (index into the cohort), start epoch, code and length of each bout of a block."""
    runs = Runs(codes)  # the stat engine's runs of equal codes, split at row ends
    keep = (runs.code != PAD) & (runs.length >= min_epochs)
    return rows[runs.row[keep]], runs.col[keep], runs.code[keep], runs.length[keep]


@per_session_chunk
def research_sleep_latency(stages: Any) -> Any:
    """Sleep latency by the research rule: seconds from the session start to the first sleep epoch.

    The first epoch scored as sleep (light, deep or REM) is sleep onset
    (:func:`asleep_nb.definitions.research_sleep_period`). Unlike the API's
    ``sleep_latency`` (vendor rule), a leading run of no signal is not
    counted as asleep, so a night that starts with 30 minutes of no signal
    has a latency of at least 30 minutes here.

    Parameters
    ----------
    stages
        One night or a cohort (see the module docstring).

    Returns
    -------
    float or xarray.DataArray
        Seconds; ``NaN`` for a night without sleep.

    Examples
    --------
    >>> research_sleep_latency([-1] * 60 + [1] * 10), research_sleep_latency([0, 0, 2])
    (1800.0, 60.0)
    >>> research_sleep_latency([0, -1, 0])
    nan
    """
    m = stage_matrix(stages)
    out = per_block(m.codes, _research_sleep_latency, m.n_epochs)
    return _wrap(out, m, "research_sleep_latency", stat_attrs("research_sleep_latency"))


@per_session_chunk
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
    min_epochs = _positive_epochs(min_epochs)
    m = stage_matrix(stages)
    out = per_block(m.codes, functools.partial(_persistent_sleep_latency, min_epochs=min_epochs), m.n_epochs)
    return _wrap(out, m, "persistent_sleep_latency", stat_attrs("persistent_sleep_latency"))


@per_session_chunk
def rem_latency_from_onset(stages: Any) -> Any:
    """REM latency: seconds from sleep onset to the first REM epoch.

    Sleep onset is the first epoch scored as sleep (the research rule,
    :func:`asleep_nb.definitions.research_sleep_period`). This equals the
    API's ``rem_latency`` except on a night whose first sleep epoch follows
    no-signal epochs, where the vendor rule puts onset earlier, on the
    first no-signal epoch.

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
    >>> rem_latency_from_onset([0, -1, 1, 3])  # onset at epoch 2 (the API's rem_latency: 60 s)
    30.0
    """
    m = stage_matrix(stages)
    out = per_block(m.codes, _rem_latency_from_onset, m.n_epochs)
    return _wrap(out, m, "rem_latency_from_onset", stat_attrs("rem_latency_from_onset"))


def stage_bouts(stages: Any, *, min_epochs: int = 1) -> pd.DataFrame:
    """Runs of identical stage (bouts), one row per bout, in time order.

    Parameters
    ----------
    stages
        One night or a cohort (see the module docstring). No-signal epochs
        form bouts of stage ``"error"`` (the code's name in data); padding
        forms none.
    min_epochs
        Keep only bouts of at least this many epochs (default 1: all).

    Returns
    -------
    pandas.DataFrame
        Columns ``session`` (cohorts only: the ``session`` coordinate's
        value), ``stage`` (categorical: error (no signal), wake, light, deep, rem),
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
    min_epochs = _positive_epochs(min_epochs)
    m = stage_matrix(stages)
    parts = [_bouts(block, rows, min_epochs) for rows, block in blocks_of(m.codes, m.n_epochs)]
    row, col, code, lengths = (np.concatenate(p) for p in zip(*parts, strict=True))
    order = np.lexsort((col, row))  # blocks hold rows by length: back to session order, then time
    row, col, code, lengths = row[order], col[order], code[order], lengths[order]
    categories = [_CODE_NAMES[c] for c in sorted(_CODE_NAMES)]
    columns: dict[str, Any] = {}
    if m.is_cohort:
        session = m.coords.get("session")
        columns["session"] = session.values[row] if session is not None else row
    columns["stage"] = pd.Categorical.from_codes(code.astype(np.int64) + 1, categories=pd.Index(categories))
    columns["start_epoch"] = col.astype(np.int64)
    columns["n_epochs"] = lengths.astype(np.int64)
    columns["duration_s"] = lengths.astype(np.int64) * EPOCH_SECONDS
    if m.start_time is not None:
        columns["start_time"] = m.start_time[row] + col.astype("timedelta64[s]") * EPOCH_SECONDS
    return pd.DataFrame(columns)
