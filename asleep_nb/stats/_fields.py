"""The stat fields of a cohort from per-session summaries of its nights, the engine's last step.

:func:`asleep_nb.stats._core.stat_arrays` summarises each block of sessions
(:class:`Nights`: epochs per code, the sleep period, wake after onset, REM
clusters, snoring), gathers the summaries of every block, then
:func:`field_values` turns them into the ``stat`` fields in one pass over the
whole cohort: per-session arithmetic, no epoch and no run is read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from asleep_nb.definitions import (
    EPOCH_SECONDS,
    FOUR_STAGE_ONLY_FIELDS,
    NEVER_SLEPT_NULL_FIELDS,
    PAD,
    STAT_FIELDS,
    SleepStage,
)
from asleep_nb.stats._rounding import round2_hundredths, round_half_even

__all__ = ["UNKNOWABLE_FIELDS", "FIELD_COLUMNS", "SLEEP_CODES", "Nights", "count_column", "field_values"]

#: Fields that depend on data other than the stage arrays (breathing) or on
#: the vendor's learned model (``sleep_index``): never recomputed.
UNKNOWABLE_FIELDS: frozenset[str] = frozenset(
    {
        "time_in_stable_breath",
        "time_in_unstable_breath",
        "stable_breath_ratio",
        "unstable_breath_ratio",
        "breathing_pattern",
        "breathing_index",
        "unstable_breath_count",
        "sleep_index",
    }
)

#: Columns of :attr:`StatArrays.fields`, in ``STAT_FIELDS`` order: every
#: recomputable field except ``sleep_cycle_time``. Time fields are seconds
#: after the session start.
FIELD_COLUMNS: tuple[str, ...] = tuple(
    name for name, f in STAT_FIELDS.items() if f.kind != "time_list" and name not in UNKNOWABLE_FIELDS
)
_COL = {name: i for i, name in enumerate(FIELD_COLUMNS)}
_NEVER_SLEPT_COLUMNS = np.array(sorted(_COL[f] for f in NEVER_SLEPT_NULL_FIELDS if f in _COL), dtype=np.intp)
_FOUR_STAGE_COLUMNS = np.array(sorted(_COL[f] for f in FOUR_STAGE_ONLY_FIELDS), dtype=np.intp)
_E = EPOCH_SECONDS
#: The sleep codes in the order of :attr:`Nights.first_at`'s columns (plain ints: comparing ``int8``
#: codes with an IntEnum member casts them to ``int64``, 10x slower).
SLEEP_CODES = (int(SleepStage.LIGHT), int(SleepStage.DEEP), int(SleepStage.REM))


def count_column(code: int) -> int:
    """The column of ``code`` in :attr:`Nights.counts` (from ``Runs.counts(PAD, ...)``: a column per code).

    Examples
    --------
    >>> count_column(PAD), count_column(SleepStage.REM)
    (0, 5)
    """
    return int(code) - PAD


_LIGHT, _DEEP, _REM = (count_column(code) for code in SLEEP_CODES)
_LATENCIES = ("light_latency", "deep_latency", "rem_latency")


@dataclass(frozen=True)
class Nights:
    """Per-session summaries every group of fields needs; one row per session, in any block order."""

    counts: np.ndarray  # epochs per (session, code column)
    first_at: np.ndarray  # first epoch of light, deep, REM per session (meaningless where absent)
    start: np.ndarray  # each session's first epoch slot
    end: np.ndarray  # each session's last epoch slot
    time_in_bed: np.ndarray  # seconds, may be fractional
    first: np.ndarray  # vendor-rule sleep onset epoch (-1: never slept)
    last: np.ndarray  # vendor-rule last epoch of the sleep period
    slept: np.ndarray
    waso_count: np.ndarray  # wake runs strictly inside the sleep period
    n_wake: np.ndarray  # their epochs
    longest_waso: np.ndarray  # epochs of the longest
    cycle_count: np.ndarray  # counted REM clusters
    last_cycle_end: np.ndarray  # last epoch of the last one (0 without one)
    snoring: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # has data, epochs, runs in the period

    @cached_property
    def n_sleep(self) -> np.ndarray:
        return np.asarray(self.counts[:, _LIGHT] + self.counts[:, _DEEP] + self.counts[:, _REM])

    @cached_property
    def n_period(self) -> np.ndarray:
        """Epochs of the sleep period that count in ``time_in_sleep_period`` (no-signal ones do not)."""
        return self.n_sleep + self.n_wake


class _Columns:
    """The (sessions, FIELD_COLUMNS) output, filled field by field."""

    def __init__(self, n_sessions: int) -> None:
        self.values = np.full((n_sessions, len(FIELD_COLUMNS)), np.nan)

    def put(self, name: str, values: np.ndarray, where: np.ndarray | None = None) -> None:
        self.values[:, _COL[name]] = values if where is None else np.where(where, values, np.nan)


def _timing_fields(out: _Columns, n: Nights) -> None:
    """Onset, final awakening and latencies."""
    sleep_latency = (n.first - n.start) * _E
    wakeup_latency = (n.end - n.last) * _E
    out.put("sleep_time", sleep_latency, n.slept)
    out.put("wake_time", n.time_in_bed - wakeup_latency, n.slept)
    out.put("sleep_latency", sleep_latency, n.slept)
    out.put("wakeup_latency", wakeup_latency, n.slept)
    for name, code, first_at in zip(_LATENCIES, SLEEP_CODES, n.first_at.T, strict=True):
        out.put(name, (first_at - n.first) * _E, n.counts[:, count_column(code)] > 0)


def _duration_fields(out: _Columns, n: Nights) -> None:
    out.put("time_in_bed", np.floor(n.time_in_bed))
    out.put("time_in_sleep_period", n.n_period * _E)
    out.put("time_in_sleep", n.n_sleep * _E)
    out.put("time_in_wake", n.n_wake * _E)
    out.put("time_in_light", n.counts[:, _LIGHT] * _E)
    out.put("time_in_deep", n.counts[:, _DEEP] * _E)
    out.put("time_in_rem", n.counts[:, _REM] * _E)


def _ratio_fields(out: _Columns, n: Nights) -> None:
    """Ratios: hundredths with Python's rounding, then the vendor's fix-up so the shares sum to 1."""
    tib_int = np.floor(n.time_in_bed)
    pos = tib_int > 0
    eff = np.zeros(len(tib_int))
    eff[pos] = round2_hundredths(n.n_sleep[pos] * _E, tib_int[pos].astype(np.int64)) / 100
    out.put("sleep_efficiency", eff)
    n_period = n.n_period
    per = n_period > 0
    den = np.where(per, n_period, 1)
    # priority order of the fix-up: light, rem, deep, wake
    parts = (n.counts[:, _LIGHT], n.counts[:, _REM], n.counts[:, _DEEP], n.n_wake)
    M = round2_hundredths(np.stack(parts, axis=1), den[:, None])
    M[~per] = 0
    err = np.where(per, M.sum(axis=1) - 100, 0)
    while (err != 0).any():
        adj = np.sign(err)
        nz = M != 0
        rows = np.flatnonzero((err != 0) & nz.any(axis=1))
        M[rows, nz[rows].argmax(axis=1)] -= adj[rows]
        err -= adj
    m_light, m_rem, m_deep, m_wake = M.T
    out.put("sleep_ratio", np.maximum(100 - m_wake, 0) * per / 100)
    out.put("wake_ratio", m_wake / 100)
    out.put("light_ratio", m_light / 100)
    out.put("deep_ratio", m_deep / 100)
    out.put("rem_ratio", m_rem / 100)


def _waso_and_cycle_fields(out: _Columns, n: Nights) -> None:
    """Runs of wake strictly inside the sleep period; ``sleep_cycle_count`` and ``sleep_cycle``."""
    out.put("waso_count", n.waso_count)
    out.put("longest_waso", n.longest_waso * _E)
    count = n.cycle_count
    has_cycle = count > 0
    out.put("sleep_cycle_count", count)
    mean = round_half_even((n.last_cycle_end - n.first) * _E, np.where(has_cycle, count, 1))
    out.put("sleep_cycle", mean, has_cycle)


def _snoring_fields(out: _Columns, n: Nights, snoring: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Snoring over the sleep period (epochs whose sleep stage is -1 are out of it)."""
    has_snoring, n_snore, snoring_count = snoring
    n_period = n.n_period
    per = n_period > 0
    m_snore = np.where(per, round2_hundredths(n_snore, np.where(per, n_period, 1)), 0)
    out.put("time_in_snoring", n_snore * _E, has_snoring)
    out.put("time_in_no_snoring", (n_period - n_snore) * _E, has_snoring)
    out.put("snoring_ratio", m_snore / 100, has_snoring)
    out.put("no_snoring_ratio", (100 - m_snore) * per / 100, has_snoring)
    out.put("snoring_count", snoring_count, has_snoring)


def field_values(n: Nights, two: np.ndarray) -> np.ndarray:
    """The (sessions, :data:`FIELD_COLUMNS`) ``float64`` fields of the summarised sessions; ``NaN`` is null.

    ``two`` flags the two-stage sessions (light/deep/REM fields null).

    Examples
    --------
    >>> import numpy as np
    >>> one = np.array([1])
    >>> counts = np.array([[0, 0, 54, 36, 0, 0]])  # 54 wake and 36 light epochs
    >>> n = Nights(counts, np.array([[30, 0, 0]]), np.array([0]), np.array([89]), np.array([2700.0]),
    ...            np.array([30]), np.array([71]), np.array([True]), one, one * 6, one * 6,
    ...            one * 0, one * 0, None)
    >>> float(field_values(n, np.array([False]))[0, FIELD_COLUMNS.index("time_in_sleep")])
    1080.0
    """
    out = _Columns(len(n.slept))
    _timing_fields(out, n)
    _duration_fields(out, n)
    _ratio_fields(out, n)
    _waso_and_cycle_fields(out, n)
    if n.snoring is not None:
        _snoring_fields(out, n, n.snoring)
    # Null rules: never slept, then two-stage.
    out.values[np.ix_(~n.slept, _NEVER_SLEPT_COLUMNS)] = np.nan
    out.values[np.ix_(two, _FOUR_STAGE_COLUMNS)] = np.nan
    return out.values
