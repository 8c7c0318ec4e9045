"""Input checks shared by the stat engine: aware datetimes, epoch counts, stage codes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from asleep_nb.definitions import EPOCH_SECONDS, PAD
from asleep_nb.errors import PayloadError

__all__ = ["aware_datetime", "check_epoch_count", "check_codes", "check_run_codes", "unknown_code"]


def aware_datetime(value: Any, name: str) -> datetime:
    """``value`` itself when it is a timezone-aware ``datetime``.

    Raises
    ------
    TypeError
        ``value`` is not a ``datetime``.
    ValueError
        ``value`` is naive.

    Examples
    --------
    >>> from datetime import UTC, datetime
    >>> aware_datetime(datetime(2025, 1, 15, tzinfo=UTC), "start_time").isoformat()
    '2025-01-15T00:00:00+00:00'
    >>> aware_datetime(datetime(2025, 1, 15), "start_time")
    Traceback (most recent call last):
    ...
    ValueError: start_time must be timezone-aware (naive datetimes are ambiguous)
    """
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a timezone-aware datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (naive datetimes are ambiguous)")
    return value


def check_epoch_count(n_epochs: np.ndarray, time_in_bed: np.ndarray, what: str = "session") -> None:
    """Raise :class:`PayloadError` where the epoch count disagrees with the times.

    The contract has ``n == floor(time_in_bed / 30)``; a count within one
    epoch of ``time_in_bed / 30`` is accepted.

    Examples
    --------
    >>> import numpy as np
    >>> check_epoch_count(np.array([120]), np.array([3600.0]))
    >>> check_epoch_count(np.array([100]), np.array([3600.0]))
    Traceback (most recent call last):
    ...
    asleep_nb.errors.PayloadError: session[0]: 100 epochs (3000 s) but end_time - start_time is 3600 s
    """
    n_epochs = np.atleast_1d(n_epochs)
    time_in_bed = np.broadcast_to(np.atleast_1d(time_in_bed), n_epochs.shape)
    bad = np.abs(n_epochs * EPOCH_SECONDS - time_in_bed) > EPOCH_SECONDS
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        where = what if n_epochs.size == 1 and what != "session" else f"{what}[{i}]"
        raise PayloadError(
            where,
            f"{int(n_epochs[i])} epochs ({int(n_epochs[i]) * EPOCH_SECONDS} s) but end_time - start_time "
            f"is {time_in_bed[i]:g} s",
        )


def check_codes(values: np.ndarray, low: int, high: int, name: str) -> None:
    """Raise :class:`PayloadError` on the first value outside ``[low, high]``.

    Two fast reductions when all is well; ``low`` is the padding code.

    Examples
    --------
    >>> import numpy as np
    >>> check_codes(np.array([[0, 4]]), -2, 3, "sleep_stage")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.PayloadError: sleep_stage[0, 1]: unknown code 4; expected -1..3 (or PAD -2)
    """
    if values.size and (values.min() < low or values.max() > high):
        r, c = np.argwhere((values < low) | (values > high))[0]
        raise unknown_code(name, (r, c), values[r, c], low, high)


def check_run_codes(
    code: np.ndarray, row: np.ndarray, col: np.ndarray, low: int, high: int, name: str
) -> None:
    """:func:`check_codes` of a 2-D array from its runs of equal values (row-major order).

    Every value of the array is some run's value, and the first value out of
    range starts its run, so the error names the same element as
    :func:`check_codes` of the array would, at the cost of the runs.

    Examples
    --------
    >>> import numpy as np
    >>> check_run_codes(np.array([0, 4]), np.array([0, 0]), np.array([0, 3]), -2, 3, "sleep_stage")
    Traceback (most recent call last):
    ...
    asleep_nb.errors.PayloadError: sleep_stage[0, 3]: unknown code 4; expected -1..3 (or PAD -2)
    """
    if code.size and (code.min() < low or code.max() > high):
        i = int(np.flatnonzero((code < low) | (code > high))[0])
        raise unknown_code(name, (row[i], col[i]), code[i], low, high)


def unknown_code(name: str, where: tuple[Any, Any], value: Any, low: int, high: int) -> PayloadError:
    """The error of a code outside ``low + 1 .. high`` (``low``: the padding) at ``name[row, col]``.

    Examples
    --------
    >>> str(unknown_code("snoring_stage", (0, 2), float("nan"), -2, 1))
    'snoring_stage[0, 2]: unknown code nan; expected -1..1 (or PAD -2)'
    """
    shown = int(value) if float(value).is_integer() else float(value)
    return PayloadError(
        f"{name}[{int(where[0])}, {int(where[1])}]",
        f"unknown code {shown}; expected {low + 1}..{high} (or PAD {PAD})",
    )
