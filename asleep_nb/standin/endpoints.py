"""The stand-in's request handling, independent of sockets: :class:`StandinAPI`.

The order of checks on a request: the route (unknown path: 404
``Not Found``), the method (not GET: 405), the key (401 ``Unauthorized``), the
``x-user-id`` header (400), the ``timezone`` header (400), the session id
format (400), query values (400), then the lookup (404).

Examples
--------
>>> from pathlib import Path
>>> from asleep_nb.standin.endpoints import StandinAPI
>>> from asleep_nb.standin.store import StandinStore
>>> api = StandinAPI(StandinStore(data_dir=Path(".")), api_key="k")
>>> api.handle("GET", "/data/v1/sessions", "", {"x-api-key": "k", "x-user-id": "nobody"}).status
400
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from email.message import Message
from typing import Any
from urllib.parse import parse_qs, unquote

from asleep_nb.definitions.contract import DATE_PATTERN
from asleep_nb.definitions.identifiers import is_session_id, is_user_id
from asleep_nb.errors import InvalidTimezone
from asleep_nb.standin.averages import average_stats
from asleep_nb.standin.convert import dumps, session_result_in_zone, user_in_zone
from asleep_nb.standin.release import ReleaseSchedule
from asleep_nb.standin.responses import (
    BAD_SESSION_ID,
    BAD_TIMEZONE,
    BAD_USER_ID,
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_PERIOD_DAYS,
    NO_SESSION,
    NO_USER,
    PERIOD_TOO_LONG,
    UNAUTHORIZED,
    RequestError,
    Response,
)
from asleep_nb.standin.store import StandinStore, StoredSession
from asleep_nb.timezones import validate_timezone

__all__ = ["StandinAPI"]

_INT_RE = re.compile(r"-?[0-9]{1,9}")


def _parse_date(query: Mapping[str, str], name: str) -> date | None:
    """The ``YYYY-MM-DD`` query value ``name``, ``None`` when absent or empty."""
    text = query.get(name)
    if not text:
        return None
    if not DATE_PATTERN.fullmatch(text):
        raise RequestError(400, f"{name} must be a date YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RequestError(400, f"{name} must be a date YYYY-MM-DD, got {text!r}") from None


def _required_date(query: Mapping[str, str], name: str) -> date:
    value = _parse_date(query, name)
    if value is None:
        raise RequestError(400, f"{name} is required, as a date YYYY-MM-DD")
    return value


def _parse_int(query: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    """The integer query value ``name`` within ``[low, high]``, ``default`` when absent."""
    text = query.get(name)
    if text is None:
        return default
    value = int(text) if _INT_RE.fullmatch(text) else None
    if value is None or value < low or (high is not None and value > high):
        bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise RequestError(400, f"{name} must be an integer {bound}, got {text!r}")
    return value


class StandinAPI:
    """The stand-in's request handling, independent of sockets.

    Parameters
    ----------
    index
        The loaded data folder.
    api_key
        The key every request must carry in ``x-api-key``.
    today
        Release the nights day by day: serve the study as it stood on the
        morning of this date (see :mod:`asleep_nb.standin.release`); ``None``
        (default) serves every stored session as stored. Settable later
        (``api.today = ...``, :meth:`advance`).
    schedule
        How each session is released when ``today`` is set; default
        :meth:`ReleaseSchedule.demo <asleep_nb.standin.release.ReleaseSchedule.demo>`.

    Examples
    --------
    >>> from pathlib import Path
    >>> api = StandinAPI(StandinStore(data_dir=Path(".")), api_key="k")
    >>> api.handle("GET", "/data/v1/sessions", "", {}).status
    401
    """

    _CACHE_SIZE = 8192

    def __init__(
        self,
        index: StandinStore,
        api_key: str,
        *,
        today: date | None = None,
        schedule: ReleaseSchedule | None = None,
    ) -> None:
        self.index = index
        self._api_key = api_key.encode()
        self._cache: dict[tuple[str, str, str], bytes] = {}
        self._schedule = schedule
        self._today: date | None = None
        self.today = today

    def __repr__(self) -> str:
        shown = f", today={self._today.isoformat()}" if self._today is not None else ""
        return f"StandinAPI({self.index!r}{shown})"

    # -- release day by day -------------------------------------------------------------------
    @property
    def today(self) -> date | None:
        """The morning the study is served as of (``None``: every session as stored).

        Examples
        --------
        >>> from pathlib import Path
        >>> api = StandinAPI(StandinStore(data_dir=Path(".")), api_key="k", today=date(2025, 3, 1))
        >>> api.advance(2)
        datetime.date(2025, 3, 3)
        """
        return self._today

    @today.setter
    def today(self, value: date | None) -> None:
        if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
            raise TypeError(f"today must be a datetime.date or None, got {value!r}")
        if value is not None and self._schedule is None:
            self._schedule = ReleaseSchedule.demo(self.index)
        self._today = value

    def advance(self, days: int = 1) -> date:
        """Move ``today`` on by ``days`` (the next morning by default); return the new date."""
        if self._today is None:
            raise ValueError("today is not set: the stand-in serves every session as stored")
        self.today = self._today + timedelta(days=days)
        return self._today

    def _served(self, stored: StoredSession | None) -> StoredSession | None:
        if stored is None or self._today is None or self._schedule is None:
            return stored
        return self._schedule.served(stored, self._today)

    def _sessions_of(self, user_id: str) -> list[StoredSession]:
        """The user's sessions as served today, sorted by start."""
        sessions = self.index.by_user.get(user_id, [])
        if self._today is None:
            return sessions
        return [s for s in map(self._served, sessions) if s is not None]

    # -- dispatch -----------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str] | Message) -> Response:
        """Answer one request.

        Parameters
        ----------
        method
            The HTTP method.
        path
            The URL path, without the query string.
        query
            The raw query string (may be empty).
        headers
            The request headers (case-insensitive lookup is done here).

        Returns
        -------
        Response
        """
        route = self._route(unquote(path))
        if route is None:
            return Response.error(404, "Not Found")
        if method != "GET":
            return Response.error(405, "Method Not Allowed", (("Allow", "GET"),))
        lowered = {k.lower(): v for k, v in headers.items()}
        key = lowered.get("x-api-key", "").encode()
        if not key or not hmac.compare_digest(key, self._api_key):
            return Response.error(401, UNAUTHORIZED)
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        handler, args = route
        try:
            return handler(lowered, params, *args)
        except RequestError as exc:
            return exc.response

    def _route(self, path: str) -> tuple[Callable[..., Response], tuple[str, ...]] | None:
        parts = path.split("/")
        if len(parts) == 5 and parts[1:4] == ["data", "v3", "sessions"] and parts[4]:
            return self.get_session, (parts[4],)
        if path == "/data/v1/sessions":
            return self.list_sessions, ()
        if len(parts) == 5 and parts[1:4] == ["ai", "v1", "users"] and parts[4]:
            return self.get_user, (parts[4],)
        if len(parts) == 6 and parts[1:4] == ["data", "v1", "users"] and parts[5] == "average-stats":
            return self.average_stats, (parts[4],)
        return None

    # -- header checks ------------------------------------------------------------------------
    @staticmethod
    def _user_header(headers: Mapping[str, str]) -> str:
        user_id = headers.get("x-user-id")
        if not is_user_id(user_id):
            raise RequestError(400, BAD_USER_ID)
        return str(user_id)

    @staticmethod
    def _timezone(headers: Mapping[str, str]) -> str:
        name = headers.get("timezone", "UTC")
        try:
            validate_timezone(name)
        except InvalidTimezone:
            raise RequestError(400, BAD_TIMEZONE) from None
        return name

    # -- endpoints ----------------------------------------------------------------------------
    def get_session(self, headers: Mapping[str, str], query: Mapping[str, str], session_id: str) -> Response:
        """``GET /data/v3/sessions/{session_id}``: one session, times in the requested zone."""
        user_id = self._user_header(headers)
        zone_name = self._timezone(headers)
        if not is_session_id(session_id):
            return Response.error(400, BAD_SESSION_ID.format(session_id))
        stored = self._served(self.index.sessions.get(session_id))
        if stored is None or stored.user_id != user_id:
            return Response.error(404, NO_SESSION.format(session_id))
        if zone_name == "UTC":
            return Response(200, stored.utc_body)
        key = (
            session_id,
            f"{stored.brief.get('state')}/{stored.brief['epochs']}",
            zone_name,
        )  # a variant too
        body = self._cache.get(key)
        if body is None:
            result = session_result_in_zone(stored.result, zone_name)
            body = dumps({"detail": "OK", "result": result})
            if len(self._cache) >= self._CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = body
        return Response(200, body)

    def list_sessions(self, headers: Mapping[str, str], query: Mapping[str, str]) -> Response:
        """``GET /data/v1/sessions``: a user's sessions, filtered on the local start date, paged.

        Query values: ``date_gte``/``date_lte`` (``YYYY-MM-DD``, inclusive, compared
        with the start date in the requested zone), ``order_by`` (``ASC``/``DESC``,
        default ``DESC``), ``offset`` (>= 0, default 0), ``limit`` (0..100, default
        20, as the contract says; ``limit=0`` returns an empty page, which is "short" only for a
        positive limit, so clients page with a positive limit).
        """
        user_id = self._user_header(headers)
        zone_name = self._timezone(headers)
        date_gte = _parse_date(query, "date_gte")
        date_lte = _parse_date(query, "date_lte")
        order_by = query.get("order_by", "DESC")
        if order_by.upper() not in ("ASC", "DESC"):
            raise RequestError(400, f"order_by must be ASC or DESC, got {order_by!r}")
        offset = _parse_int(query, "offset", 0, 0, None)
        limit = _parse_int(query, "limit", DEFAULT_LIMIT, 0, MAX_LIMIT)
        zone = validate_timezone(zone_name)
        sessions = self._sessions_of(user_id)
        if date_gte is not None or date_lte is not None:
            low, high = date_gte or date.min, date_lte or date.max
            sessions = [s for s in sessions if low <= s.local_start_date(zone) <= high]
        if order_by.upper() == "DESC":
            sessions = sessions[::-1]
        page = [s.summary(zone_name) for s in sessions[offset : offset + limit]]
        return Response.ok({"timezone": zone_name, "sleep_session_list": page})

    def _known_user(self, user_id: str) -> bool:
        return user_id in self.index.users or user_id in self.index.by_user

    def get_user(self, headers: Mapping[str, str], query: Mapping[str, str], user_id: str) -> Response:
        """``GET /ai/v1/users/{user_id}``: the stored user, ``last_session_info`` times in the zone."""
        zone_name = self._timezone(headers)
        user = self.index.users.get(user_id)
        if user is None:
            return Response.error(404, NO_USER)
        if self._today is not None and user.get("last_session_info") is not None:
            # released day by day: the last session uploaded so far, as it is served today
            visible = self._sessions_of(user_id)
            info = None
            if visible:
                brief = visible[-1].brief
                info = {
                    "session_id": visible[-1].id,
                    **{k: brief.get(k) for k in ("state", "start_time", "end_time")},
                }
            user = {**user, "last_session_info": info}
        return Response.ok(user_in_zone(user, zone_name), detail="success")

    def average_stats(self, headers: Mapping[str, str], query: Mapping[str, str], user_id: str) -> Response:
        """``GET /data/v1/users/{user_id}/average-stats``: means over the slept sessions of a period.

        Sessions count when their start date in the requested zone lies in
        ``[start_date, end_date]`` and they carry a ``stat``. Those with
        ``NEVER_SLEPT`` are listed in ``never_slept_sessions``; the others in
        ``slept_sessions`` and averaged: clock times (``start_time``,
        ``end_time``, ``sleep_time``, ``wake_time``) by circular mean as
        ``hh:mm:ss`` in the requested zone, durations as whole seconds,
        ratios, counts and indexes with three decimals, ``null`` when no
        session has a value.
        """
        zone_name = self._timezone(headers)
        start_date = _required_date(query, "start_date")
        end_date = _required_date(query, "end_date")
        if end_date < start_date:
            raise RequestError(400, "end_date must not be before start_date")
        if end_date - start_date > timedelta(days=MAX_PERIOD_DAYS):
            raise RequestError(400, PERIOD_TOO_LONG)
        if not self._known_user(user_id):
            return Response.error(404, NO_USER)
        zone = validate_timezone(zone_name)
        chosen = [
            s
            for s in self._sessions_of(user_id)
            if start_date <= s.local_start_date(zone) <= end_date and s.brief["has_stat"]
        ]
        slept: list[dict[str, Any]] = []
        never_slept: list[dict[str, Any]] = []
        for stored in chosen:
            result = session_result_in_zone(stored.result, zone_name)
            session = result["session"]
            entry = {
                "id": stored.id,
                "state": session.get("state"),
                "created_timezone": session.get("created_timezone"),
                "start_time": session["start_time"],
                "end_time": session.get("end_time"),
                "unexpected_end_time": session.get("unexpected_end_time"),
            }
            if "NEVER_SLEPT" in (result.get("peculiarities") or []):
                never_slept.append(entry)
            else:
                slept.append({**entry, **result["stat"]})
        result = {
            "timezone": zone_name,
            "period": {"start_date": start_date.isoformat(), "end_date": end_date.isoformat()},
            "peculiarities": [],
            "average_stats": average_stats(slept, zone),
            "never_slept_sessions": never_slept,
            "slept_sessions": slept,
        }
        return Response.ok(result)
