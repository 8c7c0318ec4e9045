"""When the client retries, and how long it waits: one policy, one budget.

One ``urllib3`` :class:`~urllib3.util.Retry` object (:func:`retry_policy`)
counts every retry of a call, whatever caused it: no answer (connection
refused or reset, an attempt over its deadline), HTTP 429, any 5xx, and the
API's own rate limit, **403** ``Rate limit exceeded`` (:func:`is_rate_limit`;
the same status also means ``Quota exceeded`` or ``Plan is expired``, never
retried). ``max_retries`` is that one budget: a call makes at most
``1 + max_retries`` attempts. Other 4xx answers are never retried.

Between attempts the client waits what the answer's ``Retry-After`` says
(:func:`retry_after`, seconds or an HTTP date), else the policy's
exponential backoff: nothing before the first retry, then
``backoff_factor * 2 ** (n - 1)`` seconds plus up to ``backoff_factor`` of
jitter, at most ``max_wait``. A ``Retry-After`` longer than ``max_wait`` is
not slept through: the call fails at once (:class:`~asleep_nb.errors.RateLimited`
saying when the server allows the next try).

The loop that drives the policy is :mod:`asleep_nb.api.transport`'s; the
mounted ``requests`` adapter itself never retries.

Examples
--------
>>> from asleep_nb.api.retry import is_rate_limit, is_retryable, retry_after
>>> is_rate_limit(403, "Rate limit exceeded"), is_rate_limit(403, "Quota exceeded")
(True, False)
>>> is_retryable(503, "Service Unavailable"), is_retryable(404, "Unable to find ...")
(True, False)
>>> retry_after("7"), retry_after(None), retry_after("soon")
(7.0, None, None)
"""

from __future__ import annotations

from urllib3.exceptions import InvalidHeader
from urllib3.util import Retry

from asleep_nb.definitions.contract import RATE_LIMIT_EXCEEDED

__all__ = ["RETRY_STATUSES", "retry_policy", "is_rate_limit", "is_retryable", "retry_after"]

#: Statuses retried whatever their text: 429 and every 5xx.
RETRY_STATUSES = frozenset({429, *range(500, 600)})
#: Parsing ``Retry-After`` must not clamp it: the client compares it with its own ``max_wait``.
_NO_CLAMP = 10**12


def retry_policy(max_retries: int, backoff_factor: float, max_wait: float) -> Retry:
    """The one retry policy of a call: a budget of ``max_retries`` retries of any cause.

    Parameters
    ----------
    max_retries
        Retries after the first attempt.
    backoff_factor
        Seconds; see the module docs.
    max_wait
        The longest single wait, in seconds.

    Examples
    --------
    >>> policy = retry_policy(5, 0.5, 60.0)
    >>> policy.total, policy.backoff_max, 429 in policy.status_forcelist, 403 in policy.status_forcelist
    (5, 60.0, True, False)
    """
    return Retry(
        total=max_retries,
        connect=None,
        read=None,
        status=None,
        other=None,
        redirect=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_factor,
        backoff_max=max_wait,
        respect_retry_after_header=True,
        retry_after_max=_NO_CLAMP,
        raise_on_status=False,
        raise_on_redirect=False,
    )


def is_rate_limit(status: int, detail: str) -> bool:
    """Whether an answer is a rate limit: 429, or a 403 whose ``detail`` says ``Rate limit exceeded``.

    Examples
    --------
    >>> is_rate_limit(429, ""), is_rate_limit(403, "rate limit exceeded"), is_rate_limit(403, "Forbidden")
    (True, True, False)
    """
    return status == 429 or (status == 403 and RATE_LIMIT_EXCEEDED.lower() in detail.lower())


def is_retryable(status: int, detail: str) -> bool:
    """Whether an error answer is worth another attempt (429, 5xx, 403 ``Rate limit exceeded``)."""
    return status in RETRY_STATUSES or is_rate_limit(status, detail)


def retry_after(header: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a number or an HTTP date), ``None`` if absent or bad.

    Examples
    --------
    >>> retry_after("100000"), retry_after("Wed, 21 Oct 2015 07:28:00 GMT")  # a date in the past
    (100000.0, 0.0)
    """
    if not header:
        return None
    try:
        return float(Retry(retry_after_max=_NO_CLAMP).parse_retry_after(header))
    except (InvalidHeader, ValueError, OverflowError):
        return None
