"""The contract's bounds and consistency rules on a Get Session result, beyond each field's type.

Two levels, both naming the field:

- **bounds** (:func:`check_stat_bounds`), broken -> :class:`~asleep_nb.errors.PayloadError`:
  every duration of ``stat`` within the session (``end_time - start_time``,
  plus one epoch; a session still ``OPEN`` is bounded by
  :data:`~asleep_nb.definitions.contract.MAX_SESSION_SECONDS`), every count
  within the session's epochs (plus one), ``sleep_index`` within 50..100,
  ``sleep_cycle_time`` no longer than the epochs (plus one). A number past these is not a night, whatever
  else the payload says, and would overflow later steps.
- **consistency** (:func:`contract_warnings`), broken -> :class:`~asleep_nb.errors.ContractWarning`,
  data kept as sent: a ``stat`` on a session that is not ``COMPLETE``; a
  ``sleep_time``, ``wake_time`` or ``sleep_cycle_time`` outside the session;
  a stat that breaks one of the contract's identities, which
  :func:`asleep_nb.stats.verify` would report too (``time_in_sleep`` =
  light + deep + REM, ``time_in_sleep_period`` = sleep + wake on a night without
  no-signal epochs, ``time_in_bed``
  = ``end_time - start_time``, ``sleep_time`` = start + ``sleep_latency``,
  ``wake_time`` = end - ``wakeup_latency``). The full recomputation from the
  stages stays :func:`asleep_nb.stats.verify`.

Examples
--------
>>> from datetime import UTC, datetime, timedelta
>>> from asleep_nb.api.records import Stat
>>> from asleep_nb.api.records.bounds import check_stat_bounds
>>> stat = Stat(**{**dict.fromkeys(Stat.__dataclass_fields__), "time_in_bed": 90_000})
>>> start = datetime(2025, 1, 15, tzinfo=UTC)
>>> check_stat_bounds(stat, start, start + timedelta(hours=1), "stat")
Traceback (most recent call last):
...
asleep_nb.errors.PayloadError: stat.time_in_bed: 90000 s is longer than the session (3600 s)
"""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta

from asleep_nb import definitions as schema
from asleep_nb.api.records.labels import SessionState
from asleep_nb.api.records.stat import Stat
from asleep_nb.definitions.contract import MAX_SESSION_SECONDS, SLEEP_INDEX_RANGE
from asleep_nb.errors import ContractWarning, PayloadError

__all__ = ["session_seconds", "check_stat_bounds", "contract_warnings"]

_DURATIONS = tuple(name for name, f in schema.STAT_FIELDS.items() if f.kind == "duration")
_COUNTS = tuple(name for name, f in schema.STAT_FIELDS.items() if f.kind == "count")
_EPOCH = schema.EPOCH_SECONDS


def session_seconds(start: datetime, end: datetime | None, path: str) -> int:
    """The session's length in seconds (the longest allowed while ``end`` is null), checked.

    Raises
    ------
    PayloadError
        At ``path.end_time`` when the session is longer than
        :data:`~asleep_nb.definitions.contract.MAX_SESSION_SECONDS`.
    """
    if end is None:
        return MAX_SESSION_SECONDS
    seconds = int((end - start).total_seconds())
    if seconds > MAX_SESSION_SECONDS:
        raise PayloadError(
            f"{path}.end_time",
            f"the session lasts {seconds} s ({seconds / 86400:.1f} days), longer than the "
            f"{MAX_SESSION_SECONDS} s ({MAX_SESSION_SECONDS // 86400} days) accepted",
        )
    return seconds


def check_stat_bounds(stat: Stat, start: datetime, end: datetime | None, path: str) -> None:
    """Raise :class:`PayloadError` naming the first ``stat`` field outside its bound (module docs)."""
    span = MAX_SESSION_SECONDS if end is None else int((end - start).total_seconds())
    epochs = span // _EPOCH + 2  # a trailing partial epoch, and sleep_cycle_time's leading onset
    for name in _DURATIONS:
        value = getattr(stat, name)
        if value is not None and value > span + _EPOCH:
            raise PayloadError(f"{path}.{name}", f"{value} s is longer than the session ({span} s)")
    for name in _COUNTS:
        value = getattr(stat, name)
        if value is not None and value > epochs:
            raise PayloadError(f"{path}.{name}", f"{value} is more than the session's {epochs} epochs")
    low, high = SLEEP_INDEX_RANGE
    index = stat.sleep_index
    if index is not None and not low <= index <= high:
        raise PayloadError(f"{path}.sleep_index", f"expected a score from {low} to {high}, got {index!r}")
    cycles = stat.sleep_cycle_time
    if cycles is not None and len(cycles) > epochs:
        raise PayloadError(f"{path}.sleep_cycle_time", f"{len(cycles)} times for {epochs} epochs")


def contract_warnings(
    stat: Stat,
    state: SessionState,
    start: datetime,
    end: datetime | None,
    path: str,
    stacklevel: int,
    session_id: str = "",
    no_signal: bool = False,
) -> None:
    """Warn (:class:`ContractWarning`) about each consistency rule ``stat`` breaks (module docs).

    Each warning names the field, both values, the rule and ``session_id``. ``no_signal``: the
    night has no-signal epochs (-1), which the sleep period holds but neither sleep nor wake
    counts (:mod:`asleep_nb.stats.vendor`), so ``time_in_sleep_period`` is not checked.
    """
    broken: list[str] = []
    if state != SessionState.COMPLETE:
        broken.append(f"present on a session in state {state} (only COMPLETE sessions have one)")
    last = end if end is not None else start + timedelta(seconds=MAX_SESSION_SECONDS)
    moments = [("sleep_time", stat.sleep_time), ("wake_time", stat.wake_time)]
    moments += [(f"sleep_cycle_time[{i}]", t) for i, t in enumerate(stat.sleep_cycle_time or ())]
    for name, moment in moments:
        if moment is not None and not start <= moment <= last:
            broken.append(f"{name} {moment.isoformat()} is outside the session ({start.isoformat()} ..)")
    broken += _identities(stat, start, end, no_signal)
    whose = f" (session {session_id})" if session_id else ""
    for rule in broken:
        warnings.warn(f"{path}: {rule}{whose}; kept as sent", ContractWarning, stacklevel=stacklevel)


def _identities(stat: Stat, start: datetime, end: datetime | None, no_signal: bool) -> list[str]:
    """The contract's identities between ``stat`` fields that do not hold, as sentences."""
    out = []

    def differs(name: str, sent: object, expected: object, rule: str) -> None:
        if sent is not None and expected is not None and sent != expected:
            out.append(f"{name} is {sent}, but {rule} gives {expected}")

    parts = (stat.time_in_light, stat.time_in_deep, stat.time_in_rem)
    if None not in parts:
        differs("time_in_sleep", stat.time_in_sleep, sum(p or 0 for p in parts), "light + deep + REM")
    if stat.time_in_sleep is not None and stat.time_in_wake is not None and not no_signal:
        period = stat.time_in_sleep + stat.time_in_wake  # no-signal epochs count in the period only
        differs("time_in_sleep_period", stat.time_in_sleep_period, period, "time_in_sleep + time_in_wake")
    if end is not None:
        differs("time_in_bed", stat.time_in_bed, int((end - start).total_seconds()), "end_time - start_time")
    if stat.sleep_latency is not None and stat.sleep_time is not None:
        onset = start + timedelta(seconds=stat.sleep_latency)
        differs("sleep_time", stat.sleep_time, onset, "start_time + sleep_latency")
    if end is not None and stat.wakeup_latency is not None and stat.wake_time is not None:
        awake = end - timedelta(seconds=stat.wakeup_latency)
        differs("wake_time", stat.wake_time, awake, "end_time - wakeup_latency")
    return out
