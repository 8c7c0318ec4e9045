"""A reference scoring placed on each device night's epoch grid, on absolute time.

A device night (Asleep) and a reference scoring of the same night (PSG scored
by technologists) rarely start together: the two recordings open at
different instants, and their 30-second grids may be offset by a fraction of
an epoch. :func:`align_to_device` puts both on UTC instants (each session's
``start_time`` and the position of its epochs in its cohort, ``offset``), so
it works whatever the cohorts' alignment (``"start"``, ``"onset"`` or
``"clock"``), and gives each device epoch one reference stage by the
**majority-cover rule**:

- a device epoch takes the stage of the reference epoch that covers most of
  its 30 seconds;
- **tie** (two reference epochs cover exactly 15 s each): the *earlier*
  reference epoch;
- at the edges of the reference recording the same rule applies with
  "no reference" as a neighbour: a device epoch that the reference covers for
  less than 15 s has no reference stage, and one covered for exactly 15 s
  has one only when the covering epoch is the earlier (the last reference
  epoch). Device epochs without a reference stage are outside the
  **overlap**, and only the overlap counts.

Put otherwise, with ``d`` the start of the device night minus the start of
the reference (seconds), device epoch ``j`` takes reference epoch
``ceil(j + (d - 15) / 30)`` when that epoch exists. The offset is computed
in integer nanoseconds, so a tie is exact.

Examples
--------
>>> import numpy as np, xarray as xr
>>> def night(sid, stages, start):
...     return xr.Dataset(
...         {"sleep_stage": (("session", "epoch"), np.array([stages], dtype=np.int8))},
...         coords={"session_id": ("session", [sid]), "user_id": ("session", ["u"]),
...                 "start_time": ("session", np.array([start], dtype="datetime64[ns]")),
...                 "n_epochs": ("session", [len(stages)]), "offset": ("session", [0])})
>>> device = night("s1", [0, 1, 1, 2], "2025-01-01T23:00:10")
>>> reference = night("s1", [0, 0, 1, 2, 2], "2025-01-01T23:00:00")
>>> aligned, overlap = align_to_device(device, reference)
>>> aligned.sleep_stage.values.tolist()  # 10 s later: each device epoch is 20 s in its own reference epoch
[[0, 0, 1, 2]]
>>> int(overlap.loc["s1", "overlap_epochs"]), float(overlap.loc["s1", "offset_seconds"])
(4, 10.0)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions import EPOCH_SECONDS, PAD
from asleep_nb.errors import ValidationError

__all__ = ["AlignedReference", "OVERLAP_COLUMNS", "MAJORITY_COVER_RULE", "align_to_device", "native_stages"]

#: One sentence naming how a device epoch gets its reference stage (methods paragraphs, reports).
MAJORITY_COVER_RULE = (
    "majority-cover rule: each device epoch takes the reference stage covering most of its 30 s "
    "(exactly 15 s each: the earlier reference epoch); epochs the reference covers for less than "
    "15 s are outside the overlap"
)

#: Columns of the per-night overlap table.
OVERLAP_COLUMNS = (
    "user_id",
    "device_epochs",
    "reference_epochs",
    "overlap_epochs",
    "overlap_start",
    "overlap_end",
    "offset_seconds",
    "shift_seconds",
    "device_unscored",
    "reference_unscored",
    "scored_epochs",
)

_EPOCH_NS = EPOCH_SECONDS * 1_000_000_000
_HALF_NS = _EPOCH_NS // 2


class AlignedReference(NamedTuple):
    """What :func:`align_to_device` returns.

    Attributes
    ----------
    reference
        The reference on the device cohort's grid: ``sleep_stage`` (``int8``,
        dims ``session``, ``epoch`` of the device cohort, ``PAD`` outside the
        overlap), the device's per-session coordinates and epoch axis, and
        ``reference_start_time`` (the reference's own start, UTC-naive).
    overlap
        One row per night, indexed by ``session_id``, columns
        :data:`OVERLAP_COLUMNS`: epochs of each recording, epochs in the
        overlap, its first instant and end (UTC-naive), ``offset_seconds``
        (device start minus reference start, as stamped), the ``shift_seconds`` applied,
        epochs inside the overlap that the device did not score (no signal)
        or the reference did not score (code < 0), and those both scored.
    """

    reference: xr.Dataset
    overlap: pd.DataFrame


def native_stages(cohort: xr.Dataset, i: int) -> np.ndarray:
    """The epochs of session ``i`` of a cohort, from its first to its last (``offset``, ``n_epochs``).

    A cohort without ``offset`` holds each session from column 0; without
    ``n_epochs``, up to its last non-``PAD`` column.

    Examples
    --------
    >>> import xarray as xr
    >>> c = xr.Dataset({"sleep_stage": (("session", "epoch"), [[-2, 0, 1, -2]])},
    ...                coords={"offset": ("session", [1]), "n_epochs": ("session", [2])})
    >>> native_stages(c, 0).tolist()
    [0, 1]
    """
    row = np.asarray(cohort["sleep_stage"].values[i])
    offset = int(cohort["offset"].values[i]) if "offset" in cohort.variables else 0
    if "n_epochs" in cohort.variables:
        n = int(cohort["n_epochs"].values[i])
    else:
        filled = np.flatnonzero(row[offset:] != PAD)
        n = int(filled[-1]) + 1 if filled.size else 0
    return row[offset : offset + n]


def _check(cohort: object, what: str) -> xr.Dataset:
    if not isinstance(cohort, xr.Dataset):
        raise TypeError(f"the {what} must be a cohort xarray.Dataset, got {type(cohort).__name__}")
    missing = [n for n in ("sleep_stage", "session_id", "start_time") if n not in cohort.variables]
    if "session" not in cohort.dims or "epoch" not in cohort.dims or missing:
        raise ValidationError(
            f"the {what} must be a cohort with dims ('session', 'epoch'), variable 'sleep_stage' and "
            f"per-session coordinates 'session_id', 'start_time'; missing: {missing}, "
            f"dims: {dict(cohort.sizes)}"
        )
    ids = [str(s) for s in cohort["session_id"].values]
    if len(set(ids)) != len(ids):
        twice = sorted({s for s in ids if ids.count(s) > 1})
        raise ValidationError(f"the {what} holds session(s) {', '.join(twice[:5])} more than once")
    starts = np.asarray(cohort["start_time"].values, dtype="datetime64[ns]")
    if np.isnat(starts).any():
        bad = [ids[i] for i in np.flatnonzero(np.isnat(starts))]
        raise ValidationError(f"the {what} has no start_time for session(s) {', '.join(bad[:5])}")
    return cohort


def _pairs(device: xr.Dataset, reference: xr.Dataset) -> np.ndarray:
    """For each device session, the row of the reference session with the same id."""
    dev_ids = [str(s) for s in device["session_id"].values]
    ref_ids = [str(s) for s in reference["session_id"].values]
    position = {s: i for i, s in enumerate(ref_ids)}
    no_reference = [s for s in dev_ids if s not in position]
    no_device = sorted(set(ref_ids) - set(dev_ids))
    if no_reference or no_device:
        parts = []
        if no_reference:
            parts.append(f"device session(s) without a reference: {', '.join(no_reference[:5])}")
        if no_device:
            parts.append(f"reference session(s) without a device night: {', '.join(no_device[:5])}")
        raise ValidationError(
            "the device and reference cohorts hold different session ids; " + "; ".join(parts)
        )
    rows = np.array([position[s] for s in dev_ids], dtype=np.int64)
    if "user_id" in device.variables and "user_id" in reference.variables:
        dev_users = [str(u) for u in device["user_id"].values]
        ref_users = [str(reference["user_id"].values[r]) for r in rows]
        pairs = zip(dev_ids, dev_users, ref_users, strict=True)
        wrong = [f"{s} (device {a}, reference {b})" for s, a, b in pairs if a and b and a != b]
        if wrong:
            raise ValidationError(f"the reference names another user for session(s) {'; '.join(wrong[:3])}")
    return rows


def align_to_device(
    device: xr.Dataset, reference: xr.Dataset, *, shift_seconds: float = 0.0
) -> AlignedReference:
    """Re-grid a reference scoring onto each device night's epochs, on absolute (UTC) time.

    Parameters
    ----------
    device
        A device cohort (``to_cohort`` / ``load_cohort``; any alignment):
        ``sleep_stage`` (``session``, ``epoch``) and per-session
        ``session_id``, ``start_time`` (UTC-naive), ``offset``, ``n_epochs``.
    reference
        A reference cohort with the same session ids (e.g.
        :func:`asleep_nb.data.reference.read_reference`), 30-second epochs
        from each session's ``start_time``.
    shift_seconds
        Move the reference this many seconds later before aligning (a lag
        to test; :func:`asleep_nb.stats.lag_search` tries whole epochs). The
        table records it; the default, 0, aligns the recordings as stamped.

    Returns
    -------
    AlignedReference
        ``(reference, overlap)``: the reference on the device grid and the
        per-night overlap table (see :class:`AlignedReference`). The rule is
        :data:`MAJORITY_COVER_RULE` (module docstring).

    Raises
    ------
    ValidationError
        Session ids that differ between the cohorts (both sides named), a
        session twice, a session whose ``user_id`` differs between the two,
        a missing ``start_time``, or a night whose recordings do not overlap.
    TypeError
        A cohort that is not an ``xarray.Dataset``.

    Examples
    --------
    See the module docstring for a night recorded 10 s after its reference.
    """
    device = _check(device, "device")
    reference = _check(reference, "reference")
    rows = _pairs(device, reference)
    shift_ns = round(float(shift_seconds) * 1e9)
    dev_start = np.asarray(device["start_time"].values, dtype="datetime64[ns]").view(np.int64)
    ref_start = (
        np.asarray(reference["start_time"].values, dtype="datetime64[ns]").view(np.int64)[rows] + shift_ns
    )
    grid = np.full(device["sleep_stage"].shape, PAD, dtype=np.int8)
    offsets = device["offset"].values if "offset" in device.variables else np.zeros(len(rows), dtype=int)
    table: list[dict[str, object]] = []
    no_overlap: list[str] = []
    for i, r in enumerate(rows):
        dev = native_stages(device, i)
        ref = native_stages(reference, int(r))
        delta = int(dev_start[i] - ref_start[i])  # device start after the (shifted) reference start, ns
        # ceil((delta - 15 s) / 30 s): the reference epoch of device epoch 0
        first = -((_HALF_NS - delta) // _EPOCH_NS)
        k = first + np.arange(dev.size, dtype=np.int64)
        inside = (k >= 0) & (k < ref.size)
        sid = str(device["session_id"].values[i])
        if not inside.any():
            no_overlap.append(sid)
            continue
        j = np.flatnonzero(inside)
        mapped = ref[k[j]]
        grid[i, int(offsets[i]) + j] = mapped
        j0, j1 = int(j[0]), int(j[-1])
        start = np.datetime64(int(dev_start[i]) + j0 * _EPOCH_NS, "ns")
        table.append(
            {
                "session_id": sid,
                "user_id": str(device["user_id"].values[i]) if "user_id" in device.variables else "",
                "device_epochs": int(dev.size),
                "reference_epochs": int(ref.size),
                "overlap_epochs": int(j.size),
                "overlap_start": pd.Timestamp(start),
                "overlap_end": pd.Timestamp(start + np.timedelta64((j1 - j0 + 1) * _EPOCH_NS, "ns")),
                "offset_seconds": (delta + shift_ns) / 1e9,
                "shift_seconds": shift_ns / 1e9,
                "device_unscored": int((dev[j] < 0).sum()),
                "reference_unscored": int((mapped < 0).sum()),
                "scored_epochs": int(((dev[j] >= 0) & (mapped >= 0)).sum()),
            }
        )
    if no_overlap:
        raise ValidationError(
            f"device and reference recordings do not overlap for session(s) {', '.join(no_overlap[:5])}: "
            "check their start_time (UTC) and the reference's session ids"
        )
    overlap = pd.DataFrame(table).set_index("session_id")
    coords = {name: var for name, var in device.coords.items() if name != "sleep_stage"}
    out = xr.Dataset({"sleep_stage": (("session", "epoch"), grid)}, coords=coords)
    out = out.assign_coords(
        reference_start_time=(
            "session",
            np.asarray(reference["start_time"].values, dtype="datetime64[ns]")[rows],
        )
    )
    out["sleep_stage"].attrs.update(reference["sleep_stage"].attrs)
    out.attrs = {**reference.attrs, "alignment_rule": MAJORITY_COVER_RULE, "shift_seconds": shift_ns / 1e9}
    return AlignedReference(out, overlap)
