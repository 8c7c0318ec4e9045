"""Show a metric's values: one display unit, one precision and one label per metric.

Every figure, widget, table and report writes a metric with these
functions, so a number reads the same wherever it appears: time in sleep in
hours with two decimals, latencies in minutes with one, ratios in percent
with one, and differences of ratios in percentage points (``"pp"``). The
unit, precision and label of each metric are in
:data:`asleep_nb.definitions.METRICS` (:mod:`asleep_nb.definitions.fields`).

Values come in the toolkit's stored units (seconds, ratios in [0, 1]; clock
times as hours since local midnight, as :mod:`asleep_nb.stats` gives them)
and are converted with :func:`display_value`. A name the definitions do not
know (a column of the user's own) is shown as it is: its label from the
name, no unit, :data:`DEFAULT_PRECISION` decimals.

Examples
--------
>>> from asleep_nb.definitions.display import axis_label, format_value, format_estimate
>>> axis_label("time_in_sleep"), format_value("time_in_sleep", 27660)
('Time in sleep (h)', '7.68 h')
>>> format_value("sleep_efficiency", 0.934), format_value("sleep_time", 23.5)
('93.4%', '23:30')
>>> format_estimate("rem_ratio", 0.032, 0.011, 0.054, difference=True)
'+3.2 pp [95% CI 1.1, 5.4]'
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike

from asleep_nb.definitions.fields import METRICS, StatField

__all__ = [
    "MISSING",
    "DEFAULT_PRECISION",
    "label",
    "inline_label",
    "display_unit",
    "difference_unit",
    "precision",
    "axis_label",
    "display_value",
    "format_value",
    "format_estimate",
    "format_clock_hours",
    "DIFFERENCE_SEPARATOR",
    "difference_label",
    "split_difference_label",
    "COLUMN_HEADINGS",
    "column_heading",
]

#: Between the groups of a difference label: ``"apnea - healthy"`` is apnea minus healthy (the reference).
DIFFERENCE_SEPARATOR: Final = " - "


def difference_label(other: object, reference: object) -> str:
    """The label of a difference, always other minus reference: ``"<other> - <reference>"``.

    Every comparison, Table 1, figure and the report label a difference so.

    Examples
    --------
    >>> difference_label("apnea", "healthy")
    'apnea - healthy'
    """
    return f"{other}{DIFFERENCE_SEPARATOR}{reference}"


def split_difference_label(label: object) -> tuple[str, str] | None:
    """``(other, reference)`` of a :func:`difference_label`; ``None`` for a label that is not one.

    Examples
    --------
    >>> split_difference_label("apnea - healthy"), split_difference_label("apnea")
    (('apnea', 'healthy'), None)
    """
    other, sep, reference = str(label).partition(DIFFERENCE_SEPARATOR)
    return (other, reference) if sep else None


#: Shown for a missing value (``None``, ``NaN``, ``NaT``).
MISSING: Final = "–"
#: Decimals of a metric the definitions do not know.
DEFAULT_PRECISION: Final = 2

#: Stored unit -> display unit -> factor.
_SCALE: dict[tuple[str, str], float] = {
    ("s", "h"): 1 / 3600,
    ("s", "min"): 1 / 60,
    ("h", "min"): 60.0,
    ("1", "%"): 100.0,
}
#: Units written without a space before them.
_TIGHT = {"%", "/h"}


#: How tables meant for readers (the report) head the columns that hold identifiers and manifest fields.
COLUMN_HEADINGS: Final[dict[str, str]] = {
    "session_id": "session",
    "user_id": "user",
    "group": "group",
    "timezone": "time zone",
    "date_gte": "first date",
    "date_lte": "last date",
    "period": "period",
    "line": "file line",
}


def column_heading(name: str) -> str:
    """The heading a reader's table gives the column ``name`` (a metric's label, else the name in words).

    Examples
    --------
    >>> column_heading("user_id"), column_heading("date_gte"), column_heading("no-signal epochs (%)")
    ('user', 'first date', 'no-signal epochs (%)')
    """
    if name in COLUMN_HEADINGS:
        return COLUMN_HEADINGS[name]
    return label(name) if name in METRICS else name


def _field(name: str) -> StatField | None:
    return METRICS.get(name)


def label(name: str) -> str:
    """Display label of the metric ``name``, sentence case, no unit.

    Examples
    --------
    >>> label("waso_count"), label("rem_ratio"), label("my_score")
    ('Awakenings', 'REM sleep share', 'My score')
    """
    field = _field(name)
    if field is not None:
        return field.label
    return name.replace("_", " ").capitalize()


def inline_label(name: str) -> str:
    """:func:`label` for use inside a sentence or a compact table: lower case unless an acronym.

    Examples
    --------
    >>> inline_label("time_in_bed"), inline_label("rem_latency")
    ('time in bed', 'REM latency')
    """
    text = label(name)
    if len(text) > 1 and text[1].isupper():  # "REM ...", "WASO ..."
        return text
    return text[:1].lower() + text[1:]


def display_unit(name: str) -> str:
    """Unit the metric is shown in: ``"h"``, ``"min"``, ``"%"``, ``"/h"``, ``"local clock time"`` or ``""``.

    Examples
    --------
    >>> display_unit("time_in_sleep"), display_unit("sleep_latency"), display_unit("waso_count")
    ('h', 'min', '')
    """
    field = _field(name)
    return field.display_unit if field is not None else ""


def difference_unit(name: str) -> str:
    """Unit of a difference between two values of the metric.

    Ratios differ in percentage points (``"pp"``), clock times in hours;
    other metrics in their display unit.

    Examples
    --------
    >>> difference_unit("deep_ratio"), difference_unit("sleep_time"), difference_unit("sleep_latency")
    ('pp', 'h', 'min')
    """
    field = _field(name)
    if field is None:
        return ""
    if field.display_unit == "%":
        return "pp"
    if field.kind in ("time", "time_list"):
        return "h"
    return field.display_unit


def precision(name: str) -> int:
    """Decimals of a shown value of the metric (in its display unit).

    Examples
    --------
    >>> precision("time_in_sleep"), precision("sleep_latency"), precision("sleep_efficiency")
    (2, 1, 1)
    """
    field = _field(name)
    return field.precision if field is not None else DEFAULT_PRECISION


def axis_label(name: str) -> str:
    """Axis or column label: the label with the display unit in parentheses (none for counts).

    A label that already ends in a parenthesis (``"Sleep latency (research
    rule)"``) takes the unit after a comma inside it, never a second pair.

    Examples
    --------
    >>> axis_label("sleep_latency"), axis_label("sleep_time"), axis_label("sleep_cycle_count")
    ('Sleep latency (min)', 'Sleep onset (local clock time)', 'Sleep cycles')
    >>> axis_label("research_sleep_latency")
    'Sleep latency (research rule, min)'
    """
    unit, text = display_unit(name), label(name)
    if not unit:
        return text
    if text.endswith(")"):
        return f"{text[:-1]}, {unit})"
    return f"{text} ({unit})"


def display_value(name: str, value: ArrayLike) -> Any:
    """Convert stored values of the metric to its display unit (arrays keep their shape).

    Seconds become hours or minutes, ratios percent; clock hours, counts and
    scores are unchanged. A difference converts the same way (ratios to
    percentage points).

    Examples
    --------
    >>> display_value("time_in_sleep", 5400.0), display_value("rem_ratio", 0.25)
    (1.5, 25.0)
    >>> display_value("sleep_latency", [600, 900]).tolist()
    [10.0, 15.0]
    """
    field = _field(name)
    factor = 1.0 if field is None else _SCALE.get((field.units, field.display_unit), 1.0)
    values = np.asarray(value, dtype=np.float64) * factor
    return float(values) if values.ndim == 0 else values


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(np.isnan(value))
    except TypeError:
        return False


def format_clock_hours(hours: float) -> str:
    """Hours since local midnight as ``HH:MM`` (wrapped to a day, rounded to the minute).

    Examples
    --------
    >>> format_clock_hours(23.5), format_clock_hours(25.25), format_clock_hours(-0.5)
    ('23:30', '01:15', '23:30')
    """
    minutes = round(hours * 60) % (24 * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _unit_suffix(unit: str) -> str:
    if not unit or unit == "local clock time":
        return ""
    return unit if unit in _TIGHT else f" {unit}"


def format_value(
    name: str,
    value: Any,
    *,
    difference: bool = False,
    unit: bool = True,
    digits: int | None = None,
) -> str:
    """One value of the metric as text, in its display unit and precision.

    Parameters
    ----------
    name
        The metric (a ``stat`` field or a research metric).
    value
        In stored units: seconds, a ratio in [0, 1], clock hours since local
        midnight for times; ``None``/``NaN`` give :data:`MISSING`.
    difference
        ``value`` is a difference between two values: signed, in
        :func:`difference_unit` (a clock-time difference in hours).
    unit
        Append the unit (``"7.68 h"``); ``False`` gives the number only.
    digits
        Decimals instead of the metric's :func:`precision` (for a single
        night's count, say, ``digits=0``).

    Examples
    --------
    >>> format_value("time_in_sleep", 27660), format_value("sleep_latency", 750, unit=False)
    ('7.68 h', '12.5')
    >>> format_value("rem_ratio", -0.021, difference=True), format_value("sleep_time", 0.5, difference=True)
    ('-2.1 pp', '+0.50 h')
    >>> format_value("waso_count", 3, digits=0), format_value("time_in_sleep", float("nan"))
    ('3', '–')
    """
    if _missing(value):
        return MISSING
    field = _field(name)
    is_time = field is not None and field.kind in ("time", "time_list")
    decimals = precision(name) if digits is None else digits
    if is_time and not difference:
        return format_clock_hours(float(value))
    number = float(value) if is_time else display_value(name, value)
    text = f"{number:+.{decimals}f}" if difference else f"{number:.{decimals}f}"
    if not unit:
        return text
    return text + _unit_suffix(difference_unit(name) if difference else display_unit(name))


def format_estimate(
    name: str,
    estimate: Any,
    low: Any,
    high: Any,
    *,
    difference: bool = False,
    level: int = 95,
) -> str:
    """An estimate with its confidence interval: ``"+0.74 h [95% CI 0.17, 1.27]"``.

    The estimate and both bounds have the metric's precision; the unit
    follows the estimate (a difference: :func:`difference_unit`).

    Examples
    --------
    >>> format_estimate("time_in_sleep", 2664, 612, 4572, difference=True)
    '+0.74 h [95% CI 0.17, 1.27]'
    >>> format_estimate("waso_count", 12.3, 10.0, 14.5)
    '12.3 [95% CI 10.0, 14.5]'
    """
    head = format_value(name, estimate, difference=difference)
    bounds = [format_value(name, v, unit=False) if not difference else _plain_difference(name, v)
              for v in (low, high)]  # fmt: skip
    return f"{head} [{level}% CI {bounds[0]}, {bounds[1]}]"


def _plain_difference(name: str, value: Any) -> str:
    """A difference bound: the number without sign prefix or unit."""
    if _missing(value):
        return MISSING
    field = _field(name)
    is_time = field is not None and field.kind in ("time", "time_list")
    number = float(value) if is_time else display_value(name, value)
    return f"{number:.{precision(name)}f}"
