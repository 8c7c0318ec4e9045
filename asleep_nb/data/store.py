"""Cohorts larger than memory: zarr stores chunked along ``session``, opened dask-backed.

:func:`to_zarr` (also ``cohort.asleep.to_zarr``) writes a cohort from
:func:`asleep_nb.to_cohort` to a zarr store, every variable chunked along
``session`` (and whole along ``epoch`` and ``cycle``, which is what the
stats engine needs). With ``append=True`` further cohorts with the same
``epoch`` axis are appended along ``session``, so a store can be built
chunk by chunk without ever holding the whole cohort in memory.

:func:`open_cohort` opens a store lazily: the stage arrays are dask arrays,
and :func:`asleep_nb.stats.compute_stats` on the result is lazy too (one
task per ``session`` chunk, ``xr.apply_ufunc(..., dask="parallelized")``),
computed on whatever dask scheduler is active (the threaded one by
default, or a ``dask.distributed`` client).

A store round-trips exactly: ``open_cohort(path).compute().identical(cohort)``.

Examples
--------
>>> cohort.asleep.to_zarr("study.zarr", chunks=1000)
>>> lazy = asleep_nb.open_cohort("study.zarr", chunks={"session": 1000})
>>> stats = asleep_nb.stats.compute_stats(lazy)  # lazy
>>> stats.compute().sizes["session"]
80
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Hashable, Iterator, Mapping
from typing import Any, Literal

import numpy as np
import xarray as xr

from asleep_nb.data.attributes import TIME_ENCODING, TIMEDELTA_ENCODING
from asleep_nb.data.cf import UNMASKED, decode, encode
from asleep_nb.data.location import StorageOptions, StoreLocation

__all__ = ["to_zarr", "open_cohort", "DEFAULT_SESSION_CHUNK", "ZARR_FORMATS", "ZarrFormat"]

#: Sessions per chunk when none is given (about 1 MB of ``sleep_stage`` for 960-epoch nights).
DEFAULT_SESSION_CHUNK = 1000
ZarrFormat = Literal[2, 3]
#: The zarr formats :func:`to_zarr` writes (3 by default; 2 for older readers).
ZARR_FORMATS: tuple[ZarrFormat, ...] = (2, 3)
#: The encodings a store keeps (CF units and fill values); chunks and compressors are the store's own.
_ENCODING_KEYS = ("units", "calendar", "dtype", "_FillValue", "missing_value")


def _session_chunk(chunks: int | Mapping[str, int] | None) -> int:
    if chunks is None:
        return DEFAULT_SESSION_CHUNK
    value = chunks.get("session", DEFAULT_SESSION_CHUNK) if isinstance(chunks, Mapping) else chunks
    if not isinstance(value, int | np.integer) or isinstance(value, bool) or value < 1:
        raise ValueError(f"the session chunk size must be a positive integer, got {value!r}")
    return int(value)


def to_zarr(
    cohort: xr.Dataset,
    path: str | os.PathLike[str],
    *,
    chunks: int | Mapping[str, int] | None = None,
    mode: str = "w-",
    append: bool = False,
    zarr_format: ZarrFormat = 3,
    storage_options: StorageOptions | None = None,
) -> None:
    """Write a cohort to a zarr store chunked along ``session``, with consolidated metadata.

    The store holds the cohort's CF form (:func:`asleep_nb.data.cf.encode`:
    wall-clock values as ISO text, never as CF times; stage padding as
    ``_FillValue``), so plain ``xarray.open_zarr(path)`` opens it with no
    warning in a process that never imports asleep_nb, and
    :func:`open_cohort` gives back the cohort as built.

    Parameters
    ----------
    cohort
        A cohort (dimension ``session``), in memory or dask-backed.
    path
        The store: a folder, or an fsspec URL (``s3://bucket/study.zarr``,
        ``gs://...``, ``memory://...``; see :mod:`asleep_nb.data.location`).
    chunks
        Sessions per chunk: an int or ``{"session": n}``; default
        :data:`DEFAULT_SESSION_CHUNK`. Other dimensions are one chunk.
    mode
        ``"w-"`` (default: fail if the store exists) or ``"w"`` (overwrite).
        Ignored with ``append=True``.
    append
        Append ``cohort`` along ``session`` to an existing store written by
        this function (same ``epoch`` axis and variables). The chunk size and
        the zarr format are the store's.
    zarr_format
        ``3`` (default) or ``2``, for readers limited to zarr format 2.
    storage_options
        fsspec options for a URL (credentials, ``client_kwargs`` with an
        ``endpoint_url``, ...); never shown in messages.

    Raises
    ------
    ValueError
        When ``cohort`` has no ``session`` dimension, on a bad ``chunks``,
        ``mode`` or ``zarr_format``, or when appending a cohort whose
        ``epoch`` axis differs.
    FileExistsError
        When the store exists and ``mode="w-"``.

    Examples
    --------
    >>> to_zarr(cohort, "study.zarr", chunks={"session": 500})
    >>> to_zarr(cohort.isel(session=[0]), "study.zarr", append=True)  # more nights
    >>> open_cohort("study.zarr").sizes["session"]
    81
    >>> to_zarr(cohort, "study-v2.zarr", zarr_format=2)  # for zarr-format-2 readers
    """
    if not isinstance(cohort, xr.Dataset) or "session" not in cohort.dims:
        raise ValueError("to_zarr needs a cohort: a Dataset with a 'session' dimension")
    if mode not in ("w", "w-"):
        raise ValueError(f"mode must be 'w' or 'w-', got {mode!r}")
    if zarr_format not in ZARR_FORMATS:
        raise ValueError(f"zarr_format must be 2 or 3, got {zarr_format!r}")
    where = StoreLocation.of(path, storage_options)
    if append:
        existing = _open(where, chunks=None)
        if "epoch" in cohort.dims and not np.array_equal(existing["epoch"].values, cohort["epoch"].values):
            raise ValueError(
                "cannot append: the cohort's epoch axis differs from the store's "
                f"({cohort.sizes['epoch']} vs {existing.sizes['epoch']} slots)"
            )
        for name in ("cycle",):
            if name in cohort.dims and cohort.sizes[name] != existing.sizes.get(name):
                raise ValueError(f"cannot append: dimension {name!r} differs from the store's")
        ds = _prepared(cohort.drop_vars([v for v in cohort.variables if "session" not in cohort[v].dims]))
        with _quiet_consolidation():
            ds.to_zarr(**where.zarr_kwargs(), append_dim="session", consolidated=True)
        return
    n = _session_chunk(chunks)
    ds = cohort
    if any(var.chunks is not None for var in ds.variables.values()):  # dask chunks = zarr chunks
        ds = ds.chunk({"session": n, **{d: -1 for d in ds.dims if d != "session"}})
    ds = _prepared(ds)
    encoding: dict[Hashable, dict[str, Any]] = {}
    for var_name, var in ds.variables.items():
        if "session" in var.dims:
            chunk = tuple(n if d == "session" else ds.sizes[d] for d in var.dims)
            encoding[var_name] = {**var.encoding, "chunks": chunk}  # the argument replaces .encoding
    if mode == "w-" and where.exists():
        raise FileExistsError(f"{str(where)!r} exists; pass mode='w' to overwrite it")
    with _quiet_consolidation():
        ds.to_zarr(
            **where.zarr_kwargs(),
            mode="w" if mode == "w" else "w-",
            encoding=encoding,
            consolidated=True,
            zarr_format=zarr_format,
        )


@contextlib.contextmanager
def _quiet_consolidation() -> Iterator[None]:
    """Silence zarr's note that consolidated metadata is not in the zarr format 3 spec (we want it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Consolidated metadata is currently not part")
        yield


def _prepared(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` in its CF form (:func:`~asleep_nb.data.cf.encode`) with encodings zarr accepts.

    Times are stored as ``int64`` counts in their CF units (seconds since
    the epoch for instants, as the API gives whole seconds) so chunked and
    appended writes agree on the encoding; ``NaT`` round-trips. Stale
    encodings from an opened store (``chunks``, ``preferred_chunks``,
    compressors) are dropped. Lazy text variables (one string per session)
    are loaded: zarr needs their values to choose a string type.
    """
    ds = encode(ds)
    for var in ds.variables.values():
        if var.dtype == object and var.chunks is not None:
            var.load()
        kind = var.dtype.kind
        keep = {k: v for k, v in var.encoding.items() if k in _ENCODING_KEYS}
        if kind in "mM":
            keep.setdefault("units", TIME_ENCODING["units"] if kind == "M" else TIMEDELTA_ENCODING["units"])
            if kind == "M":
                keep.setdefault("calendar", TIME_ENCODING["calendar"])
            keep["dtype"] = np.dtype("int64")
        var.encoding = keep
    return ds


def open_cohort(
    path: str | os.PathLike[str],
    *,
    chunks: Mapping[str, int] | int | None = None,
    storage_options: StorageOptions | None = None,
) -> xr.Dataset:
    """Open a cohort zarr store lazily (dask-backed).

    Parameters
    ----------
    path
        A store written by :func:`to_zarr`: a folder or an fsspec URL.
    chunks
        ``{"session": n}`` (other dimensions stay whole), an int (same), or
        ``None`` (default) for the store's own chunks.
    storage_options
        fsspec options for a URL, as for :func:`to_zarr`.

    Returns
    -------
    xarray.Dataset
        The cohort, identical to the one written once computed; every
        variable is a dask array.

    Raises
    ------
    FileNotFoundError
        When there is no store at ``path``.

    Examples
    --------
    >>> cohort.asleep.to_zarr("study.zarr")
    >>> lazy = open_cohort("study.zarr", chunks={"session": 50})
    >>> lazy.sleep_stage.chunks[0]
    (50, 30)
    """
    where = StoreLocation.of(path, storage_options)
    if not where.exists():
        raise FileNotFoundError(f"no zarr store at {str(where)!r}")
    session_chunk = None if chunks is None else _session_chunk(chunks)
    ds = _open(where, chunks={})  # the store's own chunks
    if session_chunk is not None:  # rechunk after opening: no warning when sizes differ from the store's
        ds = ds.chunk({"session": session_chunk, **{d: -1 for d in ds.dims if d != "session"}})
    return ds


def _open(where: StoreLocation, *, chunks: dict[str, int] | None) -> xr.Dataset:
    """The store decoded (:func:`~asleep_nb.data.cf.decode`); stores from before consolidation open too."""
    try:
        ds = xr.open_zarr(**where.zarr_kwargs(), chunks=chunks, consolidated=True, mask_and_scale=UNMASKED)
    except (KeyError, ValueError, FileNotFoundError):  # no consolidated metadata: an older store
        ds = xr.open_zarr(**where.zarr_kwargs(), chunks=chunks, consolidated=False, mask_and_scale=UNMASKED)
    return decode(ds)
