"""The API's ``stat`` object, recomputed exactly from the stage arrays.

:func:`compute_stat` gives the JSON form of one night's ``stat``;
:func:`compute_stats` gives the same fields for every session of a cohort
(or for one night) as xarray variables along ``session``. Both run the one
vectorised engine :func:`asleep_nb.stats._core.stat_arrays`.

The definitions are the contract's ("How the stat object is computed"),
which are those of the vendor's reference implementation ``pysleep`` 0.2.0
(``SleepStageCalculator``): for every night without error epochs, every
field equals pysleep's, ratios to the last bit. Where the contract leaves a
choice, this module decides as follows.

``sleep_cycle``
    pysleep gives a fraction (``(D / count) * 30`` seconds, ``D`` the epochs
    from sleep onset to the last REM epoch of the last counted cluster); the
    API returns an integer. We return the integer nearest to the exact
    ``30 D / count``, ties to even: this equals Python's ``round`` applied to
    pysleep's ``sleep_cycle.total_seconds()``.
Ratios
    ``round(x, 2)`` with Python's semantics, bit for bit (see
    :mod:`asleep_nb.stats._core` for how this is done with integers).
Snoring (only when ``snoring_stages`` is given; all five fields null otherwise)
    Over the sleep period (first to last non-wake epoch), on the epochs that
    count in ``time_in_sleep_period`` (sleep stage not -1):
    ``time_in_snoring`` = snoring epochs x 30;
    ``time_in_no_snoring`` = ``time_in_sleep_period - time_in_snoring`` (a
    snoring code -1 counts as no snoring), so the two add up to the period;
    ``snoring_ratio`` = round(snoring share, 2) and ``no_snoring_ratio`` =
    ``1 - snoring_ratio`` (to two decimals, so the two sum to 1: the fix-up
    lands on ``no_snoring_ratio``); ``snoring_count`` = runs of snoring
    epochs (a sleep epoch -1 ends a run, as it ends a wake run).
Two-stage nights (``two_stage=True``)
    ``definitions.FOUR_STAGE_ONLY_FIELDS`` are null; deep or REM codes are an error.
Never slept (no light, deep or REM epoch)
    The fields of ``definitions.NEVER_SLEPT_NULL_FIELDS`` are null (the contract
    lists the stage ratios both as null and as 0.0; we follow its explicit
    null list). ``sleep_efficiency`` 0.0; every ``time_in_*`` 0
    (``time_in_bed`` excepted); ``waso_count`` 0; ``sleep_cycle_count`` 0;
    ``sleep_cycle_time`` []; with snoring data ``time_in_snoring`` and
    ``time_in_no_snoring`` 0, both snoring ratios 0.0, ``snoring_count`` 0.
Fields that cannot be recomputed
    ``sleep_index`` and the breathing fields are ``None`` (NaN / ``""`` in
    xarray).

Error epochs (-1)
-----------------
pysleep rejects them. We follow the vendor's TypeScript port: an error
epoch is "not wake" when sleep onset and final awakening are located (the
**vendor rule**, :func:`asleep_nb.definitions.vendor_sleep_period`), and
it is left out of every duration. Figures, cohort alignment and the
research metrics use the **research rule** instead (first and last epoch
scored as sleep); see :mod:`asleep_nb.definitions.rules`. Field by field:

- ``sleep_time``, ``sleep_latency``, ``wake_time``, ``wakeup_latency``: the
  first / last epoch that is not wake, -1 included (when the night has at
  least one sleep epoch; a night of only wake and -1 is "never slept").
- ``light/deep/rem_latency``: from that onset (which may be a -1 epoch).
- ``time_in_light/deep/rem``, ``time_in_sleep``: -1 epochs are none of them.
- ``time_in_wake``: wake epochs inside the period only; -1 is not wake.
- ``time_in_sleep_period`` = ``time_in_sleep + time_in_wake``, so it leaves
  the -1 epochs out (it can be shorter than ``wake_time - sleep_time``).
- ratios: shares of that ``time_in_sleep_period``; ``sleep_efficiency`` =
  ``time_in_sleep / time_in_bed``.
- ``waso_count``, ``longest_waso``: a -1 inside a wake run ends the run.
- REM clusters: a -1 is a non-REM epoch (it adds to the distance).
- snoring: see above (-1 sleep epochs are outside the snoring durations).

A night without -1 is unaffected by these choices, the published example
included. See :func:`compute_stat` for a worked night.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import xarray as xr

from asleep_nb.data.attributes import annotate
from asleep_nb.definitions import SLEEP_STAGE_CODES, SNORING_STAGE_CODES, STAT_FIELDS, stat_attrs
from asleep_nb.errors import PayloadError
from asleep_nb.stats._checks import aware_datetime, check_epoch_count
from asleep_nb.stats._core import FIELD_COLUMNS, UNKNOWABLE_FIELDS, stat_arrays
from asleep_nb.stats._cycles import max_cycles

__all__ = ["compute_stat", "compute_stats"]

_COL = {name: i for i, name in enumerate(FIELD_COLUMNS)}


def _as_codes(values: Any, name: str, allowed: frozenset[int]) -> np.ndarray:
    """Validate a 1-D list of stage codes; return it as ``int8``."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise PayloadError(name, f"expected a 1-D list of codes, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
            flat = list(arr)
            bad = next(
                (
                    i
                    for i, v in enumerate(flat)
                    if not isinstance(v, int | np.integer) or v is True or v is False
                ),
                0,
            )
            raise PayloadError(f"{name}[{bad}]", f"expected an integer code, got {flat[bad]!r}")
        integral = np.isfinite(arr) & (arr == np.round(arr))
        if not integral.all():
            bad = int(np.flatnonzero(~integral)[0])
            raise PayloadError(f"{name}[{bad}]", f"expected an integer code, got {arr[bad]!r}")
    arr = arr.astype(np.int64)
    ok = np.isin(arr, sorted(allowed))
    if not ok.all():
        bad = int(np.flatnonzero(~ok)[0])
        codes = ", ".join(str(c) for c in sorted(allowed))
        raise PayloadError(f"{name}[{bad}]", f"unknown code {int(arr[bad])}; expected one of {codes}")
    return arr.astype(np.int8)


def _iso(instant_utc: datetime, tz: Any) -> str:
    return instant_utc.astimezone(tz).isoformat()


def compute_stat(
    sleep_stages: Sequence[int] | np.ndarray,
    start_time: datetime,
    end_time: datetime,
    *,
    snoring_stages: Sequence[int] | np.ndarray | None = None,
    two_stage: bool = False,
) -> dict[str, Any]:
    """Recompute one night's ``stat`` object in its JSON form.

    Parameters
    ----------
    sleep_stages
        One code per 30-second epoch from ``start_time`` on: -1 error,
        0 wake, 1 light, 2 deep, 3 REM.
    start_time, end_time
        Timezone-aware session start and end.
    snoring_stages
        Snoring codes (-1 error, 0 no snoring, 1 snoring), same length as
        ``sleep_stages``; without them the snoring fields are ``None``.
    two_stage
        The night was scored under a two-stage contract (0 wake, 1 sleep):
        light/deep/REM fields are ``None``.

    Returns
    -------
    dict
        Exactly the keys of ``definitions.STAT_FIELDS`` in order, with the API's
        JSON types: times as ISO strings in ``start_time``'s time zone,
        durations and counts ``int``, ratios ``float``,
        ``sleep_cycle_time`` a list of ISO strings. ``sleep_index`` and the
        breathing fields are ``None``. See the module docstring for every
        rule (error epochs, never slept, snoring, ``sleep_cycle`` rounding).

    Raises
    ------
    PayloadError
        An unknown code (the message names its index), a length that
        disagrees with ``end_time - start_time`` by more than one epoch,
        ``end_time <= start_time``, or deep/REM codes with ``two_stage``.
    TypeError, ValueError
        Times that are not aware datetimes.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> start = datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC)
    >>> end = datetime(2025, 1, 15, 3, 50, 29, tzinfo=UTC)
    >>> stat = compute_stat([0] * 30 + [1] * 18 + [0] * 6 + [1] * 18 + [0] * 48, start, end)
    >>> stat["sleep_time"], stat["time_in_sleep"], stat["sleep_ratio"]
    ('2025-01-15T03:05:29+00:00', 1080, 0.86)
    >>> stat["wake_time"], stat["waso_count"], stat["sleep_efficiency"]
    ('2025-01-15T03:26:29+00:00', 1, 0.3)
    """
    # in UTC: Python subtracts two datetimes of the same ZoneInfo as wall
    # clocks, which is wrong across a daylight-saving change
    start = aware_datetime(start_time, "start_time")
    end = aware_datetime(end_time, "end_time")
    start_utc = start.astimezone(UTC)
    end_utc = end.astimezone(UTC)
    if end_utc <= start_utc:
        raise PayloadError("end_time", f"{end.isoformat()} is not after start_time {start.isoformat()}")
    stages = _as_codes(sleep_stages, "sleep_stages", SLEEP_STAGE_CODES)
    tib = (end_utc - start_utc).total_seconds()
    check_epoch_count(np.array([stages.size]), np.array([tib]), "sleep_stages")
    snoring = None
    if snoring_stages is not None:
        snoring = _as_codes(snoring_stages, "snoring_stages", SNORING_STAGE_CODES)
        if snoring.size != stages.size:
            raise PayloadError("snoring_stages", f"{snoring.size} epochs but sleep_stages has {stages.size}")
        snoring = snoring[None, :]
    if two_stage and np.isin(stages, (2, 3)).any():
        bad = int(np.flatnonzero(np.isin(stages, (2, 3)))[0])
        raise PayloadError(f"sleep_stages[{bad}]", "deep or REM code in a two-stage night")
    fields, cycles = stat_arrays(stages[None, :], snoring, np.array([tib]), np.array([bool(two_stage)]))
    row = fields[0]
    tz = start.tzinfo

    def value(name: str) -> Any:
        kind = STAT_FIELDS[name].kind
        if name in UNKNOWABLE_FIELDS:
            return None
        if kind == "time_list":
            offsets = cycles[0][~np.isnan(cycles[0])]
            return [_iso(start_utc + timedelta(seconds=int(s)), tz) for s in offsets]
        v = row[_COL[name]]
        if np.isnan(v):
            return None
        if name == "sleep_time":
            return _iso(start_utc + timedelta(seconds=int(row[_COL["sleep_latency"]])), tz)
        if name == "wake_time":
            return _iso(end_utc - timedelta(seconds=int(row[_COL["wakeup_latency"]])), tz)
        return float(v) if kind == "ratio" else int(v)

    return {name: value(name) for name in STAT_FIELDS}


def _night_time(ds: xr.Dataset, name: str) -> np.datetime64:
    text = ds.attrs.get(name)
    if not text:
        raise PayloadError(f"attrs.{name}", "a single-night dataset needs start_time and end_time attrs")
    dt = datetime.fromisoformat(str(text))
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(dt, "ns")


def _as_cohort(data: xr.Dataset) -> xr.Dataset:
    """A single-night dataset (dim ``time``) as a one-session cohort."""
    if "session" in data.dims:
        return data
    if "time" not in data.dims:
        raise ValueError("compute_stats needs a cohort (dims session, epoch) or a night (dim time)")
    variables = {
        v: (("session", "epoch"), data[v].values[None, :])
        for v in ("sleep_stage", "snoring_stage")
        if v in data
    }
    coords: dict[str, Any] = {
        "start_time": ("session", [_night_time(data, "start_time")]),
        "end_time": ("session", [_night_time(data, "end_time")]),
        "two_stage": ("session", [bool(int(data.attrs.get("two_stage", 0)))]),
    }
    if data.attrs.get("session_id"):
        coords["session_id"] = ("session", [str(data.attrs["session_id"])])
    return xr.Dataset(variables, coords=coords)


def _engine(
    stages: np.ndarray, snoring: np.ndarray, tib: np.ndarray, two: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    fields, cycles = stat_arrays(stages, snoring, tib, two)
    return fields, cycles


def _engine_no_snoring(stages: np.ndarray, tib: np.ndarray, two: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fields, cycles = stat_arrays(stages, None, tib, two)
    return fields, cycles


def _engine_arrays(cohort: xr.Dataset, start: Any, end: Any) -> tuple[Any, Any]:
    """``fields`` and ``cycles`` of :func:`stat_arrays` for every session of a cohort.

    numpy arrays for an eager cohort (the engine called directly: no
    ``apply_ufunc`` overhead; ``cycles`` trimmed to the longest list), dask
    arrays (one task per ``session`` chunk) for a dask-backed one.
    """
    stages = cohort["sleep_stage"]
    snoring = cohort["snoring_stage"] if "snoring_stage" in cohort else None
    n_s = cohort.sizes["session"]
    tib = ((end - start) / np.timedelta64(1, "s")).astype(np.float64)
    if "two_stage" in cohort.coords or "two_stage" in cohort:
        two = cohort["two_stage"].data.astype(bool)
    else:
        two = np.zeros(n_s, dtype=bool)
    if stages.chunks is None:
        snoring_values = None if snoring is None else snoring.values
        return stat_arrays(stages.values, snoring_values, np.asarray(tib), np.asarray(two), trim_cycles=True)
    args = [a.chunk({"epoch": -1}) for a in (stages, snoring) if a is not None]
    n_cyc = max_cycles(cohort.sizes["epoch"]) + 1
    lazy_fields, lazy_cycles = xr.apply_ufunc(
        _engine if len(args) == 2 else _engine_no_snoring,
        *args,
        xr.DataArray(tib, dims="session"),
        xr.DataArray(two, dims="session"),
        input_core_dims=[["epoch"]] * len(args) + [[], []],
        output_core_dims=[["stat_field"], ["cycle"]],
        dask="parallelized",
        output_dtypes=[np.float64, np.float64],
        dask_gufunc_kwargs={"output_sizes": {"stat_field": len(FIELD_COLUMNS), "cycle": n_cyc}},
    )
    return lazy_fields.data, lazy_cycles.data


def _seconds(values: Any) -> Any:
    """Seconds (``float64``, ``NaN`` for null) as ``timedelta64[ns]`` (``NaT``)."""
    return (values * 1e9).astype("timedelta64[ns]")


def compute_stats(data: xr.Dataset) -> xr.Dataset:
    """Recompute the ``stat`` fields of every session of a cohort at once.

    Parameters
    ----------
    data
        A cohort (dims ``session``, ``epoch``; ``sleep_stage`` ``int8``
        padded with ``definitions.PAD``; optional ``snoring_stage``; coords
        ``start_time``, ``end_time`` as UTC-naive ``datetime64``, optional
        boolean ``two_stage``), or a single night (dim ``time``; attrs
        ``start_time``/``end_time`` as ISO strings in UTC and ``two_stage``),
        treated as a one-session cohort. A dask-backed ``sleep_stage`` gives
        a lazy result (one task per ``session`` chunk).

    Returns
    -------
    xarray.Dataset
        One variable per field of ``definitions.STAT_FIELDS`` along ``session``
        (times UTC-naive ``datetime64[ns]`` with ``NaT`` for null; durations,
        counts and indices ``float64`` with ``NaN``; ratios ``float64``;
        ``breathing_pattern`` ``""``; ``sleep_cycle_time`` along ``cycle``,
        padded with ``NaT``), attrs from ``definitions.stat_attrs``, the
        input's per-session coordinates and the CF-1.11 global attributes of
        a stats dataset (:func:`asleep_nb.data.attributes.annotate`). Each
        session's values equal :func:`compute_stat` on that night.

    Raises
    ------
    PayloadError
        Unknown codes, non-contiguous sessions, lengths that disagree with
        the times (raised at compute time for dask-backed input).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> cohort = xr.Dataset(
    ...     {"sleep_stage": (("session", "epoch"), np.array([[0, 1, 1, 0], [0, 0, -2, -2]], "int8"))},
    ...     coords={"start_time": ("session", np.array(["2025-01-01T22:00", "2025-01-02T22:00"], "M8[ns]")),
    ...             "end_time": ("session", np.array(["2025-01-01T22:02", "2025-01-02T22:01"], "M8[ns]"))})
    >>> stats = compute_stats(cohort)
    >>> stats["time_in_sleep"].values.tolist(), stats["sleep_latency"].values.tolist()
    ([60.0, 0.0], [30.0, nan])
    """
    cohort = _as_cohort(data)
    n_s = cohort.sizes["session"]
    start = cohort["start_time"].data.astype("datetime64[ns]")
    end = cohort["end_time"].data.astype("datetime64[ns]")
    fields, cycles = _engine_arrays(cohort, start, end)
    # plain variables from the engine's columns: no DataArray arithmetic or alignment per field
    out: dict[str, xr.Variable] = {}
    for name, field in STAT_FIELDS.items():
        dims: tuple[str, ...] = ("session",)
        if field.kind == "time_list":
            dims, values = ("session", "cycle"), start[:, None] + _seconds(cycles)
        elif name in UNKNOWABLE_FIELDS:
            values = np.full(n_s, "", dtype=str) if field.kind == "text" else np.full(n_s, np.nan)
        elif name == "sleep_time":
            values = start + _seconds(fields[:, _COL["sleep_latency"]])
        elif name == "wake_time":
            values = end - _seconds(fields[:, _COL["wakeup_latency"]])
        else:
            values = fields[:, _COL[name]]
        out[name] = xr.Variable(dims, values, attrs=stat_attrs(name))
    session_coords = {k: v for k, v in cohort.coords.items() if v.dims == ("session",)}
    return annotate(xr.Dataset(out, coords=session_coords), "stats")
