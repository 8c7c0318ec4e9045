"""A local archive of raw Get Session payloads: fetch once, reanalyse offline.

An archive is a folder::

    <dir>/manifest.jsonl                          one JSON object per line (see below)
    <dir>/sessions/<user_id>/<session_id>@<zone>.json
                                                  the ``result`` object of one Get Session
                                                  answer, in the zone it was asked for
                                                  (``/`` in the zone name written as ``~``)

Each file holds the server's ``result`` object as compact JSON (UTF-8); the
values are exactly those received (JSON numbers and strings round-trip),
only insignificant whitespace may differ from the wire. Each manifest line
records ``session_id``, ``user_id``, ``timezone``, ``state``,
``fetched_at`` (UTC ISO 8601), ``sha256`` and ``size`` of the file bytes and
``file`` (the path relative to ``<dir>``); the last line for a
``(session_id, timezone)`` wins.

Rules
-----
- ``COMPLETE`` sessions are immutable: once archived they are served from
  the archive and never fetched again. ``OPEN`` and ``CLOSED`` ones are
  refetched (and rewritten) every time they are asked for through a client.
- Writes are atomic: the payload goes to a temporary file in the same
  folder, is flushed and ``fsync``-ed, then ``os.replace``-d over the final
  name; only then is its manifest line appended (one ``write`` call on a
  file opened in append mode, then ``fsync``). A crash leaves at worst a
  stray ``.*.tmp`` file (ignored) or a file without a manifest line, or a
  truncated last manifest line (ignored): never a file that is trusted.
- Every read checks the file's SHA-256 against the manifest. A mismatch, a
  missing or unparsable file raises :class:`ArchiveCorrupt`; when fetching,
  such a session counts as missing and is fetched again.

Examples
--------
>>> from asleep_nb import Client
>>> client = Archive("study").wrap(Client(api_key="...", base_url="http://127.0.0.1:8000"))  # doctest: +SKIP
>>> night = client.get_session("20250115025029_fvivn",
...                            user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
>>> archive = open_archive("study")  # doctest: +SKIP
>>> cohort = archive.to_cohort(align="onset")  # no network  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING, Any

from asleep_nb.api.protocols import PayloadSource
from asleep_nb.api.records import SessionResult
from asleep_nb.errors import ArchiveCorrupt, PayloadError
from asleep_nb.loading.archive_folder import ArchiveFolder, OnCorrupt, zone_token
from asleep_nb.loading.archive_manifest import IMMUTABLE_STATES, MANIFEST_NAME, ArchiveEntry
from asleep_nb.loading.archived_client import ArchivedClient

if TYPE_CHECKING:  # pragma: no cover
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
        >>> cohort = open_archive("study").to_cohort(align="onset")  # doctest: +SKIP
        """
        from asleep_nb.data.cohort import to_cohort

        return to_cohort(self.records(on_corrupt=on_corrupt), **kwargs)

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
        ...               user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
        """
        return self.fetch_status(client, session_id, user_id=user_id, timezone=timezone)[0]

    def fetch_status(
        self, client: PayloadSource, session_id: str, *, user_id: str, timezone: str = "UTC"
    ) -> tuple[SessionResult, bool]:
        """Like :meth:`fetch`, also telling whether the archive answered (``True``) or the network.

        The payload is validated (``SessionResult.from_payload``) before it is
        archived: an invalid payload raises and is not written.
        """
        cached = self.cached(session_id, user_id, timezone)
        if cached is not None:
            return cached, True
        payload = client.get_session_payload(session_id, user_id=user_id, timezone=timezone)
        try:
            record = SessionResult.from_payload(payload)
        except PayloadError as exc:
            raise PayloadError(
                exc.field, exc.reason, status_code=200, request=f"GET /data/v3/sessions/{session_id}"
            ) from None
        self.write(payload, user_id=user_id, timezone=timezone)
        return dataclasses.replace(record, user_id=user_id), False

    def wrap(self, client: PayloadSource) -> ArchivedClient:
        """A client whose ``get_session`` reads through this archive.

        ``COMPLETE`` sessions come from the archive once stored; everything
        else is fetched with ``client`` and archived. Every other attribute
        (``list_sessions``, ``get_user``, ``close``, ...) is ``client``'s own.

        Examples
        --------
        >>> archived = Archive("study").wrap(client)  # doctest: +SKIP
        >>> archived.get_session("20250115025029_fvivn",
        ...                      user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
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

    Examples
    --------
    >>> archive = open_archive("study")  # doctest: +SKIP
    >>> cohort = archive.to_cohort()  # doctest: +SKIP
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
