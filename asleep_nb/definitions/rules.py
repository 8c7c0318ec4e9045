"""The rules that locate sleep in a night, each named and defined once.

Two rules find **sleep onset** and the **final awakening**; they differ only
on no-signal epochs (code -1) at the edges of the sleep period:

``"vendor"`` (:func:`vendor_sleep_period`)
    What the API's ``stat`` object uses (the contract's ``first``/``last``):
    onset is the first epoch that is *not wake*, the sleep period ends with
    the last such epoch, and a no-signal epoch counts as "not wake" (the
    vendor's TypeScript port). A night with no light, deep or REM epoch never
    slept. The stat engine (:mod:`asleep_nb.stats`) uses it, so the
    recomputed ``stat`` stays equal to the server's.
``"research"`` (:func:`research_sleep_period`)
    Onset is the first epoch *scored as sleep* (light, deep or REM), the
    sleep period ends with the last such epoch. A leading run of no signal is
    not sleep: it is time whose state is unknown. Figures (hypnogram markers,
    stage distribution, hypnodensity), cohort alignment ``align="onset"``,
    research metrics and reports use it.

On ``[0, -1, 1, 1, 0, 1, -1, 0]`` the vendor onset is epoch 1 and the
research onset epoch 2; the vendor period ends with epoch 6, the research
period with epoch 5. On a night without no-signal epochs at the edges of the
sleep period both rules agree.

Both work on one night (1-D) or on many at once: an integer array whose last
axis is epochs, padded with :data:`~asleep_nb.definitions.stages.PAD`
(sessions x epochs, as in a cohort). They return epoch indices along that
last axis, so for a cohort that is not start-aligned they are columns, not
epochs since the session start.

The **night** a session belongs to is the local calendar date of its local
start time minus 12 hours (:func:`night_of`): a session starting at 00:30 on
Sunday belongs to Saturday's night, one starting at 13:00 on Sunday to
Sunday's.

Examples
--------
>>> from asleep_nb.definitions.rules import research_sleep_period, vendor_sleep_period
>>> night = [0, -1, 1, 1, 0, 1, -1, 0]
>>> int(vendor_sleep_period(night).onset), int(research_sleep_period(night).onset)
(1, 2)
"""

from __future__ import annotations

from typing import Any, Final, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from asleep_nb.definitions.stages import PAD, SleepStage

__all__ = [
    "Rule",
    "RULES",
    "RULE_DESCRIPTIONS",
    "SleepPeriod",
    "vendor_sleep_period",
    "research_sleep_period",
    "sleep_period",
    "NIGHT_RULE",
    "NIGHT_SHIFT",
    "night_of",
    "WEEKEND_NIGHTS",
]

#: Name of an onset / final-awakening rule.
Rule = Literal["vendor", "research"]
#: The rules, in the order documents list them.
RULES: tuple[Rule, ...] = ("vendor", "research")
#: One sentence per rule, for reports and figure notes.
RULE_DESCRIPTIONS: dict[Rule, str] = {
    "vendor": (
        "vendor rule (the API's stat object): sleep onset is the first epoch that is not wake, "
        "no-signal epochs included; the sleep period ends with the last such epoch"
    ),
    "research": (
        "research rule: sleep onset is the first epoch scored as sleep (light, deep or REM); "
        "the sleep period ends with the last epoch scored as sleep"
    ),
}

#: How a session's night is found (also the ``night_rule`` attr of a cohort).
NIGHT_RULE: Final = "local calendar date of (local start time - 12 h)"
#: What :func:`night_of` subtracts from the local start time.
NIGHT_SHIFT: Final = np.timedelta64(12, "h")
#: Weekdays of a night (0 = Monday) that precede a free day: Friday and Saturday nights are weekend nights.
WEEKEND_NIGHTS: Final = (4, 5)

# plain ints: comparing an int8 array with an IntEnum member casts the array to int64 (10x slower)
_WAKE, _LIGHT = int(SleepStage.WAKE), int(SleepStage.LIGHT)


class SleepPeriod(NamedTuple):
    """Where the sleep period of each night lies, by one rule.

    Attributes
    ----------
    onset
        ``int64`` index of the sleep-onset epoch along the last axis of the
        stages, ``-1`` for a night that never slept; shape: the stages'
        shape without its last axis (``()`` for one night).
    last
        Index of the last epoch of the sleep period (the final awakening is
        at the end of this epoch, the start of epoch ``last + 1``); ``-1``
        for a night that never slept.
    """

    onset: np.ndarray
    last: np.ndarray

    @property
    def slept(self) -> np.ndarray:
        """Whether each night has a sleep period under the rule."""
        return np.asarray(self.onset >= 0)


def _codes(stages: ArrayLike) -> np.ndarray:
    arr = np.asarray(stages)
    if arr.ndim == 0:
        raise ValueError("stages must have at least one dimension (epochs last), got a scalar")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"stages must hold integer stage codes, got dtype {arr.dtype}")
    return arr


def _bounds(mark: np.ndarray, slept: np.ndarray) -> SleepPeriod:
    """First and last marked index along the last axis, -1 where ``slept`` is False."""
    n = mark.shape[-1]
    if n == 0:  # no epoch at all: nobody slept
        none = np.full(mark.shape[:-1], -1, dtype=np.int64)
        return SleepPeriod(none, none.copy())
    first = np.argmax(mark, axis=-1)
    last = _last_marked(mark)
    return SleepPeriod(
        np.where(slept, first, -1).astype(np.int64), np.where(slept, last, -1).astype(np.int64)
    )


#: Highest set bit of each byte value (0 for 0): the last of eight packed epochs that is marked.
_HIGH_BIT = np.array([max(value.bit_length() - 1, 0) for value in range(256)], dtype=np.int64)


def _last_marked(mark: np.ndarray) -> np.ndarray:
    """Index of the last True along the last axis (unspecified where there is none).

    numpy reverses an array byte by byte, slowly, and ``argmax`` over a
    reversed view copies it that way. So eight epochs are packed per byte
    (epoch ``8 j + i`` is bit ``i`` of byte ``j``), the last nonzero byte is
    found by ``argmax`` over the mirror image of the bytes (reversing the flat
    array mirrors each row and reverses the row order), and the last marked
    epoch inside it is its highest set bit.
    """
    packed = np.packbits(mark, axis=-1, bitorder="little")
    n_bytes = packed.shape[-1]
    mirrored = (packed != 0).reshape(-1)[::-1].copy().reshape(-1, n_bytes)
    last_byte = n_bytes - 1 - mirrored.argmax(axis=-1)[::-1].reshape(packed.shape[:-1])
    top = np.take_along_axis(packed, last_byte[..., None], axis=-1)[..., 0]
    return np.asarray(8 * last_byte + _HIGH_BIT[top])


def _any(mark: np.ndarray) -> np.ndarray:
    """``mark.any(axis=-1)``, faster: ``argmax`` of a boolean stops at the first True."""
    if mark.shape[-1] == 0:
        return np.zeros(mark.shape[:-1], dtype=bool)
    found = np.take_along_axis(mark, np.argmax(mark, axis=-1)[..., None], axis=-1)[..., 0]
    return np.asarray(found)


def vendor_sleep_period(stages: ArrayLike) -> SleepPeriod:
    """Sleep onset and final awakening by the vendor's rule (the ``stat`` object's).

    Onset is the first epoch that is not wake, the sleep period's last epoch
    the last such epoch; a no-signal epoch (-1) counts as not wake, padding
    (``PAD``) does not count. A night without any light, deep or REM epoch
    never slept (``-1``), even if it holds no-signal epochs.

    Parameters
    ----------
    stages
        Integer stage codes, epochs along the last axis: one night (1-D) or
        sessions x epochs padded with ``PAD``.

    Returns
    -------
    SleepPeriod

    Raises
    ------
    TypeError
        The codes are not integers.
    ValueError
        ``stages`` is a scalar.

    Examples
    --------
    >>> p = vendor_sleep_period([0, -1, 1, 1, 0, 1, -1, 0])
    >>> int(p.onset), int(p.last)
    (1, 6)
    >>> vendor_sleep_period([[0, 1, 0, -2], [0, -1, 0, 0]]).onset.tolist()  # the second never slept
    [1, -1]
    """
    codes = _codes(stages)
    not_wake = codes != _WAKE
    not_wake &= codes != PAD
    return _bounds(not_wake, _any(codes >= _LIGHT))


def research_sleep_period(stages: ArrayLike) -> SleepPeriod:
    """Sleep onset and final awakening by the research rule: first and last epoch scored as sleep.

    Sleep is light (1), deep (2) or REM (3); wake, no signal and padding are
    not. This is the rule of figures, cohort alignment and research metrics.

    Parameters
    ----------
    stages
        Integer stage codes, epochs along the last axis: one night (1-D) or
        sessions x epochs padded with ``PAD``.

    Returns
    -------
    SleepPeriod

    Raises
    ------
    TypeError
        The codes are not integers.
    ValueError
        ``stages`` is a scalar.

    Examples
    --------
    >>> p = research_sleep_period([0, -1, 1, 1, 0, 1, -1, 0])
    >>> int(p.onset), int(p.last)
    (2, 5)
    >>> research_sleep_period([[0, 3, 0, -2], [0, -1, 0, 0]]).last.tolist()
    [1, -1]
    """
    codes = _codes(stages)
    sleep = codes >= _LIGHT
    return _bounds(sleep, _any(sleep))


def sleep_period(stages: ArrayLike, rule: Rule) -> SleepPeriod:
    """:func:`vendor_sleep_period` or :func:`research_sleep_period`, by name.

    Raises
    ------
    ValueError
        ``rule`` is neither ``"vendor"`` nor ``"research"``.

    Examples
    --------
    >>> int(sleep_period([0, -1, 1], "research").onset)
    2
    """
    if rule == "vendor":
        return vendor_sleep_period(stages)
    if rule == "research":
        return research_sleep_period(stages)
    raise ValueError(f"rule must be one of {', '.join(map(repr, RULES))}, got {rule!r}")


def night_of(local_start: Any) -> np.ndarray:
    """The night each session belongs to: the local date of (local start - 12 h).

    Parameters
    ----------
    local_start
        Local wall-clock start times, naive ``datetime64`` (any shape; ``NaT`` stays ``NaT``).

    Returns
    -------
    numpy.ndarray
        ``datetime64[ns]`` at midnight of each night's date.

    Examples
    --------
    >>> import numpy as np
    >>> starts = np.array(["2025-01-11T23:30", "2025-01-12T00:30", "2025-01-12T13:00"], "datetime64[ns]")
    >>> night_of(starts).astype("datetime64[D]").tolist()
    [datetime.date(2025, 1, 11), datetime.date(2025, 1, 11), datetime.date(2025, 1, 12)]
    """
    local = np.asarray(local_start, dtype="datetime64[ns]")
    return (local - NIGHT_SHIFT).astype("datetime64[D]").astype("datetime64[ns]")
