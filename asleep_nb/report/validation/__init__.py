"""Validation reports: Asleep sessions against a reference scoring (PSG), epoch by epoch and night by night.

``asleep-nb validate`` (and :func:`build_validation_report`) loads the device
sessions a study manifest names (demo, API or archive), reads the reference
scoring of each (:mod:`asleep_nb.data.reference`), and writes one HTML page:
the methods (label mapping, alignment, exclusions, overlap), the epoch-by-epoch
agreement (:func:`asleep_nb.stats.epoch_agreement`: confusion, pooled metrics
with participant-bootstrap intervals, per stage, in four stages and in two),
the night-by-night discrepancy (:func:`asleep_nb.stats.stats_agreement`:
bias and limits of agreement), figures and provenance.

Modules: :mod:`~asleep_nb.report.validation.parameters`,
:mod:`~asleep_nb.report.validation.data`, :mod:`~asleep_nb.report.validation.tables`,
:mod:`~asleep_nb.report.validation.build` and the notebook ``template.ipynb``.

Examples
--------
>>> from asleep_nb.report.validation import ValidationParameters
>>> ValidationParameters().report_parameters().align
'start'
"""

from __future__ import annotations

from asleep_nb.report.validation.build import VALIDATION_TEMPLATE, build_validation_report
from asleep_nb.report.validation.data import ValidationData, load_validation_data
from asleep_nb.report.validation.parameters import VALIDATION_TITLE, ValidationParameters

__all__ = [
    "VALIDATION_TEMPLATE",
    "VALIDATION_TITLE",
    "ValidationData",
    "ValidationParameters",
    "build_validation_report",
    "load_validation_data",
]
