"""Reference scorings (polysomnography hypnograms) in, as a cohort keyed by Asleep session.

- :func:`read_reference`: one file, or every file of a reference manifest,
  into the form of a cohort (dims ``session``, ``epoch``; ``int8``
  ``sleep_stage`` padded with ``PAD``; ``start_time`` per session; CF
  attributes), labels mapped by the reference label rule
  (:mod:`asleep_nb.definitions.scoring`), movement and unscored epochs
  counted and excluded;
- :func:`read_reference_manifest`: the manifest keying files to sessions
  (:mod:`~asleep_nb.data.reference.manifest`);
- one module per format: :mod:`~asleep_nb.data.reference.delimited` (CSV/TSV),
  :mod:`~asleep_nb.data.reference.edf` (EDF+ annotations, with MNE),
  :mod:`~asleep_nb.data.reference.nsrr` (NSRR XML, with defusedxml);
  :mod:`~asleep_nb.data.reference.epochs` holds the rules they share.

Examples
--------
>>> from asleep_nb.data.reference import read_reference
>>> from asleep_nb.resources import demo_data_dir
>>> ref = read_reference(demo_data_dir() / "reference" / "manifest.csv")
>>> sorted(ref.coords["n_unscored"].attrs)
['long_name', 'units']
"""

from __future__ import annotations

from asleep_nb.data.reference.dataset import read_reference, reference_cohort
from asleep_nb.data.reference.epochs import Row, Scoring, scoring_from_rows
from asleep_nb.data.reference.manifest import (
    FORMATS,
    ReferenceEntry,
    ReferenceManifest,
    read_reference_manifest,
)

__all__ = [
    "FORMATS",
    "ReferenceEntry",
    "ReferenceManifest",
    "Row",
    "Scoring",
    "read_reference",
    "read_reference_manifest",
    "reference_cohort",
    "scoring_from_rows",
]
