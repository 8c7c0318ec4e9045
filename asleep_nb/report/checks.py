"""Checks made before a report's kernel starts, so that bad input fails in one line and at once.

:func:`preflight` reads the template, the manifest (naming a bad row's file
line) and the archive folder, and makes sure the API host answers a TCP
connection when the report is to fetch from it. Nothing is sent to the API.

Examples
--------
>>> from asleep_nb.report.parameters import ReportParameters
>>> nb = preflight(ReportParameters(), TEMPLATE)  # the demo: nothing to reach
>>> nb.nbformat
4
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from asleep_nb.errors import AsleepError
from asleep_nb.report.errors import DataUnavailable, ReportInputError
from asleep_nb.report.manifest import read_manifest_file
from asleep_nb.report.parameters import ReportParameters
from asleep_nb.report.sources import open_report_archive, uses_demo

__all__ = ["PARAMETERS_TAG", "REACH_TIMEOUT", "TEMPLATE", "preflight", "read_template", "reach_api"]

#: The report notebook shipped with the package.
TEMPLATE = Path(__file__).with_name("template.ipynb")
#: The tag of the notebook cell whose assignments a report's parameters follow.
PARAMETERS_TAG = "parameters"
#: Seconds to wait for the API host to accept a TCP connection.
REACH_TIMEOUT = 10.0


def preflight(params: ReportParameters, template: str | os.PathLike[str]) -> Any:
    """Check a report's inputs; return the template notebook, ready for parameters.

    Parameters
    ----------
    params
        The report's parameters (already validated on their own).
    template
        The notebook to execute.

    Returns
    -------
    nbformat.NotebookNode

    Raises
    ------
    ReportInputError
        A bad template, manifest (naming its file line), archive folder, or
        base URL without a key.
    DataUnavailable
        The API host does not accept a connection.
    """
    nb = read_template(template)
    if params.manifest is not None:
        read_manifest_file(params.manifest)
    if params.archive is not None:
        open_report_archive(params.archive)
    elif not uses_demo(params.base_url):
        reach_api(params.base_url)
    return nb


def read_template(path: str | os.PathLike[str]) -> Any:
    """Read a report notebook and check it has a cell tagged ``parameters``.

    Raises
    ------
    ReportInputError
        The file is missing, is not a Jupyter notebook, or has no such cell.

    Examples
    --------
    >>> read_template("no/such.ipynb")
    Traceback (most recent call last):
    ...
    asleep_nb.report.errors.ReportInputError: --template no/such.ipynb not found
    """
    import nbformat

    shown = os.fspath(path)
    if not Path(path).is_file():
        raise ReportInputError(f"--template {shown} not found")
    try:
        nb = nbformat.read(path, as_version=4)
        cells = list(nb.cells)
        tags = [cell.get("metadata", {}).get("tags", []) for cell in cells]
    except (OSError, ValueError, AttributeError, KeyError, TypeError, nbformat.ValidationError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReportInputError(f"--template {shown} is not a Jupyter notebook: {reason}") from None
    if not any(PARAMETERS_TAG in t for t in tags):
        raise ReportInputError(
            f"--template {shown} has no cell tagged {PARAMETERS_TAG!r}; "
            "tag the cell that sets the report's parameters"
        )
    return nb


def reach_api(base_url: str | None) -> None:
    """Make sure the API host accepts a TCP connection (no request is sent, no key leaves).

    Skipped when a proxy carries requests to the host.

    Raises
    ------
    ReportInputError
        ``base_url`` is malformed or no API key is set for it.
    DataUnavailable
        The host does not answer within :data:`REACH_TIMEOUT` seconds.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"ASLEEP_API_KEY": "a-key"}):
    ...     reach_api("http://127.0.0.1:9")
    Traceback (most recent call last):
    ...
    asleep_nb.report.errors.DataUnavailable: cannot reach the API at 127.0.0.1:9: Connection refused
    """
    import requests.utils

    from asleep_nb.connection import connect

    try:
        client = connect(base_url=base_url, verbose=False)
    except (ValueError, AsleepError) as exc:
        raise ReportInputError(f"--base-url: {exc}") from None
    url = client.base_url
    client.close()
    parts = urlsplit(url)
    if requests.utils.get_environ_proxies(url):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname or "", port), timeout=REACH_TIMEOUT).close()
    except OSError as exc:
        raise DataUnavailable(f"cannot reach the API at {parts.netloc}: {exc.strerror or exc}") from None
