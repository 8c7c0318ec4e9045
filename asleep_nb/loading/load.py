"""Loading: fetch sessions through a client (and an archive) and build datasets.

This module composes the API layer (:mod:`asleep_nb.api`) with the data
layer (:mod:`asleep_nb.data`): neither knows the other, both are known here.

Examples
--------
>>> import asleep_nb
>>> cohort = asleep_nb.load_cohort(client, demo / "study.csv", align="onset", progress=False)
>>> sorted(set(cohort["group"].values))
['apnea', 'healthy']
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from datetime import time as dt_time
from typing import Unpack

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.api.protocols import CohortClient, SessionLister, SessionSource
from asleep_nb.data.attributes import variable_definition
from asleep_nb.data.cohort import Alignment, to_cohort
from asleep_nb.data.manifest import ManifestError, SessionRequest, covariate_columns, read_manifest
from asleep_nb.data.night import to_dataset
from asleep_nb.data.table import COVARIATE_ATTR
from asleep_nb.definitions.fields import unanalysable_reasons
from asleep_nb.errors import ContractWarning, UnanalysableSessionWarning
from asleep_nb.loading.fetch import (
    DEFAULT_WORKERS,
    FETCH_OPTIONS,
    FetchOptions,
    FetchResult,
    Request,
    fetch_sessions,
)
from asleep_nb.loading.selection import select_sessions
from asleep_nb.stats.verify import verify, verify_cohort
from asleep_nb.timezones import validate_timezone

__all__ = ["load_session", "load_cohort", "expand_manifest", "analysable"]


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
    ...                   user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
    >>> int(ds["time_in_sleep"])
    1080
    """
    validate_timezone(timezone)
    result = client.get_session(session_id, user_id=user_id, timezone=timezone)
    if result.stat is not None and result.session.end_time is not None:
        _warn_contradicted({session_id: sorted(verify(result))}, 1)
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
        workers, a progress bar, no archive unless the client has one);
        ``workers`` also lists the users of rows without ``session_id``.
        Sessions that fail, and rows whose sessions cannot be listed, are
        left out with a :class:`~asleep_nb.loading.fetch.FetchWarning`, and
        listed as JSON in ``attrs["failed_sessions"]`` (absent when none
        failed; a row that could not be listed has an empty ``session_id``
        and its ``row``); when all fail, the first error is raised.

    Warns
    -----
    asleep_nb.errors.UnanalysableSessionWarning
        Once, when sessions that cannot be analysed were fetched (still
        ``OPEN`` or ``CLOSED``, or carrying ``NEVER_SLEPT``,
        ``TOO_SHORT_FOR_ANALYSIS`` or ``TOO_MANY_DEFECTS_IN_SLEEP_STAGES``):
        how many, of which kind, and the first session ids. They are kept (the
        manifest asked for them, and their data is what it is);
        :func:`analysable` selects the others.

    Raises
    ------
    asleep_nb.errors.ManifestError
        A malformed manifest, one that selects no session, or one that
        selects a session twice (its two rows named).
    asleep_nb.errors.AsleepAPIError
        What the client raises (unknown user or session, ...).

    Examples
    --------
    >>> cohort = load_cohort(client, demo / "panel.csv", align="clock", progress=False)
    >>> cohort.sizes["session"], sorted(set(cohort["period"].values))
    (112, ['baseline', 'intervention'])
    """
    table = read_manifest(manifest)
    workers = fetch_options.get("workers", DEFAULT_WORKERS)
    selection = select_sessions(client, table, timezone=timezone, workers=workers)
    for _, error in selection.failed:
        if isinstance(error, ManifestError):  # a session in two rows: which group would it be in?
            raise error
    if not selection.requests and not selection.failed:
        raise ManifestError("the manifest selects no session (no sessions in the given date ranges)")
    fetched = _fetch_results(client, selection.requests, selection.failed, **fetch_options)
    cohort = to_cohort(
        fetched.results,
        groups=[r.group for r in fetched.requests],
        align=align,
        clock_start=clock_start,
        timezone=None,
    )
    _warn_unanalysable(cohort)
    differences = verify_cohort(cohort)
    differing = {str(sid): list(rows["field"]) for sid, rows in differences.groupby("session_id")}
    _warn_contradicted(differing, cohort.sizes["session"])
    cohort = _with_periods(cohort, table, fetched.requests)
    return fetched.attach(_with_covariates(cohort, table, fetched.requests))


def analysable(cohort: xr.Dataset) -> xr.DataArray:
    """Which sessions of a cohort can enter an analysis of sleep (boolean along ``session``).

    A session counts when it is ``COMPLETE`` and carries none of
    :data:`asleep_nb.definitions.UNANALYSABLE_PECULIARITIES` (see
    :func:`asleep_nb.definitions.unanalysable_reasons`). :func:`load_cohort`
    keeps the others and warns; ``cohort.isel(session=analysable(cohort).values)``
    drops them.

    Examples
    --------
    >>> import warnings
    >>> from asleep_nb.resources import demo_data_dir
    >>> with warnings.catch_warnings(record=True) as caught:  # the contract's edge cases
    ...     edge = load_cohort(client, demo_data_dir() / "edge.csv", progress=False)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    5 of 12 sessions cannot be analysed (1 CLOSED, 1 NEVER_SLEPT, 1 OPEN, ...
    >>> int(analysable(edge).sum()), edge.sizes["session"]
    (7, 12)
    """
    pairs = zip(cohort["state"].values, cohort["peculiarities"].values, strict=True)
    ok = [not unanalysable_reasons(str(state), str(pec)) for state, pec in pairs]
    return xr.DataArray(np.array(ok, dtype=bool), dims="session", name="analysable")


def _warn_unanalysable(cohort: xr.Dataset) -> None:
    """One :class:`UnanalysableSessionWarning` naming how many sessions cannot be analysed, and why."""
    reasons: dict[str, int] = {}
    names: list[str] = []
    for sid, state, pec in zip(
        cohort["session_id"].values, cohort["state"].values, cohort["peculiarities"].values, strict=True
    ):
        why = unanalysable_reasons(str(state), str(pec))
        if why:
            names.append(str(sid))
        for reason in why:
            reasons[reason] = reasons.get(reason, 0) + 1
    if not names:
        return
    counts = ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
    shown = _first_ids(names)
    warnings.warn(
        f"{len(names)} of {cohort.sizes['session']} sessions cannot be analysed ({counts}): {shown}; "
        "they are kept in the cohort; cohort.isel(session=analysable(cohort).values) drops them "
        "(asleep_nb.loading.load.analysable)",
        UnanalysableSessionWarning,
        stacklevel=3,
    )


def _first_ids(names: Sequence[str]) -> str:
    """The first three session ids of a warning, and how many more."""
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _warn_contradicted(differing: dict[str, list[str]], total: int) -> None:
    """One :class:`ContractWarning` when a server ``stat`` contradicts its recomputation from the stages."""
    differing = {sid: fields for sid, fields in differing.items() if fields}
    if not differing:
        return
    fields = sorted({f for fs in differing.values() for f in fs})
    names = sorted(differing)
    shown = _first_ids(names)
    warnings.warn(
        f"{len(names)} of {total} sessions have a stat that the recomputation from their stages "
        f"contradicts ({', '.join(fields)}): {shown}; kept as sent; asleep_nb.stats.verify_cohort(cohort) "
        "(or verify(result) for one session) lists each difference",
        ContractWarning,
        stacklevel=3,
    )


def _with_periods(cohort: xr.Dataset, table: pd.DataFrame, requests: Sequence[Request]) -> xr.Dataset:
    """The manifest's ``period`` of each session's row as a ``period`` coordinate (when any is given)."""
    if not table["period"].astype(bool).any():
        return cohort
    of_session = {r.session_id: str(table["period"].iloc[r.row - 1]) for r in requests if r.row}
    periods = np.array([of_session.get(str(s), "") for s in cohort["session_id"].values], dtype=object)
    definition = variable_definition("period", "cohort")
    attrs = {"long_name": definition.long_name} if definition is not None else {}
    return cohort.assign_coords(period=("session", periods, attrs))


def _with_covariates(cohort: xr.Dataset, table: pd.DataFrame, requests: Sequence[Request]) -> xr.Dataset:
    """Each covariate of the manifest as a per-session coordinate: the value of the session's row.

    Numbers stay ``float64`` (``NaN`` where missing), text stays text
    (``None`` where missing); the coordinate's ``covariate`` attribute says
    where it came from, so :func:`asleep_nb.stats_table` keeps it as a column.
    """
    row_of = {r.session_id: r.row for r in requests if r.row}
    rows = [row_of.get(str(s)) for s in cohort["session_id"].values]
    for name in covariate_columns(table):
        column = table[name]
        numeric = column.dtype == np.float64
        values = [column.iloc[r - 1] if r else (np.nan if numeric else None) for r in rows]
        array = np.asarray(values, dtype=np.float64 if numeric else object)
        attrs = {"long_name": f"{name} (manifest covariate)", COVARIATE_ATTR: "manifest column"}
        cohort = cohort.assign_coords({name: ("session", array, attrs)})
    return cohort


def _fetch_results(
    client: CohortClient,
    requests: Sequence[object],
    unlisted: Sequence[tuple[Request, BaseException]],
    **options: Unpack[FetchOptions],
) -> FetchResult:
    """Fetch every requested session with :func:`~asleep_nb.loading.fetch.fetch_sessions`.

    Rows that could not be listed (``unlisted``) join the failures, first.
    """
    unknown = set(options) - FETCH_OPTIONS
    if unknown:
        raise TypeError(f"load_cohort got unexpected option(s): {', '.join(sorted(unknown))}")
    fetched = fetch_sessions(client, requests, **options) if requests else FetchResult()
    fetched.failed[:0] = unlisted
    fetched.raise_if_empty()
    return fetched


def expand_manifest(
    client: SessionLister, table: pd.DataFrame, *, timezone: str | None = None, workers: int = DEFAULT_WORKERS
) -> list[SessionRequest]:
    """Turn a validated manifest into one :class:`SessionRequest` per session.

    Rows without ``session_id`` are expanded with ``client.list_sessions``
    (every session of the user whose local start date is in
    ``[date_gte, date_lte]``, oldest first), ``workers`` rows at a time
    (:func:`~asleep_nb.loading.selection.select_sessions`, which also keeps
    going past rows that fail).

    The parameters are :func:`~asleep_nb.loading.selection.select_sessions`'s
    (``client`` with ``list_sessions``, ``table`` from :func:`read_manifest`,
    ``timezone`` for every request or ``None`` for each row's own,
    ``workers`` rows listed at once).

    Raises
    ------
    ManifestError
        When two rows yield the same session (e.g. overlapping date ranges).
    asleep_nb.errors.AsleepError
        The error of the first row that could not be listed.

    Examples
    --------
    >>> requests = expand_manifest(client, read_manifest(demo / "study.csv"))
    >>> len(requests), requests[0].group
    (80, 'healthy')
    """
    selection = select_sessions(client, table, timezone=timezone, workers=workers)
    if selection.failed:
        raise selection.failed[0][1]
    return [SessionRequest(r.session_id, r.user_id, r.timezone, r.group) for r in selection.requests]
