"""Is this answer about what was asked? Session id, user id and zone of every answer, checked.

A server (or a proxy, or a cache in between) that answers for session B when
session A was asked for, or in ``Asia/Seoul`` when ``UTC`` was asked for,
must not get its answer used, returned or archived under A's name. The
client checks every answer with these functions before returning it; the
archive checks every payload before writing it and every file before
trusting it.

Examples
--------
>>> from asleep_nb.api.identity import check_session_result
>>> result = {"timezone": "UTC", "session": {"id": "20250115025029_fvivn"}}
>>> check_session_result(result, "20250115025029_fvivn", "UTC")
>>> check_session_result(result, "20250115025029_fvivn", "Asia/Seoul")
Traceback (most recent call last):
...
asleep_nb.errors.IdentityMismatch: HTTP 200: asked for timezone 'Asia/Seoul', the answer is about 'UTC'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from asleep_nb.errors import IdentityMismatch, PayloadError

__all__ = ["session_identity", "check_session_result", "check_field"]


def session_identity(result: Mapping[str, Any], *, request: str | None = None) -> tuple[str, str]:
    """``(session.id, timezone)`` of a Get Session ``result``.

    Raises
    ------
    PayloadError
        When either is missing or not a string.

    Examples
    --------
    >>> session_identity({"timezone": "UTC", "session": {"id": "20250115025029_fvivn"}})
    ('20250115025029_fvivn', 'UTC')
    """
    session = result.get("session") if isinstance(result, Mapping) else None
    session_id = session.get("id") if isinstance(session, Mapping) else None
    if not isinstance(session_id, str):
        raise PayloadError("session.id", "missing or not a string", request=request)
    return session_id, _text(result, "timezone", request)


def check_session_result(
    result: Mapping[str, Any], session_id: str, timezone: str, *, request: str | None = None
) -> None:
    """Raise unless a Get Session ``result`` is about ``session_id`` in ``timezone``.

    Raises
    ------
    IdentityMismatch
        Naming the field and both values.
    PayloadError
        When ``session.id`` or ``timezone`` is missing.
    """
    got_id, got_zone = session_identity(result, request=request)
    if got_id != session_id:
        raise IdentityMismatch.of("session.id", session_id, got_id, request=request)
    if got_zone != timezone:
        raise IdentityMismatch.of("timezone", timezone, got_zone, request=request)


def check_field(result: Mapping[str, Any], field: str, expected: str, *, request: str | None = None) -> None:
    """Raise unless the top-level string ``field`` of ``result`` is ``expected``.

    Examples
    --------
    >>> check_field({"user_id": "G-1"}, "user_id", "G-2")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.IdentityMismatch: HTTP 200: asked for user_id 'G-2', the answer is about 'G-1'
    """
    got = _text(result, field, request)
    if got != expected:
        raise IdentityMismatch.of(field, expected, got, request=request)


def _text(result: Mapping[str, Any], field: str, request: str | None) -> str:
    value = result.get(field) if isinstance(result, Mapping) else None
    if not isinstance(value, str):
        raise PayloadError(field, "missing or not a string", request=request)
    return value
