"""An archive's sessions as one small table: what adherence needs, without building a cohort.

:func:`sessions_frame` reads every archived session once (verified, as
:meth:`~asleep_nb.loading.archive_folder.ArchiveFolder.records` does) and
keeps one row per session: its owner, state, start instant, peculiarities
and no-signal share (:func:`asleep_nb.stats.quality.no_signal_share`), the
columns :data:`asleep_nb.stats.adherence_table.SESSION_COLUMNS` names. A session
archived in several zones counts once (its ``COMPLETE`` copy when there is
one, else the one fetched last). :func:`asleep_nb.stats.adherence` takes the
archive itself (it calls :meth:`Archive.sessions_frame
<asleep_nb.loading.archive.Archive.sessions_frame>`) or this table.

Examples
--------
>>> import tempfile
>>> from asleep_nb.loading.archive import Archive
>>> sessions_frame(Archive(tempfile.mkdtemp())).columns.tolist()
['user_id', 'session_id', 'state', 'start_time', 'peculiarities', 'no_signal_share']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from asleep_nb.loading.archive_folder import ArchiveFolder, OnCorrupt
from asleep_nb.stats.adherence_table import SESSION_COLUMNS
from asleep_nb.stats.quality import no_signal_share

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.loading.archive_manifest import ArchiveEntry

__all__ = ["sessions_frame"]


def _chosen(entries: list[ArchiveEntry]) -> list[ArchiveEntry]:
    """One entry per session: the final copy first, then the one fetched last."""
    best: dict[str, ArchiveEntry] = {}
    for entry in entries:
        held = best.get(entry.session_id)
        if held is None or (entry.is_final, entry.fetched_at) > (held.is_final, held.fetched_at):
            best[entry.session_id] = entry
    return sorted(best.values(), key=lambda e: (e.user_id, e.session_id))


def sessions_frame(archive: ArchiveFolder, *, on_corrupt: OnCorrupt = "skip") -> pd.DataFrame:
    """One row per archived session: ``user_id``, ``session_id``, ``state``, ``start_time``, ...

    Parameters
    ----------
    archive
        An :class:`~asleep_nb.loading.archive.Archive`.
    on_corrupt
        ``"skip"`` (default): a file that fails its checks is left out with an
        :class:`~asleep_nb.errors.ArchiveWarning`; ``"raise"``: raise
        :class:`~asleep_nb.errors.ArchiveCorrupt`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`~asleep_nb.stats.adherence_table.SESSION_COLUMNS`: ``start_time``
        tz-aware UTC, ``peculiarities`` comma-joined (as a cohort's coordinate),
        ``no_signal_share`` a float (``nan`` without stages).
    """
    rows = []
    for entry, record in archive.read_entries(
        _chosen(archive.entries()), on_corrupt=on_corrupt, stacklevel=3
    ):
        stages = record.session.sleep_stages
        share = (
            float(no_signal_share(np.asarray(stages))[0]) if stages is not None and len(stages) else np.nan
        )
        rows.append(
            (
                entry.user_id,
                entry.session_id,
                str(record.session.state.value),
                pd.Timestamp(record.session.start_time).tz_convert("UTC"),
                ",".join(str(p.value) if hasattr(p, "value") else str(p) for p in record.peculiarities),
                share,
            )
        )
    frame = pd.DataFrame(rows, columns=list(SESSION_COLUMNS))
    frame["start_time"] = pd.to_datetime(frame["start_time"], utc=True)
    frame["no_signal_share"] = frame["no_signal_share"].astype("float64")
    return frame
