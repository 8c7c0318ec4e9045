"""What a report records about how it was made: source, manifest, parameters, versions, data hash.

Nothing here depends on where files lie (a manifest is named by its file
name and SHA-256, an archive by its path relative to the working folder),
on the clock, or on the API key: the same inputs give the same table, and
so a byte-identical report.

Examples
--------
>>> import xarray as xr
>>> p = provenance({"timezone": "UTC"}, dataset_fingerprint(xr.Dataset({"x": ("t", [1, 2])})))
>>> list(p)[:2], "python" in p
(['timezone', 'data fingerprint (SHA-256)'], True)
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.report.parameters import ReportParameters
    from asleep_nb.report.sources import ReportData

__all__ = ["data_provenance", "dataset_fingerprint", "provenance", "report_provenance"]

_VERSIONED = ("asleep-nb", "numpy", "pandas", "xarray", "matplotlib", "requests")


def dataset_fingerprint(ds: Any) -> str:
    """SHA-256 over the values, dtypes and names of every variable of a dataset.

    Two datasets with the same data, coordinates and attributes give the same
    fingerprint whatever their memory layout; any changed epoch changes it.

    Parameters
    ----------
    ds
        An ``xarray.Dataset`` (a night or a cohort).

    Returns
    -------
    str
        Hex digest.

    Examples
    --------
    >>> import xarray as xr
    >>> a = xr.Dataset({"x": ("t", [1, 2, 3])})
    >>> dataset_fingerprint(a) == dataset_fingerprint(a.copy(deep=True))
    True
    >>> dataset_fingerprint(a) == dataset_fingerprint(a + 1)
    False
    """
    digest = hashlib.sha256()
    for name in sorted(map(str, ds.variables)):
        var = ds.variables[name]
        values = np.asarray(var.values)
        digest.update(f"{name}|{var.dims}|{values.dtype.str}|{values.shape}".encode())
        if values.dtype.kind == "O":
            digest.update(json.dumps([str(v) for v in values.ravel()]).encode())
        else:
            digest.update(np.ascontiguousarray(values).tobytes())
        digest.update(json.dumps(_plain(var.attrs), sort_keys=True, default=str).encode())
    digest.update(json.dumps(_plain(ds.attrs), sort_keys=True, default=str).encode())
    return digest.hexdigest()


def _plain(attrs: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in attrs.items()}


def provenance(parameters: Mapping[str, Any], fingerprint: str) -> dict[str, str]:
    """Parameters, data fingerprint and package versions, as label -> value.

    Parameters
    ----------
    parameters
        The report's parameters (manifest, time zone, ...). An API key is never
        a parameter; values are shown as given.
    fingerprint
        The :func:`dataset_fingerprint` of the analysed cohort.

    Returns
    -------
    dict
        Ordered label -> value, ready to print as a table.

    Examples
    --------
    >>> p = provenance({"timezone": "UTC"}, "ab" * 32)
    >>> p["data fingerprint (SHA-256)"][:4], "python" in p
    ('abab', True)
    """
    info: dict[str, str] = {str(k): str(v) for k, v in parameters.items()}
    info["data fingerprint (SHA-256)"] = fingerprint
    info["python"] = platform.python_version()
    for dist in _VERSIONED:
        try:
            info[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
            info[dist] = "not installed"
    return info


def report_provenance(params: ReportParameters, data: ReportData) -> dict[str, str]:
    """A report's full provenance: data source, manifest name and SHA-256, every parameter, versions.

    Parameters
    ----------
    params
        The report's parameters.
    data
        What :func:`~asleep_nb.report.sources.load_report_data` returned.

    Returns
    -------
    dict
        Ordered label -> value.

    Each label and value read together as a phrase ("sessions: 80 of the 80
    sessions requested were fetched"); no path of this machine appears.

    Examples
    --------
    >>> from asleep_nb.report import ReportParameters, load_report_data
    >>> info = report_provenance(ReportParameters(), load_report_data(ReportParameters()))
    >>> info["data source"], info["sessions"]
    ('the built-in demo', '80 of the 80 sessions requested were fetched')
    >>> info["manifest"]
    "the demo's study.csv (groups healthy, apnea): 80 rows, listed below"
    """
    return data_provenance(data) | provenance(params.shown(), dataset_fingerprint(data.cohort))


def data_provenance(data: ReportData) -> dict[str, str]:
    """Where a report's sessions came from: data source, manifest name and SHA-256, sessions had.

    The first rows of :func:`report_provenance`, shared with the validation
    report (:mod:`asleep_nb.report.validation`), whose parameters differ.

    Examples
    --------
    >>> from asleep_nb.report import ReportParameters, load_report_data
    >>> list(data_provenance(load_report_data(ReportParameters())))
    ['data source', 'manifest', 'manifest SHA-256', 'sessions']
    """
    shown: dict[str, str] = dict(data.details)
    if data.manifest is not None:
        name = data.manifest.name.removeprefix("manifest ")
        shown["manifest"] = f"{name}: {len(data.manifest.rows)} rows, listed below"
        shown["manifest SHA-256"] = data.manifest.sha256
    else:
        shown["manifest"] = "none: every archived session, in group 'all'"
    how = "read from the archive" if data.source.startswith("archive ") else "fetched"
    shown["sessions"] = f"{len(data.results)} of the {data.requested} sessions requested were {how}"
    return shown
