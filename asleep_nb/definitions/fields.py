"""Every metric the toolkit reports: the API's ``stat`` fields and the research metrics.

For each metric, one :class:`StatField` says how it is stored (kind and CF
units in xarray), how it is shown (display unit, precision, label) and what
it means (definition text). Records, datasets, tables, figures, widgets and
reports all read it from here; :mod:`asleep_nb.definitions.display` formats
values with it.

The definitions of the ``stat`` fields are the contract's
(``asleep-api.md``, "How the stat object is computed": the vendor's
reference ``pysleep`` 0.2.0), with no-signal epochs handled by the
**vendor rule** of :mod:`asleep_nb.definitions.rules`. ``first`` and ``last``
below are the first and last epoch of the sleep period under that rule.

Examples
--------
>>> from asleep_nb.definitions import STAT_FIELDS, METRICS
>>> f = STAT_FIELDS["time_in_sleep"]
>>> f.kind, f.units, f.display_unit, f.precision, f.label
('duration', 's', 'h', 2, 'Time in sleep')
>>> METRICS["research_sleep_latency"].display_unit
'min'
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

__all__ = [
    "Kind",
    "StatField",
    "STAT_FIELDS",
    "RESEARCH_METRICS",
    "METRICS",
    "FOUR_STAGE_ONLY_FIELDS",
    "NEVER_SLEPT_NULL_FIELDS",
    "STAT_NULL_PECULIARITIES",
    "INVALID_PECULIARITIES",
    "UNANALYSABLE_PECULIARITIES",
    "unanalysable_reasons",
    "stat_attrs",
    "cf_attrs",
]

Kind = Literal["time", "duration", "ratio", "count", "index", "text", "time_list"]

#: CF units of each kind in xarray (``""``: none, times carry CF encoding instead).
_CF_UNITS: dict[Kind, str] = {
    "time": "",
    "duration": "s",
    "ratio": "1",
    "count": "1",
    "index": "1",
    "text": "",
    "time_list": "",
}
#: Display unit and decimals of each kind, unless a metric says otherwise.
_DISPLAY: dict[Kind, tuple[str, int]] = {
    "time": ("local clock time", 2),
    "duration": ("min", 1),
    "ratio": ("%", 1),
    "count": ("", 1),
    "index": ("", 1),
    "text": ("", 0),
    "time_list": ("local clock time", 2),
}
#: CF standard names of the kinds held as instants (a metric with other units, clock hours, has none).
_CF_STANDARD_NAMES: dict[Kind, str] = {"time": "time", "time_list": "time"}


@dataclass(frozen=True)
class StatField:
    """How one metric is stored, shown and defined.

    Parameters
    ----------
    name
        The metric's name: for ``stat`` fields the API's field name, kept as
        is everywhere in the toolkit.
    kind
        ``"time"``: an ISO timestamp in JSON, a timezone-aware ``datetime`` in
        records, UTC-naive ``datetime64`` in xarray (``NaT`` when null); shown
        as local clock time (a research metric of this kind holds clock hours).
        ``"duration"``: integer seconds in JSON and records, ``float64``
        seconds in xarray (``NaN`` when null), ``units="s"``.
        ``"ratio"``: a float in [0, 1], ``float64`` in xarray, ``units="1"``.
        ``"count"``: an integer in JSON and records, ``float64`` in xarray.
        ``"index"``: a score (``sleep_index``) or a rate.
        ``"text"``: a string (``breathing_pattern``); ``""`` means null in xarray.
        ``"time_list"``: a list of ISO timestamps (``sleep_cycle_time``); in
        xarray a ``datetime64`` variable along a ``cycle`` dimension padded
        with ``NaT``.
    units
        CF-style units of the stored values (``"s"``, ``"1"``, ``"h"``, ``"1/h"``).
    description
        One line: the ``long_name`` attribute of the xarray variable.
    label
        Display label, sentence case, no unit (``"Time in sleep"``).
    display_unit
        Unit values are shown in: ``"h"``, ``"min"``, ``"%"``, ``"/h"``,
        ``"local clock time"``, or ``""`` for a count or score.
    precision
        Decimals of a shown value (a mean, a difference, an interval bound),
        in the display unit; the same in figures, tables and reports.
    definition
        How the value is computed, in words (for reports and docs).
    standard_name
        CF ``standard_name`` of the stored values, ``""`` where the CF table
        has none (only instants have one: ``"time"``).
    """

    name: str
    kind: Kind
    units: str
    description: str
    label: str
    display_unit: str
    precision: int
    definition: str
    standard_name: str = ""


def _f(
    name: str,
    kind: Kind,
    description: str,
    label: str,
    definition: str,
    *,
    display: tuple[str, int] | None = None,
    units: str | None = None,
) -> StatField:
    unit, precision = display if display is not None else _DISPLAY[kind]
    return StatField(
        name,
        kind,
        _CF_UNITS[kind] if units is None else units,
        description,
        label,
        unit,
        precision,
        definition,
        _CF_STANDARD_NAMES.get(kind, "") if units is None else "",
    )


_HOURS = ("h", 2)
_NOT_RECOMPUTABLE = "Computed by the vendor from data the API does not return; cannot be recomputed."

#: The fields of the API's ``stat`` object, in the vendor's order.
STAT_FIELDS: MappingProxyType[str, StatField] = MappingProxyType({
    f.name: f
    for f in [
        _f("sleep_time", "time", "sleep onset: start of the first non-wake epoch", "Sleep onset",
           "start_time + sleep_latency: the start of the first epoch that is not wake "
           "(vendor rule: a no-signal epoch counts as not wake)."),
        _f("wake_time", "time", "final awakening: end of the last non-wake epoch", "Final awakening",
           "end_time - wakeup_latency: the end of the last epoch that is not wake (vendor rule)."),
        _f("sleep_latency", "duration", "session start to sleep onset", "Sleep latency",
           "first x 30 s: from the session start to the first epoch that is not wake (vendor rule; "
           "a leading run of no signal counts as asleep, so the latency can be 0)."),
        _f("wakeup_latency", "duration", "final awakening to session end", "Wake-up latency",
           "(n - 1 - last) x 30 s: from the end of the last epoch that is not wake to the session end."),
        _f("light_latency", "duration", "sleep onset to first light epoch", "Light sleep latency",
           "(first light epoch - first) x 30 s, from sleep onset; null when there is no light epoch."),
        _f("deep_latency", "duration", "sleep onset to first deep epoch", "Deep sleep latency",
           "(first deep epoch - first) x 30 s, from sleep onset; null when there is no deep epoch."),
        _f("rem_latency", "duration", "sleep onset to first REM epoch", "REM latency",
           "(first REM epoch - first) x 30 s, from sleep onset; null when there is no REM epoch."),
        _f("time_in_bed", "duration", "session end minus session start", "Time in bed",
           "end_time - start_time in whole seconds.", display=_HOURS),
        _f("time_in_sleep_period", "duration", "sleep plus wake between onset and final awakening",
           "Sleep period", "time_in_sleep + time_in_wake (no-signal epochs are in neither).",
           display=_HOURS),
        _f("time_in_sleep", "duration", "light plus deep plus REM", "Time in sleep",
           "(light + deep + REM epochs) x 30 s over the whole session.", display=_HOURS),
        _f("time_in_wake", "duration", "wake between onset and final awakening", "Wake after sleep onset",
           "Wake epochs between first and last x 30 s (leading and trailing wake excluded)."),
        _f("time_in_light", "duration", "light sleep", "Light sleep", "Light epochs x 30 s."),
        _f("time_in_deep", "duration", "deep sleep", "Deep sleep", "Deep epochs x 30 s."),
        _f("time_in_rem", "duration", "REM sleep", "REM sleep", "REM epochs x 30 s."),
        _f("time_in_stable_breath", "duration", "stable breathing (not recomputable)",
           "Stable breathing", _NOT_RECOMPUTABLE),
        _f("time_in_unstable_breath", "duration", "unstable breathing (not recomputable)",
           "Unstable breathing", _NOT_RECOMPUTABLE),
        _f("time_in_snoring", "duration", "snoring within the sleep period", "Snoring",
           "Snoring epochs inside the sleep period (sleep stage not no-signal) x 30 s."),
        _f("time_in_no_snoring", "duration", "no snoring within the sleep period", "No snoring",
           "time_in_sleep_period - time_in_snoring."),
        _f("sleep_efficiency", "ratio", "time_in_sleep / time_in_bed", "Sleep efficiency",
           "round(time_in_sleep / time_in_bed, 2)."),
        _f("sleep_ratio", "ratio", "1 - wake_ratio", "Sleep share of sleep period",
           "round(max(1 - wake_ratio, 0), 2)."),
        _f("wake_ratio", "ratio", "time_in_wake / time_in_sleep_period", "Wake share of sleep period",
           "time_in_wake / time_in_sleep_period, rounded to 2 decimals with the vendor's fix-up so the "
           "four stage shares sum to 1."),
        _f("light_ratio", "ratio", "time_in_light / time_in_sleep_period", "Light sleep share",
           "time_in_light / time_in_sleep_period, rounded to 2 decimals (vendor's fix-up)."),
        _f("deep_ratio", "ratio", "time_in_deep / time_in_sleep_period", "Deep sleep share",
           "time_in_deep / time_in_sleep_period, rounded to 2 decimals (vendor's fix-up)."),
        _f("rem_ratio", "ratio", "time_in_rem / time_in_sleep_period", "REM sleep share",
           "time_in_rem / time_in_sleep_period, rounded to 2 decimals (vendor's fix-up)."),
        _f("stable_breath_ratio", "ratio", "share of stable breathing (not recomputable)",
           "Stable breathing share", _NOT_RECOMPUTABLE),
        _f("unstable_breath_ratio", "ratio", "share of unstable breathing (not recomputable)",
           "Unstable breathing share", _NOT_RECOMPUTABLE),
        _f("snoring_ratio", "ratio", "time_in_snoring / time_in_sleep_period", "Snoring share",
           "round(time_in_snoring / time_in_sleep_period, 2)."),
        _f("no_snoring_ratio", "ratio", "time_in_no_snoring / time_in_sleep_period", "No-snoring share",
           "1 - snoring_ratio."),
        _f("breathing_pattern", "text", "vendor's breathing label (not recomputable)", "Breathing pattern",
           _NOT_RECOMPUTABLE),
        _f("breathing_index", "index", "vendor's breathing index (not recomputable)", "Breathing index",
           _NOT_RECOMPUTABLE),
        _f("waso_count", "count", "runs of wake between onset and final awakening", "Awakenings",
           "Number of runs of wake between first and last (a no-signal epoch ends a run)."),
        _f("longest_waso", "duration", "longest run of wake after onset", "Longest awakening",
           "Longest run of wake between first and last x 30 s."),
        _f("sleep_cycle_count", "count", "REM clusters of at least 20 epochs", "Sleep cycles",
           "REM clusters (REM epochs less than 21 non-REM epochs apart) of at least 20 REM epochs."),
        _f("sleep_cycle", "duration", "mean sleep-cycle length (whole seconds)", "Sleep cycle length",
           "(last REM epoch of the last counted cluster - first) x 30 s / sleep_cycle_count, "
           "rounded to whole seconds (ties to even)."),
        _f("unstable_breath_count", "count", "unstable breathing events (not recomputable)",
           "Unstable breathing events", _NOT_RECOMPUTABLE),
        _f("snoring_count", "count", "runs of snoring within the sleep period", "Snoring episodes",
           "Runs of snoring epochs inside the sleep period."),
        _f("sleep_index", "index", "vendor's learned quality score, 50-100 (not recomputable)",
           "Sleep index", "The vendor's learned quality score (50 to 100). " + _NOT_RECOMPUTABLE),
        _f("sleep_cycle_time", "time_list", "sleep onset, then the end of each counted REM cluster",
           "Sleep cycle times", "[sleep_time] + the end of the last REM epoch of each counted cluster."),
    ]
})  # fmt: skip

#: Metrics of :mod:`asleep_nb.stats` beyond the ``stat`` object (research rule where onset matters).
RESEARCH_METRICS: MappingProxyType[str, StatField] = MappingProxyType({
    f.name: f
    for f in [
        _f("research_sleep_latency", "duration", "session start to sleep onset (research rule)",
           "Sleep latency (research rule)",
           "From the session start to the first epoch scored as sleep (light, deep or REM): a leading "
           "run of no signal is not sleep."),
        _f("persistent_sleep_latency", "duration", "latency to persistent sleep",
           "Latency to persistent sleep",
           "From the session start to the first run of 20 consecutive epochs scored as sleep (10 min)."),
        _f("rem_latency_from_onset", "duration", "REM latency from sleep onset (research rule)",
           "REM latency (research rule)",
           "From the first epoch scored as sleep to the first REM epoch."),
        _f("sleep_fragmentation_index", "index", "sleep fragmentation index", "Sleep fragmentation index",
           "Shifts to wake or to lighter sleep per hour of sleep, inside the research-rule sleep period.",
           display=("/h", 1), units="1/h"),
        _f("sleep_regularity_index", "index", "sleep regularity index", "Sleep regularity index",
           "How often the sleeper is in the same state (asleep or awake) at the same clock time on "
           "consecutive days: 200 x that probability - 100, from -100 to 100 (100: the same schedule "
           "every day; 0: no more alike than chance)."),
        _f("mid_sleep_time", "time", "mid-sleep local clock time", "Mid-sleep",
           "Local clock time halfway between sleep onset and final awakening.", units="h"),
        _f("social_jet_lag", "duration", "social jet lag", "Social jet lag",
           "Mid-sleep on free nights minus mid-sleep on work nights (circular).", display=_HOURS, units="h"),
    ]
})  # fmt: skip

#: Every metric with a definition: the ``stat`` fields, then the research metrics.
METRICS: MappingProxyType[str, StatField] = MappingProxyType({**STAT_FIELDS, **RESEARCH_METRICS})

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

#: Peculiarities that leave a session nothing to analyse: invalid, or no sleep at all.
UNANALYSABLE_PECULIARITIES: frozenset[str] = INVALID_PECULIARITIES | {"NEVER_SLEPT"}


def unanalysable_reasons(state: str, peculiarities: str) -> list[str]:
    """Why a session cannot enter an analysis of sleep (empty when it can).

    A session counts when its state is ``COMPLETE`` (not ``OPEN`` still being
    recorded, not ``CLOSED`` awaiting analysis) and it carries none of
    :data:`UNANALYSABLE_PECULIARITIES`.

    Parameters
    ----------
    state
        The session's state label.
    peculiarities
        Its peculiarity labels, comma-separated (as in a cohort's coordinate).

    Examples
    --------
    >>> unanalysable_reasons("COMPLETE", "NO_BREATHING_STABILITY")
    []
    >>> unanalysable_reasons("OPEN", "IN_PROGRESS")
    ['OPEN']
    >>> unanalysable_reasons("COMPLETE", "NEVER_SLEPT,TOO_SHORT_FOR_ANALYSIS")
    ['NEVER_SLEPT', 'TOO_SHORT_FOR_ANALYSIS']
    """
    reasons = [] if state == "COMPLETE" else [state]
    return reasons + [p for p in peculiarities.split(",") if p in UNANALYSABLE_PECULIARITIES]


def stat_attrs(name: str) -> dict[str, str]:
    """Attributes of the xarray variable that holds the metric ``name``.

    Examples
    --------
    >>> stat_attrs("time_in_rem")["units"]
    's'
    >>> stat_attrs("sleep_time")
    {'long_name': 'sleep onset: start of the first non-wake epoch', 'standard_name': 'time'}
    """
    field = METRICS[name]
    return cf_attrs(field.description, field.units, field.standard_name)


def cf_attrs(long_name: str, units: str = "", standard_name: str = "") -> dict[str, str]:
    """CF attributes in the toolkit's order: ``long_name``, then ``units`` and ``standard_name`` when set.

    Examples
    --------
    >>> cf_attrs("share of no-signal epochs", "1")
    {'long_name': 'share of no-signal epochs', 'units': '1'}
    """
    attrs = {"long_name": long_name}
    if units:
        attrs["units"] = units
    if standard_name:
        attrs["standard_name"] = standard_name
    return attrs
