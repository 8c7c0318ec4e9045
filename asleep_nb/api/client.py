"""The Asleep API client: one ``requests.Session``, retries, errors as exceptions.

:class:`Client` speaks the four read endpoints of the contract (Get Session,
List Sessions, Get User, Average Stats) and returns typed records from
:mod:`asleep_nb.api.records`.

Retries
-------
A ``urllib3`` :class:`~urllib3.util.Retry` policy is mounted on the session.
It retries GET requests on connection errors, read errors and timeouts, and
on HTTP 429 and every 5xx status, with exponential backoff
(``backoff_factor * 2 ** (n - 1)`` seconds before the n-th retry, the first
retry immediate, at most 120 s) plus random jitter of up to
``backoff_factor`` seconds, honouring a ``Retry-After`` header when the
server sends one.

The API signals rate limiting with **403** ``Rate limit exceeded``, which
shares its status with ``Quota exceeded`` and ``Plan is expired`` (not worth
retrying). ``urllib3`` decides on the status alone, so that one case is
handled by a small loop in :meth:`Client._get`: a 403 whose ``detail`` says
"rate limit" is retried up to ``max_retries`` times with the same backoff
(or its ``Retry-After``). Other 400/401/403/404 answers are never retried.

Errors
------
==========================================  ==============================
Answer                                      Exception (``asleep_nb.errors``)
==========================================  ==============================
400 ``The invalid timezone is provided``    :class:`TimezoneRejected`
400 ``The format of x-user-id is invalid``  :class:`InvalidUserId`
400 ``The format of sleep session id ...``  :class:`InvalidSessionId`
400 with another text                       :class:`AsleepAPIError`
401                                         :class:`Unauthorized`
403 ``Rate limit exceeded``, after retries  :class:`RateLimited`
403 ``Quota exceeded``                      :class:`QuotaExceeded`
403 ``Plan is expired``                     :class:`PlanExpired`
403 with another text (gateway: bad key)    :class:`Unauthorized`
404 on a session endpoint                   :class:`SessionNotFound`
404 on a user endpoint, or ``user does      :class:`UserNotFound`
not exist``
429 (after retries)                         :class:`RateLimited`
5xx (after retries), 3xx, other statuses    :class:`ServerError`
no response (after retries)                 :class:`TransportError`
non-JSON body, bad envelope, bad payload    :class:`PayloadError`
==========================================  ==============================

Every exception carries ``status_code``, the server's ``detail`` and
``request`` (``"GET /data/v3/sessions/<id>"``), never headers, so never the
API key. Identifiers are checked (:func:`asleep_nb.api.ids.check_path_id`) and
time-zone names validated before any request. Redirects are not followed
(the key travels in a custom header that ``requests`` would not strip).

Logging goes to the ``asleep_nb.api.client`` logger: method, path and status.

Examples
--------
>>> from asleep_nb.api.client import Client
>>> with Client(api_key="...", base_url="http://127.0.0.1:8000") as client:  # doctest: +SKIP
...     result = client.get_session("20250115025029_fvivn",
...                                 user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")
>>> result.stat.time_in_sleep  # doctest: +SKIP
1080
"""

from __future__ import annotations

import dataclasses
import logging
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from datetime import date, datetime
from functools import partial
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from asleep_nb import errors
from asleep_nb.api.ids import check_path_id
from asleep_nb.api.records import AverageStats, SessionResult, SessionSummary, User
from asleep_nb.timezones import validate_timezone

__all__ = ["Client", "DEFAULT_BASE_URL", "PAGE_SIZE", "MAX_PERIOD_DAYS"]

logger = logging.getLogger("asleep_nb.api.client")

#: Base URL used when neither ``base_url=`` nor ``$ASLEEP_BASE_URL`` is given.
DEFAULT_BASE_URL = "https://api.asleep.ai"
#: ``limit`` of each List Sessions page (the API's maximum).
PAGE_SIZE = 100
#: Longest Average Stats period, in days from ``start_date`` to ``end_date``.
MAX_PERIOD_DAYS = 100
#: Cap on any single wait between retries, in seconds.
BACKOFF_MAX = 120.0
#: Statuses retried by the mounted policy.
RETRY_STATUSES = frozenset({429, *range(500, 600)})

_NO_KEY = "No API key: pass api_key= or set ASLEEP_API_KEY (or use asleep_nb.connect() for the demo)"
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

Result = TypeVar("Result")


class Client:
    """A client of the Asleep API.

    Parameters
    ----------
    api_key
        The key sent as ``x-api-key``; default ``$ASLEEP_API_KEY``.
    base_url
        Default ``$ASLEEP_BASE_URL``, else ``https://api.asleep.ai``.
    timeout
        Seconds to wait for the connection and for each read.
    max_retries
        Retries after the first attempt (see the module docs); 0 for none.
    backoff_factor
        Seconds; the wait before the n-th retry is ``backoff_factor * 2 **
        (n - 1)`` (first retry immediate) plus up to ``backoff_factor`` of
        jitter.

    Raises
    ------
    Unauthorized
        When no key is given or set, or the key holds whitespace or control
        characters or non-ASCII (the key itself is never echoed).
    ValueError
        On a malformed ``base_url`` or a negative setting.

    Examples
    --------
    >>> client = Client(api_key="secret", base_url="http://127.0.0.1:8000")
    >>> client
    Client(base_url='http://127.0.0.1:8000', api_key=<set>)
    >>> "secret" in repr(client) + str(client)
    False
    >>> client.close()
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_factor: float = 0.5,
    ) -> None:
        key = api_key if api_key is not None else os.environ.get("ASLEEP_API_KEY")
        if not key:
            raise errors.Unauthorized(None, _NO_KEY)
        if not isinstance(key, str) or not key.isascii() or not key.isprintable() or " " in key:
            raise errors.Unauthorized(
                None, "the API key must be a string of printable ASCII characters without spaces"
            )
        self._base_url = _check_base_url(base_url or os.environ.get("ASLEEP_BASE_URL") or DEFAULT_BASE_URL)
        if not isinstance(timeout, int | float) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if not isinstance(max_retries, int) or isinstance(max_retries, bool) or max_retries < 0:
            raise ValueError(f"max_retries must be a non-negative integer, got {max_retries!r}")
        if not isinstance(backoff_factor, int | float) or not backoff_factor >= 0:
            raise ValueError(f"backoff_factor must be a non-negative number, got {backoff_factor!r}")
        self.timeout = float(timeout)
        self.max_retries = max_retries
        self.backoff_factor = float(backoff_factor)
        self._api_key = key
        self._session = requests.Session()
        self._session.headers.update(
            {"x-api-key": key, "Accept": "application/json", "User-Agent": _user_agent()}
        )
        adapter = HTTPAdapter(
            max_retries=retry_policy(max_retries, backoff_factor), pool_connections=4, pool_maxsize=32
        )
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    # -- lifecycle --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The base URL requests go to (no trailing ``/``)."""
        return self._base_url

    def __repr__(self) -> str:
        return f"Client(base_url={self._base_url!r}, api_key=<set>)"

    def __reduce__(self) -> Any:
        raise TypeError("a Client holds an API key and is not picklable; create one in each process")

    def close(self) -> None:
        """Close the pooled connections. The client is unusable afterwards."""
        self._session.close()

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
    def get_session_payload(self, session_id: str, *, user_id: str, timezone: str = "UTC") -> dict[str, Any]:
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
            The ``result`` object as sent (not validated beyond the envelope).

        Raises
        ------
        InvalidIdentifier, InvalidTimezone
            Before any request, on an unsafe id or an unknown zone name.
        SessionNotFound, InvalidSessionId, InvalidUserId, Unauthorized, ...
            See the module docs.

        Examples
        --------
        >>> user = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"
        >>> payload = client.get_session_payload("20250115025029_fvivn", user_id=user)  # doctest: +SKIP
        >>> payload["session"]["state"]  # doctest: +SKIP
        'COMPLETE'
        """
        path, headers = self._session_request(session_id, user_id, timezone)
        return self._get(path, headers=headers, not_found=errors.SessionNotFound)

    def get_session(self, session_id: str, *, user_id: str, timezone: str = "UTC") -> SessionResult:
        """``GET /data/v3/sessions/{session_id}`` as a :class:`~asleep_nb.api.records.SessionResult`.

        Same parameters and errors as :meth:`get_session_payload`; the record's
        ``user_id`` is set to ``user_id``. A payload that breaks the contract
        raises :class:`~asleep_nb.errors.PayloadError`.

        Examples
        --------
        >>> result = client.get_session("20250115025029_fvivn",
        ...                             user_id="G-20250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +SKIP
        >>> result.session.start_time.isoformat(), result.user_id  # doctest: +SKIP
        ('2025-01-15T02:50:29+00:00', 'G-20250115025029-vLErWBfQNtnfvgDccFOQ')
        """
        path, headers = self._session_request(session_id, user_id, timezone)
        result = self._get(path, headers=headers, not_found=errors.SessionNotFound)
        record = _parsed(SessionResult.from_payload, result, path)
        return dataclasses.replace(record, user_id=user_id)

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
        ValueError, TypeError
            Before any request, on a bad date or ``order_by``.
        PayloadError
            When a page is malformed, or the server repeats a page.

        Examples
        --------
        >>> items = client.list_sessions("G-20250115025029-vLErWBfQNtnfvgDccFOQ",
        ...                              date_gte="2025-01-01", order_by="ASC")  # doctest: +SKIP
        >>> items[0].session_id  # doctest: +SKIP
        '20250115025029_fvivn'
        """
        check_path_id(user_id, "user id")
        validate_timezone(timezone)
        if order_by not in ("ASC", "DESC"):
            raise ValueError(f"order_by must be 'ASC' or 'DESC', got {order_by!r}")
        params: dict[str, Any] = {"order_by": order_by, "limit": PAGE_SIZE}
        for name, value in (("date_gte", date_gte), ("date_lte", date_lte)):
            if value is not None:
                params[name] = _date_param(value, name)
        if "date_gte" in params and "date_lte" in params and params["date_lte"] < params["date_gte"]:
            raise ValueError(f"date_lte {params['date_lte']} is before date_gte {params['date_gte']}")
        path = "/data/v1/sessions"
        headers = {"x-user-id": user_id, "timezone": timezone}
        summaries: list[SessionSummary] = []
        previous_first: object = None
        offset = 0
        while True:
            result = self._get(
                path, headers=headers, params={**params, "offset": offset}, not_found=errors.UserNotFound
            )
            items = result.get("sleep_session_list")
            if not isinstance(items, list):
                raise errors.PayloadError(
                    "sleep_session_list",
                    f"expected an array, got {type(items).__name__}",
                    request=f"GET {path}",
                )
            if items and offset and items[0] == previous_first:
                raise errors.PayloadError(
                    "sleep_session_list",
                    f"the page at offset {offset} repeats the previous page (offset ignored?)",
                    request=f"GET {path}",
                )
            for i, item in enumerate(items):
                where = f"sleep_session_list[{offset + i}]"
                summaries.append(_parsed(partial(SessionSummary.from_payload, path=where), item, path))
            if len(items) < PAGE_SIZE:
                return summaries
            previous_first = items[0]
            offset += PAGE_SIZE

    def get_user(self, user_id: str) -> User:
        """``GET /ai/v1/users/{user_id}`` as a :class:`~asleep_nb.api.records.User`.

        Raises
        ------
        InvalidIdentifier
            Before any request, on an unsafe id.
        UserNotFound
            404 ``user does not exist``.

        Examples
        --------
        >>> client.get_user("G-20250115025029-vLErWBfQNtnfvgDccFOQ").to_be_deleted  # doctest: +SKIP
        False
        """
        path = f"/ai/v1/users/{_segment(user_id, 'user id')}"
        result = self._get(path, not_found=errors.UserNotFound)
        return _parsed(User.from_payload, result, path)

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
        ...                                "2025-01-01", "2025-01-31")  # doctest: +SKIP
        >>> avg.average_stats["time_in_sleep"]  # doctest: +SKIP
        1080
        """
        path = f"/data/v1/users/{_segment(user_id, 'user id')}/average-stats"
        validate_timezone(timezone)
        start = _date_param(start_date, "start_date")
        end = _date_param(end_date, "end_date")
        span = (date.fromisoformat(end) - date.fromisoformat(start)).days
        if span < 0:
            raise ValueError(f"end_date {end} is before start_date {start}")
        if span > MAX_PERIOD_DAYS:
            raise ValueError(
                f"the period {start}..{end} is {span} days; the API allows at most {MAX_PERIOD_DAYS}"
            )
        result = self._get(
            path,
            headers={"timezone": timezone},
            params={"start_date": start, "end_date": end},
            not_found=errors.UserNotFound,
        )
        return _parsed(AverageStats.from_payload, result, path)

    # -- plumbing ---------------------------------------------------------------------------
    def _session_request(self, session_id: str, user_id: str, timezone: str) -> tuple[str, dict[str, str]]:
        path = f"/data/v3/sessions/{_segment(session_id, 'session id')}"
        check_path_id(user_id, "user id")
        validate_timezone(timezone)
        return path, {"x-user-id": user_id, "timezone": timezone}

    def _get(
        self,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        not_found: type[errors.AsleepAPIError],
    ) -> dict[str, Any]:
        """GET ``path``; return the envelope's ``result`` or raise the mapped exception."""
        label = f"GET {path}"
        rate_limited = 0
        while True:
            try:
                response = self._session.get(
                    self._base_url + path,
                    headers=headers,
                    params=params,
                    timeout=self.timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                logger.warning("%s failed without a response: %s", label, type(exc).__name__)
                message = f"no response after {self.max_retries} retries: {_scrub(str(exc), self._api_key)}"
                raise errors.TransportError(None, message, request=label) from None
            status = response.status_code
            logger.debug("%s -> %d", label, status)
            if 200 <= status < 300:
                return _envelope_result(response, label)
            detail = _scrub(_error_detail(response), self._api_key)
            if status == 403 and "rate limit" in detail.lower() and rate_limited < self.max_retries:
                rate_limited += 1
                delay = self._rate_limit_delay(rate_limited, response)
                logger.info(
                    "%s -> 403 %s; retry %d/%d in %.2f s",
                    label,
                    detail,
                    rate_limited,
                    self.max_retries,
                    delay,
                )
                time.sleep(delay)
                continue
            raise _error_class(status, detail, not_found)(status, detail, request=label)

    def _rate_limit_delay(self, attempt: int, response: requests.Response) -> float:
        """Seconds to wait before retry ``attempt`` (1-based) after a 403 rate limit."""
        retry_after = response.headers.get("Retry-After", "").strip()
        if retry_after.isdigit():
            return min(float(retry_after), BACKOFF_MAX)
        if attempt <= 1:
            return 0.0  # like urllib3: the first retry is immediate
        backoff = self.backoff_factor * 2 ** (attempt - 1) + random.uniform(0, self.backoff_factor)
        return min(backoff, BACKOFF_MAX)


def retry_policy(max_retries: int, backoff_factor: float) -> Retry:
    """The ``urllib3`` retry policy mounted on every client session.

    Examples
    --------
    >>> policy = retry_policy(5, 0.5)
    >>> policy.total, 429 in policy.status_forcelist, 503 in policy.status_forcelist
    (5, True, True)
    >>> 403 in policy.status_forcelist  # 403 rate limits are retried by Client._get
    False
    """
    return Retry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        redirect=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_factor,
        backoff_max=BACKOFF_MAX,
        respect_retry_after_header=True,
        retry_after_max=int(BACKOFF_MAX),
        raise_on_status=False,
        raise_on_redirect=False,
    )


def _error_class(
    status: int, detail: str, not_found: type[errors.AsleepAPIError]
) -> type[errors.AsleepAPIError]:
    """The exception class for an error answer (see the table in the module docs)."""
    text = detail.lower()
    if status == 400:
        if "timezone" in text:
            return errors.TimezoneRejected
        if "x-user-id" in text or "user id" in text:
            return errors.InvalidUserId
        if "session id" in text:
            return errors.InvalidSessionId
        return errors.AsleepAPIError
    if status == 401:
        return errors.Unauthorized
    if status == 403:
        if "rate limit" in text:
            return errors.RateLimited
        if "quota" in text:
            return errors.QuotaExceeded
        if "plan" in text and "expire" in text:
            return errors.PlanExpired
        return errors.Unauthorized
    if status == 404:
        if "user" in text and "session" not in text:
            return errors.UserNotFound
        return not_found
    if status == 429:
        return errors.RateLimited
    return errors.ServerError


def _error_detail(response: requests.Response) -> str:
    """The ``detail`` of an error envelope, else a short description of the body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("detail", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if value:
                return str(value)[:300]
    text = response.text.strip()
    return text[:300] if text else (response.reason or f"HTTP {response.status_code}")


def _envelope_result(response: requests.Response, label: str) -> dict[str, Any]:
    """The ``result`` of a success envelope, or :class:`PayloadError`."""
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        content_type = response.headers.get("Content-Type", "")
        raise errors.PayloadError(
            "response", f"not JSON (Content-Type {content_type!r})", status_code=status, request=label
        ) from None
    if not isinstance(body, dict):
        raise errors.PayloadError(
            "response",
            f"expected a JSON object, got {type(body).__name__}",
            status_code=status,
            request=label,
        )
    if "result" not in body:
        raise errors.PayloadError(
            "result", "missing from the response envelope", status_code=status, request=label
        )
    result = body["result"]
    if not isinstance(result, dict):
        raise errors.PayloadError(
            "result", f"expected an object, got {type(result).__name__}", status_code=status, request=label
        )
    return result


def _parsed(parse: Callable[[Any], Result], payload: Any, path: str) -> Result:
    """Run a record parser, re-raising its :class:`PayloadError` with the request."""
    try:
        return parse(payload)
    except errors.PayloadError as exc:
        raise errors.PayloadError(exc.field, exc.reason, status_code=200, request=f"GET {path}") from None


def _segment(value: str, what: str) -> str:
    """A checked identifier, percent-encoded as one path segment."""
    return quote(check_path_id(value, what), safe="")


def _date_param(value: date | str, name: str) -> str:
    """``YYYY-MM-DD`` from a ``date`` or a string, or ``TypeError``/``ValueError``."""
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a date or 'YYYY-MM-DD', not a datetime (which day would it be?)")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a date or 'YYYY-MM-DD', not {type(value).__name__}")
    if not _DATE_RE.fullmatch(value):
        raise ValueError(f"{name} must look like 'YYYY-MM-DD', got {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not a calendar date: {value!r}") from None
    return value


def _check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL!r}, got {url!r}")
    if parts.username or parts.password:
        raise ValueError("base_url must not hold credentials; pass the key as api_key=")
    return url.rstrip("/")


def _scrub(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` masked."""
    return text.replace(secret, "<api key>") if secret and secret in text else text


def _user_agent() -> str:
    from asleep_nb.version import __version__

    return f"asleep-nb/{__version__} python-requests/{requests.__version__}"
