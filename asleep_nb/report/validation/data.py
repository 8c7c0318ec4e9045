"""What a validation report compares: the device sessions and their reference scorings, matched.

:func:`load_validation_data` loads the device sessions as a cohort report
does (:func:`asleep_nb.report.sources.load_report_data`, aligned by start:
the demo, the API, or an archive offline), reads the reference manifest and
every scoring it names (:mod:`asleep_nb.data.reference`), and keeps the
reference of every device session. A device session without a reference, or
whose reference names another user, is bad input naming the session and the
reference manifest; references of sessions the study does not name are
counted and left aside.

Examples
--------
>>> manifest = read_reference_input(None)  # the demo's reference manifest
>>> len(manifest.entries), manifest.entries[0].format
(80, 'csv')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from asleep_nb.data.manifest_file import ManifestFile
from asleep_nb.data.reference import (
    ReferenceEntry,
    ReferenceManifest,
    Scoring,
    read_reference_manifest,
    reference_cohort,
)
from asleep_nb.errors import ReferenceFileError
from asleep_nb.report.errors import ReportInputError
from asleep_nb.report.sources import ReportData, load_report_data

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from asleep_nb.report.validation.parameters import ValidationParameters

__all__ = [
    "ValidationData",
    "by_group",
    "check_references",
    "demo_reference_manifest",
    "load_validation_data",
    "read_reference_input",
]


@dataclass
class ValidationData:
    """The two sides of a validation study.

    Attributes
    ----------
    device
        What :func:`~asleep_nb.report.sources.load_report_data` had (its
        ``cohort`` is the device, aligned by start).
    reference
        The reference cohort of exactly the device's sessions.
    reference_manifest
        The reference manifest read.
    unused
        Session ids of reference rows the study does not name.
    """

    device: ReportData
    reference: xr.Dataset
    reference_manifest: ReferenceManifest
    unused: list[str]


def demo_reference_manifest() -> str:
    """Path of the demo's reference manifest.

    Examples
    --------
    >>> os.path.basename(demo_reference_manifest())
    'manifest.csv'
    """
    from asleep_nb.resources import demo_data_dir

    return str(demo_data_dir() / "reference" / "manifest.csv")


def read_reference_input(path: str | os.PathLike[str] | None) -> ReferenceManifest:
    """The reference manifest (default: the demo's), its errors as report input errors (exit status 2).

    Examples
    --------
    >>> read_reference_input("no/such.csv")
    Traceback (most recent call last):
    ...
    asleep_nb.report.errors.ReportInputError: --reference: reference no/such.csv: file not found
    """
    try:
        return read_reference_manifest(demo_reference_manifest() if path is None else path)
    except ReferenceFileError as exc:
        raise ReportInputError(f"--reference: {exc}") from None


def check_references(study: ManifestFile, manifest: ReferenceManifest) -> int:
    """Before any session is fetched: every session the study names has a readable reference of its user.

    Rows of the study that name no session (every session of a user) are
    checked once the sessions are known (:func:`load_validation_data`).

    Returns
    -------
    int
        How many scoring files were read.

    Raises
    ------
    ReportInputError
        A named session without reference, a reference of another user, or a
        scoring file that cannot be read (naming its file and line).

    Examples
    --------
    >>> from asleep_nb.data.manifest_file import read_manifest_file
    >>> from asleep_nb.resources import demo_data_dir
    >>> check_references(read_manifest_file(demo_data_dir() / "validation.csv"), read_reference_input(None))
    80
    """
    by_session = {e.session_id: e for e in manifest.entries}
    read = 0
    for i, (sid, user) in enumerate(zip(study.rows["session_id"], study.rows["user_id"], strict=True)):
        if not sid:
            continue
        _read(_matched(by_session, sid, user, f"{study.where(i)}: session {sid}", manifest.path.name))
        read += 1
    return read


def _matched(
    by_session: dict[str, ReferenceEntry], sid: str, user: str, what: str, name: str
) -> ReferenceEntry:
    """The reference entry of session ``sid`` of ``user``, or the input error naming what is wrong."""
    entry = by_session.get(sid)
    if entry is None:
        raise ReportInputError(f"{what} has no scoring in the reference manifest {name}")
    if entry.user_id != user:
        raise ReportInputError(
            f"--reference {entry.where}: session {sid} belongs to user {user}, not {entry.user_id}"
        )
    return entry


def _read(entry: ReferenceEntry) -> Scoring:
    """The entry's scoring, or its file error as a report input error."""
    try:
        return entry.read()
    except ReferenceFileError as exc:
        raise ReportInputError(str(exc)) from None


def load_validation_data(params: ValidationParameters) -> ValidationData:
    """Load the device sessions and the reference scoring of each.

    Parameters
    ----------
    params
        The report's parameters.

    Returns
    -------
    ValidationData

    Raises
    ------
    ReportInputError
        A bad study or reference manifest, a bad scoring file (naming the file
        and line), a device session without a reference, or a reference keyed
        to another user.
    DataUnavailable
        Device sessions that cannot be had (without ``allow_missing``).
    """
    manifest = read_reference_input(params.reference)
    device = load_report_data(params.report_parameters())
    cohort = device.cohort
    sessions = [str(s) for s in cohort["session_id"].values]
    users = dict(zip(sessions, map(str, cohort["user_id"].values), strict=True))
    by_session = {e.session_id: e for e in manifest.entries}
    name = manifest.path.name
    entries = [_matched(by_session, sid, users[sid], f"session {sid}", name) for sid in sessions]
    items = [(entry, _read(entry)) for entry in entries]
    reference = reference_cohort(items, detail=f"manifest {name} sha256 {manifest.sha256[:12]}")
    unused = sorted(set(by_session) - set(sessions))
    return ValidationData(device, reference, manifest, unused)


def by_group(device: xr.Dataset, reference: xr.Dataset) -> dict[str, tuple[xr.Dataset, xr.Dataset]]:
    """The device and reference nights of each study group (sorted), for agreement per group.

    Examples
    --------
    >>> import xarray as xr
    >>> d = xr.Dataset(coords={"session_id": ("session", ["a", "b"]), "group": ("session", ["y", "x"])})
    >>> r = xr.Dataset(coords={"session_id": ("session", ["b", "a"])})
    >>> parts = by_group(d, r)
    >>> [(g, dv.session_id.values.tolist(), rv.session_id.values.tolist()) for g, (dv, rv) in parts.items()]
    [('x', ['b'], ['b']), ('y', ['a'], ['a'])]
    """
    import numpy as np

    groups = np.asarray(device["group"].values).astype(str)
    out = {}
    for group in sorted(set(groups.tolist())):
        dev = device.isel(session=np.flatnonzero(groups == group))
        keep = np.isin(np.asarray(reference["session_id"].values), np.asarray(dev["session_id"].values))
        out[group] = (dev, reference.isel(session=np.flatnonzero(keep)))
    return out
