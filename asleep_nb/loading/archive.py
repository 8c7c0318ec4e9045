"""A local archive of raw Get Session payloads: fetch once, reanalyse offline.

An archive is a folder::

    <dir>/manifest.jsonl                          one JSON object per line (see below)
    <dir>/sessions/<user_id>/<session_id>@<zone>.json
                                                  the ``result`` object of one Get Session
                                                  answer, in the zone it was asked for
                                                  (``/`` in the zone name written as ``~``)

Each file holds the server's ``result`` object as compact JSON (UTF-8); the
values are exactly those received (JSON numbers and strings round-trip),
only insignificant whitespace may differ from the wire (and an API key a
server echoed is masked). Each manifest line
records ``session_id``, ``user_id``, ``timezone``, ``state``,
``fetched_at`` (UTC ISO 8601), ``sha256`` and ``size`` of the file bytes and
``file`` (the path relative to ``<dir>``); the last line for a
``(session_id, timezone)`` wins.

Rules
-----
- ``COMPLETE`` sessions are immutable: once archived they are served from
  the archive and never fetched again, and their file is never replaced: the
  same payload again is a no-op, a different one raises
  :class:`~asleep_nb.errors.ArchiveConflict` naming both SHA-256 hashes.
  ``OPEN`` and ``CLOSED`` ones are refetched (and rewritten) every time they
  are asked for through a client.
- Nothing is archived under a name it does not bear: a payload fetched for
  session A in zone Z must say session A and zone Z
  (:class:`~asleep_nb.errors.IdentityMismatch` otherwise, nothing written).
- Nothing is trusted unread: every read checks the file against its
  manifest line (its place from the ids, size, SHA-256, then its session id
  and zone once parsed), reading and parsing each file once, through folder
  descriptors opened without following links
  (:class:`~asleep_nb.loading.archive_layout.InsideReader`). A mismatch, a
  missing or unparsable file, a link, or a folder linked out of the archive
  raise :class:`ArchiveCorrupt`; when fetching, such a session counts as
  missing and is fetched again. A record read from the archive keeps the
  file's bytes as its ``payload`` (parsed again on access), not the parsed
  tree.
- Writes are guarded: the payload goes to a temporary file in its folder
  first (creating a file is the slow part, so threads do it in parallel);
  then, under the folder's lock (threads and processes), the stored copy is
  checked, the file ``os.replace``-d over its name (one hash, one rename, no
  ``fsync`` per file) and its manifest line appended in one ``write``; a
  refused copy's temporary file is removed. A crash leaves at worst a
  stray ``.*.tmp`` file (ignored), a file without a manifest line, or a torn
  line (skipped with a warning): never a file that is trusted. Durability is
  grouped: :meth:`~ArchiveFolder.flush` syncs the manifest once when a
  fetching run ends; a file lost to a power cut fails its check and is
  fetched again.
- Read-only archives open for reading. Storage failures (disk full, no
  permission) raise :class:`~asleep_nb.errors.ArchiveUnwritable`.
- The manifest is read leniently: a line that is not UTF-8 JSON with the
  expected keys is skipped with one :class:`~asleep_nb.errors.ArchiveWarning`
  naming its line.

Examples
--------
>>> from asleep_nb import Client
>>> client = Archive("study").wrap(Client(api_key=srv.api_key, base_url=srv.url))  # srv: a stand-in
>>> night = client.get_session("20250115025029_fvivn",
...                            user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
>>> archive = open_archive("study")
>>> cohort = archive.to_cohort(align="onset")  # no network
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from asleep_nb.api.identity import check_session_result
from asleep_nb.api.jsonbytes import dumps
from asleep_nb.api.protocols import PayloadSource
from asleep_nb.api.records import SessionResult
from asleep_nb.errors import ArchiveCorrupt, PayloadError
from asleep_nb.loading.archive_folder import ArchiveFolder, OnCorrupt
from asleep_nb.loading.archive_layout import zone_token
from asleep_nb.loading.archive_manifest import IMMUTABLE_STATES, MANIFEST_NAME, ArchiveEntry
from asleep_nb.loading.archived_client import ArchivedClient

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import xarray as xr

__all__ = [
    "Archive",
    "ArchiveCorrupt",
    "ArchiveEntry",
    "ArchivedClient",
    "open_archive",
    "as_archive",
    "zone_token",
    "MANIFEST_NAME",
    "IMMUTABLE_STATES",
]


class Archive(ArchiveFolder):
    """A folder of raw Get Session payloads with a hashed manifest (see the module docs).

    Thread-safe: one archive may be filled by many fetching threads at once.
    Reading and writing files is :class:`~asleep_nb.loading.archive_folder.ArchiveFolder`'s
    part; fetching through a client and building cohorts is this class's.

    Parameters
    ----------
    path
        The archive folder.
    create
        Create the folder (and an empty manifest) when it does not exist;
        otherwise a missing folder raises ``FileNotFoundError``.

    Examples
    --------
    >>> import tempfile
    >>> archive = Archive(tempfile.mkdtemp())
    >>> len(archive), archive.manifest.columns.tolist()[:3]
    (0, ['session_id', 'user_id', 'timezone'])
    """

    def to_cohort(self, *, on_corrupt: OnCorrupt = "raise", **kwargs: Any) -> xr.Dataset:
        """Every archived session as a cohort: :func:`asleep_nb.data.cohort.to_cohort` of :meth:`records`.

        Parameters
        ----------
        on_corrupt
            As in :meth:`records`.
        **kwargs
            Passed to :func:`~asleep_nb.data.cohort.to_cohort` (``groups``,
            ``align``, ``clock_start``, ``timezone``).

        Examples
        --------
        >>> cohort = open_archive("study").to_cohort(align="onset")
        """
        from asleep_nb.data.cohort import to_cohort

        return to_cohort(self.records(on_corrupt=on_corrupt), **kwargs)

    def to_zarr(self, path: str | os.PathLike[str], **kwargs: Any) -> xr.Dataset:
        """Stream every archived session into a chunked zarr cohort, never holding them all in memory.

        The store equals :meth:`to_cohort` written with
        :func:`asleep_nb.data.store.to_zarr`; see
        :func:`asleep_nb.loading.stream.archive_to_zarr` for ``chunk``,
        ``align``, ``groups`` and the rest of ``kwargs``. Open it with
        :func:`asleep_nb.open_cohort` (dask-backed).

        Examples
        --------
        >>> lazy = open_archive("study").to_zarr("study.zarr", chunk=2000, align="onset")
        """
        from asleep_nb.loading.stream import archive_to_zarr

        return archive_to_zarr(self, path, **kwargs)

    def sessions_frame(self, *, on_corrupt: OnCorrupt = "skip") -> pd.DataFrame:
        """One row per archived session (state, start, peculiarities, no-signal share), for adherence.

        See :func:`asleep_nb.loading.archive_sessions.sessions_frame`;
        :func:`asleep_nb.stats.adherence` calls it when given an archive.

        Examples
        --------
        >>> import tempfile
        >>> len(Archive(tempfile.mkdtemp()).sessions_frame())
        0
        """
        from asleep_nb.loading.archive_sessions import sessions_frame

        return sessions_frame(self, on_corrupt=on_corrupt)

    def fetch(
        self, client: PayloadSource, session_id: str, *, user_id: str, timezone: str = "UTC"
    ) -> SessionResult:
        """A session from the archive when final, else fetched with ``client`` and archived.

        Parameters
        ----------
        client
            An :class:`asleep_nb.Client` (its ``get_session_payload`` is used).
        session_id, user_id, timezone
            As in :meth:`asleep_nb.Client.get_session`.

        Examples
        --------
        >>> archive.fetch(client, "20250115025029_fvivn",
        ...               user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ").stat.time_in_sleep
        1080
        """
        return self.fetch_status(client, session_id, user_id=user_id, timezone=timezone)[0]

    def fetch_status(
        self, client: PayloadSource, session_id: str, *, user_id: str, timezone: str = "UTC"
    ) -> tuple[SessionResult, bool]:
        """Like :meth:`fetch`, also telling whether the archive answered (``True``) or the network.

        The payload is checked to be about ``session_id`` in ``timezone``
        (:class:`~asleep_nb.errors.IdentityMismatch` otherwise) and validated
        (``SessionResult.from_payload``) before it is archived: a payload that
        fails either raises and is not written.
        """
        cached = self.cached(session_id, user_id, timezone)
        if cached is not None:
            return cached, True
        payload = client.get_session_payload(session_id, user_id=user_id, timezone=timezone)
        label = f"GET /data/v3/sessions/{session_id}"
        try:
            check_session_result(payload, session_id, timezone, request=label)
            data = dumps(payload)  # the file's bytes, also what the record keeps (not the dict)
            record = SessionResult.from_payload(payload, user_id=user_id, text=data)
        except PayloadError as exc:
            raise PayloadError(exc.field, exc.reason, status_code=200, request=label) from None
        self._write(payload, data, user_id=user_id, timezone=timezone)
        return record, False

    def wrap(self, client: PayloadSource) -> ArchivedClient:
        """A client whose ``get_session`` reads through this archive.

        ``COMPLETE`` sessions come from the archive once stored; everything
        else is fetched with ``client`` and archived. Every other attribute
        (``list_sessions``, ``get_user``, ``close``, ...) is ``client``'s own.

        Examples
        --------
        >>> archived = Archive("study").wrap(client)
        >>> archived.get_session("20250115025029_fvivn",
        ...                      user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ").session.state
        <SessionState.COMPLETE: 'COMPLETE'>
        """
        return ArchivedClient(client, self)


def open_archive(path: str | os.PathLike[str]) -> Archive:
    """Open an existing archive folder (no network is ever used).

    Parameters
    ----------
    path
        A folder filled by :meth:`Archive.wrap`, :func:`asleep_nb.loading.fetch.fetch_sessions`
        or ``asleep-nb fetch``.

    Raises
    ------
    FileNotFoundError
        When the folder or its manifest does not exist.

    A read-only folder opens (for reading); nothing is written until a
    session is fetched into it.

    Examples
    --------
    >>> archive = open_archive("study")
    >>> cohort = archive.to_cohort()
    """
    return Archive(path, create=False)


def as_archive(archive: Archive | str | os.PathLike[str] | None) -> Archive | None:
    """An :class:`Archive` from a path (created if missing), an archive, or ``None``.

    Examples
    --------
    >>> as_archive(None) is None
    True
    """
    if archive is None or isinstance(archive, Archive):
        return archive
    if isinstance(archive, (str, os.PathLike)):
        return Archive(archive)
    raise TypeError(f"archive must be a folder path or an Archive, not {type(archive).__name__}")
