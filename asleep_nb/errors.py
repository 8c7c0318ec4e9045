"""Exceptions raised by asleep_nb.

Every error the toolkit raises on purpose is an :class:`AsleepError`, in one
of two branches:

- :class:`AsleepAPIError`: the API (or the way to it) failed. Carries the
  HTTP ``status_code`` (``None`` when no response was received), the
  server's ``detail`` text and the ``"METHOD /path"`` of the request.
- :class:`ValidationError`: local input broke a rule, found before or
  without any request: a malformed payload (:class:`PayloadError`, naming the
  field), an identifier (:class:`InvalidIdentifier`), a time zone
  (:class:`InvalidTimezone`), a manifest (:class:`ManifestError`, naming the
  row) or a reference scoring (:class:`ReferenceFileError`, naming file and line). Also a ``ValueError``.

When the *server* rejects an identifier or a zone, the error is in both
branches (:class:`InvalidUserId`, :class:`InvalidSessionId`,
:class:`TimezoneRejected`), so ``except InvalidTimezone`` catches a bad zone
wherever it was found.

API errors about the answer itself: :class:`IdentityMismatch` (another session, user or zone
than asked), :class:`ResponseTooLarge`, :class:`DeadlineExceeded` (a :class:`TransportError`).
Beside the two branches, the archive's: :class:`ArchiveCorrupt` (a file that cannot be trusted),
:class:`ArchiveConflict` (a different payload for a final one), :class:`ArchiveUnwritable`.
The API key never appears in any message (status code, ``detail``, method and path only).

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

import os

__all__ = [
    "AsleepError", "AsleepAPIError", "ValidationError", "ManifestError", "ReferenceFileError",
    "TimezoneRejected", "InvalidTimezone", "InvalidUserId", "InvalidSessionId", "InvalidIdentifier",
    "Unauthorized", "RateLimited", "QuotaExceeded", "PlanExpired", "SessionNotFound", "UserNotFound",
    "ServerError", "TransportError", "PayloadError", "PayloadWarning", "ContractWarning",
    "UnanalysableSessionWarning", "ArchiveCorrupt", "ArchiveConflict", "ArchiveUnwritable", "ArchiveWarning",
    "IdentityMismatch", "ResponseTooLarge", "DeadlineExceeded", "shorten",
]  # fmt: skip


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

    def __reduce__(self) -> tuple[object, ...]:  # picklable (thread/process pools), extra attributes too
        return (_rebuild, (type(self), self.status_code, self.detail, self.request), self.__dict__)


def _rebuild(cls: type[AsleepAPIError], code: int | None, detail: str, request: str | None) -> AsleepAPIError:
    return cls(code, detail, request=request)  # pragma: no cover - trivial


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


class ReferenceFileError(ValidationError):
    """A reference scoring (PSG hypnogram) or its manifest that cannot be read: names ``path`` and ``where``.

    Unknown stage label, times going backwards, overlap, gap, no epochs, an epoch length other than 30 s,
    a duplicate session id, an XML entity or DTD. ``where``: ``"line 4"``, ``"annotation 3"`` or ``""``.

    >>> str(ReferenceFileError("n1.csv", "unknown stage label 'N5'", "line 7"))
    "reference n1.csv, line 7: unknown stage label 'N5'"
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, where: str = "") -> None:
        self.path, self.where, self.reason = os.fspath(path), where, reason
        super().__init__(f"reference {self.path}{', ' + where if where else ''}: {reason}")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (type(self), (self.path, self.reason, self.where))


class TimezoneRejected(AsleepAPIError, InvalidTimezone):
    """400 ``The invalid timezone is provided``: the server rejected the zone."""


class InvalidUserId(AsleepAPIError, InvalidIdentifier):
    """400 ``The format of x-user-id is invalid``."""


class InvalidSessionId(AsleepAPIError, InvalidIdentifier):
    """400 ``The format of sleep session id {id} is not valid``."""


class Unauthorized(AsleepAPIError):
    """401: the API key is missing or wrong."""


class RateLimited(AsleepAPIError):
    """403 ``Rate limit exceeded`` (or 429), still failing after the retries.

    ``retry_after`` is the seconds the server asked to wait (``Retry-After``),
    ``None`` when it said nothing. When it is longer than the client's
    ``max_wait``, the client fails at once instead of sleeping through it, and
    the message says when the server allows the next try.

    Examples
    --------
    >>> err = RateLimited(429, "Too Many Requests", retry_after=100000.0)
    >>> err.retry_after
    100000.0
    """

    def __init__(
        self,
        status_code: int | None,
        detail: str,
        *,
        request: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(status_code, detail, request=request)
        self.retry_after = retry_after


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


class DeadlineExceeded(TransportError, TimeoutError):
    """Every attempt (connect, headers and body together) took longer than the client's ``timeout``."""


class ResponseTooLarge(AsleepAPIError):
    """A body over the client's ``max_body_bytes``, or inflating to over ``max_inflated_bytes``."""


class IdentityMismatch(AsleepAPIError):
    """An answer about another session, user or zone than asked: nothing is returned or archived.

    ``field`` names what differs (``"session.id"``, ``"timezone"``,
    ``"user_id"``); ``expected`` and ``received`` are both values.

    Examples
    --------
    >>> err = IdentityMismatch.of("session.id", "20250115025029_fvivn", "20250116000000_other")
    >>> str(err)
    "HTTP 200: asked for session.id '20250115025029_fvivn', the answer is about '20250116000000_other'"
    """

    field: str = ""
    expected: object = None
    received: object = None

    @classmethod
    def of(
        cls, field: str, expected: object, received: object, *, request: str | None = None
    ) -> IdentityMismatch:
        """The error for ``field``: asked for ``expected``, answered about ``received`` (shown bounded)."""
        detail = f"asked for {field} {shorten(expected)}, the answer is about {shorten(received)}"
        err = cls(200, detail, request=request)
        err.field, err.expected, err.received = field, expected, received
        return err


def shorten(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to about ``limit`` characters: messages name a value without growing with it.

    Examples
    --------
    >>> shorten("abc")
    "'abc'"
    >>> shorten("x" * 100_000)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (100000 characters)"
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    length = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return text[: limit - 1] + text[0] + "..." + length


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

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (_rebuild_payload, (self.field, self.reason, self.status_code, self.request))


def _rebuild_payload(field: str, reason: str, code: int | None, request: str | None) -> PayloadError:
    return PayloadError(field, reason, status_code=code, request=request)  # pragma: no cover - trivial


class PayloadWarning(UserWarning):
    """A payload that breaks a soft rule but is still usable (kept as sent): one epoch off, a new label."""


class ContractWarning(PayloadWarning):
    """A payload that breaks a consistency rule of the contract (kept as sent).

    A stat on a session not ``COMPLETE``, a time outside the session, a stat breaking an identity
    that :func:`asleep_nb.stats.verify` checks (:mod:`asleep_nb.api.records.bounds`).
    """


class UnanalysableSessionWarning(UserWarning):
    """A cohort holds sessions that cannot be analysed (OPEN, CLOSED, NEVER_SLEPT, TOO_SHORT...)."""


class ArchiveCorrupt(AsleepError):
    """An archived file (``path``) that cannot be trusted, and why (``reason``).

    Missing, unreadable, a link or reached through one, or not matching its
    manifest line: place, size, SHA-256, session id or zone.

    Examples
    --------
    >>> err = ArchiveCorrupt("sessions/G-1/x@UTC.json", "sha256 mismatch")
    >>> str(err)
    'archived file sessions/G-1/x@UTC.json cannot be trusted: sha256 mismatch'
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"archived file {self.path} cannot be trusted: {reason}")

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (type(self), (self.path, self.reason))


class ArchiveConflict(AsleepError):
    """A different payload for a (session, zone) archived as final (``COMPLETE``): nothing is written.

    A ``COMPLETE`` session never changes, so one of the two is wrong: the stored
    copy is kept; the message names both SHA-256 hashes (``stored``, ``received``).

    Examples
    --------
    >>> str(ArchiveConflict("sessions/G-1/x@UTC.json", "ab" * 32, "cd" * 32))[:72]
    'archived file sessions/G-1/x@UTC.json is final (COMPLETE) with sha256 ab'
    """

    def __init__(self, path: str | os.PathLike[str], stored: str, received: str) -> None:
        self.path = os.fspath(path)
        self.stored, self.received = stored, received
        super().__init__(
            f"archived file {self.path} is final (COMPLETE) with sha256 {stored}; refusing to replace it "
            f"with a different payload (sha256 {received})"
        )

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (type(self), (self.path, self.stored, self.received))


class ArchiveUnwritable(AsleepError):
    """The archive's storage failed (disk full, no permission, read-only, I/O error) at ``path``.

    Not about one session: :func:`~asleep_nb.loading.fetch.fetch_sessions`
    stops the run (what was archived stays) and ``asleep-nb fetch`` ends with
    one line and its own exit status. ``reason`` is what the system said,
    ``errno`` its number when there was one.

    Examples
    --------
    >>> str(ArchiveUnwritable("study/manifest.jsonl", "No space left on device", 28))
    'cannot write to the archive at study/manifest.jsonl: No space left on device'
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, errno: int | None = None) -> None:
        self.path = os.fspath(path)
        self.reason = reason
        self.errno = errno
        super().__init__(f"cannot write to the archive at {self.path}: {reason}")

    @classmethod
    def from_os_error(cls, path: str | os.PathLike[str], exc: OSError) -> ArchiveUnwritable:
        """The error for an ``OSError`` met while writing ``path``."""
        return cls(exc.filename or path, exc.strerror or str(exc) or type(exc).__name__, exc.errno)

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (type(self), (self.path, self.reason, self.errno))


class ArchiveWarning(UserWarning):
    """Something in an archive was skipped: a manifest line that is no entry, a file not trusted."""
