"""Building a validation report: check the inputs, inject the parameters, execute, write one HTML file.

Built like :func:`asleep_nb.report.build_report` (the same kernel, the same
reproducible HTML page, the same error classes and exit statuses), from the
notebook ``asleep_nb/report/validation/template.ipynb``.

Examples
--------
>>> from asleep_nb.report.validation.build import VALIDATION_TEMPLATE
>>> VALIDATION_TEMPLATE.name  # build_validation_report("v.html") runs it on the demo study
'template.ipynb'
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from asleep_nb.report.build import inject_parameters, write_html
from asleep_nb.report.checks import reach_api, read_template
from asleep_nb.report.kernel import execute
from asleep_nb.report.manifest import read_manifest_file
from asleep_nb.report.sources import open_report_archive, uses_demo
from asleep_nb.report.validation.data import check_references, read_reference_input
from asleep_nb.report.validation.parameters import ValidationParameters

__all__ = ["VALIDATION_TEMPLATE", "build_validation_report"]

#: The validation report notebook shipped with the package.
VALIDATION_TEMPLATE = Path(__file__).with_name("template.ipynb")


def build_validation_report(
    out: str | os.PathLike[str] = "validation.html",
    *,
    manifest: str | os.PathLike[str] | None = None,
    reference: str | os.PathLike[str] | None = None,
    timezone: str | None = None,
    archive: str | os.PathLike[str] | None = None,
    allow_missing: bool = False,
    metrics: Sequence[str] | str | None = None,
    title: str | None = None,
    base_url: str | None = None,
    kernel_name: str = "python3",
    timeout: int = 900,
    on_start: Callable[[], object] | None = None,
) -> Path:
    """Execute the validation notebook and write a self-contained HTML report.

    Every input is checked before the kernel starts (the study manifest, the
    reference manifest and the scoring of every session the study names, the
    archive or the API host); relative paths are taken from the working
    folder, where the kernel also runs.

    Parameters
    ----------
    out
        Path of the HTML file to write.
    manifest
        Study manifest of the device sessions (``user_id``, ``group``,
        ``session_id``, ...); ``None``: the demo's ``validation.csv``.
    reference
        Reference manifest (``session_id``, ``user_id``, ``file``[, ``format``,
        ``start_time``]); ``None``: the demo's.
    timezone, archive, allow_missing, base_url
        As for :func:`asleep_nb.report.build_report`.
    metrics
        Night-by-night metrics (``stat`` fields: durations, shares, counts).
    title
        Page title and first heading.
    kernel_name, timeout, on_start
        As for :func:`asleep_nb.report.build_report`.

    Returns
    -------
    pathlib.Path
        The written report (absolute).

    Raises
    ------
    asleep_nb.report.errors.ReportInputError
        Bad input (a manifest naming its file line, a scoring file naming its
        line, a session without reference, an option); exit status 2.
    asleep_nb.report.errors.ReportError
        Data that cannot be had (exit status 1).
    """
    params = ValidationParameters.from_values(
        manifest=None if manifest is None else os.fspath(manifest),
        reference=None if reference is None else os.fspath(reference),
        timezone=timezone,
        archive=None if archive is None else os.fspath(archive),
        allow_missing=allow_missing,
        metrics=metrics,
        title=title,
        base_url=base_url,
    )
    nb = read_template(VALIDATION_TEMPLATE)
    study = read_manifest_file(params.report_parameters().manifest or "")
    check_references(study, read_reference_input(params.reference))
    if params.archive is not None:
        open_report_archive(params.archive)
    elif not uses_demo(params.base_url):
        reach_api(params.base_url)
    inject_parameters(nb, params.values())
    if on_start is not None:
        on_start()
    execute(nb, kernel_name=kernel_name, timeout=timeout, cwd=os.getcwd())
    return write_html(nb, out, params.title)
