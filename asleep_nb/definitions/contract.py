"""The API contract's fixed values, defined once for the client and the stand-in.

What ``/work/shared/docs/asleep-api.md`` (the contract) fixes beside the
identifier formats (:mod:`asleep_nb.definitions.identifiers`): header names,
paging and period limits, the date format of query values, and the exact
``detail`` texts of the error answers. The client (:mod:`asleep_nb.api`)
reads answers with them; the stand-in (:mod:`asleep_nb.standin`) answers
with them, so the two cannot drift apart.

Examples
--------
>>> from asleep_nb.definitions.contract import DATE_PATTERN, NO_SESSION, LIST_LIMIT_MAX
>>> NO_SESSION.format("20250115025029_fvivn")
'Unable to find the sleep session of id 20250115025029_fvivn'
>>> bool(DATE_PATTERN.fullmatch("2025-01-15")), bool(DATE_PATTERN.fullmatch("２０２５-01-15")), LIST_LIMIT_MAX
(True, False, 100)
"""

from __future__ import annotations

import re

__all__ = [
    "API_KEY_HEADER",
    "USER_ID_HEADER",
    "TIMEZONE_HEADER",
    "DEFAULT_TIMEZONE",
    "LIST_LIMIT_MAX",
    "LIST_LIMIT_DEFAULT",
    "MAX_PERIOD_DAYS",
    "DATE_PATTERN",
    "UNAUTHORIZED",
    "BAD_TIMEZONE",
    "BAD_USER_ID",
    "BAD_SESSION_ID",
    "NO_SESSION",
    "NO_USER",
    "PERIOD_TOO_LONG",
    "RATE_LIMIT_EXCEEDED",
    "QUOTA_EXCEEDED",
    "PLAN_EXPIRED",
    "MAX_JSON_DEPTH",
    "MAX_SAFE_INTEGER",
    "MAX_SESSION_SECONDS",
    "SLEEP_INDEX_RANGE",
]

#: Header carrying the API key on every call.
API_KEY_HEADER = "x-api-key"
#: Header naming the session owner (Get Session, List Sessions).
USER_ID_HEADER = "x-user-id"
#: Header naming the IANA zone the answer's times are expressed in.
TIMEZONE_HEADER = "timezone"
#: The zone used when a request names none.
DEFAULT_TIMEZONE = "UTC"

#: Largest ``limit`` of a List Sessions page (``limit`` is 0..100).
LIST_LIMIT_MAX = 100
#: ``limit`` of a List Sessions page when the request gives none.
LIST_LIMIT_DEFAULT = 20
#: Longest Average Stats period, in days from ``start_date`` to ``end_date``.
MAX_PERIOD_DAYS = 100
#: A date query value, ``YYYY-MM-DD`` in ASCII digits (use with ``fullmatch``).
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)

#: 401: key missing or wrong (inferred wording).
UNAUTHORIZED = "Unauthorized"
#: 400: the ``timezone`` header is not a zone.
BAD_TIMEZONE = "The invalid timezone is provided"
#: 400: the ``x-user-id`` header is not a user id.
BAD_USER_ID = "The format of x-user-id is invalid"
#: 400: a malformed session id (``.format(session_id)``).
BAD_SESSION_ID = "The format of sleep session id {} is not valid"
#: 404: no such session for this user (``.format(session_id)``).
NO_SESSION = "Unable to find the sleep session of id {}"
#: 404: no such user.
NO_USER = "user does not exist"
#: 400: an Average Stats period over :data:`MAX_PERIOD_DAYS`.
PERIOD_TOO_LONG = f"The period should be less than or equal to {MAX_PERIOD_DAYS} days"
#: 403: the rate limit; the only 403 worth retrying (inferred wording).
RATE_LIMIT_EXCEEDED = "Rate limit exceeded"
#: 403: the quota is used up (inferred wording).
QUOTA_EXCEEDED = "Quota exceeded"
#: 403: the plan has expired (inferred wording).
PLAN_EXPIRED = "Plan is expired"

#: Deepest nesting of arrays and objects a JSON document may have. The API's payloads nest
#: four levels (envelope, result, session, stage array); anything past this is refused as a
#: payload error before a parser could recurse into it.
MAX_JSON_DEPTH = 64
#: Largest integer magnitude read from a payload: the largest a ``double`` holds exactly
#: (RFC 8259, section 6). Fields with a documented range are bounded more tightly.
MAX_SAFE_INTEGER = 2**53 - 1
#: Longest session accepted, in seconds (7 days). The vendor analyses sessions of up to 24 h
#: (``TOO_LONG_FOR_ANALYSIS`` beyond); a week is far above any night and far below the years a
#: broken clock would give, so a payload claiming more is refused as wrong, not analysed.
MAX_SESSION_SECONDS = 7 * 24 * 3600
#: The range of ``stat.sleep_index``, the vendor's learned quality score (inclusive).
SLEEP_INDEX_RANGE = (50, 100)
