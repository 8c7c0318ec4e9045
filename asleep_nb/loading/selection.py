"""Which sessions a manifest selects: rows listed concurrently, each failure kept with its row.

A manifest row names one session, or asks for every session of a user in a
date range; those rows are listed with ``client.list_sessions`` on the same
bounded thread pool as fetching (:mod:`asleep_nb.loading.pool`), so a study
of many users is listed ``workers`` at a time. A row that cannot be listed
(an id not in the contract's format, an unknown user, a network failure...)
is kept in :attr:`ManifestSelection.failed` with its row number, and the
other rows go on; so is a session selected by two rows (the later one).

Examples
--------
>>> from asleep_nb.data.manifest import read_manifest
>>> import pandas as pd
>>> rows = pd.read_csv("data/demo/study.csv").head(3)
>>> rows.loc[2, "user_id"] = "G-20240101000009-NobodyNobodyNobodyNo"  # a user with no session
>>> selection = select_sessions(client, read_manifest(rows), workers=2)
>>> len(selection.requests), selection.failed
(2, [])
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asleep_nb.api.protocols import SessionLister
from asleep_nb.errors import ManifestError
from asleep_nb.loading.fetch import DEFAULT_WORKERS, Request
from asleep_nb.loading.pool import run_bounded
from asleep_nb.timezones import validate_timezone

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ManifestSelection", "select_sessions"]


@dataclass
class ManifestSelection:
    """What a manifest selects.

    Attributes
    ----------
    requests
        One :class:`~asleep_nb.loading.fetch_result.Request` per session, in
        row order (a listed row's sessions oldest first), each with its
        ``row`` (1-based, as :func:`~asleep_nb.data.manifest.read_manifest`
        numbers them).
    failed
        ``(request, exception)`` per row that could not be listed (the
        request's ``session_id`` is ``""``) and per session a later row
        selected again (:class:`~asleep_nb.errors.ManifestError`), in row order.
    """

    requests: list[Request] = field(default_factory=list)
    failed: list[tuple[Request, BaseException]] = field(default_factory=list)


def select_sessions(
    client: SessionLister,
    table: pd.DataFrame,
    *,
    timezone: str | None = None,
    workers: int = DEFAULT_WORKERS,
) -> ManifestSelection:
    """One request per session a validated manifest selects; rows without ``session_id`` listed concurrently.

    Parameters
    ----------
    client
        Anything with ``list_sessions`` (an :class:`asleep_nb.Client`).
    table
        The output of :func:`~asleep_nb.data.manifest.read_manifest`.
    timezone
        One IANA zone for every request; ``None`` takes each row's
        ``timezone`` column, and ``"UTC"`` where that is empty.
    workers
        Rows listed at once.

    Raises
    ------
    asleep_nb.errors.InvalidTimezone
        When ``timezone`` is given and not a zone (before any request).
    """
    if timezone is not None:
        validate_timezone(timezone)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    rows: list[Request] = []
    dates: dict[int, tuple[str | None, str | None]] = {}
    for i, row in enumerate(table.to_dict(orient="records"), start=1):
        # read_manifest gives every column as text, "" where not given
        zone = timezone or str(row["timezone"]) or "UTC"
        rows.append(Request(str(row["session_id"]), str(row["user_id"]), zone, str(row["group"]), i))
        dates[i] = (str(row["date_gte"]) or None, str(row["date_lte"]) or None)

    def listed(request: Request) -> list[str]:
        date_gte, date_lte = dates[request.row or 0]
        summaries = client.list_sessions(
            request.user_id, date_gte=date_gte, date_lte=date_lte, order_by="ASC", timezone=request.timezone
        )
        return [s.session_id for s in summaries]

    found: dict[int, list[str] | BaseException] = {}
    to_list = [r for r in rows if not r.session_id]
    run_bounded(
        listed,
        to_list,
        workers=workers,
        stop=threading.Event(),
        on_done=lambda _, request, outcome: found.__setitem__(request.row or 0, outcome),
        name="asleep-list",
    )
    return _assemble(rows, found)


def _assemble(rows: list[Request], found: dict[int, list[str] | BaseException]) -> ManifestSelection:
    """The selection in row order, with duplicates kept as failures of the later row."""
    out = ManifestSelection()
    first_row: dict[str, int] = {}
    for row in rows:
        number = row.row or 0
        outcome = found.get(number, [row.session_id])
        if isinstance(outcome, BaseException):
            out.failed.append((row, outcome))
            continue
        for session_id in outcome:
            request = Request(session_id, row.user_id, row.timezone, row.group, number)
            if session_id in first_row:
                error = ManifestError(
                    f"row {number}: session {session_id!r} of user {row.user_id!r} is also "
                    f"selected by row {first_row[session_id]}"
                )
                out.failed.append((request, error))
                continue
            first_row[session_id] = number
            out.requests.append(request)
    return out
