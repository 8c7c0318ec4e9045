"""One night as an :class:`xarray.Dataset` (dimension ``time``).

:func:`to_dataset` turns a Get Session result (a
:class:`~asleep_nb.api.records.SessionResult`, a raw ``result`` dict or a saved
``SESSION_COMPLETE`` webhook body) into a labelled dataset;
:func:`load_session` fetches one and does the same.

Time handling (the rules of the whole toolkit):

- every instant is stored as UTC, timezone-naive ``datetime64[ns]``: the API's
  offsets are applied once, here, at the load boundary;
- the IANA zone name is kept as data (``attrs["timezone"]``), never a fixed
  offset, because a night can cross a daylight-saving change;
- ``local_time`` is a derived wall-clock view, recomputed by
  ``ds.asleep.to_timezone(name)``; it is never the index;
- CF ``units``/``calendar`` live in ``.encoding`` (not ``.attrs``), so that
  netCDF (``engine="h5netcdf"``) and zarr round trips give ``identical()``
  datasets.

Examples
--------
>>> import json
>>> from asleep_nb.data.night import to_dataset
>>> body = json.load(open("data/published_example.json"))
>>> ds = to_dataset(body)
>>> ds.sizes["time"], int(ds.time_in_sleep)
(120, 1080)
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.attributes import TIME_ENCODING, TIMEDELTA_ENCODING, annotate
from asleep_nb.definitions import EPOCH_SECONDS, PAD, STAT_FIELDS, stat_attrs
from asleep_nb.errors import PayloadWarning
from asleep_nb.timezones import validate_timezone

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.api.records import SessionResult, Stat

__all__ = [
    "to_dataset",
]

EPOCH = np.timedelta64(EPOCH_SECONDS, "s").astype("timedelta64[ns]")
_NAT = np.datetime64("NaT", "ns")
_UNIX0 = datetime(1970, 1, 1, tzinfo=UTC)
_td_us = datetime(1970, 1, 1, 0, 0, 0, 1) - datetime(1970, 1, 1)


# --------------------------------------------------------------------------- inputs
def as_result(obj: Any) -> SessionResult:
    """Return ``obj`` as a :class:`~asleep_nb.api.records.SessionResult`.

    Accepts a ``SessionResult``, a Get Session ``result`` dict, or a saved
    ``SESSION_COMPLETE`` webhook body (a dict with ``event`` and ``data``).

    Raises
    ------
    TypeError
        For anything else.
    asleep_nb.errors.PayloadError
        When the dict does not follow the contract.
    """
    from asleep_nb.api.records import SessionResult

    if isinstance(obj, SessionResult):
        return obj
    if isinstance(obj, Mapping):
        if "event" in obj and "data" in obj and "session" not in obj:
            return SessionResult.from_webhook(obj)
        return SessionResult.from_payload(obj)
    raise TypeError(
        f"expected a SessionResult, a Get Session result dict or a webhook body, got {type(obj).__name__}"
    )


def label(value: Any) -> str:
    """The plain string of a str-enum member (or ``""`` for ``None``)."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


# --------------------------------------------------------------------------- time helpers
def utc_ns(dt: datetime | None) -> np.datetime64:
    """An aware ``datetime`` as a UTC-naive ``datetime64[ns]`` (``NaT`` for ``None``)."""
    if dt is None:
        return _NAT
    if dt.tzinfo is None:
        raise ValueError(f"naive datetime {dt!r}: the toolkit only accepts aware datetimes")
    return np.datetime64((dt - _UNIX0) // _td_us, "us").astype("datetime64[ns]")


def utc_ns_array(dts: Sequence[datetime | None]) -> np.ndarray:
    """Aware datetimes (or ``None``) as a UTC-naive ``datetime64[ns]`` array."""
    micros = np.fromiter(
        ((d - _UNIX0) // _td_us if d is not None else np.iinfo(np.int64).min for d in dts),
        dtype=np.int64,
        count=len(dts),
    )
    return micros.view("datetime64[us]").astype("datetime64[ns]")


def local_naive(utc: np.ndarray, zone: str) -> np.ndarray:
    """Wall-clock times in ``zone`` for UTC-naive instants (any shape; ``NaT`` stays).

    Examples
    --------
    >>> t = np.array(["2025-03-30T00:59:30", "2025-03-30T01:00:00"], dtype="datetime64[ns]")
    >>> local_naive(t, "Europe/Paris").astype(str).tolist()
    ['2025-03-30T01:59:30.000000000', '2025-03-30T03:00:00.000000000']
    """
    validate_timezone(zone)
    flat = np.asarray(utc, dtype="datetime64[ns]").ravel()
    index = pd.DatetimeIndex(flat).tz_localize("UTC").tz_convert(zone).tz_localize(None)
    return np.asarray(index.as_unit("ns").values).reshape(np.shape(utc))


def time_variable(dims: str | tuple[str, ...], values: Any, attrs: dict | None = None) -> xr.Variable:
    """A datetime variable with the toolkit's CF encoding."""
    var = xr.Variable(dims, values, attrs or {})
    var.encoding = dict(TIME_ENCODING)
    return var


def timedelta_variable(dims: str | tuple[str, ...], values: Any, attrs: dict | None = None) -> xr.Variable:
    """A timedelta variable with the toolkit's CF encoding."""
    var = xr.Variable(dims, values, attrs or {})
    var.encoding = dict(TIMEDELTA_ENCODING)
    return var


# --------------------------------------------------------------------------- stat fields
def stat_variables(stats: Sequence[Stat | None], dim: str | None) -> dict[str, xr.Variable]:
    """The stat fields of many sessions as variables along ``dim`` (0-d when ``dim`` is None).

    Representation (``docs/architecture.md``): ``time`` fields UTC-naive
    ``datetime64[ns]`` (``NaT`` for null); ``duration``, ``count``, ``index``
    and ``ratio`` fields ``float64`` (``NaN`` for null, durations in
    seconds); ``text`` fields ``str`` (``""`` for null); ``sleep_cycle_time``
    ``datetime64[ns]`` along a ``cycle`` dimension padded with ``NaT``. Each
    variable carries :func:`asleep_nb.definitions.stat_attrs`.
    """
    dims: tuple[str, ...] = (dim,) if dim else ()
    n = len(stats)
    out: dict[str, xr.Variable] = {}
    for name, field in STAT_FIELDS.items():
        column = [getattr(s, name) if s is not None else None for s in stats]
        attrs = stat_attrs(name)
        if field.kind == "time":
            values = utc_ns_array(column)
            out[name] = time_variable(dims, values if dim else values[0], attrs)
        elif field.kind == "text":
            values = np.array(["" if v is None else str(v) for v in column], dtype=object)
            out[name] = xr.Variable(dims, values if dim else values.reshape(()), attrs)
        elif field.kind == "time_list":
            lists = [tuple(v) if v else () for v in column]
            width = max((len(v) for v in lists), default=0)
            flat = utc_ns_array([d for v in lists for d in v])
            grid = np.full((n, width), _NAT, dtype="datetime64[ns]")
            lengths = np.fromiter((len(v) for v in lists), dtype=np.int64, count=n)
            mask = np.arange(width) < lengths[:, None]
            grid[mask] = flat
            out[name] = time_variable((*dims, "cycle"), grid if dim else grid[0], attrs)
        else:
            values = np.array([np.nan if v is None else v for v in column], dtype=np.float64)
            out[name] = xr.Variable(dims, values if dim else values[0], attrs)
    return out


def fit_stages(name: str, values: np.ndarray, n: int, where: str) -> np.ndarray:
    """``values`` cut or padded (with ``PAD``) to ``n`` epochs, warning when it had to."""
    if len(values) == n:
        return values
    warnings.warn(
        f"{where}: {name} has {len(values)} epochs but sleep_stages has {n}; "
        f"{'cut' if len(values) > n else 'padded with PAD'} to {n}",
        PayloadWarning,
        stacklevel=3,
    )
    out = np.full(n, PAD, dtype=np.int8)
    k = min(n, len(values))
    out[:k] = values[:k]
    return out


# --------------------------------------------------------------------------- one night
def to_dataset(result: SessionResult | Mapping[str, Any], *, timezone: str | None = None) -> xr.Dataset:
    """One night as an :class:`xarray.Dataset` indexed by epoch start time.

    Parameters
    ----------
    result
        A :class:`~asleep_nb.api.records.SessionResult`, a Get Session ``result``
        dict, or a saved ``SESSION_COMPLETE`` webhook body.
    timezone
        IANA zone of the ``local_time`` view; defaults to the zone the
        result is expressed in (``result.timezone``).

    Returns
    -------
    xarray.Dataset
        - dimension ``time``: epoch starts, UTC-naive ``datetime64[ns]``;
        - coordinates ``epoch`` (``int32``, 0..n-1), ``elapsed`` (time since
          session start), ``local_time`` (naive wall clock in
          ``attrs["timezone"]``; jumps at a daylight-saving change while
          ``time`` does not);
        - ``sleep_stage`` ``int8`` with CF flags; ``snoring_stage`` and
          ``breath_stage`` when the session has them;
        - the stat fields as 0-d variables (see
          :func:`stat_variables`); absent when ``stat`` is null (OPEN and
          CLOSED sessions, invalid sessions; ``attrs["state"]`` and
          ``attrs["peculiarities"]`` say why);
        - attrs: the CF-1.11 ``Conventions``, ``title``, ``history``,
          ``source`` and ``references``
          (:func:`asleep_nb.data.attributes.annotate`), then ``session_id``,
          ``user_id``, ``state``, ``timezone``, ``created_timezone``,
          ``peculiarities`` (comma-separated labels: a one-element list attr
          would not survive netCDF), ``missing_data_ratio`` (NaN when null),
          ``start_time``, ``end_time``, ``unexpected_end_time`` (ISO strings
          in UTC, ``""`` when null), ``two_stage`` (0/1).

        Every variable carries its CF ``long_name`` (and ``units``,
        ``standard_name`` where there is one); ``sleep_stage`` is a CF flag
        variable whose ``missing_value`` is ``PAD``. Write it with
        :func:`asleep_nb.data.cf.to_netcdf` (``local_time`` is then held as a
        UTC offset, not as a fake instant) and read it back with
        :func:`asleep_nb.data.cf.open_dataset`.

        The time axis covers the epochs received: for an OPEN session
        (``end_time`` null) that is what has been uploaded so far.

    Raises
    ------
    asleep_nb.errors.InvalidTimezone
        When ``timezone`` is not an IANA name.
    asleep_nb.errors.PayloadError
        When a dict does not follow the contract.

    Examples
    --------
    >>> ds = to_dataset(payload)
    >>> ds.sleep_stage.dtype, ds.attrs["timezone"]
    (dtype('int8'), 'UTC')
    """
    res = as_result(result)
    zone = res.timezone if timezone is None else timezone
    validate_timezone(zone)
    session = res.session
    stages = session.sleep_stages
    n = 0 if stages is None else len(stages)
    start = utc_ns(session.start_time)
    elapsed = np.arange(n, dtype=np.int64) * EPOCH
    time = start + elapsed
    where = f"session {session.id}"

    data_vars: dict[str, xr.Variable] = {
        "sleep_stage": xr.Variable("time", np.array(stages if stages is not None else [], dtype=np.int8))
    }
    for name, values in (
        ("snoring_stage", session.snoring_stages),
        ("breath_stage", session.breath_stages),
    ):
        if values is not None:
            data_vars[name] = xr.Variable("time", fit_stages(name, np.array(values, dtype=np.int8), n, where))
    if res.stat is not None:
        data_vars.update(stat_variables([res.stat], None))

    coords = {
        "time": xr.Variable("time", time),
        "epoch": xr.Variable("time", np.arange(n, dtype=np.int32)),
        "elapsed": xr.Variable("time", elapsed),
        "local_time": xr.Variable("time", local_naive(time, zone)),
    }
    mdr = res.missing_data_ratio
    attrs = {
        "session_id": session.id,
        "user_id": res.user_id or "",
        "state": label(session.state),
        "timezone": zone,
        "created_timezone": session.created_timezone or "",
        "peculiarities": ",".join(label(p) for p in res.peculiarities),
        "missing_data_ratio": float("nan") if mdr is None else float(mdr),
        "start_time": _iso_utc(session.start_time),
        "end_time": _iso_utc(session.end_time),
        "unexpected_end_time": _iso_utc(session.unexpected_end_time),
        "two_stage": int(bool(res.is_two_stage)),
    }
    return annotate(xr.Dataset(data_vars, coords), "night", detail=f"timezone={zone!r}", keep=attrs)


def _iso_utc(dt: datetime | None) -> str:
    return "" if dt is None else dt.astimezone(UTC).isoformat()
