"""One GET as a bounded call: a deadline per attempt, bounded bodies, one retry budget.

:class:`Transport` owns the ``requests.Session`` of a client and turns a
GET into the envelope's ``result`` or a typed exception:

- each **attempt** (connect, headers and body together) has a hard deadline
  of ``timeout`` seconds (:mod:`asleep_nb.api.deadline`);
- each **body** is read as a stream: a ``Content-Length`` over
  ``max_body_bytes`` fails before reading, and reading stops as soon as the
  bytes received pass ``max_body_bytes`` or their decompressed form passes
  ``max_inflated_bytes`` (:class:`~asleep_nb.errors.ResponseTooLarge`), so
  memory stays within those limits whatever the server sends;
- the API key is masked in the whole body before anything is taken from it,
  and in every string decoded from it;
- **retries** follow :mod:`asleep_nb.api.retry`: one budget of
  ``max_retries`` for every cause, waits of at most ``max_wait`` seconds.

A call therefore ends within ``(1 + max_retries) * timeout + max_retries *
max_wait`` seconds (plus name resolution, which no socket timeout covers).

Examples
--------
>>> from asleep_nb.api.params import Settings
>>> from asleep_nb.errors import UserNotFound
>>> transport = Transport(srv.url, srv.api_key, Settings(timeout=5.0))  # srv: a stand-in
>>> answer = transport.get("/ai/v1/users/G-20250115025029-vLErWBfQNtnfvgDccFOQ", not_found=UserNotFound)
>>> type(answer).__name__
'dict'
"""

from __future__ import annotations

import http.client
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import requests
import urllib3
from urllib3.exceptions import MaxRetryError
from urllib3.util import Retry

from asleep_nb import errors
from asleep_nb.api.deadline import Attempt, DeadlineAdapter
from asleep_nb.api.params import Settings
from asleep_nb.api.responses import envelope_result, error_class, error_detail, scrub, scrub_bytes, truncate
from asleep_nb.api.retry import is_rate_limit, is_retryable, retry_after, retry_policy

__all__ = ["Transport", "CHUNK_BYTES"]

logger = logging.getLogger("asleep_nb.api.client")

#: Bytes asked of the stream at a time (decompressed bytes, when the body is compressed).
CHUNK_BYTES = 64 * 1024

#: What a failed attempt can raise while connecting or reading (an expired one: anything).
_NO_ANSWER = (requests.RequestException, urllib3.exceptions.HTTPError, http.client.HTTPException, OSError)


@dataclass(frozen=True, slots=True)
class _Answer:
    """A whole answer: status, headers and the (inflated) body; the texts shown are key-masked."""

    status: int
    reason: str
    content_type: str
    headers: Mapping[str, str]
    body: bytes
    raw: urllib3.BaseHTTPResponse


class _NoAnswer(Exception):
    """An attempt that ended without a whole answer: ``cause`` says why, ``late`` if by the deadline."""

    def __init__(self, cause: BaseException | None, late: bool) -> None:
        super().__init__(cause)
        self.cause, self.late = cause, late


class Transport:
    """GET requests with the bounds of :class:`~asleep_nb.api.params.Settings` (see the module docs).

    Parameters
    ----------
    base_url
        The API's base URL, checked, without a trailing ``/``.
    api_key
        Sent as ``x-api-key``; masked in every body read.
    settings
        Timeouts, limits and the retry budget.
    headers
        Headers sent with every request (``Accept``, ``User-Agent``).
    """

    def __init__(
        self, base_url: str, api_key: str, settings: Settings, headers: Mapping[str, str] | None = None
    ) -> None:
        self.base_url = base_url
        self.settings = settings
        self._api_key = api_key
        self._policy = retry_policy(settings.max_retries, settings.backoff_factor, settings.max_wait)
        self.session = requests.Session()
        self.session.headers.update({**(headers or {}), "x-api-key": api_key})
        adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=32, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        _settle_environment(self.session, base_url)

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, api_key=<set>)"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def get(
        self,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        not_found: type[errors.AsleepAPIError],
    ) -> dict[str, Any]:
        """GET ``path``; the envelope's ``result``, or the exception the answer maps to.

        Raises
        ------
        TransportError, DeadlineExceeded
            No whole answer within the attempts.
        ResponseTooLarge
            A body over the limits (not retried).
        PayloadError
            A 2xx answer that is not a success envelope.
        AsleepAPIError
            The exception of an error answer (:mod:`asleep_nb.api.responses`).
        """
        label = f"GET {path}"
        url = self.base_url + path
        policy: Retry = self._policy
        for attempt in range(1, self.settings.max_retries + 2):  # the policy raises before the end
            try:
                answer = self._attempt(url, headers, params, label)
            except _NoAnswer as failure:
                policy = self._retry_or_raise(policy, label, attempt, failure)
                time.sleep(policy.get_backoff_time())
                continue
            status = answer.status
            logger.debug("%s -> %d", label, status)
            if 200 <= status < 300:
                return envelope_result(answer.body, status, answer.content_type, label, self._api_key)
            detail = error_detail(answer.body, status, answer.reason, self._api_key)
            if not is_retryable(status, detail):
                raise error_class(status, detail, not_found)(status, detail, request=label)
            wait = retry_after(answer.headers.get("Retry-After"))
            if wait is not None and wait > self.settings.max_wait:
                self._fail(status, f"{detail}; {self._too_long(wait)}", not_found, label, wait)
            try:
                policy = policy.increment("GET", path, response=answer.raw)
            except MaxRetryError:
                self._fail(status, detail, not_found, label, wait)
            pause = wait if wait is not None else policy.get_backoff_time()
            logger.info("%s -> %d %s; retry %d in %.2f s", label, status, detail, attempt, pause)
            time.sleep(pause)
        raise AssertionError("unreachable: the retry policy ends the loop")  # pragma: no cover

    # -- one attempt ------------------------------------------------------------------------
    def _attempt(
        self, url: str, headers: Mapping[str, str] | None, params: Mapping[str, Any] | None, label: str
    ) -> _Answer:
        with Attempt(self.settings.timeout) as attempt:
            response: requests.Response | None = None
            try:
                left = attempt.remaining()
                response = self.session.get(
                    url,
                    headers=headers,
                    params=params,
                    timeout=(left, left),
                    allow_redirects=False,
                    stream=True,
                )
                body = self._read_body(response, label)
            except errors.ResponseTooLarge:
                raise
            except Exception as exc:
                if attempt.finish():
                    raise _NoAnswer(exc, late=True) from None
                if not isinstance(exc, _NO_ANSWER):
                    raise
                raise _NoAnswer(exc, late=False) from None
            finally:
                late = attempt.finish()
                if response is not None:
                    response.close()
            if late:
                raise _NoAnswer(None, late=True)
        key = self._api_key
        reason = truncate(scrub(response.reason or "", key), 100)
        content_type = truncate(scrub(response.headers.get("Content-Type", ""), key), 100)
        body = scrub_bytes(body, key)
        return _Answer(response.status_code, reason, content_type, response.headers, body, response.raw)

    def _read_body(self, response: requests.Response, label: str) -> bytes:
        """The whole (decompressed) body, read in chunks within the size limits."""
        limits = self.settings
        declared = response.headers.get("Content-Length", "").strip()
        if declared.isdigit() and int(declared) > limits.max_body_bytes:
            self._too_large(response.status_code, f"its body is {declared} bytes", label)
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        while chunk := raw.read(CHUNK_BYTES, decode_content=True):  # ends: bytes and time are bounded
            size += len(chunk)
            if raw.tell() > limits.max_body_bytes:
                self._too_large(response.status_code, f"its body is over {raw.tell()} bytes", label)
            if size > limits.max_inflated_bytes:
                self._too_large(response.status_code, f"its body inflates to over {size} bytes", label)
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, status: int, what: str, label: str) -> NoReturn:
        limits = self.settings
        raise errors.ResponseTooLarge(
            status,
            f"answer refused: {what}, over the client's limits (max_body_bytes={limits.max_body_bytes}, "
            f"max_inflated_bytes={limits.max_inflated_bytes})",
            request=label,
        )

    # -- retries ----------------------------------------------------------------------------
    def _retry_or_raise(self, policy: Retry, label: str, attempt: int, failure: _NoAnswer) -> Retry:
        """The policy after a failed attempt, or the final :class:`TransportError`."""
        cause = failure.cause
        try:
            return policy.increment("GET", label, error=cause if isinstance(cause, Exception) else None)
        except MaxRetryError:
            pass
        tries = f"{attempt} attempt{'s' if attempt > 1 else ''}"
        if failure.late:
            logger.warning("%s: no whole answer within %g s, %s", label, self.settings.timeout, tries)
            raise errors.DeadlineExceeded(
                None,
                f"no whole answer within the {self.settings.timeout:g} s deadline of an attempt ({tries})",
                request=label,
            ) from None
        reason = truncate(scrub(f"{type(cause).__name__}: {cause}", self._api_key))
        logger.warning("%s failed without a response: %s", label, type(cause).__name__)
        raise errors.TransportError(None, f"no response after {tries}: {reason}", request=label) from None

    def _fail(
        self, status: int, detail: str, not_found: type[errors.AsleepAPIError], label: str, wait: float | None
    ) -> NoReturn:
        """Raise the exception of a retryable answer that will not be retried (any more)."""
        if is_rate_limit(status, detail):
            raise errors.RateLimited(status, detail, request=label, retry_after=wait)
        raise error_class(status, detail, not_found)(status, detail, request=label)

    def _too_long(self, wait: float) -> str:
        when = (datetime.now(UTC) + timedelta(seconds=min(wait, 10**9))).isoformat(timespec="seconds")
        return (
            f"the server allows the next try in {wait:.0f} s (at {when}), longer than this client waits "
            f"(max_wait={self.settings.max_wait:g} s)"
        )


def _settle_environment(session: requests.Session, base_url: str) -> None:
    """Read the proxy and CA-bundle settings of the environment once, for every request to come.

    ``requests`` honours ``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE`` ...
    by re-reading the environment on every request, about a fifth of a request's
    cost on loopback. The same settings are resolved here for ``base_url`` when the
    client is made, then the per-request lookup is turned off (``trust_env``).
    """
    session.proxies.update(requests.utils.get_environ_proxies(base_url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False
