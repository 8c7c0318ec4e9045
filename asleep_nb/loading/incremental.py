"""Running a study day by day: fetch only what is new since the last run into an archive.

:func:`sync` follows the **participants** of a manifest (one row per user:
``user_id``, ``group``, ``timezone``, and optionally ``date_gte``/``date_lte``,
the first and last night of the user's enrolment). For each participant it

1. lists the user's sessions (List Sessions, in the participant's zone) from
   the start date of the last session seen by the previous run minus
   ``overlap`` (a day by default, for uploads that arrive late), or from
   ``date_gte`` on the first run, up to the day after ``date_lte`` (a
   night's session may start after midnight) and not after ``today``;
2. fetches every listed session the archive does not hold as ``COMPLETE``;
   a ``COMPLETE`` copy is never fetched again (nor rewritten: see
   :mod:`asleep_nb.loading.archive`);
3. re-polls every archived session of the participant still ``OPEN`` or
   ``CLOSED``, listed or not, until the server says ``COMPLETE`` (each poll
   replaces the archived non-final copy);
4. records in ``<archive>/sync.json`` when the participant was synced
   (:mod:`asleep_nb.loading.sync_state`), for participants whose listing
   succeeded; the start the next run lists from advances only when every
   session of the participant was had, so a session that failed is listed
   (and fetched) again next time.

Running it twice in a row fetches nothing the second time but the sessions
still processing, so it suits a cron job; failures (a user unknown, a network
fault, a session that cannot be had) are kept per participant or session in
:attr:`SyncResult.failed` and the others go on, as in
:func:`~asleep_nb.loading.fetch.fetch_sessions`.

Examples
--------
Two mornings of the demo panel's first participant, on the stand-in that releases nights day
by day:

>>> import tempfile
>>> from datetime import date
>>> from asleep_nb import Client
>>> from asleep_nb.standin import serve
>>> people = pd.DataFrame({"user_id": ["G-20250106094409-kOivlPYvmUVcsfwjlHon"], "group": ["panel"],
...                        "timezone": ["Asia/Seoul"], "date_gte": ["2025-01-20"]})
>>> folder = tempfile.mkdtemp()
>>> with serve(today=date(2025, 1, 23)) as srv:
...     client = Client(api_key=srv.api_key, base_url=srv.url)
...     print(sync(client, people, folder, today=srv.today).summary())
...     _ = srv.advance()
...     print(sync(client, people, folder, today=srv.today).summary())
sync: new 3, completed 0, still processing 0, failed 0 (1 participants)
sync: new 1, completed 0, still processing 0, failed 0 (1 participants)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from asleep_nb.api.protocols import CohortClient
from asleep_nb.data.manifest import read_manifest
from asleep_nb.data.participants import Participant, participants
from asleep_nb.loading.archive import Archive, as_archive
from asleep_nb.loading.fetch import DEFAULT_WORKERS, Request, fetch_sessions
from asleep_nb.loading.fetch_result import FetchResult
from asleep_nb.loading.selection import select_sessions
from asleep_nb.loading.sync_state import SyncMark, read_sync_state, write_sync_state

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable

__all__ = ["Participant", "SyncResult", "participants", "sync"]  # participants: from the data layer


@dataclass
class SyncResult:
    """What one :func:`sync` run did.

    Attributes
    ----------
    new
        Sessions archived for the first time (in any state).
    completed
        Sessions archived as ``OPEN`` or ``CLOSED`` before that are ``COMPLETE`` now.
    processing
        Sessions of the participants still ``OPEN`` or ``CLOSED`` after the run.
    unchanged
        Sessions listed again that the archive already held as ``COMPLETE`` (not fetched).
    failed
        ``(request, exception)`` per participant that could not be listed
        (``session_id`` ``""``) and per session that could not be had.
    participants
        How many participants were synced.
    """

    new: int = 0
    completed: int = 0
    processing: int = 0
    unchanged: int = 0
    failed: list[tuple[Request, BaseException]] = field(default_factory=list)
    participants: int = 0

    @property
    def ok(self) -> bool:
        """``True`` when nothing failed."""
        return not self.failed

    def summary(self, where: Callable[[Request], str] | None = None) -> str:
        """One line of counts, then one line per failure (as :meth:`FetchResult.summary`).

        Examples
        --------
        >>> SyncResult(new=3, processing=1, participants=2).summary()
        'sync: new 3, completed 0, still processing 1, failed 0 (2 participants)'
        """
        head = (
            f"sync: new {self.new}, completed {self.completed}, still processing {self.processing}, "
            f"failed {len(self.failed)} ({self.participants} participants)"
        )
        lines = FetchResult(failed=self.failed).summary(where).splitlines()[1:]
        return "\n".join([head, *lines])


def _last_start(archive: Archive, person: Participant, marks: dict[str, SyncMark]) -> date | None:
    """The local start date of the participant's latest archived session (the sync mark, else the files)."""
    mark = marks.get(person.user_id)
    if mark is not None and mark.timezone == person.timezone:
        return date.fromisoformat(mark.last_start_date) if mark.last_start_date else None
    starts = [
        datetime.fromisoformat(archive.read_payload(e.session_id, e.timezone)["session"]["start_time"]).date()
        for e in archive.entries()
        if e.user_id == person.user_id and e.timezone == person.timezone
    ]
    return max(starts, default=None)


def _bounds(
    person: Participant, last: date | None, today: date | None, overlap: timedelta
) -> tuple[str, str]:
    """The ``date_gte``/``date_lte`` texts to list the participant with (``""``: unbounded)."""
    low = person.first_night
    if last is not None:
        low = max(low, last - overlap) if low is not None else last - overlap
    high = person.last_night + timedelta(days=1) if person.last_night is not None else None
    if today is not None:
        high = min(high, today) if high is not None else today
    return (low.isoformat() if low else "", high.isoformat() if high else "")


def sync(
    client: CohortClient,
    manifest: str | os.PathLike[str] | pd.DataFrame,
    archive: Archive | str | os.PathLike[str],
    *,
    today: date | None = None,
    overlap: timedelta = timedelta(days=1),
    workers: int = DEFAULT_WORKERS,
    progress: bool = False,
) -> SyncResult:
    """Bring an archive up to date with the participants' new and still-processing sessions.

    Parameters
    ----------
    client
        An :class:`asleep_nb.Client` (``list_sessions`` and ``get_session_payload``).
    manifest
        A CSV path or DataFrame with one row per participant (see the module docs).
    archive
        An :class:`~asleep_nb.loading.archive.Archive` or folder (created if missing).
    today
        The study day the run is for: nothing starting after it is listed,
        and it is recorded in ``sync.json``; ``None``: no upper bound.
    overlap
        How far before the last session's start date to list again (late uploads).
    workers
        Concurrent requests, for listing and fetching.
    progress
        Show a progress bar while fetching.

    Returns
    -------
    SyncResult

    Raises
    ------
    asleep_nb.errors.ManifestError
        A malformed manifest, or one that names sessions or a user twice.
    asleep_nb.errors.ArchiveUnwritable
        The archive cannot be written.

    Examples
    --------
    A study run day by day follows participants, not sessions (the module docs run two mornings):

    >>> sync(None, pd.DataFrame({"user_id": ["G-1"], "group": ["a"], "session_id": ["x"]}), "nowhere")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ManifestError: row 1: names session 'x'; a study run day by day follows participants: ...
    """
    if not isinstance(overlap, timedelta) or overlap < timedelta(0):
        raise ValueError(f"overlap must be a non-negative timedelta, got {overlap!r}")
    if today is not None and (not isinstance(today, date) or isinstance(today, datetime)):
        raise TypeError(f"today must be a datetime.date or None, got {today!r}")
    people = participants(read_manifest(manifest))
    store = as_archive(archive)
    assert store is not None
    marks = read_sync_state(store.path)
    bounds = {p.user_id: _bounds(p, _last_start(store, p, marks), today, overlap) for p in people}

    listing = pd.DataFrame(
        {
            "user_id": [p.user_id for p in people],
            "group": [p.group for p in people],
            "session_id": [""] * len(people),
            "date_gte": [bounds[p.user_id][0] for p in people],
            "date_lte": [bounds[p.user_id][1] for p in people],
            "timezone": [p.timezone for p in people],
            "period": [""] * len(people),
        }
    )
    # a participant whose enrolment ended before the listing would start has nothing new to list
    todo = listing[
        (listing.date_gte == "") | (listing.date_lte == "") | (listing.date_gte <= listing.date_lte)
    ]
    selection = select_sessions(client, todo.reset_index(drop=True), workers=workers)
    row_of = {p.user_id: p.row for p in people}
    requests = [
        Request(r.session_id, r.user_id, r.timezone, r.group, row_of[r.user_id]) for r in selection.requests
    ]
    failed = [
        (Request(r.session_id, r.user_id, r.timezone, r.group, row_of[r.user_id]), e)
        for r, e in selection.failed
    ]
    zone_of = {p.user_id: p.timezone for p in people}
    before = {
        (e.session_id, e.timezone): e.state
        for e in store.entries()
        if e.user_id in zone_of and e.timezone == zone_of[e.user_id]
    }
    asked = {(r.session_id, r.timezone) for r in requests}
    for e in store.entries():  # re-poll what is still processing, listed or not
        if (
            (e.session_id, e.timezone) in before
            and not e.is_final
            and (e.session_id, e.timezone) not in asked
        ):
            requests.append(Request(e.session_id, e.user_id, e.timezone, "", row_of[e.user_id]))
    fetched = (
        fetch_sessions(client, requests, workers=workers, archive=store, progress=progress)
        if requests
        else FetchResult()
    )
    out = SyncResult(
        failed=[*failed, *fetched.failed], participants=len(people), unchanged=fetched.from_archive
    )
    latest: dict[str, date] = {}
    for request, record in zip(fetched.requests, fetched.results, strict=True):
        state = str(record.session.state.value)
        prior = before.get((request.session_id, request.timezone))
        final = state == "COMPLETE"
        out.new += prior is None
        out.completed += prior is not None and prior != "COMPLETE" and final
        out.processing += not final
        start = record.session.start_time.date()
        latest[request.user_id] = max(latest.get(request.user_id, start), start)
    unlisted = {r.user_id for r, _ in selection.failed}
    incomplete = {r.user_id for r, _ in fetched.failed}  # listed again from the same start next run
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    stamp = today.isoformat() if today is not None else None
    new_marks = {}
    for p in people:
        if p.user_id in unlisted:
            continue
        old = marks.get(p.user_id)
        previous = old.last_start_date if old is not None and old.timezone == p.timezone else None
        found = latest.get(p.user_id) if p.user_id not in incomplete else None
        last = max(filter(None, (previous, found.isoformat() if found else None)), default=None)
        new_marks[p.user_id] = SyncMark(now, stamp, p.timezone, last)
    write_sync_state(store.path, new_marks)
    return out
