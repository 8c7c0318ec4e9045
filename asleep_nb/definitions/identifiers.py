"""The contract's identifier formats: session ids and user ids.

The vendor publishes no rule; these formats are inferred from every
published example (``/work/shared/docs/asleep-api.md``, "Identifier
formats"), and defined here once:

- a **session id** is the UTC creation time as 14 digits
  (``YYYYMMDDhhmmss``), ``_``, then exactly 5 characters of ``[a-z0-9]``:
  ``20250115025029_fvivn``. The time part equals the session's
  ``start_time`` in UTC.
- a **user id** is ``G-``, the UTC creation time as 14 digits, ``-``, then
  exactly 20 ASCII letters: ``G-20250115025029-vLErWBfQNtnfvgDccFOQ``.

Both are plain ASCII of a fixed length (20 and 37 characters). The client
refuses any other id before a request is made (:func:`check_session_id`,
:func:`check_user_id` raise :class:`~asleep_nb.errors.InvalidIdentifier`
naming the value, cut short when long), so an id pasted with a full-width
digit, a space or a path separator never reaches a header, a URL or an
archive path; the stand-in answers with the contract's 400 errors when they
are broken, and the demo builder makes ids in these formats.

**The escape hatch.** Should a user's real ids differ from these inferred
formats, ``Client(id_check="lenient")`` (or ``ASLEEP_ID_CHECK=lenient`` in the
environment) sends any id that is *safe to send* and leaves the format
judgement to the server (whose 400 then raises :class:`~asleep_nb.errors.InvalidSessionId`
or :class:`~asleep_nb.errors.InvalidUserId`): 1 to :data:`SAFE_ID_MAX_LENGTH`
ASCII letters, digits and ``- . _ ~`` (RFC 3986's unreserved characters, safe
in a URL path, a header and a file name), starting with a letter or a digit
(so never ``.`` or ``..``): :data:`SAFE_ID_PATTERN`. Anything else is refused
before any request in either mode. Archives keep ids in the contract's formats
(their file layout is built from them), so a lenient id is fetched but not archived.

Examples
--------
>>> from datetime import UTC, datetime
>>> from asleep_nb.definitions.identifiers import format_session_id, is_session_id, is_user_id
>>> is_session_id("20250115025029_fvivn"), is_session_id("20230608020315_hz82")
(True, False)
>>> is_user_id("G-20250115025029-vLErWBfQNtnfvgDccFOQ")
True
>>> format_session_id(datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC), "fvivn")
'20250115025029_fvivn'
>>> check_user_id("G-２0250115025029-vLErWBfQNtnfvgDccFOQ")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
asleep_nb.errors.InvalidIdentifier: user id 'G-２0250115025029-vLErWBfQNtnfvgDccFOQ' is not in the...
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from typing import Literal, TypeGuard

from asleep_nb.errors import InvalidIdentifier, shorten

__all__ = [
    "ID_TIME_FORMAT",
    "SESSION_ID_ALPHABET",
    "SESSION_ID_SUFFIX_LENGTH",
    "USER_ID_PREFIX",
    "USER_ID_ALPHABET",
    "USER_ID_SUFFIX_LENGTH",
    "SESSION_ID_PATTERN",
    "USER_ID_PATTERN",
    "SESSION_ID_LENGTH",
    "USER_ID_LENGTH",
    "SESSION_ID_EXAMPLE",
    "USER_ID_EXAMPLE",
    "is_session_id",
    "is_user_id",
    "check_session_id",
    "check_user_id",
    "format_session_id",
    "format_user_id",
    "IdCheck",
    "ID_CHECKS",
    "ID_CHECK_VARIABLE",
    "SAFE_ID_MAX_LENGTH",
    "SAFE_ID_PATTERN",
    "is_safe_id",
]

#: How ids are checked before a request: the contract's formats, or only safe to send.
IdCheck = Literal["contract", "lenient"]
#: The values of :data:`IdCheck`; ``"contract"`` is the default.
ID_CHECKS: tuple[IdCheck, ...] = ("contract", "lenient")
#: Environment variable giving the default ``id_check`` of new clients.
ID_CHECK_VARIABLE = "ASLEEP_ID_CHECK"
#: Longest id sent under ``id_check="lenient"``.
SAFE_ID_MAX_LENGTH = 128
#: An id safe to send (use with ``fullmatch``): ASCII unreserved characters, no leading dot.
SAFE_ID_PATTERN = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._~-]{{0,{SAFE_ID_MAX_LENGTH - 1}}}", re.ASCII)
_SAFE_ID_FORMAT = (
    f"1 to {SAFE_ID_MAX_LENGTH} ASCII letters, digits, '-', '.', '_' or '~', starting with a letter or digit"
)

#: ``strftime`` format of the creation time that opens both ids (UTC, 14 digits).
ID_TIME_FORMAT = "%Y%m%d%H%M%S"
#: Characters of a session id's suffix, in the order the demo builder draws them.
SESSION_ID_ALPHABET = string.ascii_lowercase + string.digits
#: Length of a session id's suffix.
SESSION_ID_SUFFIX_LENGTH = 5
#: What every user id starts with.
USER_ID_PREFIX = "G-"
#: Characters of a user id's suffix, in the order the demo builder draws them.
USER_ID_ALPHABET = string.ascii_uppercase + string.ascii_lowercase
#: Length of a user id's suffix.
USER_ID_SUFFIX_LENGTH = 20

#: A whole session id (use with ``fullmatch``); group 1 is the creation time. ASCII only.
SESSION_ID_PATTERN = re.compile(
    rf"([0-9]{{14}})_[{SESSION_ID_ALPHABET}]{{{SESSION_ID_SUFFIX_LENGTH}}}", re.ASCII
)
#: A whole user id (use with ``fullmatch``); group 1 is the creation time. ASCII only.
USER_ID_PATTERN = re.compile(
    rf"{re.escape(USER_ID_PREFIX)}([0-9]{{14}})-[{USER_ID_ALPHABET}]{{{USER_ID_SUFFIX_LENGTH}}}", re.ASCII
)
#: Length of every session id.
SESSION_ID_LENGTH = 14 + 1 + SESSION_ID_SUFFIX_LENGTH
#: Length of every user id.
USER_ID_LENGTH = len(USER_ID_PREFIX) + 14 + 1 + USER_ID_SUFFIX_LENGTH
#: The contract's published example session id.
SESSION_ID_EXAMPLE = "20250115025029_fvivn"
#: The contract's published example user id.
USER_ID_EXAMPLE = "G-20250115025029-vLErWBfQNtnfvgDccFOQ"
_SESSION_ID_FORMAT = (
    f"14 ASCII digits, '_', {SESSION_ID_SUFFIX_LENGTH} of [a-z0-9] (e.g. {SESSION_ID_EXAMPLE!r})"
)
_USER_ID_FORMAT = (
    f"{USER_ID_PREFIX!r}, 14 ASCII digits, '-', {USER_ID_SUFFIX_LENGTH} ASCII letters "
    f"(e.g. {USER_ID_EXAMPLE!r})"
)


def is_session_id(text: object) -> TypeGuard[str]:
    """Whether ``text`` is a string in the contract's session id format.

    Examples
    --------
    >>> is_session_id("20250115025029_fvivn"), is_session_id("20250115025029_FVIVN"), is_session_id(None)
    (True, False, False)
    """
    return isinstance(text, str) and SESSION_ID_PATTERN.fullmatch(text) is not None


def is_user_id(text: object) -> TypeGuard[str]:
    """Whether ``text`` is a string in the contract's user id format.

    Examples
    --------
    >>> is_user_id("G-20250115025029-vLErWBfQNtnfvgDccFOQ"), is_user_id("G-1-abc")
    (True, False)
    """
    return isinstance(text, str) and USER_ID_PATTERN.fullmatch(text) is not None


def is_safe_id(text: object) -> TypeGuard[str]:
    """Whether ``text`` is safe to send as an id (:data:`SAFE_ID_PATTERN`), whatever its format.

    Examples
    --------
    >>> is_safe_id("20230608020315_hz82"), is_safe_id("../etc"), is_safe_id("a b"), is_safe_id("é")
    (True, False, False, False)
    """
    return isinstance(text, str) and SAFE_ID_PATTERN.fullmatch(text) is not None


def check_session_id(value: object, *, lenient: bool = False) -> str:
    """``value`` if it is a session id in the contract's format, else :class:`InvalidIdentifier`.

    With ``lenient``, any id safe to send is accepted (:func:`is_safe_id`).

    Examples
    --------
    >>> check_session_id("20250115025029_fvivn")
    '20250115025029_fvivn'
    >>> check_session_id("x" * 100_000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asleep_nb.errors.InvalidIdentifier: session id 'xxx...x'... (100000 characters) is not in the ...
    """
    if lenient:
        if not is_safe_id(value):
            raise InvalidIdentifier(_refusal("session id", value, _SAFE_ID_FORMAT, "safe to send"))
    elif not is_session_id(value):
        raise InvalidIdentifier(_refusal("session id", value, _SESSION_ID_FORMAT))
    return value


def check_user_id(value: object, *, lenient: bool = False) -> str:
    """``value`` if it is a user id in the contract's format, else :class:`InvalidIdentifier`.

    With ``lenient``, any id safe to send is accepted (:func:`is_safe_id`).

    Examples
    --------
    >>> check_user_id("G-20250115025029-vLErWBfQNtnfvgDccFOQ")
    'G-20250115025029-vLErWBfQNtnfvgDccFOQ'
    >>> check_user_id(None)
    Traceback (most recent call last):
    ...
    asleep_nb.errors.InvalidIdentifier: user id must be a str, not NoneType
    """
    if lenient:
        if not is_safe_id(value):
            raise InvalidIdentifier(_refusal("user id", value, _SAFE_ID_FORMAT, "safe to send"))
    elif not is_user_id(value):
        raise InvalidIdentifier(_refusal("user id", value, _USER_ID_FORMAT))
    return value


def _refusal(what: str, value: object, form: str, rule: str = "in the contract's format") -> str:
    if not isinstance(value, str):
        return f"{what} must be a str, not {type(value).__name__}"
    hint = "" if rule != "in the contract's format" else " (id_check='lenient' sends any id safe to send)"
    return f"{what} {shorten(value)} is not {rule}: {form}{hint}"


def format_session_id(created: datetime, suffix: str) -> str:
    """The session id created at ``created`` with the given 5-character ``suffix``.

    Parameters
    ----------
    created
        An aware ``datetime`` (the session's start); written in UTC.
    suffix
        5 characters of :data:`SESSION_ID_ALPHABET`.

    Raises
    ------
    InvalidIdentifier
        When ``created`` is naive or the result breaks the format.

    Examples
    --------
    >>> from datetime import timedelta, timezone
    >>> seoul = timezone(timedelta(hours=9))
    >>> format_session_id(datetime(2025, 1, 15, 11, 50, 29, tzinfo=seoul), "fvivn")
    '20250115025029_fvivn'
    """
    text = f"{_utc_stamp(created)}_{suffix}"
    if not is_session_id(text):
        raise InvalidIdentifier(f"session id {text!r} breaks the format (suffix {suffix!r})")
    return text


def format_user_id(created: datetime, suffix: str) -> str:
    """The user id created at ``created`` with the given 20-letter ``suffix``.

    Raises
    ------
    InvalidIdentifier
        When ``created`` is naive or the result breaks the format.

    Examples
    --------
    >>> format_user_id(datetime(2025, 1, 15, 2, 50, 29, tzinfo=UTC), "vLErWBfQNtnfvgDccFOQ")
    'G-20250115025029-vLErWBfQNtnfvgDccFOQ'
    """
    text = f"{USER_ID_PREFIX}{_utc_stamp(created)}-{suffix}"
    if not is_user_id(text):
        raise InvalidIdentifier(f"user id {text!r} breaks the format (suffix {suffix!r})")
    return text


def _utc_stamp(created: datetime) -> str:
    if created.tzinfo is None:
        raise InvalidIdentifier("an id's creation time must be a timezone-aware datetime")
    return created.astimezone(UTC).strftime(ID_TIME_FORMAT)
