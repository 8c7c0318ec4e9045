"""Reproducible HTML reports from a parameterised notebook.

``asleep-nb report`` (and :func:`build_report`) executes the report notebook
shipped with the package (``asleep_nb/report/template.ipynb``) in a fresh
kernel against a cohort (default: the built-in demo), then writes one
self-contained HTML file: figures embedded as PNG, no code cells.

The report records what makes it reproducible: the package versions, the
parameters and a SHA-256 fingerprint of the data it analysed. Execution
metadata (timestamps, kernel ids) is stripped and figures are saved without
creation dates, so the same inputs give byte-identical reports.

Examples
--------
>>> from asleep_nb.report import build_report
>>> build_report("report.html")                      # doctest: +SKIP
PosixPath('report.html')
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TEMPLATE", "TITLE", "build_report", "dataset_fingerprint", "provenance"]

#: The report notebook shipped with the package.
TEMPLATE = Path(__file__).with_name("template.ipynb")

#: The HTML page title of a report.
TITLE = "Sleep cohort report"

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
    """What a report records about how it was made.

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
    info: dict[str, str] = {f"parameter {k}": str(v) for k, v in parameters.items()}
    info["data fingerprint (SHA-256)"] = fingerprint
    info["python"] = platform.python_version()
    for dist in _VERSIONED:
        try:
            info[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover - not installed
            info[dist] = "not installed"
    return info


def build_report(
    out: str | os.PathLike[str] = "report.html",
    *,
    manifest: str | os.PathLike[str] | None = None,
    timezone: str | None = None,
    kernel_name: str = "python3",
    timeout: int = 900,
) -> Path:
    """Execute the report notebook and write a self-contained HTML report.

    Parameters
    ----------
    out
        Path of the HTML file to write.
    manifest
        CSV with columns ``user_id``, ``group`` (and optionally ``session_id``,
        ``date_gte``, ``date_lte``, ``timezone``). ``None``: the demo cohort.
    timezone
        IANA zone to express every session in; ``None`` keeps each user's own.
    kernel_name
        Jupyter kernel to execute with.
    timeout
        Seconds any one cell may run.

    Returns
    -------
    pathlib.Path
        The written report.

    Raises
    ------
    asleep_nb.errors.InvalidTimezone
        When ``timezone`` names no IANA zone (checked before anything runs).
    FileNotFoundError
        When ``manifest`` does not exist.
    nbclient.exceptions.CellExecutionError
        When the analysis fails; the message names the failing cell.
    """
    import nbformat
    from nbclient import NotebookClient

    from asleep_nb.timezones import validate_timezone

    if timezone is not None:
        validate_timezone(timezone)
    manifest_path = None
    if manifest is not None:
        manifest_path = Path(manifest).resolve()
        if not manifest_path.is_file():
            raise FileNotFoundError(f"manifest {manifest_path} does not exist")

    nb = nbformat.read(TEMPLATE, as_version=4)
    params = {"manifest": str(manifest_path) if manifest_path else None, "timezone": timezone}
    _inject_parameters(nb, params)

    out_path = Path(out).resolve()
    client = NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=timeout,
        resources={"metadata": {"path": str(out_path.parent)}},
        record_timing=False,
    )
    client.execute(env=_kernel_env())
    _strip_volatile(nb)

    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": TITLE}})
    out_path.write_text(body, encoding="utf-8")
    return out_path


# JupyterLab's HTML page without the scripts it loads from a CDN (require.js, MathJax, Mermaid):
# a report has neither widgets nor math, and must open offline.
_PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def _exporter() -> Any:
    """An HTML exporter without code, prompts or network scripts."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file="asleep_nb_report.html.j2",
        extra_loaders=[DictLoader({"asleep_nb_report.html.j2": _PAGE_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def _kernel_env() -> dict[str, str]:
    """The kernel's environment: this process's, with this ``asleep_nb`` first on ``PYTHONPATH``.

    The kernel runs in the report's folder, so a relative ``PYTHONPATH`` (a source checkout run
    with ``PYTHONPATH=.``) would not find the package: the report must use the same code as
    the caller. ``PYTHONHASHSEED`` is fixed so nothing in a figure can depend on string hashing.
    """
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"  # set iteration order must not change a figure between runs
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))])
    return env


def _inject_parameters(nb: Any, params: Mapping[str, Any]) -> None:
    """Insert a cell assigning ``params`` after the cell tagged ``parameters``."""
    import nbformat

    source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    for i, existing in enumerate(nb.cells):
        if "parameters" in existing.get("metadata", {}).get("tags", []):
            nb.cells.insert(i + 1, cell)
            return
    raise ValueError("the report template has no cell tagged 'parameters'")


def _strip_volatile(nb: Any) -> None:
    """Drop per-run metadata (timestamps, ids) so reports are reproducible."""
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        cell.get("metadata", {}).pop("execution", None)
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
