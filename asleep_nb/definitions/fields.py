"""Codes, field names and units shared by every layer.

This module is the single place that says what the Asleep API's numbers
mean: stage codes, the epoch length, the fields of the ``stat`` object and
how each is represented once it leaves JSON (in records, in xarray datasets
and in tables). Nothing here does I/O or imports another ``asleep_nb``
module, so every layer may import it.

Examples
--------
>>> from asleep_nb.definitions import STAT_FIELDS, EPOCH_SECONDS, SleepStage
>>> EPOCH_SECONDS
30
>>> STAT_FIELDS["time_in_sleep"].kind
'duration'
>>> int(SleepStage.REM)
3
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "EPOCH_SECONDS",
    "PAD",
    "SleepStage",
    "SnoringStage",
    "SLEEP_STAGE_CODES",
    "SNORING_STAGE_CODES",
    "BREATH_STAGE_CODES",
    "SLEEP_STAGE_FLAGS",
    "SNORING_STAGE_FLAGS",
    "StatField",
    "STAT_FIELDS",
    "FOUR_STAGE_ONLY_FIELDS",
    "NEVER_SLEPT_NULL_FIELDS",
    "STAT_NULL_PECULIARITIES",
    "INVALID_PECULIARITIES",
    "stat_attrs",
]

#: Length of one epoch in seconds. Stage arrays hold one value per epoch.
EPOCH_SECONDS: int = 30

#: Fill code for epoch slots that hold no epoch of a session (padding in a
#: cohort whose nights differ in length or alignment). Chosen outside every
#: stage code of the API so it can never be mistaken for data; stage arrays
#: stay ``int8``.
PAD: int = -2


class SleepStage(enum.IntEnum):
    """Sleep stage codes of the API (four-stage contract).

    Under a two-stage contract only ``WAKE`` (0) and ``LIGHT`` (1, meaning
    "sleep") occur.
    """

    ERROR = -1
    WAKE = 0
    LIGHT = 1
    DEEP = 2
    REM = 3


class SnoringStage(enum.IntEnum):
    """Snoring codes of the API."""

    ERROR = -1
    NO_SNORING = 0
    SNORING = 1


#: Every value a ``sleep_stages`` array may hold.
SLEEP_STAGE_CODES: frozenset[int] = frozenset(int(s) for s in SleepStage)
#: Every value a ``snoring_stages`` array may hold.
SNORING_STAGE_CODES: frozenset[int] = frozenset(int(s) for s in SnoringStage)
#: Breath stages are not documented beyond "nullable list": accept -1..2.
BREATH_STAGE_CODES: frozenset[int] = frozenset({-1, 0, 1, 2})

#: CF flag attributes for the ``sleep_stage`` variable.
SLEEP_STAGE_FLAGS: dict[str, object] = {
    "flag_values": [-1, 0, 1, 2, 3],
    "flag_meanings": "error wake light deep rem",
}
#: CF flag attributes for the ``snoring_stage`` variable.
SNORING_STAGE_FLAGS: dict[str, object] = {
    "flag_values": [-1, 0, 1],
    "flag_meanings": "error no_snoring snoring",
}

Kind = Literal["time", "duration", "ratio", "count", "index", "text", "time_list"]


@dataclass(frozen=True)
class StatField:
    """How one field of the API's ``stat`` object is represented.

    Parameters
    ----------
    name
        The API's field name, kept as is everywhere in the toolkit.
    kind
        ``"time"``: an ISO timestamp in JSON, a timezone-aware ``datetime`` in
        records, UTC-naive ``datetime64`` in xarray (``NaT`` when null).
        ``"duration"``: integer seconds in JSON and records, ``float64``
        seconds in xarray (``NaN`` when null), ``units="s"``.
        ``"ratio"``: a float in [0, 1], ``float64`` in xarray, ``units="1"``.
        ``"count"``: an integer in JSON and records, ``float64`` in xarray.
        ``"index"``: the vendor's learned score (``sleep_index``).
        ``"text"``: a string (``breathing_pattern``); ``""`` means null in xarray.
        ``"time_list"``: a list of ISO timestamps (``sleep_cycle_time``); in
        xarray a ``datetime64`` variable along a ``cycle`` dimension padded
        with ``NaT``.
    units
        CF-style units for the xarray representation.
    description
        One line for tables and docs.
    """

    name: str
    kind: Kind
    units: str
    description: str


def _f(name: str, kind: Kind, description: str) -> StatField:
    units = {
        "time": "",
        "duration": "s",
        "ratio": "1",
        "count": "1",
        "index": "1",
        "text": "",
        "time_list": "",
    }[kind]
    return StatField(name, kind, units, description)


#: The fields of the API's ``stat`` object, in the vendor's order.
STAT_FIELDS: dict[str, StatField] = {
    f.name: f
    for f in [
        _f("sleep_time", "time", "sleep onset: start of the first non-wake epoch"),
        _f("wake_time", "time", "final awakening: end of the last non-wake epoch"),
        _f("sleep_latency", "duration", "session start to sleep onset"),
        _f("wakeup_latency", "duration", "final awakening to session end"),
        _f("light_latency", "duration", "sleep onset to first light epoch"),
        _f("deep_latency", "duration", "sleep onset to first deep epoch"),
        _f("rem_latency", "duration", "sleep onset to first REM epoch"),
        _f("time_in_bed", "duration", "session end minus session start"),
        _f("time_in_sleep_period", "duration", "sleep plus wake between onset and final awakening"),
        _f("time_in_sleep", "duration", "light plus deep plus REM"),
        _f("time_in_wake", "duration", "wake between onset and final awakening"),
        _f("time_in_light", "duration", "light sleep"),
        _f("time_in_deep", "duration", "deep sleep"),
        _f("time_in_rem", "duration", "REM sleep"),
        _f("time_in_stable_breath", "duration", "stable breathing (not recomputable)"),
        _f("time_in_unstable_breath", "duration", "unstable breathing (not recomputable)"),
        _f("time_in_snoring", "duration", "snoring within the sleep period"),
        _f("time_in_no_snoring", "duration", "no snoring within the sleep period"),
        _f("sleep_efficiency", "ratio", "time_in_sleep / time_in_bed"),
        _f("sleep_ratio", "ratio", "1 - wake_ratio"),
        _f("wake_ratio", "ratio", "time_in_wake / time_in_sleep_period"),
        _f("light_ratio", "ratio", "time_in_light / time_in_sleep_period"),
        _f("deep_ratio", "ratio", "time_in_deep / time_in_sleep_period"),
        _f("rem_ratio", "ratio", "time_in_rem / time_in_sleep_period"),
        _f("stable_breath_ratio", "ratio", "share of stable breathing (not recomputable)"),
        _f("unstable_breath_ratio", "ratio", "share of unstable breathing (not recomputable)"),
        _f("snoring_ratio", "ratio", "time_in_snoring / time_in_sleep_period"),
        _f("no_snoring_ratio", "ratio", "time_in_no_snoring / time_in_sleep_period"),
        _f("breathing_pattern", "text", "vendor's breathing label (not recomputable)"),
        _f("breathing_index", "index", "vendor's breathing index (not recomputable)"),
        _f("waso_count", "count", "runs of wake between onset and final awakening"),
        _f("longest_waso", "duration", "longest run of wake after onset"),
        _f("sleep_cycle_count", "count", "REM clusters of at least 20 epochs"),
        _f("sleep_cycle", "duration", "mean sleep-cycle length (whole seconds)"),
        _f("unstable_breath_count", "count", "unstable breathing events (not recomputable)"),
        _f("snoring_count", "count", "runs of snoring within the sleep period"),
        _f("sleep_index", "index", "vendor's learned quality score, 50-100 (not recomputable)"),
        _f("sleep_cycle_time", "time_list", "sleep onset, then the end of each counted REM cluster"),
    ]
}

#: Fields that are null under a two-stage contract.
FOUR_STAGE_ONLY_FIELDS: frozenset[str] = frozenset(
    {
        "time_in_light",
        "time_in_deep",
        "time_in_rem",
        "light_ratio",
        "deep_ratio",
        "rem_ratio",
        "light_latency",
        "deep_latency",
        "rem_latency",
    }
)

#: Fields that are null when a session carries ``NEVER_SLEPT``.
NEVER_SLEPT_NULL_FIELDS: frozenset[str] = frozenset(
    {
        "sleep_latency",
        "sleep_time",
        "wakeup_latency",
        "wake_time",
        "wake_ratio",
        "sleep_ratio",
        "rem_ratio",
        "light_ratio",
        "deep_ratio",
        "light_latency",
        "deep_latency",
        "rem_latency",
        "sleep_cycle",
        "longest_waso",
        "sleep_index",
    }
)

#: Peculiarities under which the server sends ``stat: null``.
STAT_NULL_PECULIARITIES: frozenset[str] = frozenset(
    {"IN_PROGRESS", "NO_REALTIME_POLLING", "TOO_SHORT_FOR_ANALYSIS", "TOO_MANY_DEFECTS_IN_SLEEP_STAGES"}
)

#: Peculiarities that make a session invalid.
INVALID_PECULIARITIES: frozenset[str] = frozenset(
    {"TOO_SHORT_FOR_ANALYSIS", "TOO_MANY_DEFECTS_IN_SLEEP_STAGES"}
)


def stat_attrs(name: str) -> dict[str, str]:
    """Attributes of the xarray variable that holds the stat field ``name``.

    Examples
    --------
    >>> stat_attrs("time_in_rem")["units"]
    's'
    """
    field = STAT_FIELDS[name]
    attrs = {"long_name": field.description}
    if field.units:
        attrs["units"] = field.units
    return attrs
