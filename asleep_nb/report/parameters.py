"""The parameters of a report: what ``asleep-nb report`` options set, validated once.

:class:`ReportParameters` is built by :func:`asleep_nb.report.build_report`
(which fails fast on a bad value, before any kernel starts) and again by the
report notebook from the values injected into it, so a notebook run by hand
validates the same way.

Examples
--------
>>> p = ReportParameters.from_values(metrics="time_in_sleep, sleep_efficiency", align="clock")
>>> p.metrics, p.align
(('time_in_sleep', 'sleep_efficiency'), 'clock')
>>> ReportParameters(align="sunset")
Traceback (most recent call last):
...
asleep_nb.report.errors.ReportInputError: --align must be one of 'start', 'onset', 'clock', got 'sunset'
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Self, cast

from asleep_nb.data.cohort import ALIGNMENTS, Alignment
from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.errors import InvalidTimezone
from asleep_nb.report.errors import ReportInputError
from asleep_nb.stats.quality import (
    FLAG_NO_SIGNAL_SHARE,
    LONG_EDGE_RUN_MINUTES,
    check_flag_share,
    check_run_minutes,
)
from asleep_nb.timezones import validate_timezone

__all__ = [
    "DEFAULT_METRICS",
    "METRIC_CHOICES",
    "TITLE",
    "NotebookParameters",
    "ReportParameters",
    "check_timezone",
    "checked_title",
    "check_one_source",
]

#: The default page title (and first heading) of a report.
TITLE = "Sleep cohort report"
#: The stats a report compares between groups unless ``metrics`` says otherwise.
DEFAULT_METRICS: tuple[str, ...] = (
    "time_in_sleep",
    "sleep_efficiency",
    "sleep_latency",
    "waso_count",
    "deep_ratio",
    "rem_ratio",
)
#: Every stat a report can compare: the ``stat`` fields that are numbers or clock times.
METRIC_CHOICES: tuple[str, ...] = tuple(
    name
    for name, field in STAT_FIELDS.items()
    if field.kind in ("duration", "ratio", "count", "index", "time")
)


class NotebookParameters:
    """What every report's parameters share: loose values in, plain values out (a dataclass mixin).

    A subclass is a frozen dataclass with a ``metrics`` tuple and names in
    :attr:`DEFAULTED` the fields for which ``None`` means the default.

    Examples
    --------
    >>> ReportParameters.from_values(title=None, metrics="rem_ratio").metrics
    ('rem_ratio',)
    >>> ReportParameters().values()["metrics"][:2]
    ['time_in_sleep', 'sleep_efficiency']
    """

    #: Fields for which :meth:`from_values` takes ``None`` as "the default".
    DEFAULTED: ClassVar[frozenset[str]] = frozenset({"metrics", "title"})
    metrics: tuple[str, ...]
    allow_missing: bool

    @classmethod
    def from_values(cls, **values: Any) -> Self:
        """Parameters from loose values: ``None`` means the default, ``metrics`` may be one text.

        This is how a notebook turns its parameters cell into parameters.
        """
        kept = {k: v for k, v in values.items() if not (k in cls.DEFAULTED and v is None)}
        return cls(**kept)

    def values(self) -> dict[str, Any]:
        """The parameters as plain Python values (``metrics`` a list), as injected into a notebook."""
        out = asdict(cast(Any, self))
        out["metrics"] = list(self.metrics)
        return out

    def missing_shown(self) -> str:
        """What happens to a session that cannot be had, in words, for the provenance table.

        Examples
        --------
        >>> ReportParameters(allow_missing=True).missing_shown()
        'is left out and listed (--allow-missing)'
        """
        return "is left out and listed (--allow-missing)" if self.allow_missing else "stops the report"


def check_timezone(timezone: str | None) -> None:
    """Raise :class:`ReportInputError` naming ``--timezone`` when ``timezone`` is not an IANA zone.

    Examples
    --------
    >>> check_timezone("Mars/Olympus")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asleep_nb.report.errors.ReportInputError: --timezone: ...
    """
    if timezone is not None:
        try:
            validate_timezone(timezone)
        except InvalidTimezone as exc:
            raise ReportInputError(f"--timezone: {exc}") from None


def checked_title(title: object) -> str:
    """``title`` stripped; :class:`ReportInputError` unless it is one non-empty line.

    Examples
    --------
    >>> checked_title("  Night study ")
    'Night study'
    """
    text = str(title).strip()
    if not text or "\n" in text:
        raise ReportInputError(f"--title must be one non-empty line, got {title!r}")
    return text


def check_one_source(archive: str | None, base_url: str | None) -> None:
    """Raise :class:`ReportInputError` when both an archive and a base URL are given.

    Examples
    --------
    >>> check_one_source("a", "http://x")
    Traceback (most recent call last):
    ...
    asleep_nb.report.errors.ReportInputError: give either --archive (no network) or --base-url, not both
    """
    if archive is not None and base_url is not None:
        raise ReportInputError("give either --archive (no network) or --base-url, not both")


@dataclass(frozen=True)
class ReportParameters(NotebookParameters):
    """Everything a report depends on besides its data; invalid values raise at construction.

    Parameters
    ----------
    manifest
        CSV of the cohort (``user_id``, ``group``, ...); ``None``: the demo
        cohort's groups healthy and apnea, or with ``archive`` every
        archived session.
    timezone
        IANA zone for every session; ``None``: each manifest row's own.
    archive
        Folder of an archive (``asleep-nb fetch``): sessions are read from
        it, never from the network.
    allow_missing
        Continue without sessions that cannot be had, listing each with the
        reason; otherwise the first one stops the report.
    align
        Cohort alignment: ``"onset"``, ``"start"`` or ``"clock"``.
    metrics
        Stats compared between groups (names of ``stat`` fields), in order.
    title
        Page title and first heading.
    base_url
        The API's base URL (the key comes from ``ASLEEP_API_KEY``).
    exclude_flagged
        Leave nights flagged for no signal out of the group comparison.
    no_signal_threshold
        A night whose no-signal share exceeds this (in [0, 1]) is flagged.
    no_signal_run
        Minutes: a no-signal run opening or closing a night longer than this
        is counted as long.

    :meth:`from_values` also takes ``None`` for a default and ``metrics`` as
    one comma-separated text.

    Raises
    ------
    ReportInputError
        A value out of range, an unknown zone, alignment or metric, or both
        ``archive`` and ``base_url``.
    """

    manifest: str | None = None
    timezone: str | None = None
    archive: str | None = None
    allow_missing: bool = False
    align: Alignment = "onset"
    metrics: tuple[str, ...] = DEFAULT_METRICS
    title: str = TITLE
    base_url: str | None = None
    exclude_flagged: bool = False
    no_signal_threshold: float = FLAG_NO_SIGNAL_SHARE
    no_signal_run: float = LONG_EDGE_RUN_MINUTES

    DEFAULTED: ClassVar[frozenset[str]] = frozenset(
        {"metrics", "title", "align", "no_signal_threshold", "no_signal_run"}
    )

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        if self.align not in ALIGNMENTS:
            shown = ", ".join(map(repr, ALIGNMENTS))
            raise ReportInputError(f"--align must be one of {shown}, got {self.align!r}")
        object.__setattr__(self, "metrics", _metrics(self.metrics))
        object.__setattr__(self, "title", checked_title(self.title))
        threshold = _checked(check_flag_share, self.no_signal_threshold, "--no-signal-threshold")
        object.__setattr__(self, "no_signal_threshold", threshold)
        run = _checked(check_run_minutes, self.no_signal_run, "--no-signal-run")
        object.__setattr__(self, "no_signal_run", run)
        check_one_source(self.archive, self.base_url)

    def shown(self) -> dict[str, str]:
        """The analysis choices in words, for a report's provenance (data paths excluded).

        Examples
        --------
        >>> ReportParameters().shown()["no-signal threshold"]
        'a night with more than 20 % no-signal epochs is flagged'
        """
        return {
            "time zone": self.timezone or "each manifest row's own",
            "alignment": self.align,
            "metrics compared": ", ".join(self.metrics),
            "a session that cannot be had": self.missing_shown(),
            "no-signal threshold": (
                f"a night with more than {self.no_signal_threshold * 100:g} % no-signal epochs is flagged"
            ),
            "long no-signal run": f"more than {self.no_signal_run:g} min at a night's start or end",
            "flagged nights": (
                "excluded from the group comparison (--exclude-flagged)"
                if self.exclude_flagged
                else "kept in the group comparison"
            ),
            "title": self.title,
        }


def _metrics(metrics: Sequence[str] | str) -> tuple[str, ...]:
    """Metric names checked against :data:`METRIC_CHOICES` (a sequence or one comma-separated text)."""
    names = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    names = [str(name).strip() for name in names if str(name).strip()]
    if not names:
        raise ReportInputError("--metrics names no stat")
    for name in names:
        if name not in METRIC_CHOICES:
            close = difflib.get_close_matches(name, METRIC_CHOICES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ReportInputError(
                f"--metrics: {name!r} is not a stat a report can compare{hint}; "
                f"choose among {', '.join(METRIC_CHOICES)}"
            )
    if len(set(names)) != len(names):
        raise ReportInputError(f"--metrics names a stat twice: {', '.join(names)}")
    return tuple(names)


def _checked(check: Callable[[object], float], value: object, option: str) -> float:
    try:
        return check(value)
    except ValueError as exc:
        raise ReportInputError(f"{option}: {exc}") from None
