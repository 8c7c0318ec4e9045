"""Stage input of the research metrics, normalised: one night or a cohort as one matrix.

Every research metric of :mod:`asleep_nb.stats` accepts the same three kinds
of input:

* a 1-D array-like of stage codes (``-1`` no signal, ``0`` wake, ``1`` light,
  ``2`` deep, ``3`` REM; :data:`asleep_nb.definitions.PAD` slots are ignored);
* the ``sleep_stage`` :class:`xarray.DataArray` of one night (dim ``time``),
  or the night's :class:`xarray.Dataset`;
* a cohort: a :class:`xarray.Dataset` with ``sleep_stage`` along
  (``session``, ``epoch``), or that ``DataArray``, padded with ``PAD``.

:func:`stage_matrix` turns any of them into a :class:`StageMatrix`: each
session's epochs left-justified (from its first epoch on, whatever the
cohort's alignment), so metrics work on one (session, epoch) array and
:func:`wrap` gives a night's value as a float and a cohort's as a
``DataArray`` along ``session``. :func:`per_block` runs a metric's per-row
kernel on blocks of sessions of like length (:mod:`asleep_nb.stats._blocks`),
each cut to its longest session, and scatters the rows back: the metrics'
cost follows the epochs recorded, not the padding.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from asleep_nb.definitions import PAD, SleepStage
from asleep_nb.stats._blocks import BLOCK_SLOTS as _BLOCK_SLOTS  # a module global: tests vary it
from asleep_nb.stats._blocks import Block, plan_blocks, row_extents

__all__ = ["StageMatrix", "blocks_of", "per_block", "stage_matrix", "wrap"]

_VALID_CODES = np.array(sorted({PAD, *(int(s) for s in SleepStage)}))
#: Whether the valid codes are every integer from the least to the greatest (then a range check suffices).
_CONTIGUOUS = bool(np.all(np.diff(_VALID_CODES) == 1))


@dataclass(frozen=True)
class StageMatrix:
    """Stage codes of one or more sessions, left-justified, ready for array work.

    Attributes
    ----------
    codes
        ``int8`` array (session, epoch): each session's epochs from its first
        epoch on, then ``PAD`` up to the longest session.
    n_epochs
        Number of epochs of each session.
    start_time
        UTC-naive ``datetime64`` start of each session's first epoch, or
        ``None`` when the input does not carry it.
    session_coords
        The cohort's coordinates along ``session`` (``None`` for one night).
    """

    codes: np.ndarray
    n_epochs: np.ndarray
    start_time: np.ndarray | None
    session_coords: dict[Hashable, xr.DataArray] | None

    @property
    def is_cohort(self) -> bool:
        """Whether the input was a cohort (results go along ``session``)."""
        return self.session_coords is not None

    @property
    def coords(self) -> dict[Hashable, xr.DataArray]:
        """The cohort's per-session coordinates (``{}`` for one night)."""
        return {} if self.session_coords is None else self.session_coords


def _check_codes(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype == bool or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise TypeError(f"{what} must hold integer stage codes, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{what} is empty: a night needs at least one epoch")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{what} holds values that are not whole stage codes (NaN or fractions)")
    if arr.min() >= _VALID_CODES[0] and arr.max() <= _VALID_CODES[-1] and _CONTIGUOUS:
        # two fast scans instead of sorting every slot of a padded cohort
        return arr.astype(np.int8, copy=False)
    bad = np.setdiff1d(np.unique(arr), _VALID_CODES)
    if bad.size:
        raise ValueError(
            f"{what} holds unknown stage codes {bad.tolist()[:10]}; "
            f"expected -1 (no signal), 0 (wake), 1 (light), 2 (deep), 3 (REM) or PAD ({PAD})"
        )
    return arr.astype(np.int8)


def _count_and_justify(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Epochs of each row, and the codes with each row's epochs first, then its padding.

    Counted block by block (:func:`blocks_of`), so the padding past each
    session's extent is never scanned; only rows with padding before an
    epoch are sorted.
    """
    n_epochs = np.zeros(codes.shape[0], dtype=np.int64)
    late = np.zeros(codes.shape[0], dtype=bool)
    for rows, block in blocks_of(codes):
        recorded = block != PAD
        n = recorded.sum(axis=1)
        n_epochs[rows] = n
        late[rows] = (recorded & (np.arange(block.shape[1]) >= n[:, None])).any(axis=1)
    rows = np.flatnonzero(late)
    if rows.size:
        codes = codes.copy()
        order = np.argsort(codes[rows] == PAD, axis=1, kind="stable")
        codes[rows] = np.take_along_axis(codes[rows], order, axis=1)
    return n_epochs, codes


def stage_matrix(stages: Any) -> StageMatrix:
    """Normalise any accepted stage input to a :class:`StageMatrix`.

    Parameters
    ----------
    stages
        A 1-D array-like of stage codes, a single night's ``sleep_stage``
        ``DataArray`` (or its ``Dataset``), a cohort ``Dataset`` /
        ``DataArray`` with dims (``session``, ``epoch``), or a bare 2-D
        (session, epoch) array padded with ``PAD`` (a cohort without
        coordinates).

    Returns
    -------
    StageMatrix

    Raises
    ------
    TypeError
        When the codes are not numbers.
    ValueError
        When the input is empty, has the wrong dimensions or holds unknown codes.

    Examples
    --------
    >>> m = stage_matrix([0, -2, 1, 1])
    >>> m.codes.tolist(), m.n_epochs.tolist(), m.is_cohort
    ([[0, 1, 1, -2]], [3], False)
    """
    if isinstance(stages, xr.Dataset):
        if "sleep_stage" not in stages.data_vars:
            raise ValueError("the dataset has no 'sleep_stage' variable")
        stages = stages["sleep_stage"]
    if isinstance(stages, xr.DataArray):
        if stages.ndim == 1:
            codes = _check_codes(stages.values, "sleep_stage")[None, :]
            start = None
            dim = stages.dims[0]
            if dim in stages.coords and np.issubdtype(stages[dim].dtype, np.datetime64):
                start = stages[dim].values[:1].astype("datetime64[ns]")
            return _finish(codes, start, None)
        if stages.ndim == 2 and set(stages.dims) == {"session", "epoch"}:
            da = stages.transpose("session", "epoch")
            if da.sizes["session"] == 0:
                raise ValueError("the cohort has no sessions")
            codes = _check_codes(da.values, "sleep_stage")
            coords = {name: c.variable for name, c in da.coords.items() if c.dims == ("session",)}
            start = None
            if "start_time" in da.coords and np.issubdtype(da["start_time"].dtype, np.datetime64):
                start = da["start_time"].values.astype("datetime64[ns]")
            return _finish(codes, start, {k: xr.DataArray(v, dims="session") for k, v in coords.items()})
        raise ValueError(
            f"sleep_stage must have dim ('time',) for one night or ('session', 'epoch') for a cohort, "
            f"got {stages.dims}"
        )
    if not isinstance(stages, (str, bytes)) and np.ndim(stages) == 2:
        # a bare (session, epoch) matrix padded with PAD: a cohort without coordinates
        return _finish(_check_codes(stages, "stages"), None, {})
    if isinstance(stages, (str, bytes)) or np.ndim(stages) != 1:
        raise ValueError(
            "stages must be a 1-D array of codes (one night), a 2-D (session, epoch) array padded with "
            f"PAD, or a cohort xarray object with dims ('session', 'epoch'); got {np.ndim(stages)} dimensions"
        )
    return _finish(_check_codes(stages, "stages")[None, :], None, None)


def _finish(
    codes: np.ndarray, start: np.ndarray | None, coords: dict[Hashable, xr.DataArray] | None
) -> StageMatrix:
    n_epochs, codes = _count_and_justify(np.ascontiguousarray(codes))
    if coords is None and n_epochs[0] == 0:
        raise ValueError("the night has no epochs (only padding)")
    return StageMatrix(codes, n_epochs, start, coords)


def wrap(values: np.ndarray, m: StageMatrix, name: str, attrs: dict[str, str]) -> Any:
    """Give one night's value as a Python float, a cohort's as a ``DataArray`` along ``session``.

    Examples
    --------
    >>> import numpy as np
    >>> wrap(np.array([60.0]), stage_matrix([0, 1]), "x", {})
    60.0
    """
    if m.session_coords is None:
        return float(values[0])
    return xr.DataArray(values, dims="session", coords=m.session_coords, name=name, attrs=attrs)


def _plan(codes: np.ndarray, n_epochs: np.ndarray | None = None) -> list[Block]:
    """Blocks of rows of like extent; columns ``0:hi`` of a block hold every epoch of its rows.

    With ``n_epochs`` the codes are left-justified (a :class:`StageMatrix`'s):
    each row's extent is ``0:n_epochs``, known without scanning the matrix.
    """
    if codes.shape[0] <= 1:
        return [Block(np.arange(codes.shape[0]), 0, codes.shape[1])]
    if n_epochs is None:
        return plan_blocks(*row_extents(codes, PAD), _BLOCK_SLOTS)
    return plan_blocks(np.zeros_like(n_epochs), n_epochs, _BLOCK_SLOTS)


def blocks_of(
    codes: np.ndarray, n_epochs: np.ndarray | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Each block of sessions of like length: its rows, and their codes cut to the block's longest session.

    ``codes`` is a C-contiguous ``int8`` (session, epoch) array padded with ``PAD``;
    pass a :class:`StageMatrix`'s ``n_epochs`` with its codes so the extents
    are not found again by a scan of the matrix.

    The codes are left-justified, so a block's columns start at epoch 0 and
    epoch positions stay those of the whole matrix; only padding is left out.

    Examples
    --------
    >>> m = stage_matrix([[0, 1, -2, -2], [1, 1, 1, 0]])
    >>> [(rows.tolist(), block.shape) for rows, block in blocks_of(m.codes)]
    [([0, 1], (2, 4))]
    """
    for block in _plan(codes, n_epochs):  # at least one column: a block of only padding has none
        yield block.rows, codes[block.rows, : max(block.hi, 1)]


def per_block(
    codes: np.ndarray, kernel: Callable[[np.ndarray], np.ndarray], n_epochs: np.ndarray | None = None
) -> np.ndarray:
    """Run a per-row ``kernel`` on each block of :func:`blocks_of` and scatter its rows back in order.

    ``kernel`` takes a (rows, epochs) block of left-justified codes and returns
    an array whose first axis is those rows; it must give a row the same
    result whatever padding follows the row's last epoch. The cost then
    follows the epochs recorded, not the longest session times the sessions.

    Examples
    --------
    >>> m = stage_matrix([[0, 1, -2], [1, 1, 1]])
    >>> per_block(m.codes, lambda c: (c >= 1).sum(axis=1)).tolist()
    [1, 3]
    """
    out: np.ndarray | None = None
    for rows, block in blocks_of(codes, n_epochs):
        part = np.asarray(kernel(block))
        if out is None:
            out = np.empty((codes.shape[0], *part.shape[1:]), dtype=part.dtype)
        out[rows] = part
    assert out is not None  # a matrix has at least one row (stage_matrix refuses empty input)
    return out
