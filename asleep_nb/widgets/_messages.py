"""Turn exceptions and states into short messages shown inside the explorers.

An explorer never shows a traceback: every failure becomes one status line,
an HTML ``<div>`` with the class ``asleep-status`` and one of
``asleep-error``, ``asleep-warning``, ``asleep-info`` or ``asleep-ok``.
Messages are built from the exception's type, status code and ``detail``
only, never from request headers; every secret known (``$ASLEEP_API_KEY``,
and the client's key when given) is masked *before* a message is cut to
:data:`STATUS_MAX` characters, so no part of a key can survive the cut.

Examples
--------
>>> from asleep_nb.errors import SessionNotFound
>>> describe_error(SessionNotFound(404, "Unable to find the sleep session of id x"))
'Session not found: Unable to find the sleep session of id x'
>>> status_html("ok <now>", "ok")
'<div class="asleep-status asleep-ok" style="color:var(--jp-success-color1, #1b6e20)">ok &lt;now&gt;</div>'
"""

from __future__ import annotations

import html
import os
from typing import Literal

from asleep_nb import errors
from asleep_nb.definitions.theme import STATUS_COLORS

__all__ = ["Level", "STATUS_MAX", "describe_error", "status_html", "redact", "client_secrets"]

Level = Literal["error", "warning", "info", "ok"]

#: Longest status line, in characters (after secrets are masked).
STATUS_MAX = 400

# most specific first: the first isinstance match wins
_PREFIXES: tuple[tuple[type[BaseException], str], ...] = (
    (errors.InvalidTimezone, "Invalid time zone"),
    (errors.InvalidUserId, "Invalid user id"),
    (errors.InvalidSessionId, "Invalid session id"),
    (errors.InvalidIdentifier, "Invalid identifier"),
    (errors.SessionNotFound, "Session not found"),
    (errors.UserNotFound, "User not found"),
    (errors.Unauthorized, "Not authorised (check the API key)"),
    (errors.RateLimited, "Rate limit reached"),
    (errors.QuotaExceeded, "API quota exceeded"),
    (errors.PlanExpired, "API plan expired"),
    (errors.DeadlineExceeded, "The server took too long to answer"),
    (errors.TransportError, "Network failure, the server could not be reached"),
    (errors.ServerError, "Server error"),
    (errors.IdentityMismatch, "Wrong answer from the server, refused"),
    (errors.ResponseTooLarge, "Answer too large, refused"),
    (errors.PayloadError, "Unexpected data from the server"),
    (errors.AsleepAPIError, "API error"),
    (errors.ArchiveConflict, "Archive conflict, nothing written"),
    (errors.ArchiveUnwritable, "Cannot write to the archive"),
    (errors.ArchiveCorrupt, "Archived file not trusted"),
    (errors.AsleepError, "Error"),
)


def describe_error(exc: BaseException, secrets: tuple[str, ...] = ()) -> str:
    """One line saying what went wrong, for a status line.

    Known errors get a plain-language prefix and the server's ``detail``;
    anything else (a bug) is named by its type so it can be reported. The
    ``secrets`` (and ``$ASLEEP_API_KEY``) are masked, then the line is cut
    to :data:`STATUS_MAX` characters.

    Examples
    --------
    >>> from asleep_nb.errors import TransportError
    >>> describe_error(TransportError(None, "connection refused"))
    'Network failure, the server could not be reached: connection refused'
    >>> describe_error(KeyError("x"))
    "Unexpected error (KeyError): 'x'"
    >>> describe_error(ValueError("key " + "k3y-" * 200), secrets=("k3y-" * 200,))
    'Unexpected error (ValueError): key ***'
    """
    text = f"Unexpected error ({type(exc).__name__}): {exc}"
    for cls, prefix in _PREFIXES:
        if isinstance(exc, cls):
            detail = getattr(exc, "detail", None) or str(exc)
            text = f"{prefix}: {detail}" if detail else prefix
            break
    text = redact(text, (*client_secrets(None), *secrets))
    return text if len(text) <= STATUS_MAX else text[: STATUS_MAX - 3] + "..."


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Replace every occurrence of each (non-empty) secret in ``text`` by ``***``.

    Examples
    --------
    >>> redact("key=abc123", ("abc123",))
    'key=***'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


#: Inline style of each level: the theme's colour (a JupyterLab CSS variable, see
#: :data:`asleep_nb.definitions.theme.STATUS_COLORS`); errors in bold.
_STYLES: dict[str, str] = {
    level: f"color:{color}" + (";font-weight:bold" if level == "error" else "")
    for level, color in STATUS_COLORS.items()
}


def client_secrets(client: object) -> tuple[str, ...]:
    """Strings that must never be shown: ``$ASLEEP_API_KEY`` and any key the client holds.

    Examples
    --------
    >>> class C: _api_key = "k-123"
    >>> "k-123" in client_secrets(C())
    True
    """
    found = [os.environ.get("ASLEEP_API_KEY", "")]
    for name in ("api_key", "_api_key", "_key"):
        value = getattr(client, name, None)
        if isinstance(value, str):
            found.append(value)
    return tuple(s for s in found if s)


def status_html(text: str, level: Level = "info") -> str:
    """The status line as escaped HTML with the classes ``asleep-status asleep-<level>``.

    Examples
    --------
    >>> status_html("Session not found", "error")[:48]
    '<div class="asleep-status asleep-error" style="c'
    """
    return f'<div class="asleep-status asleep-{level}" style="{_STYLES[level]}">{html.escape(text)}</div>'
