"""Stage arrays of a session: JSON arrays of codes -> read-only ``int8`` arrays, checked.

Examples
--------
>>> from asleep_nb.api.records.stages import STAGE_CODES, as_stage_array
>>> as_stage_array([0, 1, 3], "session.sleep_stages", STAGE_CODES["sleep_stages"])
array([0, 1, 3], dtype=int8)
>>> as_stage_array([0, 7], "session.sleep_stages", STAGE_CODES["sleep_stages"])
Traceback (most recent call last):
...
asleep_nb.errors.PayloadError: session.sleep_stages[1]: value 7 is not a sleep stage code (-1, 0, 1, 2, 3)
"""

from __future__ import annotations

import array
import operator
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from asleep_nb import definitions as schema
from asleep_nb.api.records._parse import describe
from asleep_nb.errors import PayloadError, PayloadWarning

__all__ = ["StageCodes", "STAGE_CODES", "StageArray", "as_stage_array", "check_epoch_count", "arrays_equal"]

#: A read-only array of stage codes, one per 30-second epoch.
StageArray = NDArray[np.int8]


@dataclass(frozen=True)
class StageCodes:
    """The codes a stage array may hold: a contiguous range ``lo..hi``, named for messages."""

    label: str
    lo: int
    hi: int

    @classmethod
    def of(cls, label: str, codes: frozenset[int]) -> StageCodes:
        """The range of ``codes``, which must be contiguous."""
        lo, hi = min(codes), max(codes)
        if set(codes) != set(range(lo, hi + 1)):  # the range check below needs a contiguous set
            raise AssertionError(f"{label} codes are not contiguous: {sorted(codes)}")
        return cls(label, lo, hi)

    def listing(self) -> str:
        """``"-1, 0, 1, 2, 3"``: the codes, for messages."""
        return ", ".join(str(c) for c in range(self.lo, self.hi + 1))


#: The codes of each stage array of ``result.session``, from :mod:`asleep_nb.definitions`.
STAGE_CODES: dict[str, StageCodes] = {
    "sleep_stages": StageCodes.of("sleep stage", schema.SLEEP_STAGE_CODES),
    "breath_stages": StageCodes.of("breath stage", schema.BREATH_STAGE_CODES),
    "snoring_stages": StageCodes.of("snoring stage", schema.SNORING_STAGE_CODES),
}


def as_stage_array(
    value: object, path: str, codes: StageCodes, *, no_booleans: bool = False
) -> StageArray | None:
    """A JSON array of stage codes -> read-only ``int8`` array; ``None`` stays ``None``.

    Fast path, for arrays of plain integers (what ``json.loads`` gives): one
    C-level pass over the element types, one conversion straight to ``int8``
    and one vectorised range check. When the caller knows the document holds
    no JSON boolean (``no_booleans``: its text has neither ``true`` nor
    ``false``), the type pass is left out: ``bytes`` (or ``array.array``)
    already refuses every other non-integer while it converts. Anything else
    (floats, strings, nulls, booleans, nested arrays, other integer types)
    takes the general path; either way an offending element is named by its
    index.
    """
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise PayloadError(path, f"expected an array of integers or null, got {describe(value)}")
    if no_booleans and (exact := _converted(value, codes)) is not None:
        return exact
    if operator.countOf(map(type, value), int) != len(value):  # a bool, float, str ... somewhere
        return _general_stage_array(value, path, codes)
    try:
        out = np.fromiter(value, dtype=np.int8, count=len(value))
    except OverflowError:  # beyond int8: not a code
        raise _first_bad_stage(value, path, codes) from None
    _check_range(out, path, codes)
    out.flags.writeable = False
    return out


def _converted(value: list[Any] | tuple[Any, ...], codes: StageCodes) -> StageArray | None:
    """Integers in range as a read-only ``int8`` array, or ``None`` for the general path to judge.

    ``bytes`` takes integers 0..255 and ``array.array("b")`` -128..127 (both
    refuse floats, strings and nulls, but take booleans: the caller has ruled
    those out); ``bytes`` is the faster and gives a read-only buffer.
    """
    raw: np.ndarray
    try:
        raw = np.frombuffer(bytes(value), dtype=np.uint8)  # read-only: bytes are immutable
        low_ok = codes.lo <= 0  # bytes are >= 0
    except (TypeError, ValueError):  # a negative code (-1, no signal), or not an integer
        try:
            raw = np.frombuffer(array.array("b", value), dtype=np.int8)
        except (TypeError, OverflowError):
            return None
        raw.flags.writeable = False
        low_ok = False
    if raw.size and ((not low_ok and raw.min() < codes.lo) or raw.max() > codes.hi):
        return None
    return raw.view(np.int8)  # checked in its own type: a uint8 of 128 is not an int8 of -128


def _general_stage_array(value: list[Any] | tuple[Any, ...], path: str, codes: StageCodes) -> StageArray:
    """Any array: ``array.array("h", ...)`` refuses what is not an integer, a type scan booleans."""
    try:
        raw = np.frombuffer(array.array("h", value), dtype=np.int16)
    except (TypeError, OverflowError):
        raise _first_bad_stage(value, path, codes) from None
    if bool in set(map(type, value)):
        raise _first_bad_stage(value, path, codes)
    _check_range(raw, path, codes)
    out = raw.astype(np.int8)
    out.flags.writeable = False
    return out


def _check_range(raw: np.ndarray, path: str, codes: StageCodes) -> None:
    if raw.size and (raw.min() < codes.lo or raw.max() > codes.hi):
        i = int(np.flatnonzero((raw < codes.lo) | (raw > codes.hi))[0])
        raise PayloadError(
            f"{path}[{i}]", f"value {int(raw[i])} is not a {codes.label} code ({codes.listing()})"
        )


def _first_bad_stage(value: Sequence[object], path: str, codes: StageCodes) -> PayloadError:
    for i, item in enumerate(value):
        if type(item) is not int:
            return PayloadError(
                f"{path}[{i}]", f"expected an integer {codes.label} code, got {describe(item)}"
            )
        if not codes.lo <= item <= codes.hi:
            return PayloadError(
                f"{path}[{i}]", f"value {item} is not a {codes.label} code ({codes.listing()})"
            )
    return PayloadError(path, "not an array of stage codes")  # pragma: no cover - unreachable


def check_epoch_count(array_: StageArray, path: str, start: datetime, end: datetime) -> None:
    """Check a stage array's length against ``end - start``: off by one warns, by more raises."""
    expected = int((end - start).total_seconds() // schema.EPOCH_SECONDS)
    diff = len(array_) - expected
    if diff == 0:
        return
    span = f"start_time..end_time spans {expected} epochs of {schema.EPOCH_SECONDS} s"
    if abs(diff) == 1:
        warnings.warn(
            f"{path}: has {len(array_)} epochs but {span} (one epoch off; kept as sent)",
            PayloadWarning,
            stacklevel=5,
        )
        return
    raise PayloadError(path, f"has {len(array_)} epochs but {span}")


def arrays_equal(a: StageArray | None, b: StageArray | None) -> bool:
    """Whether two optional stage arrays are equal (``None`` equals only ``None``)."""
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and bool((a == b).all())
