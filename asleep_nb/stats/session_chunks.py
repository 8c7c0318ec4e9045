"""Per-night metrics on a cohort larger than one process: one task per ``session`` chunk.

A research metric of one night (latencies, fragmentation, transitions) needs
that night's epochs and nothing else. On a dask-backed cohort
(:func:`asleep_nb.open_cohort`) :func:`map_sessions` therefore runs the
metric on each ``session`` chunk separately, with :func:`xarray.map_blocks`:
the result is lazy, computed on whatever dask scheduler is active (the
threaded one, or the workers of a ``dask.distributed.Client``), and no
process ever holds more than one chunk of stages. The metrics of
:mod:`asleep_nb.stats.night` and :mod:`asleep_nb.stats.transitions` do this
by themselves (:func:`per_session_chunk`); on an in-memory cohort or one
night they run as before.

Computed, the lazy result is identical to the metric of the loaded cohort.

Examples
--------
>>> import numpy as np, xarray as xr
>>> from asleep_nb.stats import research_sleep_latency
>>> from asleep_nb.stats.session_chunks import map_sessions
>>> codes = np.array([[0, 0, 1, 1], [0, 1, 1, -2], [1, 1, 0, -2]], dtype="int8")
>>> cohort = xr.Dataset({"sleep_stage": (("session", "epoch"), codes)}).chunk({"session": 2})
>>> lazy = map_sessions(research_sleep_latency, cohort)
>>> lazy.chunks, lazy.values.tolist()
(((2, 1),), [60.0, 30.0, 0.0])
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import xarray as xr

__all__ = ["map_sessions", "per_session_chunk", "lazy_cohort_stages"]

F = TypeVar("F", bound=Callable[..., Any])


def lazy_cohort_stages(stages: Any) -> xr.Dataset | None:
    """The cohort behind ``stages`` when its ``sleep_stage`` is dask-backed, else ``None``.

    Examples
    --------
    >>> lazy_cohort_stages([0, 1, 1]) is None
    True
    """
    if isinstance(stages, xr.DataArray) and stages.name == "sleep_stage":
        stages = stages.to_dataset()
    if not isinstance(stages, xr.Dataset) or "sleep_stage" not in stages.data_vars:
        return None
    da = stages["sleep_stage"]
    if da.chunks is None or set(da.dims) != {"session", "epoch"}:
        return None
    return stages[["sleep_stage"]]


def map_sessions(metric: Callable[..., Any], cohort: xr.Dataset | xr.DataArray, /, **kwargs: Any) -> Any:
    """Run a per-night metric on each ``session`` chunk of a dask-backed cohort, lazily.

    Parameters
    ----------
    metric
        A function of a cohort's stages that returns a ``DataArray`` whose
        first dimension is ``session`` (one value, or one matrix, per night):
        the research metrics of :mod:`asleep_nb.stats`, or your own.
    cohort
        A cohort whose ``sleep_stage`` is a dask array with dims
        (``session``, ``epoch``); an in-memory cohort is passed to
        ``metric`` unchanged.
    **kwargs
        Passed to ``metric``.

    Returns
    -------
    xarray.DataArray
        Lazy (one task per ``session`` chunk), with ``metric``'s name,
        attributes and coordinates; ``.compute()`` equals ``metric`` of the
        loaded cohort.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from asleep_nb.stats import sleep_fragmentation_index
    >>> codes = np.array([[0, 1, 2, 1, 0, 1], [1, 3, 1, 0, 1, 1]], dtype="int8")
    >>> cohort = xr.Dataset({"sleep_stage": (("session", "epoch"), codes)}).chunk({"session": 1})
    >>> lazy = map_sessions(sleep_fragmentation_index, cohort)
    >>> lazy.compute().values.tolist()
    [60.0, 48.0]
    >>> lazy.compute().identical(sleep_fragmentation_index(cohort.compute()))
    True
    """
    ds = lazy_cohort_stages(cohort)
    if ds is None:
        return metric(cohort, **kwargs)
    raw = getattr(metric, "__wrapped__", metric)  # the metric itself, never the dispatching wrapper
    ds = ds.chunk({"epoch": -1})
    first = raw(ds.isel(session=slice(0, 1)).compute(), **kwargs)
    if not isinstance(first, xr.DataArray) or first.dims[:1] != ("session",):
        raise TypeError(f"{getattr(metric, '__name__', metric)!r} does not return one value per session")
    template = _template(first, ds)
    return xr.map_blocks(functools.partial(_apply, raw, kwargs), ds, template=template)


def _apply(metric: Callable[..., Any], kwargs: dict[str, Any], block: xr.Dataset) -> Any:
    return metric(block, **kwargs)


def _template(first: xr.DataArray, ds: xr.Dataset) -> xr.DataArray:
    """A lazy array shaped like ``metric``'s full result, chunked as ``ds`` along ``session``."""
    import dask.array

    n = ds.sizes["session"]
    other = first.shape[1:]
    data = dask.array.empty((n, *other), dtype=first.dtype, chunks=(ds.chunks["session"], *other))
    coords: dict[Any, Any] = {}
    for name, coord in first.coords.items():
        if "session" not in coord.dims:
            coords[name] = coord
        elif name in ds.coords and ds.coords[name].dims == ("session",):
            coords[name] = ds.coords[name]
    out = xr.DataArray(data, dims=first.dims, coords=coords, name=first.name, attrs=first.attrs)
    missing = [k for k, c in first.coords.items() if "session" in c.dims and k not in coords]
    if missing:  # a coordinate the metric made per session: computed per chunk like the values
        raise TypeError(f"the metric adds per-session coordinates {missing} that the cohort does not have")
    return out


def per_session_chunk(metric: F) -> F:
    """Make a per-night metric run chunk by chunk on a dask-backed cohort (:func:`map_sessions`).

    On anything else (one night, an in-memory cohort, arrays) the metric is
    called as it is.

    Examples
    --------
    >>> @per_session_chunk
    ... def epochs(stages):
    ...     '''Epochs of each night (an example metric).'''
    ...     return (stages["sleep_stage"] >= -1).sum("epoch").rename("epochs")
    >>> import numpy as np, xarray as xr
    >>> codes = np.array([[0, 1, -2], [1, 1, 1]], dtype="int8")
    >>> epochs(xr.Dataset({"sleep_stage": (("session", "epoch"), codes)}).chunk({"session": 1})).values
    array([2, 3])
    """

    @functools.wraps(metric)
    def dispatch(stages: Any, *args: Any, **kwargs: Any) -> Any:
        if args or lazy_cohort_stages(stages) is None:
            return metric(stages, *args, **kwargs)
        return map_sessions(metric, stages, **kwargs)

    return dispatch  # type: ignore[return-value]
