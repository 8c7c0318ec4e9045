r"""Reading the API's answers: the success envelope's ``result``, or the exception an error maps to.

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

Every exception carries ``status_code``, the server's ``detail`` (at most
:data:`DETAIL_MAX` characters) and ``request`` (``"GET /data/v3/sessions/<id>"``),
never headers, so never the API key: should a server echo the key, it is
masked in the whole body (:func:`scrub_bytes`) before any text is taken from
it or cut, and again in every string decoded from it (:func:`scrub_value`):
a JSON escape (``\u002d`` for ``-``) spells the key in bytes no search of
the raw body finds. A key echoed only in part, or transformed (reversed,
hashed, split across two strings), is not recognised: that is a limit.

Examples
--------
>>> from asleep_nb import errors
>>> from asleep_nb.api.responses import error_class
>>> error_class(403, "Quota exceeded", errors.SessionNotFound).__name__
'QuotaExceeded'
>>> error_class(404, "Unable to find the sleep session of id x", errors.SessionNotFound).__name__
'SessionNotFound'
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from asleep_nb import errors
from asleep_nb.api.jsonbytes import loads
from asleep_nb.definitions.contract import PLAN_EXPIRED, QUOTA_EXCEEDED, RATE_LIMIT_EXCEEDED

__all__ = [
    "DETAIL_MAX",
    "KEY_MASK",
    "MIN_SECRET_LENGTH",
    "error_class",
    "error_detail",
    "envelope_result",
    "session_list_page",
    "parsed",
    "scrub",
    "scrub_bytes",
    "scrub_value",
    "truncate",
]

Record = TypeVar("Record")


def error_class(
    status: int, detail: str, not_found: type[errors.AsleepAPIError]
) -> type[errors.AsleepAPIError]:
    """The exception class for an error answer (see the table in the module docs).

    Parameters
    ----------
    status, detail
        The answer's HTTP status and ``detail`` text.
    not_found
        The class of a 404 on this endpoint (:class:`~asleep_nb.errors.SessionNotFound`
        or :class:`~asleep_nb.errors.UserNotFound`).
    """
    text = detail.lower()
    if status == 400:
        return _bad_request(text)
    if status == 401:
        return errors.Unauthorized
    if status == 403:
        return _forbidden(text)
    if status == 404:
        if "user" in text and "session" not in text:
            return errors.UserNotFound
        return not_found
    if status == 429:
        return errors.RateLimited
    return errors.ServerError


def _bad_request(text: str) -> type[errors.AsleepAPIError]:
    if "timezone" in text:
        return errors.TimezoneRejected
    if "x-user-id" in text or "user id" in text:
        return errors.InvalidUserId
    if "session id" in text:
        return errors.InvalidSessionId
    return errors.AsleepAPIError


def _forbidden(text: str) -> type[errors.AsleepAPIError]:
    if RATE_LIMIT_EXCEEDED.lower() in text or "rate limit" in text:
        return errors.RateLimited
    if QUOTA_EXCEEDED.lower() in text or "quota" in text:
        return errors.QuotaExceeded
    if PLAN_EXPIRED.lower() in text or ("plan" in text and "expire" in text):
        return errors.PlanExpired
    return errors.Unauthorized


#: Longest ``detail`` kept from an error answer, in characters (after the key is masked).
DETAIL_MAX = 300
#: What replaces the API key wherever a server echoes it.
KEY_MASK = "<api key>"
#: Keys shorter than this are not masked in bodies: they cannot be told from ordinary text
#: (a real key is a long random string; masking ``"k"`` would corrupt every payload).
MIN_SECRET_LENGTH = 8


def error_detail(body: bytes, status: int, reason: str = "", secret: str = "") -> str:
    """The ``detail`` of an error envelope, else a short description of the body.

    ``body`` must already be scrubbed of the key (:func:`scrub_bytes`); the
    decoded text is scrubbed of ``secret`` again (an escaped echo), then cut
    to :data:`DETAIL_MAX` characters.

    Examples
    --------
    >>> error_detail(b'{"detail": "Quota exceeded"}', 403)
    'Quota exceeded'
    >>> error_detail(b"", 502, "Bad Gateway")
    'Bad Gateway'
    """
    text = ""
    try:
        parsed_body = loads(body) if body else None
    except ValueError:
        parsed_body = None
    if isinstance(parsed_body, dict):
        for key in ("detail", "message"):
            value = parsed_body.get(key)
            if value:
                text = value if isinstance(value, str) else str(value)
                break
    if not text:  # not JSON: its \uXXXX escapes are read too, so an escaped echo is found
        text = _UNICODE_ESCAPE.sub(_unescape, body.decode("utf-8", errors="replace").strip())
    text = scrub(text, secret)
    return truncate(text) if text else (reason or f"HTTP {status}")


_UNICODE_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(match: re.Match[str]) -> str:
    char = chr(int(match.group(1), 16))
    return char if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF else match.group(0)


def truncate(text: str, limit: int = DETAIL_MAX) -> str:
    """``text`` cut to ``limit`` characters (``...`` marks a cut). Scrub secrets *before* calling this.

    Examples
    --------
    >>> truncate("abcdef", 4)
    'a...'
    """
    return text if len(text) <= limit else text[: limit - 3] + "..."


def envelope_result(
    body: bytes, status: int, content_type: str, label: str, secret: str = ""
) -> dict[str, Any]:
    """The ``result`` object of a success envelope, or :class:`~asleep_nb.errors.PayloadError`.

    Every string of the result is scrubbed of ``secret`` after decoding
    (:func:`scrub_value`) when the body holds an escape.

    Parameters
    ----------
    body
        The answer's (inflated) body bytes.
    status
        Its HTTP status (2xx).
    content_type
        Its ``Content-Type``, for the error.
    label
        ``"GET /path"`` of the request, for the error.
    secret
        The API key, masked in every decoded string.
    """
    try:
        envelope = loads(body)
    except ValueError as exc:
        raise errors.PayloadError(
            "response", f"{exc} (Content-Type {content_type!r})", status_code=status, request=label
        ) from None
    if _may_hide(body, secret):  # else decoded strings are the raw bytes, already scrubbed
        envelope = scrub_value(envelope, secret)
    if not isinstance(envelope, dict):
        raise errors.PayloadError(
            "response",
            f"expected a JSON object, got {type(envelope).__name__}",
            status_code=status,
            request=label,
        )
    if "result" not in envelope:
        raise errors.PayloadError(
            "result", "missing from the response envelope", status_code=status, request=label
        )
    result = envelope["result"]
    if not isinstance(result, dict):
        raise errors.PayloadError(
            "result", f"expected an object, got {type(result).__name__}", status_code=status, request=label
        )
    return result


def session_list_page(result: dict[str, Any], offset: int, previous_first: object, label: str) -> list[Any]:
    """The ``sleep_session_list`` of a List Sessions page, checked as an array that is not a repeat.

    Parameters
    ----------
    result
        The page's ``result`` object.
    offset
        The page's offset.
    previous_first
        The first item of the previous page (a server that ignores ``offset``
        sends the same page again: paging would never end).
    label
        ``"GET /path"`` of the request, for the error.
    """
    items = result.get("sleep_session_list")
    if not isinstance(items, list):
        raise errors.PayloadError(
            "sleep_session_list", f"expected an array, got {type(items).__name__}", request=label
        )
    if items and offset and items[0] == previous_first:
        raise errors.PayloadError(
            "sleep_session_list",
            f"the page at offset {offset} repeats the previous page (offset ignored?)",
            request=label,
        )
    return items


def parsed(parse: Callable[[Any], Record], payload: Any, path: str) -> Record:
    """Run a record parser on a JSON ``payload``, re-raising its :class:`PayloadError` with the request."""
    try:
        return parse(payload)
    except errors.PayloadError as exc:
        raise errors.PayloadError(exc.field, exc.reason, status_code=200, request=f"GET {path}") from None


def scrub(text: str, secret: str) -> str:
    """``text`` with every occurrence of ``secret`` masked. Call it before any truncation.

    Examples
    --------
    >>> scrub("bad key s3cret-key", "s3cret-key")
    'bad key <api key>'
    """
    return text.replace(secret, KEY_MASK) if len(secret) >= MIN_SECRET_LENGTH and secret in text else text


def scrub_bytes(body: bytes, secret: str) -> bytes:
    r"""``body`` with every occurrence of ``secret`` masked, as is and as JSON escapes it.

    Done on the whole body as soon as it is read, so nothing derived from it
    (an error's ``detail``, a payload, an archived file) can hold the key or a
    part of it, however the text is cut later.

    Examples
    --------
    >>> scrub_bytes(b'{"detail": "bad key sec/ret-1, escaped sec\\/ret-1"}', "sec/ret-1")
    b'{"detail": "bad key <api key>, escaped <api key>"}'
    """
    if len(secret) < MIN_SECRET_LENGTH:
        return body
    escaped = json.dumps(secret)[1:-1]
    forms = {secret, escaped, escaped.replace("/", "\\/")}
    for form in sorted(forms, key=len, reverse=True):
        raw = form.encode("utf-8")
        if raw in body:
            body = body.replace(raw, KEY_MASK.encode())
    return body


def _may_hide(body: bytes, secret: str) -> bool:
    """Whether a JSON escape in ``body`` could spell ``secret`` (a printable ASCII key) in decoded text."""
    if b"\\u" in body:
        return True
    return b"\\" in body and any(c in secret for c in '/"\\')  # \/ \" \\


def scrub_value(value: Any, secret: str) -> Any:
    r"""``value`` (decoded JSON) with ``secret`` masked in every string and key; lists and dicts in place.

    Walks the value without recursion (its depth is bounded by the decoder).

    Examples
    --------
    >>> scrub_value({"id": "a-s3cret-key", "n": [1, {"s3cret-key": "s3cret-key"}]}, "s3cret-key")
    {'id': 'a-<api key>', 'n': [1, {'<api key>': '<api key>'}]}
    """
    if len(secret) < MIN_SECRET_LENGTH:
        return value
    if isinstance(value, str):
        return scrub(value, secret)
    stack = [value]
    while stack:  # bounded: each container is visited once
        node = stack.pop()
        if isinstance(node, list):
            for i, item in enumerate(node):
                if isinstance(item, str):
                    if secret in item:
                        node[i] = scrub(item, secret)
                elif isinstance(item, list | dict):
                    stack.append(item)
        elif isinstance(node, dict):
            for key in [k for k in node if secret in k]:
                node[scrub(key, secret)] = node.pop(key)
            for key, item in node.items():
                if isinstance(item, str):
                    if secret in item:
                        node[key] = scrub(item, secret)
                elif isinstance(item, list | dict):
                    stack.append(item)
    return value
