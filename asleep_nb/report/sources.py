"""Where a report's sessions come from: the demo, the API, or an archive (offline).

:func:`load_report_data` is the report notebook's first step: it reads the
manifest, asks the source for every session it names, and stacks what it
got into a cohort. A session that cannot be had stops the report with a
:class:`~asleep_nb.report.errors.DataUnavailable` naming it and its manifest
line, unless ``allow_missing`` is set: then it is left out and listed, with
the reason, in :attr:`ReportData.missing`.

With ``archive`` no request is ever sent: an
:class:`~asleep_nb.loading.archive_reader.ArchiveReader` answers
``get_session`` and ``list_sessions`` from the archive's verified files.

Examples
--------
>>> from asleep_nb.report.parameters import ReportParameters
>>> data = load_report_data(ReportParameters(archive="study"))  # an archive folder
>>> data.source, len(data.missing), len(data.results)
('archive study', 0, 81)
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from asleep_nb.data.cohort import DEFAULT_GROUP, to_cohort
from asleep_nb.data.manifest import SessionRequest
from asleep_nb.errors import AsleepError, ValidationError
from asleep_nb.loading.archive import MANIFEST_NAME, Archive, open_archive
from asleep_nb.loading.archive_reader import ArchiveReader
from asleep_nb.loading.fetch import FetchResult, fetch_sessions
from asleep_nb.loading.load import expand_manifest
from asleep_nb.report.errors import DataUnavailable, ReportInputError
from asleep_nb.report.manifest import ManifestFile, demo_manifest, read_manifest_file

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

    from asleep_nb.api.records import SessionResult
    from asleep_nb.report.parameters import ReportParameters

__all__ = ["Missing", "ReportData", "load_report_data", "open_report_archive", "uses_demo"]


@dataclass(frozen=True)
class Missing:
    """A session (or a manifest row) that could not be had, and why.

    Attributes
    ----------
    session_id
        The session, or ``""`` when its manifest row failed before naming one.
    user_id, group
        Whose, and in which group.
    where
        The manifest line that asked for it (``"study.csv, line 4"``) or the archive.
    reason
        The error class and message.
    position
        Where its request stands among all (manifest row order), for listing.
    bad_input
        Whether the manifest row itself is wrong (an invalid id or zone), not the data out of reach.
    """

    session_id: str
    user_id: str
    group: str
    where: str
    reason: str
    position: int = 0
    bad_input: bool = False

    def describe(self) -> str:
        """One line for an error message.

        Examples
        --------
        >>> Missing("s1", "G-1", "a", "m.csv, line 2", "SessionNotFound: gone").describe()
        'session s1 of user G-1 (m.csv, line 2): SessionNotFound: gone'
        """
        what = (
            f"session {self.session_id} of user {self.user_id}" if self.session_id else f"user {self.user_id}"
        )
        return f"{what} ({self.where}): {self.reason}"


@dataclass
class ReportData:
    """What a report analyses.

    Attributes
    ----------
    source
        One line naming the data source: ``"the built-in demo"``,
        ``"the Asleep API at <host>"`` or ``"archive <folder relative to the
        working folder>"``.
    details
        Provenance items of the source (label -> value), e.g. the archive
        manifest's SHA-256.
    manifest
        The manifest read, or ``None`` (every session of an archive).
    results
        The sessions had, in request order.
    missing
        The sessions (or manifest rows) that could not be had.
    cohort
        ``results`` stacked (:func:`asleep_nb.to_cohort`) with the parameters' alignment.
    """

    source: str
    details: dict[str, str]
    manifest: ManifestFile | None
    results: list[SessionResult]
    missing: list[Missing]
    cohort: xr.Dataset
    requested: int = field(default=0)


def uses_demo(base_url: str | None) -> bool:
    """Whether :func:`asleep_nb.connect` would serve the built-in demo (no key, no base URL).

    Examples
    --------
    >>> uses_demo("https://api.asleep.ai")
    False
    """
    return base_url is None and not os.environ.get("ASLEEP_API_KEY")


def open_report_archive(path: str | os.PathLike[str]) -> Archive:
    """Open an archive folder for a report, or raise a one-line :class:`ReportInputError`.

    Examples
    --------
    >>> open_report_archive("/no/such/archive")
    Traceback (most recent call last):
    ...
    asleep_nb.report.errors.ReportInputError: --archive: no archive folder at '/no/such/archive'
    """
    try:
        return open_archive(path)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise ReportInputError(f"--archive: {exc}") from None


def load_report_data(params: ReportParameters) -> ReportData:
    """Read the manifest, get every session it names from the source, and stack them.

    Parameters
    ----------
    params
        The report's parameters (manifest, time zone, archive, base URL,
        ``allow_missing``, alignment).

    Returns
    -------
    ReportData

    Raises
    ------
    ReportInputError
        A bad manifest (naming its line), a bad archive folder, or a
        manifest that selects no session.
    DataUnavailable
        A session that cannot be had without ``allow_missing`` (naming it and
        its manifest line), or none at all.

    Examples
    --------
    >>> from asleep_nb.report.parameters import ReportParameters
    >>> data = load_report_data(ReportParameters())  # the demo
    >>> len(data.results), data.requested, data.missing
    (80, 80, [])
    """
    manifest = _manifest(params)
    client, source, details = _open_source(params)
    try:
        if manifest is None:
            requests, where, missing = _archive_requests(client.store, params.timezone)
        else:
            requests, where, missing = _manifest_requests(client, manifest, params.timezone)
        if not requests and not missing:
            raise ReportInputError("the manifest selects no session (no session in its date ranges)")
        with _quiet(fetch_sessions.__module__):  # the report lists every failure itself
            fetched = fetch_sessions(client, requests, progress=False) if requests else FetchResult()
    finally:
        client.close()
    missing += [_missing(request, *where[request.session_id], exc) for request, exc in fetched.failed]
    missing.sort(key=lambda m: m.position)
    total = len(fetched.results) + len(missing)
    _check_complete(missing, total, allow_missing=params.allow_missing)
    groups = [r.group for r in fetched.requests]
    cohort = to_cohort(fetched.results, groups=groups, align=params.align)
    return ReportData(source, details, manifest, fetched.results, missing, cohort, requested=total)


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """Silence a logger's warnings for the duration (its records would show as stray stderr)."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _check_complete(missing: list[Missing], total: int, *, allow_missing: bool) -> None:
    """Raise :class:`DataUnavailable` when sessions are missing and may not be, or when all are.

    A manifest row that is itself wrong (an invalid id or zone) is bad input whatever
    ``allow_missing`` says: :class:`ReportInputError`.
    """
    bad = [m for m in missing if m.bad_input]
    if bad:
        more = f"\n{len(bad)} manifest rows are invalid" if len(bad) > 1 else ""
        raise ReportInputError(bad[0].describe() + more)
    if not missing or (allow_missing and len(missing) < total):
        return
    first = missing[0].describe()
    if len(missing) == total:
        raise DataUnavailable(
            first if total == 1 else f"none of the {total} sessions could be had; the first: {first}"
        )
    raise DataUnavailable(
        f"{first}\n{len(missing)} of {total} sessions could not be had; "
        "--allow-missing leaves them out and lists them in the report"
    )


def _open_source(params: ReportParameters) -> tuple[Any, str, dict[str, str]]:
    """The client to ask (an :class:`ArchiveReader` for an archive), the source's name and details."""
    if params.archive is not None:
        archive = open_report_archive(params.archive)
        shown = os.path.relpath(Path(params.archive).resolve(), Path.cwd())
        digest = hashlib.sha256((archive.path / MANIFEST_NAME).read_bytes()).hexdigest()
        details = {"data source": f"archive {shown}", f"archive {MANIFEST_NAME} SHA-256": digest}
        return ArchiveReader(archive), f"archive {shown}", details
    from asleep_nb.connection import connect

    try:
        client = connect(base_url=params.base_url, verbose=False)
    except ValueError as exc:
        raise ReportInputError(f"--base-url: {exc}") from None
    if uses_demo(params.base_url):
        source = "the built-in demo"
    else:
        source = f"the Asleep API at {urlsplit(client.base_url).netloc}"
    return client, source, {"data source": source}


def _manifest(params: ReportParameters) -> ManifestFile | None:
    if params.manifest is not None:
        return read_manifest_file(params.manifest)
    return None if params.archive is not None else demo_manifest()


def _manifest_requests(
    client: Any, manifest: ManifestFile, timezone: str | None
) -> tuple[list[SessionRequest], dict[str, tuple[str, int]], list[Missing]]:
    """One request per session the manifest selects, each session's manifest line, failed rows."""
    requests: list[SessionRequest] = []
    where: dict[str, tuple[str, int]] = {}
    missing: list[Missing] = []
    for i in range(len(manifest.rows)):
        line = manifest.where(i)
        row = manifest.rows.iloc[[i]]
        try:
            expanded = expand_manifest(client, row, timezone=timezone)
        except AsleepError as exc:
            session_id, user_id, group = (str(row[c].iloc[0]) for c in ("session_id", "user_id", "group"))
            bad = isinstance(exc, ValidationError)
            missing.append(Missing(session_id, user_id, group, line, _reason(exc), position=i, bad_input=bad))
            continue
        for request in expanded:
            if request.session_id in where:
                raise ReportInputError(
                    f"{line}: session {request.session_id} is also selected by {where[request.session_id][0]}"
                )
            where[request.session_id] = (line, i)
            requests.append(request)
    return requests, where, missing


def _archive_requests(
    archive: Archive, timezone: str | None
) -> tuple[list[SessionRequest], dict[str, tuple[str, int]], list[Missing]]:
    """Every archived session once (its first archived zone, or ``timezone``), in group ``"all"``."""
    requests: dict[str, SessionRequest] = {}
    for entry in archive.entries():
        if entry.session_id not in requests:
            zone = timezone or entry.timezone
            requests[entry.session_id] = SessionRequest(entry.session_id, entry.user_id, zone, DEFAULT_GROUP)
    where = {sid: (f"archive {MANIFEST_NAME}", i) for i, sid in enumerate(requests)}
    return list(requests.values()), where, []


def _missing(request: Any, where: str, position: int, exc: BaseException) -> Missing:
    return Missing(
        request.session_id,
        request.user_id,
        request.group,
        where,
        _reason(exc),
        position=position,
        bad_input=isinstance(exc, ValidationError),
    )


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
