"""Reproducible HTML reports from a parameterised notebook.

``asleep-nb report`` (and :func:`build_report`) executes the report notebook
shipped with the package (``asleep_nb/report/template.ipynb``, or one's own
with ``template=``) in a fresh kernel against a cohort (default: the
built-in demo; or a manifest fetched from the API; or an archive, offline),
then writes one self-contained HTML file: figures embedded as PNG, no code
cells.

The report shows where its data came from and how good it is (no-signal
epochs, flagged nights, sessions that could not be had); compares the groups
in figures and a Table 1 that write every number alike (one display unit and
precision per metric, from :mod:`asleep_nb.definitions.display`); names the
onset rule wherever onset or latency appears (the research rule for figures,
alignment and prose, the vendor's for the API's own ``stat``); ends with the
codebook (:mod:`asleep_nb.data.codebook`) as an appendix; and records what
makes it reproducible: the data source, the manifest's SHA-256 and rows,
every parameter, the package versions and a SHA-256 fingerprint of the data
it analysed. Execution metadata (timestamps, kernel ids) is stripped and
figures are saved without creation dates, so the same inputs give
byte-identical reports.

Modules: :mod:`~asleep_nb.report.parameters` (the options, validated once),
:mod:`~asleep_nb.report.manifest` (rows and their file lines),
:mod:`~asleep_nb.report.sources` (demo, API or archive; run in the kernel),
:mod:`~asleep_nb.report.checks` (before the kernel starts),
:mod:`~asleep_nb.report.kernel` (execution over IPC),
:mod:`~asleep_nb.report.sections` (data-quality and latency tables),
:mod:`~asleep_nb.report.comparison` (the group comparison and Table 1),
:mod:`~asleep_nb.report.page` (how the notebook displays them),
:mod:`~asleep_nb.report.provenance`, :mod:`~asleep_nb.report.build`,
:mod:`~asleep_nb.report.errors`.

Examples
--------
A run executes the whole report notebook (about 10 s), so the example is not a doctest::

    from asleep_nb.report import build_report

    build_report("report.html")  # the demo; returns the Path written
"""

from __future__ import annotations

from asleep_nb.report.build import build_report
from asleep_nb.report.checks import TEMPLATE
from asleep_nb.report.errors import DataUnavailable, ReportError, ReportInputError
from asleep_nb.report.parameters import DEFAULT_METRICS, TITLE, ReportParameters
from asleep_nb.report.provenance import dataset_fingerprint, provenance
from asleep_nb.report.sources import ReportData, load_report_data

__all__ = [
    "DEFAULT_METRICS",
    "TEMPLATE",
    "TITLE",
    "DataUnavailable",
    "ReportData",
    "ReportError",
    "ReportInputError",
    "ReportParameters",
    "build_report",
    "dataset_fingerprint",
    "load_report_data",
    "provenance",
]
