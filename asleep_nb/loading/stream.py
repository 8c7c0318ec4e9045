"""Streaming a large archive into a chunked zarr cohort, never holding every session in memory.

:func:`archive_to_zarr` turns an :class:`~asleep_nb.loading.archive.Archive`
into a zarr cohort store identical to
``to_zarr(open_archive(path).to_cohort(...))``, with at most ``chunk``
sessions (their records and their piece of the cohort) in memory at a time.
:func:`asleep_nb.data.store.open_cohort` then opens it dask-backed and
:func:`asleep_nb.stats.compute_stats` runs on it lazily, as on any store.

How the epoch axis is sized: two passes
----------------------------------------
Every session of a store shares one ``epoch`` axis, and zarr can only append
along ``session``. The axis bounds depend on every session: its longest
night (``align="start"``), its earliest onset and latest end relative to
onset (``"onset"``), the latest end on the clock grid (``"clock"``).
Growing the axis while writing cannot work for ``"onset"`` (it grows to the
*left*: every session already written would shift), and the order of
sessions (``to_cohort``'s: group, user, start time) is only known once every
start time is. So the archive is read twice:

1. **plan**: the entries are read ``chunk`` at a time and built with
   :func:`~asleep_nb.data.cohort.to_cohort` (so every placement rule is the
   data layer's own); only each chunk's axis bounds, ``cycle`` width and
   per-session sort keys are kept (a few dozen bytes per session);
2. **write**: the sessions are taken ``chunk`` at a time in the final order,
   read again, built with ``to_cohort``, widened to the common axis (the
   new slots hold :data:`asleep_nb.definitions.PAD`) and ``cycle`` width
   (``NaT``), and appended to the store along ``session``.

Each file is therefore parsed twice (once when the archive fits in one
chunk); the memory used is bounded by ``chunk``, not by the number of
sessions.

Examples
--------
>>> from asleep_nb.loading.archive import open_archive
>>> from asleep_nb.loading.stream import archive_to_zarr
>>> lazy = archive_to_zarr(open_archive("study"), "study.zarr", chunk=2000)
>>> stats = asleep_nb.stats.compute_stats(lazy).compute()
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time as dt_time
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import xarray as xr

from asleep_nb.data.cohort import Alignment, to_cohort
from asleep_nb.data.location import StorageOptions, StoreLocation
from asleep_nb.data.store import DEFAULT_SESSION_CHUNK, open_cohort, to_zarr
from asleep_nb.definitions import EPOCH_SECONDS, PAD
from asleep_nb.errors import ArchiveCorrupt

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.loading.archive import Archive, ArchiveEntry

__all__ = ["archive_to_zarr", "StreamPlan", "plan_stream"]


#: Groups as :func:`archive_to_zarr` takes them: one label, ``session_id -> label``, or one per entry.
Groups = str | Mapping[str, str] | Sequence[str] | None
_EPOCH_NS = np.int64(EPOCH_SECONDS) * np.int64(1_000_000_000)


@dataclass
class StreamPlan:
    """What the planning pass learnt: the final order and the common axes.

    Attributes
    ----------
    entries
        The archive entries to write, in the cohort's session order.
    epoch_bounds
        ``(lo, hi)``: the common ``epoch`` axis is ``range(lo, hi)``.
    cycles
        Width of the common ``cycle`` axis.
    skipped
        Entries left out because their file was corrupt (``on_corrupt="skip"``).
    groups
        The ``groups`` to give :func:`~asleep_nb.data.cohort.to_cohort` for any chunk.
    whole
        The whole cohort when every session fitted in one chunk (then one pass is enough),
        else ``None``.
    """

    entries: list[ArchiveEntry] = field(default_factory=list)
    epoch_bounds: tuple[int, int] = (0, 0)
    cycles: int = 0
    skipped: list[ArchiveEntry] = field(default_factory=list)
    groups: str | Mapping[str, str] | None = None
    whole: xr.Dataset | None = None


def archive_to_zarr(
    archive: Archive,
    path: str | os.PathLike[str],
    *,
    chunk: int = DEFAULT_SESSION_CHUNK,
    align: Alignment = "start",
    groups: Groups = None,
    clock_start: str | dt_time = "18:00",
    timezone: str | None = None,
    on_corrupt: Literal["raise", "skip"] = "raise",
    mode: str = "w-",
    storage_options: StorageOptions | None = None,
) -> xr.Dataset:
    """Write every archived session to a zarr cohort store, ``chunk`` sessions at a time.

    The store equals ``to_zarr(archive.to_cohort(...), path, chunks=chunk)``
    (same sessions, order, axes and values) but is built without holding
    more than ``chunk`` sessions in memory (see the module docs for the two
    passes this takes).

    Parameters
    ----------
    archive
        An :class:`~asleep_nb.loading.archive.Archive` (``open_archive(path)``).
        Each session must be archived in one zone only, as for
        :meth:`~asleep_nb.loading.archive.Archive.to_cohort`.
    path
        The zarr store to write: a folder, or an fsspec URL (``s3://...``).
    chunk
        Sessions read, built and appended at a time; also the store's chunk
        along ``session``, hence the size of a dask task later.
    align, clock_start, timezone
        As in :func:`asleep_nb.data.cohort.to_cohort`.
    groups
        ``None`` (every session in ``"all"``), one label for all, a mapping
        ``session_id -> label``, or one label per entry of
        ``archive.entries()`` in that order.
    on_corrupt
        ``"raise"`` (default) or ``"skip"`` corrupt files (with an
        :class:`~asleep_nb.errors.ArchiveWarning` each), as
        :meth:`~asleep_nb.loading.archive.Archive.records`.
    mode
        ``"w-"`` (fail if the store exists) or ``"w"`` (overwrite). The store
        is built beside ``path`` (``.<name>.partial-<pid>``) and renamed
        into place once complete: ``path`` never holds a partial store. On
        object storage, which cannot rename, the complete store is copied
        into place with its root metadata last
        (:meth:`~asleep_nb.data.location.StoreLocation.move_to`).
    storage_options
        fsspec options for a URL (credentials, endpoint); never shown.

    Returns
    -------
    xarray.Dataset
        The store opened with :func:`~asleep_nb.data.store.open_cohort` (lazy).

    Raises
    ------
    ValueError
        An empty archive, a session archived in several zones, a bad
        ``chunk``, or what :func:`~asleep_nb.data.cohort.to_cohort` raises.
    asleep_nb.errors.ArchiveCorrupt
        A corrupt file (``on_corrupt="raise"``), or a file that changed
        between the two passes.
    FileExistsError
        When the store exists and ``mode="w-"``.

    Examples
    --------
    >>> lazy = archive_to_zarr(open_archive("study"), "study.zarr", align="onset")
    >>> dict(lazy.sizes)
    {'session': 81, 'cycle': 7, 'epoch': 1718}
    """
    if mode not in ("w", "w-"):
        raise ValueError(f"mode must be 'w' or 'w-', got {mode!r}")
    target = StoreLocation.of(path, storage_options)
    if mode == "w-" and target.exists():
        raise FileExistsError(f"{str(target)!r} exists; pass mode='w' to overwrite it")
    options: dict[str, Any] = {"align": align, "clock_start": clock_start, "timezone": timezone}
    plan = plan_stream(archive, chunk=chunk, groups=groups, on_corrupt=on_corrupt, **options)
    partial = target.sibling(f".{target.name}.partial-{os.getpid()}")
    partial.remove()
    try:
        _write(archive, plan, partial, chunk, options)
        partial.move_to(target)  # mode "w": the old store is replaced only now the new one is complete
    finally:
        partial.remove()
    return open_cohort(target.target, storage_options=storage_options)


def _write(
    archive: Archive, plan: StreamPlan, where: StoreLocation, chunk: int, options: dict[str, Any]
) -> None:
    """The writing pass: ``plan.entries`` ``chunk`` at a time, widened, appended to ``where``."""
    path, so = where.target, where.storage_options or None
    if plan.whole is not None:  # everything fitted in one chunk: the plan's cohort is the store's
        to_zarr(plan.whole, path, chunks=chunk, storage_options=so)
        return
    lo, hi = plan.epoch_bounds
    for k, part in enumerate(_chunks(plan.entries, chunk)):
        records = [record for _, record in archive.read_entries(part)]
        piece = to_cohort(records, groups=plan.groups, **options)
        if piece["session_id"].values.tolist() != [e.session_id for e in part]:
            raise ArchiveCorrupt(archive.path, "the archive changed while it was being streamed")
        piece = widen(piece, lo, hi, plan.cycles)
        if k == 0:
            to_zarr(piece, path, chunks=chunk, storage_options=so)
        else:
            to_zarr(piece, path, append=True, storage_options=so)


def plan_stream(
    archive: Archive,
    *,
    chunk: int = DEFAULT_SESSION_CHUNK,
    groups: Groups = None,
    on_corrupt: Literal["raise", "skip"] = "raise",
    **options: Any,
) -> StreamPlan:
    """The planning pass of :func:`archive_to_zarr`: session order, axis bounds, ``cycle`` width.

    Parameters
    ----------
    archive, chunk, groups, on_corrupt
        As in :func:`archive_to_zarr`.
    **options
        ``align``, ``clock_start``, ``timezone`` for :func:`~asleep_nb.data.cohort.to_cohort`.

    Returns
    -------
    StreamPlan

    Examples
    --------
    >>> plan = plan_stream(open_archive("study"), align="onset")
    >>> plan.epoch_bounds
    (-497, 1221)
    """
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk < 1:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    if on_corrupt not in ("raise", "skip"):
        raise ValueError(f"on_corrupt must be 'raise' or 'skip', got {on_corrupt!r}")
    entries = archive.entries()
    if not entries:
        raise ValueError(f"the archive at {os.fspath(archive.path)!r} holds no session")
    _check_one_zone(entries)
    plan = StreamPlan(groups=_to_cohort_groups(_labels(groups, entries), groups))
    keys: list[tuple[Any, ...]] = []
    by_id: dict[str, ArchiveEntry] = {}
    lo: int | None = None
    hi: int | None = None
    for part in _chunks(entries, chunk):
        records = []
        for entry, record in archive.read_entries(part, on_corrupt=on_corrupt, stacklevel=4):
            records.append(record)
            by_id[entry.session_id] = entry
        plan.skipped.extend(e for e in part if by_id.get(e.session_id) is not e)
        if not records:
            continue
        piece = to_cohort(records, groups=plan.groups, **options)
        keys.extend(_order_keys(piece))
        if piece.sizes["epoch"]:
            epoch = piece["epoch"].values
            lo = int(epoch[0]) if lo is None else min(lo, int(epoch[0]))
            hi = int(epoch[-1]) + 1 if hi is None else max(hi, int(epoch[-1]) + 1)
        plan.cycles = max(plan.cycles, piece.sizes.get("cycle", 0))
    if not keys:
        raise ValueError("every archived file is corrupt: nothing to stream")
    if len(entries) <= chunk:
        plan.whole = piece
    keys.sort()
    plan.entries = [by_id[key[-1]] for key in keys]
    plan.epoch_bounds = (lo or 0, hi or 0)
    return plan


def widen(piece: xr.Dataset, lo: int, hi: int, cycles: int) -> xr.Dataset:
    """A cohort piece on the epoch axis ``range(lo, hi)`` and a ``cycle`` axis ``cycles`` wide.

    Stage slots added hold :data:`~asleep_nb.definitions.PAD`, cycle times
    added ``NaT``; ``offset`` is moved by as many slots as were added on the
    left; the ``epoch`` coordinate and the timedelta coordinate beside it
    (``elapsed`` or ``clock``: ``epoch`` x 30 s) cover the new axis.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> piece = xr.Dataset({"sleep_stage": (("session", "epoch"), np.array([[1, 2]], "int8"))},
    ...                    coords={"epoch": np.array([0, 1], "int32"), "offset": ("session", [0])})
    >>> wide = widen(piece, -1, 3, 0)
    >>> wide["sleep_stage"].values.tolist(), wide["offset"].values.tolist()
    ([[-2, 1, 2, -2]], [1])
    """
    n_epoch = piece.sizes.get("epoch", 0)
    first = int(piece["epoch"].values[0]) if n_epoch else lo
    left = first - lo
    if first < lo or first + n_epoch > hi or piece.sizes.get("cycle", 0) > cycles:
        raise ValueError("a cohort piece does not fit the planned axes")
    if left == 0 and n_epoch == hi - lo and piece.sizes.get("cycle", 0) == cycles:
        return piece
    epoch = np.arange(lo, hi, dtype=np.int32)
    out = piece.drop_dims([d for d in ("epoch", "cycle") if d in piece.dims])
    for name, var in piece.variables.items():
        if name in out.variables:
            continue
        if name == "epoch":
            new = xr.Variable("epoch", epoch, var.attrs)
        elif var.dims == ("epoch",) and var.dtype.kind == "m":
            spans = (epoch.astype(np.int64) * _EPOCH_NS).astype("timedelta64[ns]")
            new = xr.Variable("epoch", spans, var.attrs)
        elif "epoch" in var.dims and var.dtype == np.int8 and var.dims[-1] == "epoch":
            grid = np.full((*var.shape[:-1], hi - lo), PAD, dtype=np.int8)
            grid[..., left : left + n_epoch] = var.values
            new = xr.Variable(var.dims, grid, var.attrs)
        elif var.dims[-1:] == ("cycle",) and var.dtype.kind == "M" and "epoch" not in var.dims:
            grid = np.full((*var.shape[:-1], cycles), np.datetime64("NaT"), dtype=var.dtype)
            grid[..., : var.shape[-1]] = var.values
            new = xr.Variable(var.dims, grid, var.attrs)
        else:
            raise ValueError(f"cannot widen variable {name!r} with dims {var.dims} and dtype {var.dtype}")
        new.encoding = dict(var.encoding)
        if name in piece.coords:
            out = out.assign_coords({name: new})
        else:
            out[name] = new
    if left and "offset" in out.coords:
        offset = out["offset"]
        out = out.assign_coords(offset=(offset + left).astype(offset.dtype))
        out["offset"].attrs = dict(piece["offset"].attrs)
        out["offset"].encoding = dict(piece["offset"].encoding)
    return out[list(piece.data_vars)]  # data variables in the piece's order


# --------------------------------------------------------------------------- helpers
def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_one_zone(entries: Sequence[ArchiveEntry]) -> None:
    counts = Counter(e.session_id for e in entries)
    twice = sorted(s for s, n in counts.items() if n > 1)
    if twice:
        raise ValueError(
            f"the same session is archived in several zones: {', '.join(twice[:5])}; "
            "stream an archive holding each session once"
        )


def _labels(groups: Groups, entries: Sequence[ArchiveEntry]) -> Mapping[str, str] | None:
    """Groups as a ``session_id -> label`` mapping, or ``None`` when they need no lookup."""
    if groups is None or isinstance(groups, str):
        return None
    if isinstance(groups, Mapping):
        return groups
    labels = [str(g) for g in groups]
    if len(labels) != len(entries):
        raise ValueError(f"groups has {len(labels)} labels for {len(entries)} archived sessions")
    return {e.session_id: g for e, g in zip(entries, labels, strict=True)}


def _to_cohort_groups(labels: Mapping[str, str] | None, groups: Groups) -> str | Mapping[str, str] | None:
    """What ``to_cohort`` takes as ``groups`` for any chunk: one label, ``None`` or the mapping."""
    if labels is not None:
        return labels
    return groups if groups is None or isinstance(groups, str) else None


def _order_keys(piece: xr.Dataset) -> list[tuple[Any, ...]]:
    """Per-session sort keys following the piece's own ``session_order`` attribute, then its id.

    ``to_cohort`` states its order in ``attrs["session_order"]`` (coordinate
    names); times compare as ``int64`` nanoseconds.
    """
    names = [n.strip() for n in str(piece.attrs["session_order"]).split(",")]
    columns = []
    for name in names:
        values = piece[name].values
        columns.append(values.view(np.int64).tolist() if values.dtype.kind == "M" else values.tolist())
    columns.append(piece["session_id"].values.tolist())
    return list(zip(*columns, strict=True))
