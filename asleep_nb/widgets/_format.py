"""Text formatting for the explorers: durations as h:mm, ratios as percentages, local times.

Everything here is pure (no widgets, no I/O) so the explorers' text can be
tested without a browser. Missing values (``None``, ``NaN``, ``NaT``) render
as :data:`asleep_nb.definitions.display.MISSING` (an en dash). Labels and
kinds of the stat fields come from :mod:`asleep_nb.definitions`.

One night (the session explorer) is shown as the API gives it, in the
app's compact form: durations ``h:mm``, ratios in whole percent (the API's
two decimals), counts whole. Group numbers (the cohort explorer) are
summaries and use each metric's display unit and precision
(:func:`asleep_nb.definitions.display.format_value`), as figures and reports do.

Examples
--------
>>> from asleep_nb.widgets._format import hmm, percent, duration_label
>>> hmm(27660), percent(0.934), duration_label(27660)
('7:41', '93%', '7h41')
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np

from asleep_nb.definitions import METRICS
from asleep_nb.definitions.display import MISSING, difference_unit, display_unit, format_value, inline_label
from asleep_nb.timezones import validate_timezone

__all__ = [
    "MISSING",
    "hmm",
    "duration_label",
    "percent",
    "to_local",
    "local_time",
    "format_stat",
    "session_label",
    "stat_table_html",
    "rows_html",
    "numbers_html",
    "TABLE_FIELDS",
]

#: The stat fields of the compact table, in display order.
TABLE_FIELDS: tuple[str, ...] = (
    "sleep_time",
    "wake_time",
    "time_in_bed",
    "time_in_sleep_period",
    "time_in_sleep",
    "time_in_wake",
    "sleep_latency",
    "wakeup_latency",
    "sleep_efficiency",
    "light_ratio",
    "deep_ratio",
    "rem_ratio",
    "waso_count",
    "longest_waso",
    "sleep_cycle_count",
    "snoring_ratio",
    "sleep_index",
)


def _is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64 | np.timedelta64):
        return bool(np.isnat(value))
    return False


def hmm(seconds: float | None) -> str:
    """Format a duration in seconds as ``h:mm`` (rounded to the minute).

    Examples
    --------
    >>> hmm(3600), hmm(900), hmm(None), hmm(-90)
    ('1:00', '0:15', '–', '-0:02')
    """
    if seconds is None or _is_missing(seconds):
        return MISSING
    total = round(float(seconds) / 60)
    sign = "-" if total < 0 else ""
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours}:{minutes:02d}"


def duration_label(seconds: float | None) -> str:
    """Format a duration compactly as ``7h41`` (or ``41min`` under an hour).

    Examples
    --------
    >>> duration_label(27660), duration_label(2460), duration_label(None)
    ('7h41', '41min', '–')
    """
    if seconds is None or _is_missing(seconds):
        return MISSING
    total = round(float(seconds) / 60)
    hours, minutes = divmod(abs(total), 60)
    return f"{hours}h{minutes:02d}" if hours else f"{minutes}min"


def percent(ratio: float | None, digits: int = 0) -> str:
    """Format a ratio in [0, 1] as a percentage.

    Examples
    --------
    >>> percent(0.934), percent(0.5, 1), percent(float("nan"))
    ('93%', '50.0%', '–')
    """
    if ratio is None or _is_missing(ratio):
        return MISSING
    return f"{float(ratio) * 100:.{digits}f}%"


def to_local(value: datetime | np.datetime64 | Any, zone: str) -> datetime | None:
    """Express an instant in the IANA zone ``zone``.

    ``value`` is an aware ``datetime``, or a UTC-naive ``datetime``,
    ``numpy.datetime64`` or ``pandas.Timestamp`` (the toolkit's xarray
    representation). Returns ``None`` for null values.

    Examples
    --------
    >>> import numpy as np
    >>> to_local(np.datetime64("2025-01-15T02:50:29"), "Asia/Seoul").isoformat()
    '2025-01-15T11:50:29+09:00'
    """
    if _is_missing(value):
        return None
    if isinstance(value, np.datetime64):
        micros = value.astype("datetime64[us]").astype(np.int64)
        value = datetime(1970, 1, 1, tzinfo=UTC) + np.timedelta64(micros, "us").item()
    elif hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        if value != value:  # NaT
            return None
        value = value.to_pydatetime()
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(validate_timezone(zone))


def local_time(value: datetime | np.datetime64 | Any, zone: str, fmt: str = "%H:%M") -> str:
    """Format an instant as wall-clock time in ``zone`` (``"23:12"`` by default).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2025, 3, 29, 22, 12, tzinfo=timezone.utc)
    >>> local_time(t, "Europe/Paris"), local_time(t, "UTC", "%a %Y-%m-%d %H:%M")
    ('23:12', 'Sat 2025-03-29 22:12')
    """
    local = to_local(value, zone)
    return MISSING if local is None else local.strftime(fmt)


def format_stat(name: str, value: Any, zone: str) -> str:
    """Format the value of the stat field ``name`` for display.

    Times become local ``HH:MM`` in ``zone``, durations ``h:mm``, ratios
    percentages, counts and indices integers; null values an en dash.

    Examples
    --------
    >>> format_stat("time_in_sleep", 27660.0, "UTC"), format_stat("rem_ratio", 0.21, "UTC")
    ('7:41', '21%')
    >>> format_stat("waso_count", 3.0, "UTC"), format_stat("sleep_index", float("nan"), "UTC")
    ('3', '–')
    """
    kind = METRICS[name].kind if name in METRICS else "text"
    if kind == "time":
        return local_time(value, zone)
    if _is_missing(value):
        return MISSING
    if kind == "duration":
        return hmm(value)
    if kind == "ratio":
        return percent(value)
    if kind in ("count", "index"):
        return f"{float(value):.0f}"
    if kind == "time_list":
        return ", ".join(local_time(v, zone) for v in np.atleast_1d(value) if not _is_missing(v)) or MISSING
    return str(value) if str(value) else MISSING


def session_label(summary: Any, zone: str) -> str:
    """Label a List Sessions item: local date and start, duration, state.

    ``summary`` needs ``session_start_time`` (aware), ``time_in_bed``
    (seconds or ``None``) and ``state``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from datetime import datetime, timezone
    >>> s = SimpleNamespace(session_start_time=datetime(2025, 3, 29, 22, 12, tzinfo=timezone.utc),
    ...                     time_in_bed=27660, state="COMPLETE")
    >>> session_label(s, "Europe/Paris")
    'Sat 2025-03-29 23:12 · 7h41 · COMPLETE'
    """
    start = local_time(summary.session_start_time, zone, "%a %Y-%m-%d %H:%M")
    state = getattr(summary.state, "value", summary.state)
    return f"{start} · {duration_label(summary.time_in_bed)} · {state}"


def rows_html(rows: Iterable[tuple[str, str]], css_class: str = "asleep-table", *, columns: int = 1) -> str:
    """An HTML table of ``(label, value)`` rows, every cell escaped, ``columns`` pairs per line.

    Examples
    --------
    >>> rows_html([("a", "<1>")])
    '<table class="asleep-table"><tr><th>a</th><td>&lt;1&gt;</td></tr></table>'
    >>> rows_html([("a", "1"), ("b", "2"), ("c", "3")], columns=2).count("<tr>")
    2
    """
    cells = [f"<th>{html.escape(k)}</th><td>{html.escape(v)}</td>" for k, v in rows]
    lines = ["".join(cells[i : i + columns]) for i in range(0, len(cells), columns)]
    body = "".join(f"<tr>{line}</tr>" for line in lines)
    return f'<table class="{css_class}">{body}</table>'


def stat_table_html(
    stat: Mapping[str, Any], zone: str, *, extra: Iterable[tuple[str, str]] = (), columns: int = 2
) -> str:
    """The explorer's compact stat table as HTML.

    Parameters
    ----------
    stat
        Stat values keyed by field name in the xarray representation (a
        one-night ``xr.Dataset`` works: ``ds["time_in_sleep"]``...). Fields
        it lacks are left out.
    zone
        IANA zone the clock times are shown in.
    extra
        ``(label, value)`` rows put first (e.g. session start and end).
    columns
        ``(label, value)`` pairs per table line.

    Examples
    --------
    >>> html_text = stat_table_html({"time_in_sleep": 27660.0, "rem_ratio": 0.2}, "UTC")
    >>> "7:41" in html_text and "20%" in html_text
    True
    """
    rows = list(extra)
    for name in TABLE_FIELDS:
        if name in stat:
            value = stat[name]
            value = getattr(value, "values", value)  # xarray variable -> numpy scalar
            if isinstance(value, np.ndarray) and value.ndim == 0:
                value = value[()]
            rows.append((inline_label(name), format_stat(name, value, zone)))
    return rows_html(rows, columns=columns)


#: Columns of a ``compare_groups`` frame that hold values of the metric itself.
_VALUE_COLUMNS = ("mean", "ci_low", "ci_high")


def numbers_html(frame: Any, name: str, css_class: str = "asleep-numbers") -> str:
    """A ``compare_groups`` DataFrame as HTML, in the display unit and precision of the metric ``name``.

    The metric's own values (``mean``, ``ci_low``, ``ci_high``) are written
    with :func:`asleep_nb.definitions.display.format_value`; difference rows
    (``"<group> - <reference>"``) in the difference unit (percentage points
    for a ratio). The units are stated in the caption. Other float columns
    (p-values, effect sizes) get three significant digits; integer columns
    (counts of users and nights) stay as they are.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"n_users": [3, 3, 6], "mean": [0.91, 0.87, -0.04]},
    ...                      index=pd.Index(["a", "b", "b - a"], name="group"))
    >>> text = numbers_html(frame, "sleep_efficiency")
    >>> "91.0" in text and "-4.0" in text and "difference rows in pp" in text
    True
    """
    reference = getattr(frame, "attrs", {}).get("reference")
    suffix = f" - {reference}" if reference is not None else " - "
    difference = [suffix in str(label) for label in frame.index]
    shown = frame.copy()
    for column in shown.columns:
        if shown[column].dtype.kind != "f":
            continue
        if column in _VALUE_COLUMNS:
            shown[column] = [
                format_value(name, v, difference=d, unit=False)
                for v, d in zip(frame[column], difference, strict=True)
            ]
        else:
            shown[column] = [MISSING if _is_missing(v) else f"{v:.3g}" for v in frame[column]]
    unit = display_unit(name)
    caption = f"{inline_label(name)}" + (f": values in {unit}" if unit else "")
    if any(difference) and difference_unit(name) and difference_unit(name) != unit:
        caption += f", difference rows in {difference_unit(name)}"
    table = shown.to_html(classes=css_class, border=0, escape=True)
    return table.replace(">\n", f">\n<caption>{html.escape(caption)}</caption>\n", 1)
