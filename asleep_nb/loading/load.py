"""Loading: fetch sessions through a client (and an archive) and build datasets.

This module composes the API layer (:mod:`asleep_nb.api`) with the data
layer (:mod:`asleep_nb.data`): neither knows the other, both are known here.

Examples
--------
>>> import asleep_nb
>>> client = asleep_nb.connect()  # doctest: +SKIP
>>> cohort = asleep_nb.load_cohort(client, "cohort.csv", align="onset")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from datetime import time as dt_time
from typing import Unpack

import pandas as pd
import xarray as xr

from asleep_nb.api.protocols import CohortClient, SessionLister, SessionSource
from asleep_nb.data.cohort import Alignment, to_cohort
from asleep_nb.data.manifest import ManifestError, SessionRequest, read_manifest
from asleep_nb.data.night import to_dataset
from asleep_nb.loading.fetch import FETCH_OPTIONS, FetchOptions, FetchResult, fetch_sessions
from asleep_nb.timezones import validate_timezone

__all__ = ["load_session", "load_cohort", "expand_manifest"]


def load_session(
    client: SessionSource, session_id: str, *, user_id: str, timezone: str = "UTC"
) -> xr.Dataset:
    """Fetch one session and return it as a dataset (see :func:`to_dataset`).

    Parameters
    ----------
    client
        An :class:`asleep_nb.Client` (anything with ``get_session``).
    session_id, user_id
        The session and its owner.
    timezone
        IANA zone the server expresses the times in; also the ``local_time`` view.

    Examples
    --------
    >>> ds = load_session(client, "20250115025029_fvivn",
    ...                   user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
    """
    validate_timezone(timezone)
    result = client.get_session(session_id, user_id=user_id, timezone=timezone)
    return to_dataset(result, timezone=timezone)


def load_cohort(
    client: CohortClient,
    manifest: str | os.PathLike[str] | pd.DataFrame,
    *,
    align: Alignment = "start",
    timezone: str | None = None,
    clock_start: str | dt_time = "18:00",
    **fetch_options: Unpack[FetchOptions],
) -> xr.Dataset:
    """Fetch the sessions a manifest names and stack them (see :func:`to_cohort`).

    Parameters
    ----------
    client
        An :class:`asleep_nb.Client` (``get_session`` and ``list_sessions``).
    manifest
        A CSV path or DataFrame with columns ``user_id``, ``group`` and
        optionally ``session_id``, ``date_gte``, ``date_lte``, ``timezone``
        (see :mod:`asleep_nb.data.manifest`). A row without ``session_id`` takes
        every session of the user whose local start date is in the range.
    align, clock_start
        As in :func:`to_cohort`.
    timezone
        One IANA zone for every session; ``None`` takes each row's
        ``timezone`` column, or ``"UTC"`` where it is empty or absent. The
        sessions are fetched in that zone and it becomes their local view.
    **fetch_options
        ``workers``, ``archive``, ``progress``, ... passed to
        :func:`asleep_nb.loading.fetch.fetch_sessions` (a thread pool; default 4
        workers, a progress bar, no archive unless the client has one).
        Sessions that fail are left out with a
        :class:`~asleep_nb.loading.fetch.FetchWarning`, and listed as JSON in
        ``attrs["failed_sessions"]`` (absent when none failed); when all
        fail, the first error is raised.

    Raises
    ------
    asleep_nb.errors.ManifestError
        A malformed manifest, or one that selects no session.
    asleep_nb.errors.AsleepAPIError
        What the client raises (unknown user or session, ...).

    Examples
    --------
    >>> cohort = load_cohort(client, "cohort.csv", align="clock")  # doctest: +SKIP
    """
    table = read_manifest(manifest)
    requests = expand_manifest(client, table, timezone=timezone)
    if not requests:
        raise ManifestError("the manifest selects no session (no sessions in the given date ranges)")
    fetched = _fetch_results(client, requests, **fetch_options)
    cohort = to_cohort(
        fetched.results,
        groups=[r.group for r in fetched.requests],
        align=align,
        clock_start=clock_start,
        timezone=None,
    )
    return fetched.attach(cohort)


def _fetch_results(
    client: CohortClient, requests: list[SessionRequest], **options: Unpack[FetchOptions]
) -> FetchResult:
    """Fetch every requested session with :func:`~asleep_nb.loading.fetch.fetch_sessions`."""
    unknown = set(options) - FETCH_OPTIONS
    if unknown:
        raise TypeError(f"load_cohort got unexpected option(s): {', '.join(sorted(unknown))}")
    fetched = fetch_sessions(client, requests, **options)
    fetched.raise_if_empty()
    return fetched


def expand_manifest(
    client: SessionLister, table: pd.DataFrame, *, timezone: str | None = None
) -> list[SessionRequest]:
    """Turn a validated manifest into one :class:`SessionRequest` per session.

    Rows without ``session_id`` are expanded with ``client.list_sessions``
    (every session of the user whose local start date is in
    ``[date_gte, date_lte]``, oldest first).

    Parameters
    ----------
    client
        An :class:`asleep_nb.Client` (anything with ``list_sessions``).
    table
        The output of :func:`read_manifest`.
    timezone
        One IANA zone for every request; ``None`` takes each row's
        ``timezone`` column, and ``"UTC"`` where that is empty.

    Raises
    ------
    ManifestError
        When two rows yield the same session (e.g. overlapping date ranges).

    Examples
    --------
    >>> requests = expand_manifest(client, read_manifest("cohort.csv"))  # doctest: +SKIP
    """
    if timezone is not None:
        validate_timezone(timezone)
    requests: list[SessionRequest] = []
    first_row: dict[str, int] = {}
    for i, row in enumerate(table.to_dict(orient="records"), start=1):
        # read_manifest gives every column as text, "" where not given
        user_id, group, given_id = str(row["user_id"]), str(row["group"]), str(row["session_id"])
        zone = timezone or str(row["timezone"]) or "UTC"
        if given_id:
            ids = [given_id]
        else:
            summaries = client.list_sessions(
                user_id,
                date_gte=str(row["date_gte"]) or None,
                date_lte=str(row["date_lte"]) or None,
                order_by="ASC",
                timezone=zone,
            )
            ids = [s.session_id for s in summaries]
        for session_id in ids:
            if session_id in first_row:
                raise ManifestError(
                    f"row {i}: session {session_id!r} of user {user_id!r} is also "
                    f"selected by row {first_row[session_id]}"
                )
            first_row[session_id] = i
            requests.append(SessionRequest(session_id, user_id, zone, group))
    return requests
