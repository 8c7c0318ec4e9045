"""What the stand-in answers: responses, envelopes and the contract's exact ``detail`` texts.

The texts and limits are the contract's own (:mod:`asleep_nb.definitions.contract`),
re-exported here for the stand-in's endpoints.

Examples
--------
>>> from asleep_nb.standin.responses import NO_SESSION, Response
>>> Response.error(404, NO_SESSION.format("20250115025029_fvivn")).body
b'{"detail":"Unable to find the sleep session of id 20250115025029_fvivn"}'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asleep_nb.definitions.contract import (
    BAD_SESSION_ID,
    BAD_TIMEZONE,
    BAD_USER_ID,
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    MAX_PERIOD_DAYS,
    NO_SESSION,
    NO_USER,
    PERIOD_TOO_LONG,
    UNAUTHORIZED,
)
from asleep_nb.standin.convert import dumps

__all__ = [
    "Response",
    "RequestError",
    "JSON_TYPE",
    "MAX_LIMIT",
    "DEFAULT_LIMIT",
    "MAX_PERIOD_DAYS",
    "UNAUTHORIZED",
    "BAD_TIMEZONE",
    "BAD_USER_ID",
    "BAD_SESSION_ID",
    "NO_SESSION",
    "NO_USER",
    "PERIOD_TOO_LONG",
]

JSON_TYPE = "application/json"
#: Largest ``limit`` of List Sessions (the contract's, :mod:`asleep_nb.definitions.contract`).
MAX_LIMIT = LIST_LIMIT_MAX
DEFAULT_LIMIT = LIST_LIMIT_DEFAULT


@dataclass(frozen=True, slots=True)
class Response:
    """One HTTP response: status, JSON body bytes and extra headers."""

    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def error(cls, status: int, detail: str, headers: tuple[tuple[str, str], ...] = ()) -> Response:
        """The error envelope ``{"detail": detail}``.

        Examples
        --------
        >>> Response.error(401, "Unauthorized").body
        b'{"detail":"Unauthorized"}'
        """
        return cls(status, dumps({"detail": detail}), headers)

    @classmethod
    def ok(cls, result: Any, detail: str = "OK") -> Response:
        """The success envelope ``{"detail": detail, "result": result}``."""
        return cls(200, dumps({"detail": detail, "result": result}))


class RequestError(Exception):
    """Raised inside the API to answer with an error envelope."""

    def __init__(self, status: int, detail: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(status, detail)
        self.response = Response.error(status, detail, headers)
