"""The ``Dataset.asleep`` accessor: time-zone views, tables, stats and figures.

Registered on import of :mod:`asleep_nb.dataset` or :mod:`asleep_nb.cohort`
(which import this module). Works on a single night (dimension ``time``) and
on a cohort (dimensions ``session``, ``epoch``).

Examples
--------
>>> ds = asleep_nb.to_dataset(payload)  # doctest: +SKIP
>>> seoul = ds.asleep.to_timezone("Asia/Seoul")  # doctest: +SKIP
>>> seoul.attrs["timezone"]  # doctest: +SKIP
'Asia/Seoul'
>>> table = cohort.asleep.stats_table()  # doctest: +SKIP
>>> ax = ds.asleep.hypnogram()  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from .timezones import validate_timezone

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["AsleepAccessor"]


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
        >>> ds.asleep.local_time[0]  # doctest: +SKIP
        """
        ds = self._obj
        if not self.is_cohort:
            return ds["local_time"]
        from .dataset import EPOCH, local_naive

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
        >>> ds.asleep.to_timezone("Asia/Seoul").attrs["timezone"]  # doctest: +SKIP
        'Asia/Seoul'
        """
        from .dataset import local_naive

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

    # ------------------------------------------------------------------ tables and stats
    def stats_table(self) -> pd.DataFrame:
        """Tidy table, one row per session: see :func:`asleep_nb.cohort.stats_table`."""
        from .cohort import stats_table

        return stats_table(self._obj)

    def compute_stats(self, **kwargs: Any) -> xr.Dataset:
        """Recompute the vendor's stat object: forwards to :func:`asleep_nb.stats.compute_stats`."""
        from .stats import compute_stats

        return compute_stats(self._obj, **kwargs)

    def to_zarr(self, path: Any, **kwargs: Any) -> None:
        """Write a cohort to a zarr store chunked along ``session``: see :func:`asleep_nb.store.to_zarr`."""
        from .store import to_zarr

        to_zarr(self._obj, path, **kwargs)

    # ------------------------------------------------------------------ figures
    def hypnogram(self, **kwargs: Any) -> Any:
        """Hypnogram of one night: forwards to :func:`asleep_nb.plot.hypnogram`."""
        from .plot import hypnogram

        return hypnogram(self._obj, **kwargs)

    def nights(self, **kwargs: Any) -> Any:
        """Stacked nights of a cohort: forwards to :func:`asleep_nb.plot.nights`."""
        from .plot import nights

        return nights(self._obj, **kwargs)

    def hypnodensity(self, **kwargs: Any) -> Any:
        """Stage shares per epoch slot by group: forwards to :func:`asleep_nb.plot.hypnodensity`."""
        from .plot import hypnodensity

        return hypnodensity(self._obj, **kwargs)

    def stage_distribution(self, **kwargs: Any) -> Any:
        """Time per stage by session: forwards to :func:`asleep_nb.plot.stage_distribution`."""
        from .plot import stage_distribution

        return stage_distribution(self._obj, **kwargs)

    def transition_matrix(self, **kwargs: Any) -> Any:
        """Stage transition matrix: forwards to :func:`asleep_nb.plot.transition_matrix`."""
        from .plot import transition_matrix

        return transition_matrix(self._obj, **kwargs)

    def metric(self, name: str, **kwargs: Any) -> Any:
        """One stat field by group: forwards to :func:`asleep_nb.plot.metric`."""
        from .plot import metric

        return metric(self._obj, name, **kwargs)

    def compare_groups(self, name: str, **kwargs: Any) -> Any:
        """Compare groups on one stat field: forwards to :func:`asleep_nb.plot.compare_groups`."""
        from .plot import compare_groups

        return compare_groups(self._obj, name, **kwargs)
