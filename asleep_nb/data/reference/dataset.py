"""Reference scorings as a cohort: dims (``session``, ``epoch``), keyed by the Asleep session compared.

:func:`read_reference` reads one file, or every file a reference manifest
names, into the form :func:`asleep_nb.data.cohort.to_cohort` gives Asleep
nights (aligned by start), so the two can be compared session by session.

Examples
--------
>>> from asleep_nb.resources import demo_data_dir
>>> ref = read_reference(demo_data_dir() / "reference" / "manifest.csv")
>>> ref.sleep_stage.dtype, ref.attrs["alignment"], int(ref.sizes["session"])
(dtype('int8'), 'start', 80)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from asleep_nb.data.attributes import annotate
from asleep_nb.data.night import EPOCH
from asleep_nb.data.reference.epochs import Scoring
from asleep_nb.data.reference.manifest import ReferenceEntry, format_of, read_reference_manifest
from asleep_nb.definitions import EPOCH_SECONDS, PAD
from asleep_nb.definitions.identifiers import check_session_id, check_user_id
from asleep_nb.definitions.scoring import REFERENCE_LABEL_RULE, REFERENCE_SOURCE, REFERENCE_TITLE

__all__ = ["read_reference", "reference_cohort"]


def read_reference(
    source: str | os.PathLike[str],
    *,
    session_id: str | None = None,
    user_id: str | None = None,
    start_time: str | datetime | None = None,
    format: str | None = None,
) -> xr.Dataset:
    r"""Read reference scorings (PSG hypnograms) into a cohort-shaped dataset.

    Parameters
    ----------
    source
        A reference manifest (:mod:`asleep_nb.data.reference.manifest`) when
        ``session_id`` is ``None``; else one scoring file.
    session_id, user_id
        For one file: the Asleep session it is compared with and its user.
    start_time
        For one file: ISO 8601 instant with a UTC offset of its onset 0
        (needed by NSRR XML and by CSV files without a ``time`` column).
    format
        For one file: ``csv``, ``tsv``, ``edf`` or ``nsrr``; default from the extension.

    Returns
    -------
    xarray.Dataset
        As :func:`reference_cohort` describes.

    Raises
    ------
    asleep_nb.errors.ReferenceFileError
        A bad manifest or scoring file; the message names the file and line.
    asleep_nb.errors.InvalidIdentifier
        ``session_id`` or ``user_id`` not in the contract's format.
    ImportError
        An EDF file without MNE installed.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "night.csv"
    >>> _ = f.write_text("time,stage\n2025-01-01T22:00:15Z,W\n2025-01-01T22:00:45Z,N3\n")
    >>> uid = "G-20241201000000-abcdefghijABCDEFGHIJ"
    >>> ref = read_reference(f, session_id="20250101220000_abcde", user_id=uid)
    >>> ref.sleep_stage.values.tolist(), str(ref.start_time.values[0])
    ([[0, 2]], '2025-01-01T22:00:15.000000000')
    """
    if session_id is None:
        manifest = read_reference_manifest(source)
        entries = list(manifest.entries)
        detail = f"manifest {manifest.path.name} sha256 {manifest.sha256[:12]}"
    else:
        shown = os.fspath(source)
        entries = [
            ReferenceEntry(
                check_session_id(session_id),
                check_user_id(user_id),
                Path(source),
                shown,
                format_of(source, format, shown),
                start_time,
            )
        ]
        detail = f"file {Path(source).name}"
    return reference_cohort([(e, e.read()) for e in entries], detail=detail)


def reference_cohort(items: Sequence[tuple[ReferenceEntry, Scoring]], *, detail: str = "") -> xr.Dataset:
    """Stack scorings into a cohort aligned by start.

    Parameters
    ----------
    items
        ``(entry, scoring)`` pairs: each scoring and the manifest row keying it.
    detail
        What was read, for ``history``.

    Returns
    -------
    xarray.Dataset
        - ``sleep_stage`` (``int8``, ``(session, epoch)``): Asleep codes by the
          reference label rule, -1 where excluded (movement, unscored), padded
          with ``PAD`` (-2);
        - coordinates ``epoch`` (``int32``) and ``elapsed``; per session
          ``session_id``, ``user_id``, ``start_time`` (UTC-naive start of the
          first reference epoch, to the nanosecond), ``n_epochs``, ``offset``
          (0), ``n_movement``, ``n_unscored``, ``source_file``;
        - sessions sorted by ``(user_id, start_time, session_id)``;
        - attrs: the CF globals (``title`` a reference scoring), ``alignment``
          ``"start"``, ``epoch_seconds``, ``fill_code``, ``label_rule``,
          ``source_files``, ``session_order``.

    Raises
    ------
    ValueError
        No items.

    Examples
    --------
    >>> import numpy as np
    >>> uid = "G-20241201000000-abcdefghijABCDEFGHIJ"
    >>> e = ReferenceEntry("20250101220000_abcde", uid, Path("a.csv"), "a.csv", "csv")
    >>> s = Scoring("a.csv", np.datetime64("2025-01-01T22:00:10", "ns"), np.array([0, -1, 1], "int8"), 1, 0)
    >>> ds = reference_cohort([(e, s)])
    >>> ds.sleep_stage.values.tolist(), int(ds.n_movement[0])
    ([[0, -1, 1]], 1)
    """
    if not items:
        raise ValueError("reference_cohort needs at least one scoring")
    ordered = sorted(
        items, key=lambda it: (it[0].user_id, int(it[1].start_time.astype(np.int64)), it[0].session_id)
    )
    n_epochs = np.array([s.stages.size for _, s in ordered], dtype=np.int32)
    n_slots = int(n_epochs.max())
    stages = np.full((len(ordered), n_slots), PAD, dtype=np.int8)
    for row, (_, scoring) in enumerate(ordered):
        stages[row, : scoring.stages.size] = scoring.stages
    epoch = np.arange(n_slots, dtype=np.int32)

    def per_session(values: Sequence[object], dtype: Any) -> xr.Variable:
        return xr.Variable("session", np.array(values, dtype=dtype))

    coords = {
        "epoch": xr.Variable("epoch", epoch),
        "elapsed": xr.Variable("epoch", epoch.astype(np.int64) * EPOCH),
        "session_id": per_session([e.session_id for e, _ in ordered], object),
        "user_id": per_session([e.user_id for e, _ in ordered], object),
        "start_time": per_session([s.start_time for _, s in ordered], "datetime64[ns]"),
        "n_epochs": xr.Variable("session", n_epochs),
        "offset": xr.Variable("session", np.zeros(len(ordered), dtype=np.int32)),
        "n_movement": per_session([s.n_movement for _, s in ordered], np.int32),
        "n_unscored": per_session([s.n_unscored for _, s in ordered], np.int32),
        "source_file": per_session([e.shown for e, _ in ordered], object),
    }
    keep = {
        "title": REFERENCE_TITLE,
        "source": REFERENCE_SOURCE,
        "alignment": "start",
        "epoch_seconds": EPOCH_SECONDS,
        "fill_code": PAD,
        "label_rule": REFERENCE_LABEL_RULE,
        "source_files": ", ".join(sorted({e.shown for e, _ in ordered})),
        "session_order": "user_id, start_time",
    }
    ds = annotate(
        xr.Dataset({"sleep_stage": xr.Variable(("session", "epoch"), stages)}, coords), "cohort", keep=keep
    )
    ds.attrs["history"] = f"read_reference({detail}) by asleep_nb {ds.attrs['history'].rsplit(' ', 1)[-1]}"
    return ds
