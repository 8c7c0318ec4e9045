"""Identifiers checked before they go into a URL path, a request header or an archive path.

Session and user ids must be in the contract's formats
(:mod:`asleep_nb.definitions.identifiers`: ASCII, fixed length); anything
else raises :class:`~asleep_nb.errors.InvalidIdentifier` naming the value
before any request is made. That also keeps every id safe in a URL path
and a header (no separator, no dot segment, no escape, no whitespace, no
character ``latin-1`` cannot encode) and bounded in length.

Examples
--------
>>> from asleep_nb.api.ids import check_session_id
>>> check_session_id("20250115025029_fvivn")
'20250115025029_fvivn'
>>> check_session_id("../etc")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
asleep_nb.errors.InvalidIdentifier: session id '../etc' is not in the contract's format: ...
"""

from __future__ import annotations

from asleep_nb.definitions.identifiers import check_session_id, check_user_id, is_session_id, is_user_id

__all__ = ["check_session_id", "check_user_id", "is_session_id", "is_user_id"]
