"""The manifest a report analyses: a manifest file (:mod:`asleep_nb.data.manifest_file`), or the demo's.

A report names the manifest by its file name and SHA-256 (never its folder,
so a copy elsewhere gives the same report) and embeds its rows; a bad
manifest is a :class:`~asleep_nb.report.errors.ReportInputError` naming the
file line.

Examples
--------
>>> m = demo_manifest()
>>> m.name, len(m.rows), m.lines[:2]
("the demo's study.csv (groups healthy, apnea)", 80, (2, 3))
>>> manifest_words(m), manifest_words(read_manifest_file(demo_data_dir() / "panel.csv"))
("the demo's study.csv (groups healthy, apnea)", 'the manifest panel.csv')
"""

from __future__ import annotations

import os

from asleep_nb.data import manifest_file
from asleep_nb.data.manifest_file import ManifestFile
from asleep_nb.errors import ManifestError
from asleep_nb.report.errors import ReportInputError
from asleep_nb.resources import demo_data_dir

__all__ = ["DEMO_GROUPS", "ManifestFile", "demo_manifest", "manifest_words", "read_manifest_file"]

#: The groups of the demo cohort a report compares when no manifest is given.
DEMO_GROUPS: tuple[str, ...] = ("healthy", "apnea")


def read_manifest_file(path: str | os.PathLike[str]) -> ManifestFile:
    """:func:`asleep_nb.data.manifest_file.read_manifest_file`, its errors as report input errors.

    Raises
    ------
    ReportInputError
        The file is missing or unreadable, or a row breaks a rule (the
        message names the file line); exit status 2.

    Examples
    --------
    >>> read_manifest_file("no/such.csv")
    Traceback (most recent call last):
    ...
    asleep_nb.report.errors.ReportInputError: manifest no/such.csv not found
    """
    try:
        return manifest_file.read_manifest_file(path)
    except ManifestError as exc:
        raise ReportInputError(str(exc)) from None


def demo_manifest() -> ManifestFile:
    """The demo study's manifest, ``study.csv``: the :data:`DEMO_GROUPS` (what a report uses by default).

    Examples
    --------
    >>> sorted(set(demo_manifest().rows["group"]))
    ['apnea', 'healthy']
    """
    study = read_manifest_file(demo_data_dir() / "study.csv")
    name = f"the demo's {study.path.name} (groups {', '.join(DEMO_GROUPS)})"
    return ManifestFile(study.path, name, study.sha256, study.rows, study.lines)


def manifest_words(manifest: ManifestFile) -> str:
    """How a sentence names a manifest: ``"the manifest study.csv"``, or the demo's own name."""
    if manifest.name.startswith("manifest "):
        return manifest.name.replace("manifest ", "the manifest ", 1)
    return manifest.name
