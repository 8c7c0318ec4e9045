"""Checks on identifiers before they go into a URL path or a request header.

The API publishes no format rule for session and user ids (the formats in the
contract are inferred from examples), so the toolkit does not enforce one: the
server decides what a valid id is. What the toolkit *does* refuse is anything
that could change the meaning of the request it builds: a path separator, a
dot segment, a query or fragment marker, a percent escape, whitespace or a
control character. Such a value raises :class:`~asleep_nb.errors.InvalidIdentifier`
before any request is made.

Examples
--------
>>> from asleep_nb.api.ids import check_path_id
>>> check_path_id("20250115025029_fvivn", "session id")
'20250115025029_fvivn'
>>> check_path_id("a/b", "session id")
Traceback (most recent call last):
...
asleep_nb.errors.InvalidIdentifier: session id 'a/b' is not a plain identifier: contains '/'
"""

from __future__ import annotations

import unicodedata

from asleep_nb.errors import InvalidIdentifier

__all__ = ["check_path_id"]

# Characters that would change the meaning of a URL path segment or a header.
_FORBIDDEN = {"/": "'/'", "\\": "'\\\\'", "?": "'?'", "#": "'#'", "%": "'%'"}


def check_path_id(value: object, what: str) -> str:
    r"""Return ``value`` if it is safe to put into a URL path, else raise.

    Parameters
    ----------
    value
        The identifier (a session id or a user id).
    what
        What it is, for the message: ``"session id"`` or ``"user id"``.

    Returns
    -------
    str
        ``value`` unchanged.

    Raises
    ------
    InvalidIdentifier
        When ``value`` is not a non-empty string, or holds ``/``, ``\``,
        ``..``, ``?``, ``#``, ``%``, whitespace or a control or format
        character, or is ``"."``.

    Examples
    --------
    >>> check_path_id("G-20250115025029-vLErWBfQNtnfvgDccFOQ", "user id")
    'G-20250115025029-vLErWBfQNtnfvgDccFOQ'
    >>> check_path_id("odd-but-fine_ID", "session id")  # formats are the server's business
    'odd-but-fine_ID'
    """
    if not isinstance(value, str):
        raise InvalidIdentifier(f"{what} must be a str, not {type(value).__name__}")
    reason = _why_unsafe(value)
    if reason is not None:
        raise InvalidIdentifier(f"{what} {value!r} is not a plain identifier: {reason}")
    return value


def _why_unsafe(value: str) -> str | None:
    """Say why ``value`` cannot go into a path segment, or ``None`` if it can."""
    if not value:
        return "it is empty"
    if value == "." or ".." in value:
        return "contains a dot segment ('.' or '..')"
    for char in value:
        if char in _FORBIDDEN:
            return f"contains {_FORBIDDEN[char]}"
        if char.isspace():
            return f"contains whitespace ({char!r})"
        if unicodedata.category(char)[0] in "CZ":  # control, format, separators, unassigned
            return f"contains a control or invisible character ({char!r})"
    return None
