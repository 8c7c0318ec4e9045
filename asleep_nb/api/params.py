"""What goes into a request, checked before it is sent: key, base URL, settings, ids, dates.

Every check raises before any request is made, naming the value that was
wrong (never the API key itself).

Examples
--------
>>> from asleep_nb.api.params import DEFAULT_MAX_BODY_BYTES, check_settings, date_param
>>> date_param("2025-01-15", "date_gte")
'2025-01-15'
>>> check_settings(timeout=10, max_retries=2).max_body_bytes == DEFAULT_MAX_BODY_BYTES
True
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypedDict
from urllib.parse import urlsplit

import requests

from asleep_nb import errors
from asleep_nb.definitions.contract import DATE_PATTERN
from asleep_nb.definitions.identifiers import ID_CHECK_VARIABLE, ID_CHECKS, IdCheck
from asleep_nb.version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_BACKOFF_FACTOR",
    "DEFAULT_MAX_WAIT",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_INFLATED_BYTES",
    "ClientOptions",
    "Settings",
    "check_api_key",
    "check_base_url",
    "check_settings",
    "date_param",
    "date_range",
    "user_agent",
]

#: Base URL used when neither ``base_url=`` nor ``$ASLEEP_BASE_URL`` is given.
DEFAULT_BASE_URL = "https://api.asleep.ai"

#: Seconds one attempt may take in all: connecting, the headers and the whole body.
DEFAULT_TIMEOUT = 30.0
#: Retries of a call after its first attempt, whatever the cause (one budget).
DEFAULT_MAX_RETRIES = 5
#: Seconds; the n-th retry waits ``backoff_factor * 2 ** (n - 1)`` plus jitter (the first none).
DEFAULT_BACKOFF_FACTOR = 0.5
#: The longest single wait between two attempts; a ``Retry-After`` beyond it fails at once.
DEFAULT_MAX_WAIT = 60.0
#: Largest body accepted as sent on the wire (a night's payload is about 10 to 100 kB).
DEFAULT_MAX_BODY_BYTES = 16 * 2**20
#: Largest body accepted once decompressed (``Content-Encoding: gzip``, ...).
DEFAULT_MAX_INFLATED_BYTES = 64 * 2**20

_NO_KEY = "No API key: pass api_key= or set ASLEEP_API_KEY (or use asleep_nb.connect() for the demo)"


def check_api_key(key: object) -> str:
    """The key, if it can go into a header; else :class:`~asleep_nb.errors.Unauthorized` (never echoing it).

    Examples
    --------
    >>> check_api_key("with space")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.Unauthorized: the API key must be a string of printable ASCII characters without spaces
    """
    if not key:
        raise errors.Unauthorized(None, _NO_KEY)
    if not isinstance(key, str) or not key.isascii() or not key.isprintable() or " " in key:
        raise errors.Unauthorized(
            None, "the API key must be a string of printable ASCII characters without spaces"
        )
    return key


class ClientOptions(TypedDict, total=False):
    """The settings of :class:`~asleep_nb.api.client.Client` other than the key and the URL."""

    timeout: float
    max_retries: int
    backoff_factor: float
    max_wait: float
    max_body_bytes: int
    max_inflated_bytes: int
    id_check: IdCheck


@dataclass(frozen=True, slots=True)
class Settings:
    """A client's checked settings (see :class:`~asleep_nb.api.client.Client` for each)."""

    timeout: float = DEFAULT_TIMEOUT
    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_factor: float = DEFAULT_BACKOFF_FACTOR
    max_wait: float = DEFAULT_MAX_WAIT
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_inflated_bytes: int = DEFAULT_MAX_INFLATED_BYTES
    id_check: IdCheck = "contract"


def check_settings(**options: object) -> Settings:
    """The client's settings, checked; ``ValueError`` names a bad one (defaults for those not given).

    Examples
    --------
    >>> check_settings(timeout=30, max_retries=5).timeout
    30.0
    >>> check_settings(max_wait=-1)
    Traceback (most recent call last):
    ...
    ValueError: max_wait must be a non-negative number of seconds, got -1
    """
    unknown = set(options) - set(ClientOptions.__annotations__)
    if unknown:
        raise TypeError(f"unknown client setting(s): {', '.join(sorted(unknown))}")
    given = {**{f: getattr(Settings(), f) for f in ClientOptions.__annotations__}, **options}
    timeout, wait, factor = given["timeout"], given["max_wait"], given["backoff_factor"]
    if not _number(timeout) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not _number(wait) or not wait >= 0:
        raise ValueError(f"max_wait must be a non-negative number of seconds, got {wait!r}")
    if not _number(factor) or not factor >= 0:
        raise ValueError(f"backoff_factor must be a non-negative number, got {factor!r}")
    for name in ("max_retries", "max_body_bytes", "max_inflated_bytes"):
        value, low = given[name], 0 if name == "max_retries" else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            kind = "a non-negative" if low == 0 else "a positive"
            raise ValueError(f"{name} must be {kind} integer, got {value!r}")
    id_check = options.get("id_check", os.environ.get(ID_CHECK_VARIABLE) or "contract")
    if id_check not in ID_CHECKS:
        raise ValueError(f"id_check must be one of {', '.join(map(repr, ID_CHECKS))}, got {id_check!r}")
    return Settings(
        float(timeout),
        given["max_retries"],
        float(factor),
        float(wait),
        given["max_body_bytes"],
        given["max_inflated_bytes"],
        id_check,  # one of ID_CHECKS, checked just above
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def check_base_url(url: str) -> str:
    """An ``http(s)`` base URL without credentials, query or fragment, with no trailing ``/``.

    Examples
    --------
    >>> check_base_url("http://127.0.0.1:8000/")
    'http://127.0.0.1:8000'
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base_url must be an http(s) URL such as {DEFAULT_BASE_URL!r}, got {url!r}")
    if parts.username or parts.password:
        raise ValueError("base_url must not hold credentials; pass the key as api_key=")
    return url.rstrip("/")


def date_param(value: date | str, name: str) -> str:
    """``YYYY-MM-DD`` from a ``date`` or a string, or ``TypeError``/``ValueError`` naming ``name``.

    Examples
    --------
    >>> from datetime import date
    >>> date_param(date(2025, 1, 15), "start_date")
    '2025-01-15'
    >>> date_param("2025-02-30", "start_date")
    Traceback (most recent call last):
    ...
    ValueError: start_date is not a calendar date: '2025-02-30'
    """
    if isinstance(value, datetime):
        raise TypeError(f"{name} must be a date or 'YYYY-MM-DD', not a datetime (which day would it be?)")
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a date or 'YYYY-MM-DD', not {type(value).__name__}")
    if not DATE_PATTERN.fullmatch(value):
        raise ValueError(f"{name} must look like 'YYYY-MM-DD', got {value!r}")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not a calendar date: {value!r}") from None
    return value


def date_range(first: tuple[str, date | str | None], second: tuple[str, date | str | None]) -> dict[str, str]:
    """The dates given, as ``{name: "YYYY-MM-DD"}``; ``ValueError`` when the second is before the first.

    Parameters
    ----------
    first, second
        ``(name, value)`` of the lower and the upper bound; a ``None`` value is left out.

    Examples
    --------
    >>> date_range(("date_gte", "2025-01-01"), ("date_lte", None))
    {'date_gte': '2025-01-01'}
    >>> date_range(("start_date", "2025-02-01"), ("end_date", "2025-01-01"))
    Traceback (most recent call last):
    ...
    ValueError: end_date 2025-01-01 is before start_date 2025-02-01
    """
    out = {name: date_param(value, name) for name, value in (first, second) if value is not None}
    (low, _), (high, _) = first, second
    if low in out and high in out and out[high] < out[low]:
        raise ValueError(f"{high} {out[high]} is before {low} {out[low]}")
    return out


def user_agent() -> str:
    """The ``User-Agent`` header: the toolkit's and ``requests``' versions."""
    return f"asleep-nb/{__version__} python-requests/{requests.__version__}"
