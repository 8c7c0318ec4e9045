"""Files other tools read without asleep_nb: a toolkit dataset in its CF form, and back.

In memory, wall-clock quantities are naive ``datetime64`` (``local_time``,
``local_start_time``) and ``night`` a ``datetime64`` at midnight, because
that is what computing with them needs. A file cannot hold them as CF times
("seconds since ..."): every CF reader decodes those as UTC instants, and on
a daylight-saving night ``local_time`` would show a jump that is not elapsed
time. :func:`encode` gives the form files hold
(:data:`asleep_nb.definitions.variables.WALL_CLOCK_ON_DISK`):

- ``local_time`` (one night) becomes ``utc_offset``: ``int32`` seconds per
  epoch beside ``time``, so ``local_time = time + utc_offset``;
- ``local_start_time`` becomes an ISO 8601 local date-time string
  (``"2025-03-29T23:00:00"``, no offset) and ``night`` an ISO date
  (``"2025-03-29"``); ``""`` where unknown;
- ``two_stage`` becomes an ``int8`` CF flag variable (0 four_stage,
  1 two_stage);
- stage arrays keep ``int8`` with the padding code as ``_FillValue`` and
  ``missing_value``, so a plain ``xarray.open_dataset`` masks padding.

:func:`decode` undoes it: ``decode(encode(ds))`` is ``identical`` to ``ds``.
:func:`to_netcdf` and :func:`open_dataset` write and read netCDF that way;
:func:`asleep_nb.data.store.to_zarr` and :func:`~asleep_nb.data.store.open_cohort`
do the same for zarr. A file written with xarray's own ``to_netcdf`` straight
from a toolkit dataset is CF-1.11 clean too (its wall-clock variables are then
CF times), and :func:`open_dataset` reads it back identical as well.

Examples
--------
>>> from asleep_nb.data.cf import open_dataset, to_netcdf
>>> night = ds.asleep.to_timezone("Europe/Paris")
>>> to_netcdf(night, "night.nc")
>>> open_dataset("night.nc").load().identical(night)
True
>>> import xarray as xr
>>> plain = xr.open_dataset("night.nc")
>>> plain["utc_offset"].values[:2]
array([3600, 3600], dtype=int32)
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
import numpy.typing as npt
import xarray as xr

from asleep_nb.data.attributes import STAGE_NAMES, variable_definition
from asleep_nb.definitions import PAD
from asleep_nb.definitions.variables import DISK_VARIABLES, WALL_CLOCK_ON_DISK

__all__ = [
    "UNMASKED",
    "encode",
    "decode",
    "to_netcdf",
    "open_dataset",
]

#: ``mask_and_scale`` for xarray's readers that keeps stage arrays ``int8`` (for :func:`decode`).
UNMASKED: dict[str, bool] = dict.fromkeys(STAGE_NAMES, False)

_OFFSET = "utc_offset"
#: ISO string units of each wall-clock variable held as text ("D": a date).
_TEXT_UNIT = {"night": "D", "local_start_time": "s"}
_SECOND = np.timedelta64(1, "s")


# --------------------------------------------------------------------------- elementwise helpers
def _map(var: xr.Variable, func: Callable[[np.ndarray], np.ndarray], dtype: Any) -> xr.Variable:
    """``func`` applied to ``var``'s values, lazily (block by block) when ``var`` is dask-backed."""
    if var.chunks is not None:
        data = var.data.map_blocks(func, dtype=dtype)
    else:
        data = func(np.asarray(var.values))
    return xr.Variable(var.dims, data, dict(var.attrs))


def _iso_text(values: np.ndarray, unit: str) -> np.ndarray:
    """Naive datetimes as ISO 8601 text (``""`` for ``NaT``) in ``unit``, finer when ``unit`` would round."""
    arr: npt.NDArray[np.datetime64] = np.asarray(values, dtype="datetime64[ns]")
    known = ~np.isnat(arr)
    for candidate in (unit, "s", "ns"):
        if (arr[known].astype(f"datetime64[{candidate}]") == arr[known]).all():
            unit = candidate
            break
    text = np.datetime_as_string(arr, unit=unit).astype(object)  # type: ignore[call-overload]
    text[~known] = ""
    return text


def _parse_text(values: np.ndarray) -> np.ndarray:
    """ISO 8601 text (``""`` for unknown) as naive ``datetime64[ns]``."""
    return np.asarray(values, dtype=object).astype("datetime64[ns]")


# --------------------------------------------------------------------------- encode
def encode(ds: xr.Dataset) -> xr.Dataset:
    """The CF form of a toolkit dataset, as files hold it (see the module docstring).

    Parameters
    ----------
    ds
        A night, a cohort or a stats dataset (in memory or dask-backed; not modified).

    Returns
    -------
    xarray.Dataset
        No wall-clock value held as a CF time: ``local_time`` as
        ``utc_offset`` seconds beside ``time``, ``local_start_time`` and
        ``night`` as ISO text, ``two_stage`` as an ``int8`` flag variable,
        stage arrays with ``_FillValue`` and ``missing_value`` encoded.
        Variables the toolkit does not know are unchanged.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> night = np.array(["2025-03-29", "NaT"], "datetime64[ns]")
    >>> encode(xr.Dataset(coords={"night": ("session", night)}))["night"].values.tolist()
    ['2025-03-29', '']
    """
    out = ds.copy(deep=False)
    replaced: dict[Hashable, xr.Variable] = {}
    if "local_time" in out.variables and "time" in out.variables and out["local_time"].dtype.kind == "M":
        seconds = (out["local_time"].variable - out["time"].variable) // _SECOND
        offset = xr.Variable(seconds.dims, seconds.data, DISK_VARIABLES[_OFFSET].attrs())
        replaced[_OFFSET] = offset.astype(np.int32)
        out = out.drop_vars("local_time")
    for name, unit in _TEXT_UNIT.items():
        if name in out.variables and out[name].dtype.kind == "M":
            var = _map(out[name].variable, functools.partial(_iso_text, unit=unit), object)
            var.attrs["comment"] = WALL_CLOCK_ON_DISK[name]
            replaced[name] = var
    if "two_stage" in out.variables and out["two_stage"].dtype == bool:
        replaced["two_stage"] = out["two_stage"].variable.astype(np.int8)
    coords = {k: v for k, v in replaced.items() if k in ds.coords or k == _OFFSET}
    data = {k: v for k, v in replaced.items() if k not in coords}
    out = out.assign_coords(coords).assign(data)
    for name in STAGE_NAMES:  # padding: CF _FillValue and missing_value, as xarray's encoders expect them
        if name in out.variables:
            var = out[name].variable
            var.encoding.setdefault("_FillValue", np.int8(PAD))
            var.encoding["missing_value"] = np.int8(var.attrs.pop("missing_value", PAD))
    return out


# --------------------------------------------------------------------------- decode
def decode(ds: xr.Dataset) -> xr.Dataset:
    """A toolkit dataset from its CF form: the inverse of :func:`encode`.

    Accepts what xarray's readers give for a file written from a toolkit
    dataset, with or without :func:`encode` (best read with
    ``mask_and_scale=UNMASKED``; masked stage arrays are turned back into
    ``int8`` with ``PAD`` too). Datasets already in memory form pass through.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset(coords={"night": ("session", np.array(["2025-03-29T00:00"], "datetime64[ns]"))})
    >>> decode(encode(ds)).identical(ds)
    True
    """
    out = _object_strings(ds)
    replaced: dict[Hashable, xr.Variable] = {}
    if _OFFSET in out.variables and "time" in out.variables:
        offset = out[_OFFSET].variable
        local = out["time"].variable + offset.astype(np.int64) * _SECOND
        definition = variable_definition("local_time", "night")
        replaced["local_time"] = xr.Variable(local.dims, local.data, definition.attrs() if definition else {})
        out = out.drop_vars(_OFFSET)
    for name in _TEXT_UNIT:
        if name in out.variables and out[name].dtype == object:
            var = _map(out[name].variable, _parse_text, np.dtype("datetime64[ns]"))
            if var.attrs.get("comment") == WALL_CLOCK_ON_DISK[name]:
                del var.attrs["comment"]
            replaced[name] = var
    if "two_stage" in out.variables and out["two_stage"].dtype.kind in "iu":
        flag = out["two_stage"].variable.astype(bool)
        flag.attrs = {k: v for k, v in flag.attrs.items() if k != "dtype"}
        flag.encoding = {"dtype": np.dtype("int8")}
        replaced["two_stage"] = flag
    coords = {k: v for k, v in replaced.items() if k in out.coords or k == "local_time"}
    out = out.assign_coords(coords).assign({k: v for k, v in replaced.items() if k not in coords})
    for name in STAGE_NAMES:
        if name in out.variables:
            out[name] = _int8_stage(out[name].variable)
    if "two_stage" in out.variables:
        _cast_flags(out["two_stage"].variable, np.int8)
    return out


def _int8_stage(var: xr.Variable) -> xr.Variable:
    """A stage array as built: ``int8`` padded with ``PAD``, ``missing_value`` and ``_FillValue``."""
    attrs = dict(var.attrs)
    encoding = dict(var.encoding)
    fill = attrs.pop("_FillValue", encoding.get("_FillValue", PAD))
    if var.dtype.kind == "f":  # opened masked: padding came back as NaN
        var = var.fillna(PAD)
    out = var.astype(np.int8) if var.dtype != np.int8 else var.copy(deep=False)
    attrs.setdefault("missing_value", encoding.get("missing_value", PAD))
    out.attrs = attrs
    out.encoding = {"_FillValue": np.int8(fill)}
    _cast_flags(out, np.int8)
    return out


def _cast_flags(var: xr.Variable, dtype: type[np.integer]) -> None:
    """``flag_values`` and ``missing_value`` in the variable's type (zarr's JSON gives plain ints)."""
    if "flag_values" in var.attrs:
        var.attrs["flag_values"] = np.asarray(var.attrs["flag_values"], dtype=dtype)
    if "missing_value" in var.attrs:
        var.attrs["missing_value"] = dtype(var.attrs["missing_value"])


def _object_strings(ds: xr.Dataset) -> xr.Dataset:
    """Text variables as ``object`` arrays of ``str`` (readers give ``StringDType`` or ``<U``), as built."""
    text = [name for name, var in ds.variables.items() if var.dtype.kind in "TU"]
    if not text:
        return ds
    converted = {name: ds[name].astype(object) for name in text}
    coords = {k: v for k, v in converted.items() if k in ds.coords}
    data = {k: v for k, v in converted.items() if k not in ds.coords}
    return ds.assign_coords(coords).assign(data)


# --------------------------------------------------------------------------- files
def to_netcdf(ds: xr.Dataset, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Write a toolkit dataset to a CF-1.11 netCDF file (:func:`encode`, then xarray's ``to_netcdf``).

    Parameters
    ----------
    ds
        A night, a cohort or a stats dataset.
    path
        The file.
    **kwargs
        Passed to :meth:`xarray.Dataset.to_netcdf` (``engine``, ``mode`` ...).

    Examples
    --------
    >>> to_netcdf(cohort, "study.nc")
    """
    encode(ds).to_netcdf(path, **kwargs)


def open_dataset(path: str | os.PathLike[str], **kwargs: Any) -> xr.Dataset:
    """Open a netCDF file (or zarr store) written from a toolkit dataset, as the toolkit built it.

    Wall-clock quantities come back as naive ``datetime64``, ``two_stage``
    as ``bool`` and stage arrays as ``int8`` padded with ``PAD``, whether
    the file was written by :func:`to_netcdf` or by xarray's own
    ``to_netcdf``.

    Parameters
    ----------
    path
        The file.
    **kwargs
        Passed to :func:`xarray.open_dataset` (``engine``, ``chunks`` ...).

    Raises
    ------
    FileNotFoundError
        When there is nothing at ``path``.

    Examples
    --------
    >>> to_netcdf(ds, "night.nc")
    >>> night = open_dataset("night.nc").load()
    >>> night.identical(ds)
    True
    """
    if not os.path.exists(path):
        raise FileNotFoundError(f"no file at {os.fspath(path)!r}")
    kwargs.setdefault("mask_and_scale", UNMASKED)
    return decode(xr.open_dataset(path, **kwargs))
