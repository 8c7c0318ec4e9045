"""The ``Dataset.asleep`` accessor: time-zone views, tables, stats and figures.

Registered by ``import asleep_nb`` (the package imports this module, as xarray
registers ``.plot`` from its plot package), so the data layer never imports
figures. Works on a single night (dimension ``time``) and on a cohort
(dimensions ``session``, ``epoch``).

Examples
--------
>>> ds = asleep_nb.to_dataset(payload)
>>> seoul = ds.asleep.to_timezone("Asia/Seoul")
>>> seoul.attrs["timezone"]
'Asia/Seoul'
>>> table = cohort.asleep.stats_table()
>>> ax = ds.asleep.hypnogram()
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import xarray as xr

from asleep_nb.timezones import validate_timezone

__all__ = ["AsleepAccessor"]


class _Forward:
    """An accessor method forwarding to a toolkit function, imported on first use.

    The bound method carries the function's real signature (without its first,
    dataset parameter) and docstring, so ``help()`` and completion show them.
    """

    def __init__(self, target: str) -> None:
        self.module, self.name = target.split(":")

    def function(self) -> Callable[..., Any]:
        """The toolkit function this method forwards to."""
        func: Callable[..., Any] = getattr(importlib.import_module(self.module), self.name)
        return func

    def __get__(self, accessor: AsleepAccessor | None, owner: type | None = None) -> Callable[..., Any]:
        func = self.function()
        if accessor is None:
            return func
        ds = accessor._obj

        @functools.wraps(func)
        def method(*args: Any, **kwargs: Any) -> Any:
            return func(ds, *args, **kwargs)

        signature = inspect.signature(func)
        # functions have no declared __signature__; inspect.signature() reads it when set
        method.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=list(signature.parameters.values())[1:]
        )
        return method


@xr.register_dataset_accessor("asleep")
class AsleepAccessor:
    """Toolkit methods on any dataset built by :func:`asleep_nb.to_dataset` or :func:`asleep_nb.to_cohort`.

    Parameters
    ----------
    ds
        A single night (dimension ``time``) or a cohort (dimensions
        ``session``, ``epoch``).
    """

    def __init__(self, ds: xr.Dataset) -> None:
        self._obj = ds

    @property
    def is_cohort(self) -> bool:
        """``True`` for a cohort (dimension ``session``), ``False`` for one night."""
        return "session" in self._obj.dims

    # ------------------------------------------------------------------ time zones
    @property
    def local_time(self) -> xr.DataArray:
        """Local wall-clock time of every epoch.

        One night: the ``local_time`` coordinate (zone ``attrs["timezone"]``).
        A cohort: a ``(session, epoch)`` array computed on demand, each
        session in its own ``timezone`` coordinate, ``NaT`` in padding slots.

        Examples
        --------
        >>> str(ds.asleep.local_time.values[0])
        '2025-01-15T02:50:29.000000000'
        """
        ds = self._obj
        if not self.is_cohort:
            return ds["local_time"]
        from asleep_nb.data.night import EPOCH, local_naive

        slot = np.arange(ds.sizes["epoch"], dtype=np.int64)[None, :]
        rel = slot - ds["offset"].values.astype(np.int64)[:, None]
        inside = (rel >= 0) & (rel < ds["n_epochs"].values.astype(np.int64)[:, None])
        utc = ds["start_time"].values[:, None] + rel * EPOCH
        utc = np.where(inside, utc, np.datetime64("NaT", "ns"))
        zones = ds["timezone"].values
        local = np.empty_like(utc)
        for zone in np.unique(zones.astype(str)):
            rows = zones == zone
            local[rows] = local_naive(utc[rows], str(zone))
        return xr.DataArray(
            local,
            dims=("session", "epoch"),
            coords={"session_id": ds["session_id"], "epoch": ds["epoch"]},
            name="local_time",
            attrs={"long_name": "local wall-clock time (each session in its timezone)"},
        )

    def to_timezone(self, name: str) -> xr.Dataset:
        """The same data with its local view moved to the IANA zone ``name``.

        Nothing is refetched and no instant changes: ``time``,
        ``start_time`` and the stage arrays stay as they are. One night:
        ``local_time`` is recomputed and ``attrs["timezone"]`` set. A cohort:
        the per-session ``timezone`` coordinate is set to ``name`` and
        ``local_start_time`` recomputed; ``night`` and the epoch alignment
        stay as built (rebuild with ``to_cohort(..., timezone=name)`` to
        re-align a ``"clock"`` cohort).

        Correct across daylight-saving changes: a Europe/Paris night on
        2025-03-30 has ``local_time`` going 01:59:30 -> 03:00:00 while
        ``time`` advances by 30 s.

        Parameters
        ----------
        name
            An IANA zone name such as ``"Asia/Seoul"``.

        Raises
        ------
        asleep_nb.errors.InvalidTimezone
            When ``name`` names no zone.

        Examples
        --------
        >>> ds.asleep.to_timezone("Asia/Seoul").attrs["timezone"]
        'Asia/Seoul'
        """
        from asleep_nb.data.night import local_naive

        validate_timezone(name)
        ds = self._obj
        if not self.is_cohort:
            local = ds["local_time"].variable.copy(data=local_naive(ds["time"].values, name))
            out = ds.assign_coords(local_time=local)
            out.attrs["timezone"] = name
            return out
        zone = ds["timezone"].variable.copy(data=np.full(ds.sizes["session"], name, dtype=object))
        local = ds["local_start_time"].variable.copy(data=local_naive(ds["start_time"].values, name))
        return ds.assign_coords(timezone=zone, local_start_time=local)

    # ------------------------------------------------------------------ tables, stats, stores, figures
    # Each forwards to the toolkit function of the same name with the dataset as first argument;
    # ``help(ds.asleep.hypnogram)`` shows that function's own signature and docstring.
    stats_table = _Forward("asleep_nb.data.table:stats_table")
    to_zarr = _Forward("asleep_nb.data.store:to_zarr")
    to_netcdf = _Forward("asleep_nb.data.cf:to_netcdf")
    epoch_table = _Forward("asleep_nb.data.epochs:epoch_table")
    export_stats = _Forward("asleep_nb.data.export:export_stats")
    export_epochs = _Forward("asleep_nb.data.export:export_epochs")
    compute_stats = _Forward("asleep_nb.stats:compute_stats")
    compare_groups = _Forward("asleep_nb.stats.study.groups:compare_groups")
    hypnogram = _Forward("asleep_nb.plot.hypnogram:hypnogram")
    nights = _Forward("asleep_nb.plot.nights:nights")
    hypnodensity = _Forward("asleep_nb.plot:hypnodensity")
    stage_distribution = _Forward("asleep_nb.plot:stage_distribution")
    transition_matrix = _Forward("asleep_nb.plot:transition_matrix")
    metric = _Forward("asleep_nb.plot:metric")
