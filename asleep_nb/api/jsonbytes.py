r"""JSON from and to bytes, the one decoding point: ``orjson`` when installed, else the standard library.

Both give the same Python values for what the API sends (objects, arrays,
strings, numbers within 64 bits, booleans, ``null``), and the same compact
bytes for them; ``orjson`` parses a night's payload about six times faster
and writes it about ten times faster (measured on a 960-epoch payload: 32 µs
against 185 µs to parse, 21 µs against 223 µs to write). Only values read
with :func:`loads` are meant for :func:`dumps`.

:func:`loads` is where every answer, archived file and manifest line is
decoded, and it refuses, as a :class:`~asleep_nb.errors.PayloadError` (a
``ValueError``), whatever is not standard JSON or could make a later step
fail with a bare Python error:

- nesting deeper than :data:`~asleep_nb.definitions.contract.MAX_JSON_DEPTH`
  (checked on the bytes before any parser recurses: no ``RecursionError``);
- the ``NaN`` and ``Infinity`` literals, and numbers too large for a float
  (``1e400``);
- lone UTF-16 surrogates (``"\ud800"``), which no file can hold as UTF-8;
- text that is not UTF-8, and a leading byte order mark (RFC 8259 forbids
  sending one; ``orjson`` refuses it, the standard library would not).

Duplicate keys keep the last value, as both parsers do.

Examples
--------
>>> from asleep_nb.api.jsonbytes import dumps, loads
>>> loads(b'{"a": [1, 2.5, null]}')
{'a': [1, 2.5, None]}
>>> dumps({"zone": "Asia/Seoul", "n": [1, 2]})
b'{"zone":"Asia/Seoul","n":[1,2]}'
>>> loads(b"[NaN]")
Traceback (most recent call last):
...
asleep_nb.errors.PayloadError: not standard JSON: NaN
>>> loads(b"[" * 100_000 + b"]" * 100_000)
Traceback (most recent call last):
...
asleep_nb.errors.PayloadError: not accepted JSON: nested 100000 levels deep, more than the 64 allowed
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

from asleep_nb.definitions.contract import MAX_JSON_DEPTH
from asleep_nb.errors import PayloadError

__all__ = ["BACKEND", "loads", "dumps", "json_depth"]

try:  # pragma: no cover - which branch runs depends on the environment
    import orjson
except ImportError:  # pragma: no cover
    orjson = None  # type: ignore[assignment]

#: The parser in use: ``"orjson"`` or ``"json"``.
BACKEND = "json" if orjson is None else "orjson"

#: A JSON string (escapes included), so brackets inside strings are not counted as nesting.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
#: Every byte but the four brackets (``bytes.translate`` deletes them).
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_OPENING = frozenset(b"[{")
#: +1 for an opening bracket, -1 for a closing one, by byte value.
_BRACKET_STEPS = np.zeros(256, dtype=np.int8)
_BRACKET_STEPS[list(b"[{")] = 1
_BRACKET_STEPS[list(b"]}")] = -1
#: An escaped UTF-16 surrogate: only then can the standard library give a lone one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse(name: str) -> Any:
    raise PayloadError(f"not standard JSON: {name}")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise PayloadError(f"not accepted JSON: the number {text[:40]} is too large for a float")
    return value


def json_depth(data: bytes) -> int:
    r"""The deepest nesting of arrays and objects in JSON text, found without recursion.

    Strings are taken out first (brackets in them do not count): split on
    ``"`` when no quote is escaped, else with a regular expression. The depth
    is then the running maximum of opening minus closing brackets (in Python
    for a few thousand brackets, numpy beyond), in time linear in the text.

    Examples
    --------
    >>> json_depth(b'{"a": [[1], "]]]"]}'), json_depth(b'["\\"]"]'), json_depth(b"3")
    (3, 1, 0)
    """
    bare = _STRING.sub(b'""', data) if b'\\"' in data else b"".join(data.split(b'"')[::2])
    brackets = bare.translate(None, _NOT_BRACKETS)
    if len(brackets) > 4096:
        steps = _BRACKET_STEPS[np.frombuffer(brackets, dtype=np.uint8)]
        return int(np.cumsum(steps, dtype=np.int64).max(initial=0))
    depth = deepest = 0
    for code in brackets:  # bounded: at most 4096 brackets
        depth += 1 if code in _OPENING else -1
        deepest = max(deepest, depth)
    return deepest


def loads(data: bytes | str) -> Any:
    """Parse JSON text (UTF-8 bytes or ``str``), refusing what the module docs list.

    Raises
    ------
    PayloadError
        When the text is not standard JSON or is refused (a ``ValueError``,
        so callers that catch ``ValueError`` keep working).
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.startswith(b"\xef\xbb\xbf"):
        raise PayloadError("not accepted JSON: it starts with a byte order mark")
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH:  # cheap: only then can it be too deep
        depth = json_depth(raw)
        if depth > MAX_JSON_DEPTH:
            raise PayloadError(
                f"not accepted JSON: nested {depth} levels deep, more than the {MAX_JSON_DEPTH} allowed"
            )
    if orjson is not None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass  # maybe an integer beyond 64 bits, which only the standard library reads
    try:
        value = json.loads(data, parse_constant=_refuse, parse_float=_finite)
    except PayloadError:
        raise
    except (ValueError, RecursionError) as exc:  # RecursionError: unreachable after the depth check
        raise PayloadError(f"not JSON: {str(exc)[:200]}") from None
    if _SURROGATE_ESCAPE.search(raw):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise PayloadError("not accepted JSON: a string holds a lone UTF-16 surrogate") from None
    return value


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON bytes (no spaces, non-ASCII kept as is).

    Raises
    ------
    TypeError, ValueError
        When ``value`` holds something JSON cannot say (a ``set``).
    """
    if orjson is not None:
        try:
            # a compact copy: orjson's own result keeps its whole write buffer (256 KiB for a
            # 6 KB night), which a record keeping the text would hold for as long as it lives
            return memoryview(orjson.dumps(value)).tobytes()
        except TypeError:
            pass  # maybe an integer beyond 64 bits
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
