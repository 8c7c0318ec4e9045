"""Exceptions raised by asleep_nb.

Every error the toolkit raises on purpose is an :class:`AsleepError`, in one
of two branches:

- :class:`AsleepAPIError`: the API (or the way to it) failed. Carries the
  HTTP ``status_code`` (``None`` when no response was received), the
  server's ``detail`` text and the ``"METHOD /path"`` of the request.
- :class:`ValidationError`: local input broke a rule, found before or
  without any request: a malformed payload (:class:`PayloadError`, naming the
  field), an identifier (:class:`InvalidIdentifier`), a time zone
  (:class:`InvalidTimezone`) or a manifest (:class:`ManifestError`, naming the
  row). Also a ``ValueError``.

When the *server* rejects an identifier or a zone, the error is in both
branches (:class:`InvalidUserId`, :class:`InvalidSessionId`,
:class:`TimezoneRejected`), so ``except InvalidTimezone`` catches a bad zone
wherever it was found.

The API key never appears in any message: exceptions are built from the
status code, the ``detail`` text and the request's method and path only.

Examples
--------
>>> from asleep_nb.errors import SessionNotFound, AsleepAPIError, InvalidTimezone, ValidationError
>>> err = SessionNotFound(404, "Unable to find the sleep session of id x")
>>> isinstance(err, AsleepAPIError), err.status_code
(True, 404)
>>> local = InvalidTimezone("Unknown IANA time zone 'Mars/Olympus'")
>>> isinstance(local, ValidationError), isinstance(local, AsleepAPIError), str(local)
(True, False, "Unknown IANA time zone 'Mars/Olympus'")
"""

from __future__ import annotations

__all__ = [
    "AsleepError",
    "AsleepAPIError",
    "ValidationError",
    "ManifestError",
    "TimezoneRejected",
    "InvalidTimezone",
    "InvalidUserId",
    "InvalidSessionId",
    "InvalidIdentifier",
    "Unauthorized",
    "RateLimited",
    "QuotaExceeded",
    "PlanExpired",
    "SessionNotFound",
    "UserNotFound",
    "ServerError",
    "TransportError",
    "PayloadError",
    "PayloadWarning",
]


class AsleepError(Exception):
    """Base class of every exception raised on purpose by asleep_nb."""


class AsleepAPIError(AsleepError):
    """An error from the Asleep API, or about talking to it.

    Parameters
    ----------
    status_code
        HTTP status of the response, or ``None`` when there was none.
    detail
        The server's ``detail`` text (or a description of the failure).
    request
        ``"METHOD /path"`` of the request that failed, for context. Never
        holds headers, so never the API key.
    """

    def __init__(self, status_code: int | None, detail: str, *, request: str | None = None) -> None:
        self.status_code = status_code
        self.detail = detail
        self.request = request
        Exception.__init__(self, status_code, detail)

    def __str__(self) -> str:
        where = f" ({self.request})" if self.request else ""
        status = f"HTTP {self.status_code}: " if self.status_code is not None else ""
        return f"{status}{self.detail}{where}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status_code={self.status_code!r}, detail={self.detail!r})"

    def __reduce__(self):  # keep exceptions picklable (thread/process pools)
        return (_rebuild, (type(self), self.status_code, self.detail, self.request))


def _rebuild(cls, status_code, detail, request):  # pragma: no cover - trivial
    return cls(status_code, detail, request=request)


class ValidationError(AsleepError, ValueError):
    """Local input that breaks a rule of the contract or of the toolkit.

    Parameters
    ----------
    detail
        What was wrong, naming the value (and the field or row where there is one).
    """

    #: Local errors never had a response; the attribute keeps handlers that read it simple.
    status_code: int | None = None
    request: str | None = None

    def __init__(self, detail: str) -> None:
        self.detail = detail
        Exception.__init__(self, detail)

    def __str__(self) -> str:
        return self.detail


class InvalidTimezone(ValidationError):
    """A zone name that is not an IANA region zone (rejected before any request)."""


class InvalidIdentifier(ValidationError):
    """A user or session id that breaks the contract's format (rejected before any request)."""


class ManifestError(ValidationError):
    """A cohort manifest with a missing, unknown or malformed column or value."""


class TimezoneRejected(AsleepAPIError, InvalidTimezone):
    """400 ``The invalid timezone is provided``: the server rejected the zone."""


class InvalidUserId(AsleepAPIError, InvalidIdentifier):
    """400 ``The format of x-user-id is invalid``."""


class InvalidSessionId(AsleepAPIError, InvalidIdentifier):
    """400 ``The format of sleep session id {id} is not valid``."""


class Unauthorized(AsleepAPIError):
    """401: the API key is missing or wrong."""


class RateLimited(AsleepAPIError):
    """403 ``Rate limit exceeded`` (or 429), still failing after the retries."""


class QuotaExceeded(AsleepAPIError):
    """403 ``Quota exceeded``: not worth retrying."""


class PlanExpired(AsleepAPIError):
    """403 ``Plan is expired``: not worth retrying."""


class SessionNotFound(AsleepAPIError, LookupError):
    """404 ``Unable to find the sleep session of id {id}``."""


class UserNotFound(AsleepAPIError, LookupError):
    """404 ``user does not exist`` (or any 404 about a user)."""


class ServerError(AsleepAPIError):
    """5xx still failing after the retries, or a status the contract does not know."""


class TransportError(AsleepAPIError, ConnectionError):
    """No usable response: connection refused or reset, timeout, after the retries."""


class PayloadError(ValidationError):
    """A response or saved payload that does not match the contract.

    The message names the field (as a dotted path such as
    ``result.session.sleep_stages[12]``) and says what was wrong with it.

    Parameters
    ----------
    field
        Dotted path of the offending field.
    reason
        What was wrong.
    status_code
        HTTP status of the response that carried the payload, if any.
    """

    def __init__(
        self,
        field: str,
        reason: str | None = None,
        *,
        status_code: int | None = None,
        request: str | None = None,
    ) -> None:
        if reason is None:  # rebuilt from pickle or given a full message
            field, reason = "", field
        self.field = field
        self.reason = reason
        self.status_code = status_code
        self.request = request
        super().__init__(f"{field}: {reason}" if field else reason)

    def __str__(self) -> str:
        where = f" ({self.request})" if self.request else ""
        status = f"HTTP {self.status_code}: " if self.status_code is not None else ""
        return f"{status}{self.detail}{where}"

    def __reduce__(self):
        return (_rebuild_payload, (self.field, self.reason, self.status_code, self.request))


def _rebuild_payload(field, reason, status_code, request):  # pragma: no cover - trivial
    return PayloadError(field, reason, status_code=status_code, request=request)


class PayloadWarning(UserWarning):
    """A payload that breaks a soft rule of the contract but is still usable.

    For example a stage array one epoch longer than ``end - start`` allows,
    or a label the toolkit does not know. The data is kept as sent.
    """
