"""What is fetched and what came of it: :class:`Request`, :class:`FetchResult`, :class:`FetchWarning`.

Examples
--------
>>> from asleep_nb.loading.fetch_result import FetchResult, Request
>>> Request.of({"session_id": "20250115025029_fvivn", "user_id": "G-1"}).timezone
'UTC'
>>> FetchResult().ok
True
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from asleep_nb.api.records import SessionResult

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["FetchWarning", "Request", "FetchResult"]


class FetchWarning(UserWarning):
    """Some sessions could not be fetched; the rest were kept."""


@dataclass(frozen=True, slots=True)
class Request:
    """One session to fetch: ``(session_id, user_id, timezone)``, an optional ``group`` and ``row``.

    :class:`asleep_nb.data.manifest.SessionRequest` objects, tuples
    ``(session_id, user_id[, timezone[, group]])`` and mappings with those
    keys are all accepted by :func:`fetch_sessions` and turned into this.
    The ids are not checked here: a bad one fails that session alone, when
    it is fetched.

    Attributes
    ----------
    row
        The manifest row (1-based) that asked for it, when known, so a
        failure can be traced back to it; ``session_id`` is ``""`` for a row
        whose sessions could not even be listed.

    Examples
    --------
    >>> Request.of(("20250115025029_fvivn", "G-1"))
    Request(session_id='20250115025029_fvivn', user_id='G-1', timezone='UTC', group='all', row=None)
    """

    session_id: str
    user_id: str
    timezone: str = "UTC"
    group: str = "all"
    row: int | None = None

    @classmethod
    def of(cls, item: object) -> Request:
        """Normalise a request given as an object, a tuple or a mapping."""
        if isinstance(item, Request):
            return item
        if isinstance(item, tuple | list):
            if not 2 <= len(item) <= 4:
                raise TypeError(
                    f"a request tuple is (session_id, user_id[, timezone[, group]]), got {item!r}"
                )
            given = [str(v) for v in item] + ["UTC", "all"][len(item) - 2 :]
            return cls(given[0], given[1], given[2], given[3])
        get: Callable[[str], object]
        if isinstance(item, dict):
            get = item.get
        else:

            def get(name: str) -> object:
                return getattr(item, name, None)

        ids, row = (get("session_id"), get("user_id")), get("row")
        if not isinstance(ids[0], str) or not isinstance(ids[1], str):
            raise TypeError(f"a request needs str session_id and user_id, got {item!r}")
        zone, group = str(get("timezone") or "UTC"), str(get("group") or "all")
        return cls(ids[0], ids[1], zone, group, row if isinstance(row, int) else None)


@dataclass
class FetchResult:
    """What :func:`fetch_sessions` got.

    Attributes
    ----------
    results
        The sessions fetched (or read from the archive), in input order
        (empty when fetched with ``keep_results=False``).
    requests
        The request of each entry of ``results`` (same order).
    failed
        ``(request, exception)`` for each session that could not be had,
        whatever the exception, in input order.
    fetched, from_archive
        How many successes came from the network and from the archive.
    rate_limit_pauses
        How many times the workers paused together after a rate limit.
    """

    results: list[SessionResult] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)
    failed: list[tuple[Request, BaseException]] = field(default_factory=list)
    fetched: int = 0
    from_archive: int = 0
    rate_limit_pauses: int = 0

    @property
    def ok(self) -> bool:
        """``True`` when nothing failed."""
        return not self.failed

    def failures(self) -> list[dict[str, str | int | None]]:
        """The failures as plain dicts (JSON-ready): ids, zone, group, row, error class, status, reason.

        Examples
        --------
        >>> FetchResult().failures()
        []
        """
        return [
            {
                "session_id": r.session_id,
                "user_id": r.user_id,
                "timezone": r.timezone,
                "group": r.group,
                "row": r.row,
                "error": type(exc).__name__,
                "status_code": getattr(exc, "status_code", None),
                "reason": str(exc),
            }
            for r, exc in self.failed
        ]

    def summary(self, where: Callable[[Request], str] | None = None) -> str:
        """One line for the counts, then one per failure, for people.

        Parameters
        ----------
        where
            Says where each failed request came from (``"study.csv, line 4"``),
            put first on its line.

        Examples
        --------
        >>> FetchResult().summary()
        'fetched 0, from archive 0, failed 0'
        >>> failed = FetchResult(failed=[(Request("", "G-1", row=2), KeyError("x"))])
        >>> print(failed.summary(lambda r: f"study.csv, line {r.row + 1}"))
        fetched 0, from archive 0, failed 1
          study.csv, line 3: the sessions of row 2 of user G-1 (UTC): KeyError: 'x'
        """
        lines = [f"fetched {self.fetched}, from archive {self.from_archive}, failed {len(self.failed)}"]
        for r, exc in self.failed:
            prefix = f"{where(r)}: " if where is not None else ""
            error = f"{type(exc).__name__}: {exc}"
            lines.append(f"  {prefix}{_what(r)} of user {r.user_id} ({r.timezone}): {error}")
        return "\n".join(lines)

    def raise_if_empty(self) -> None:
        """Raise the first failure's exception when nothing at all succeeded (and something failed)."""
        if not self.results and self.failed:
            raise self.failed[0][1]

    def attach(self, cohort: xr.Dataset) -> xr.Dataset:
        """Record the failures on a cohort built from :attr:`results`, with a :class:`FetchWarning`.

        When some sessions failed, ``cohort.attrs["failed_sessions"]`` is a
        JSON list of :meth:`failures` and a warning names them; otherwise
        the cohort is returned untouched.
        """
        if self.failed:
            cohort.attrs["failed_sessions"] = json.dumps(self.failures())
            shown = ", ".join(f"{_what(r)} ({type(e).__name__})" for r, e in self.failed[:10])
            more = f" and {len(self.failed) - 10} more" if len(self.failed) > 10 else ""
            warnings.warn(
                f"{len(self.failed)} of {len(self.failed) + len(self.results)} sessions could not be "
                f"fetched and are left out of the cohort: {shown}{more}; see "
                'cohort.attrs["failed_sessions"]',
                FetchWarning,
                stacklevel=3,
            )
        return cohort


def _what(request: Request) -> str:
    """The session a request names, or the manifest row it stands for when it names none."""
    if request.session_id:
        return request.session_id
    return f"the sessions of row {request.row}" if request.row else "the sessions"
