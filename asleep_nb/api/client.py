"""The Asleep API client: one ``requests.Session``, bounded calls, errors as exceptions.

:class:`Client` speaks the four read endpoints of the contract (Get Session,
List Sessions, Get User, Average Stats) and returns typed records from
:mod:`asleep_nb.api.records`.

- Input (ids in the contract's formats, real IANA zones, dates, periods) is
  checked before any request (:mod:`asleep_nb.api.ids`, :mod:`asleep_nb.api.params`).
- Calls are bounded (:mod:`asleep_nb.api.transport`, :mod:`asleep_nb.api.retry`):
  a deadline per attempt, bodies within size limits, one retry budget.
  Redirects are not followed (the key is in a header ``requests`` keeps).
- Answers must be about what was asked (:mod:`asleep_nb.api.identity`):
  Get Session's session id and zone, every List Sessions page's zone, Get
  User's user (:class:`~asleep_nb.errors.IdentityMismatch` otherwise).
- Error answers raise the exceptions of :mod:`asleep_nb.api.responses`; the key is
  masked in every answer. Logging (``asleep_nb.api.client``): method, path and status.

Examples
--------
>>> from asleep_nb.api.client import Client
>>> with Client(api_key=srv.api_key, base_url=srv.url) as client:  # srv: a stand-in (asleep_nb.standin)
...     result = client.get_session("20250115025029_fvivn",
...                                 user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
>>> result.stat.time_in_sleep
1080
"""

from __future__ import annotations

import os
from datetime import date
from functools import partial
from types import TracebackType
from typing import Any, Literal, NoReturn, Self, Unpack

from asleep_nb import errors
from asleep_nb.api.identity import check_field, check_session_result
from asleep_nb.api.ids import check_session_id, check_user_id
from asleep_nb.api.params import (
    DEFAULT_BASE_URL,
    ClientOptions,
    Settings,
    check_api_key,
    check_base_url,
    check_settings,
    date_range,
    user_agent,
)
from asleep_nb.api.records import AverageStats, SessionResult, SessionSummary, User
from asleep_nb.api.responses import parsed, session_list_page
from asleep_nb.api.transport import Transport
from asleep_nb.definitions.contract import (
    DEFAULT_TIMEZONE,
    LIST_LIMIT_MAX,
    MAX_PERIOD_DAYS,
    TIMEZONE_HEADER,
    USER_ID_HEADER,
)
from asleep_nb.timezones import validate_timezone

__all__ = ["Client", "ClientOptions", "DEFAULT_BASE_URL", "PAGE_SIZE", "MAX_PERIOD_DAYS", "MAX_PAGES"]

#: ``limit`` of each List Sessions page (the API's maximum).
PAGE_SIZE = LIST_LIMIT_MAX
#: Most pages one List Sessions call reads (100,000 sessions of one user): paging always ends.
MAX_PAGES = 1000


class Client:
    """A client of the Asleep API.

    Parameters
    ----------
    api_key
        The key sent as ``x-api-key``; default ``$ASLEEP_API_KEY``.
    base_url
        Default ``$ASLEEP_BASE_URL``, else ``https://api.asleep.ai``.
    **settings
        The bounds of every call (defaults in :mod:`asleep_nb.api.params`):

        ``timeout`` (30 s)
            Seconds one attempt may take **in all**: connecting, the headers
            and the whole body. A server trickling its answer is cut off.
        ``max_retries`` (5)
            Retries after the first attempt, one budget for every cause (no
            answer, 5xx, 429, 403 ``Rate limit exceeded``); 0 for none.
        ``backoff_factor`` (0.5 s)
            The wait before the n-th retry is ``backoff_factor * 2 ** (n - 1)``
            (the first retry immediate) plus up to ``backoff_factor`` of
            jitter, unless the answer says ``Retry-After``.
        ``max_wait`` (60 s)
            The longest single wait. A ``Retry-After`` beyond it is not slept
            through: :class:`~asleep_nb.errors.RateLimited` at once, saying
            when the server allows the next try (``retry_after`` seconds).
        ``max_body_bytes`` (16 MiB), ``max_inflated_bytes`` (64 MiB)
            The largest body accepted as received, and once decompressed;
            larger answers raise :class:`~asleep_nb.errors.ResponseTooLarge`
            and are never held in memory whole.
        ``id_check`` (``"contract"``, or ``$ASLEEP_ID_CHECK``)
            ``"lenient"`` sends any id safe to send and lets the server judge
            its format (:mod:`asleep_nb.definitions.identifiers`).

        One call ends within ``(1 + max_retries) * timeout + max_retries * max_wait`` seconds.

    Raises
    ------
    Unauthorized
        When no key is given or set, or the key holds whitespace or control
        characters or non-ASCII (the key itself is never echoed).
    ValueError
        On a malformed ``base_url`` or a bad setting (named).

    Examples
    --------
    >>> client = Client(api_key="secret", base_url="http://127.0.0.1:8000", timeout=10)
    >>> client
    Client(base_url='http://127.0.0.1:8000', api_key=<set>)
    >>> "secret" in repr(client) + str(client), client.settings.timeout
    (False, 10.0)
    >>> client.close()
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        **settings: Unpack[ClientOptions],
    ) -> None:
        key = check_api_key(api_key if api_key is not None else os.environ.get("ASLEEP_API_KEY"))
        self._base_url = check_base_url(base_url or os.environ.get("ASLEEP_BASE_URL") or DEFAULT_BASE_URL)
        self.settings: Settings = check_settings(**settings)
        self._api_key = key
        self._transport = Transport(
            self._base_url, key, self.settings, {"Accept": "application/json", "User-Agent": user_agent()}
        )

    @property
    def timeout(self) -> float:
        """Seconds one attempt may take in all (``settings.timeout``)."""
        return self.settings.timeout

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The base URL requests go to (no trailing ``/``)."""
        return self._base_url

    def __repr__(self) -> str:
        return f"Client(base_url={self._base_url!r}, api_key=<set>)"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Client holds an API key and is not picklable; create one in each process")

    def close(self) -> None:
        """Close the pooled connections. The client is unusable afterwards."""
        self._transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- endpoints --------------------------------------------------------------------------
    def get_session_payload(
        self, session_id: str, *, user_id: str, timezone: str = DEFAULT_TIMEZONE
    ) -> dict[str, Any]:
        """``GET /data/v3/sessions/{session_id}``: the raw ``result`` object, for archives.

        Parameters
        ----------
        session_id
            The session id.
        user_id
            Its owner (sent as ``x-user-id``).
        timezone
            IANA name of the zone the times are expressed in.

        Returns
        -------
        dict
            The ``result`` object as sent (not validated beyond the envelope
            and the identity checks).

        Raises
        ------
        InvalidIdentifier, InvalidTimezone
            Before any request, on an id not in the contract's format or an
            unknown zone name.
        IdentityMismatch
            When the answer is about another session or in another zone.
        SessionNotFound, InvalidSessionId, InvalidUserId, Unauthorized, ...
            See the module docs.

        Examples
        --------
        >>> user = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"
        >>> payload = client.get_session_payload("20250115025029_fvivn", user_id=user)
        >>> payload["session"]["state"]
        'COMPLETE'
        """
        return self._session_payload(session_id, user_id, timezone)[1]

    def get_session(self, session_id: str, *, user_id: str, timezone: str = "UTC") -> SessionResult:
        """``GET /data/v3/sessions/{session_id}`` as a :class:`~asleep_nb.api.records.SessionResult`.

        Same parameters and errors as :meth:`get_session_payload`; the record's
        ``user_id`` is set to ``user_id``. A payload that breaks the contract
        raises :class:`~asleep_nb.errors.PayloadError`.

        Examples
        --------
        >>> result = client.get_session("20250115025029_fvivn",
        ...                             user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
        >>> result.session.start_time.isoformat(), result.user_id
        ('2025-01-15T02:50:29+00:00', 'G-20250115025029-vLErWBfQNtnfvgDccFOQ')
        """
        path, result = self._session_payload(session_id, user_id, timezone)
        return parsed(partial(SessionResult.from_payload, user_id=user_id), result, path)

    def list_sessions(
        self,
        user_id: str,
        *,
        date_gte: date | str | None = None,
        date_lte: date | str | None = None,
        order_by: Literal["ASC", "DESC"] = "DESC",
        timezone: str = "UTC",
    ) -> list[SessionSummary]:
        """``GET /data/v1/sessions``: every session of a user, all pages.

        Pages of ``limit=100`` are requested until one comes back shorter.

        Parameters
        ----------
        user_id
            The user (sent as ``x-user-id``).
        date_gte, date_lte
            Inclusive bounds on the session's start date in ``timezone``
            (``datetime.date`` or ``"YYYY-MM-DD"``).
        order_by
            ``"ASC"`` or ``"DESC"`` (by start time).
        timezone
            IANA name of the zone for times and date bounds.

        Returns
        -------
        list of SessionSummary

        Raises
        ------
        InvalidIdentifier, InvalidTimezone, ValueError, TypeError
            Before any request, on a bad id, zone, date or ``order_by``.
        IdentityMismatch
            When a page is in another zone than asked.
        PayloadError
            When a page is malformed, or the server repeats a page, or
            sends more than :data:`MAX_PAGES` full pages.

        Examples
        --------
        >>> items = client.list_sessions("G-20250115025029-vLErWBfQNtnfvgDccFOQ",
        ...                              date_gte="2025-01-01", order_by="ASC")
        >>> items[0].session_id
        '20250115025029_fvivn'
        """
        self._user(user_id)
        validate_timezone(timezone)
        if order_by not in ("ASC", "DESC"):
            raise ValueError(f"order_by must be 'ASC' or 'DESC', got {order_by!r}")
        params: dict[str, Any] = {"order_by": order_by, "limit": PAGE_SIZE}
        params.update(date_range(("date_gte", date_gte), ("date_lte", date_lte)))
        path = "/data/v1/sessions"
        label = f"GET {path}"
        headers = {USER_ID_HEADER: user_id, TIMEZONE_HEADER: timezone}
        summaries: list[SessionSummary] = []
        previous_first: object = None
        for page in range(MAX_PAGES):
            offset = page * PAGE_SIZE
            result = self._get(
                path, headers=headers, params={**params, "offset": offset}, not_found=errors.UserNotFound
            )
            check_field(result, "timezone", timezone, request=label)
            items = session_list_page(result, offset, previous_first, label)
            for i, item in enumerate(items):
                where = f"sleep_session_list[{offset + i}]"
                summaries.append(parsed(partial(SessionSummary.from_payload, path=where), item, path))
            if len(items) < PAGE_SIZE:
                return summaries
            previous_first = items[0]
        raise errors.PayloadError(
            "sleep_session_list", f"still full after {MAX_PAGES} pages: paging stopped", request=label
        )

    def get_user(self, user_id: str) -> User:
        """``GET /ai/v1/users/{user_id}`` as a :class:`~asleep_nb.api.records.User`.

        Raises
        ------
        InvalidIdentifier
            Before any request, on an id not in the contract's format.
        IdentityMismatch
            When the answer is about another user.
        UserNotFound
            404 ``user does not exist``.

        Examples
        --------
        >>> client.get_user("G-20250115025029-vLErWBfQNtnfvgDccFOQ").to_be_deleted
        False
        """
        path = f"/ai/v1/users/{self._user(user_id)}"
        result = self._get(path, not_found=errors.UserNotFound)
        check_field(result, "user_id", user_id, request=f"GET {path}")
        return parsed(User.from_payload, result, path)

    def get_average_stats(
        self,
        user_id: str,
        start_date: date | str,
        end_date: date | str,
        *,
        timezone: str = "UTC",
    ) -> AverageStats:
        """``GET /data/v1/users/{user_id}/average-stats`` as :class:`~asleep_nb.api.records.AverageStats`.

        Parameters
        ----------
        user_id
            The user.
        start_date, end_date
            Inclusive period (``datetime.date`` or ``"YYYY-MM-DD"``), at most
            100 days apart.
        timezone
            IANA name of the zone for the dates and clock-time averages.

        Raises
        ------
        ValueError, TypeError
            Before any request, on bad dates or a period over 100 days.
        UserNotFound
            When the user does not exist.

        Examples
        --------
        >>> avg = client.get_average_stats("G-20250115025029-vLErWBfQNtnfvgDccFOQ",
        ...                                "2025-01-01", "2025-01-31")
        >>> avg.average_stats["time_in_sleep"]
        1080
        """
        path = f"/data/v1/users/{self._user(user_id)}/average-stats"
        validate_timezone(timezone)
        period = date_range(("start_date", start_date), ("end_date", end_date))
        start, end = period["start_date"], period["end_date"]
        span = (date.fromisoformat(end) - date.fromisoformat(start)).days
        if span > MAX_PERIOD_DAYS:
            raise ValueError(
                f"the period {start}..{end} is {span} days; the API allows at most {MAX_PERIOD_DAYS}"
            )
        headers = {TIMEZONE_HEADER: timezone}
        result = self._get(path, headers=headers, params=period, not_found=errors.UserNotFound)
        if "timezone" in result:  # the contract does not promise it; when sent, it must be the zone asked
            check_field(result, "timezone", timezone, request=f"GET {path}")
        return parsed(AverageStats.from_payload, result, path)

    # -- plumbing ---------------------------------------------------------------------------
    def _session_payload(self, session_id: str, user_id: str, timezone: str) -> tuple[str, dict[str, Any]]:
        """``(path, result)`` of Get Session, checked to be about ``session_id`` in ``timezone``."""
        lenient = self.settings.id_check == "lenient"
        path = f"/data/v3/sessions/{check_session_id(session_id, lenient=lenient)}"
        self._user(user_id)
        validate_timezone(timezone)
        headers = {USER_ID_HEADER: user_id, TIMEZONE_HEADER: timezone}
        result = self._get(path, headers=headers, not_found=errors.SessionNotFound)
        try:
            check_session_result(result, session_id, timezone, request=f"GET {path}")
        except errors.PayloadError as exc:
            raise errors.PayloadError(exc.field, exc.reason, status_code=200, request=exc.request) from None
        return path, result

    def _user(self, user_id: str) -> str:
        """``user_id``, checked as ``settings.id_check`` says."""
        return check_user_id(user_id, lenient=self.settings.id_check == "lenient")

    def _get(
        self,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        not_found: type[errors.AsleepAPIError],
    ) -> dict[str, Any]:
        """GET ``path``; return the envelope's ``result`` or raise the mapped exception."""
        return self._transport.get(path, headers=headers, params=params, not_found=not_found)
