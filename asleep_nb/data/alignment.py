"""A cohort's epoch axis: where each session's first epoch sits, by start, sleep onset or clock time.

:func:`asleep_nb.data.cohort.to_cohort` places every session on one epoch
axis with the rules here: ``"start"`` puts each session's first epoch at 0,
``"onset"`` its sleep onset by the research rule
(:func:`asleep_nb.definitions.research_sleep_period`), ``"clock"`` its local
start on a 24-hour clock grid opened at ``clock_start``.
"""

from __future__ import annotations

import re
from datetime import time as dt_time
from typing import Any, Literal

import numpy as np

from asleep_nb.data.night import EPOCH, fit_stages
from asleep_nb.definitions import EPOCH_SECONDS, PAD, research_sleep_period

__all__ = [
    "Alignment",
    "ALIGNMENTS",
    "CLOCK_SLOTS",
    "check_alignment",
    "parse_clock_start",
    "format_clock",
    "placement",
    "place",
]

Alignment = Literal["start", "onset", "clock"]
#: The ways a cohort's epoch axis can be aligned.
ALIGNMENTS: tuple[Alignment, ...] = ("start", "onset", "clock")
#: Slots of the 24-hour clock grid of ``align="clock"``.
CLOCK_SLOTS = 24 * 3600 // EPOCH_SECONDS
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def check_alignment(value: object) -> Alignment:
    """``value`` as an :data:`Alignment`, or a ``ValueError`` naming the choices.

    Examples
    --------
    >>> check_alignment("onset")
    'onset'
    >>> check_alignment("sleep")
    Traceback (most recent call last):
    ...
    ValueError: align must be one of 'start', 'onset', 'clock', got 'sleep'
    """
    for alignment in ALIGNMENTS:
        if value == alignment:
            return alignment
    raise ValueError(f"align must be one of {', '.join(map(repr, ALIGNMENTS))}, got {value!r}")


def parse_clock_start(value: str | dt_time) -> np.timedelta64:
    """A local clock time ``"HH:MM"``, ``"HH:MM:SS"`` or ``datetime.time`` as time since midnight.

    Raises
    ------
    ValueError
        Malformed text, a time that is not of a day, or an aware ``time``.

    Examples
    --------
    >>> parse_clock_start("18:30"), parse_clock_start("7:05:09")
    (np.timedelta64(66600000000000,'ns'), np.timedelta64(25509000000000,'ns'))
    >>> parse_clock_start("25:00")
    Traceback (most recent call last):
    ...
    ValueError: clock_start '25:00' is not a time of day (HH:MM or HH:MM:SS)
    """
    if isinstance(value, dt_time):
        if value.tzinfo is not None:
            raise ValueError("clock_start must be a naive local time (no tzinfo)")
        h, m, s = value.hour, value.minute, value.second
    else:
        match = _CLOCK.match(str(value).strip()) if isinstance(value, str) else None
        if match is None:
            raise ValueError(f"clock_start must be 'HH:MM' or 'HH:MM:SS', got {value!r}")
        h, m, s = int(match[1]), int(match[2]), int(match[3] or 0)
        if h > 23 or m > 59 or s > 59:
            raise ValueError(f"clock_start {value!r} is not a time of day (HH:MM or HH:MM:SS)")
    return np.timedelta64(h * 3600 + m * 60 + s, "s").astype("timedelta64[ns]")


def format_clock(offset: np.timedelta64) -> str:
    """A time since midnight as ``"HH:MM"`` (``"HH:MM:SS"`` when it has seconds)."""
    seconds = int(offset // np.timedelta64(1, "s"))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")


def _onset_epochs(stage_lists: list[Any], n_epochs: np.ndarray) -> np.ndarray:
    """Sleep onset of each session by the research rule (0 for a night that never slept)."""
    grid = np.full((len(stage_lists), int(n_epochs.max(initial=0))), PAD, dtype=np.int8)
    for i, values in enumerate(stage_lists):
        if values is not None and len(values):
            grid[i, : len(values)] = values
    return np.maximum(research_sleep_period(grid).onset, 0)


def placement(
    align: str,
    stage_lists: list[Any],
    n_epochs: np.ndarray,
    local_start: np.ndarray,
    clock_offset: np.timedelta64,
) -> tuple[np.ndarray, int, int]:
    """Position of each session's first epoch relative to epoch 0, and the axis bounds [lo, hi)."""
    if align == "start":
        rel = np.zeros(len(n_epochs), dtype=np.int64)
        return rel, 0, int(n_epochs.max(initial=0))
    if align == "onset":
        rel = -_onset_epochs(stage_lists, n_epochs)
        return rel, int(min(rel.min(), 0)), int(max((rel + n_epochs).max(), 0))
    shifted = local_start - clock_offset
    window_open = shifted.astype("datetime64[D]").astype("datetime64[ns]") + clock_offset
    rel = (local_start - window_open) // EPOCH
    return rel.astype(np.int64), 0, int(max(CLOCK_SLOTS, (rel + n_epochs).max()))


def place(
    name: str,
    arrays: list[Any],
    sessions: list[Any],
    offset: np.ndarray,
    n_epochs: np.ndarray,
    n_slots: int,
) -> np.ndarray:
    """One preallocated ``int8`` grid filled with ``PAD`` and each session's epochs sliced in."""
    grid = np.full((len(arrays), n_slots), PAD, dtype=np.int8)
    check = name != "sleep_stage"
    for i, values in enumerate(arrays):
        if values is None:
            continue
        n = int(n_epochs[i])
        if check and len(values) != n:
            values = fit_stages(name, np.asarray(values, dtype=np.int8), n, f"session {sessions[i].id}")
        if n:
            start = int(offset[i])
            grid[i, start : start + n] = values
    return grid
