"""Read what the figures need out of night and cohort datasets (vectorised).

Everything here follows the contracts in ``docs/architecture.md``: a night
has dim ``time``; a cohort has dims (``session``, ``epoch``) with
``sleep_stage`` padded with :data:`asleep_nb.definitions.PAD` and per-session
coordinates ``offset`` / ``n_epochs`` locating each session's epochs. Sleep
onset and final awakening in figures are those of the research rule,
:func:`asleep_nb.definitions.research_sleep_period`.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from asleep_nb.definitions import PAD

__all__ = [
    "check_night",
    "check_cohort",
    "start_aligned",
    "four_stage_only",
    "is_two_stage",
]


def check_night(ds: object) -> xr.Dataset:
    """Return ``ds`` if it is a one-night dataset, else raise ``TypeError``/``ValueError``."""
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"expected a one-night xarray.Dataset (see to_dataset), got {type(ds).__name__}")
    if "time" not in ds.dims or "sleep_stage" not in ds:
        raise ValueError(
            "expected a one-night dataset with dimension 'time' and variable 'sleep_stage' "
            f"(dims here: {dict(ds.sizes)}); for a cohort select one session first"
        )
    return ds


def check_cohort(cohort: object) -> xr.Dataset:
    """Return ``cohort`` if it is a cohort dataset, else raise ``TypeError``/``ValueError``."""
    if not isinstance(cohort, xr.Dataset):
        raise TypeError(f"expected a cohort xarray.Dataset (see to_cohort), got {type(cohort).__name__}")
    missing = [n for n in ("sleep_stage", "offset", "n_epochs") if n not in cohort.variables]
    if "session" not in cohort.dims or "epoch" not in cohort.dims or missing:
        raise ValueError(
            "expected a cohort with dimensions ('session', 'epoch'), variable 'sleep_stage' and "
            f"coordinates 'offset', 'n_epochs'; dims here: {dict(cohort.sizes)}, missing: {missing}"
        )
    if cohort.sizes["session"] == 0:
        raise ValueError("the cohort holds no session")
    return cohort


def start_aligned(cohort: xr.Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Stage matrix with every session starting at column 0, whatever the cohort's alignment.

    Returns
    -------
    stages
        ``int8`` array (session, max n_epochs), padded with ``PAD``.
    n_epochs
        ``int64`` array (session,).
    """
    raw = np.asarray(cohort["sleep_stage"].transpose("session", "epoch").values)
    offset = np.asarray(cohort["offset"].values, dtype=np.int64)
    n = np.asarray(cohort["n_epochs"].values, dtype=np.int64)
    width = int(n.max()) if n.size else 0
    cols = offset[:, None] + np.arange(width)[None, :]
    inside = (np.arange(width)[None, :] < n[:, None]) & (cols < raw.shape[1]) & (cols >= 0)
    taken = np.take_along_axis(raw, np.clip(cols, 0, max(raw.shape[1] - 1, 0)), axis=1)
    return np.where(inside, taken, np.int8(PAD)).astype(np.int8), n


def four_stage_only(cohort: xr.Dataset, what: str) -> xr.Dataset:
    """Drop two-stage sessions (with a warning), unless every session is two-stage."""
    if "two_stage" not in cohort.variables:
        return cohort
    two = np.asarray(cohort["two_stage"].values, dtype=bool)
    if two.all() or not two.any():
        return cohort
    warnings.warn(
        f"{what}: leaving out {int(two.sum())} two-stage session(s) (wake/sleep only) from a "
        "four-stage comparison",
        UserWarning,
        stacklevel=3,
    )
    return cohort.isel(session=np.flatnonzero(~two))


def is_two_stage(cohort: xr.Dataset) -> bool:
    """Whether every session of the cohort (or the night) is two-stage."""
    if "two_stage" in cohort.variables:
        return bool(np.asarray(cohort["two_stage"].values, dtype=bool).all())
    return bool(int(cohort.attrs.get("two_stage", 0)))
