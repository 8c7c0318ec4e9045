"""The parameters of a validation report: what ``asleep-nb validate`` options set, validated once.

Examples
--------
>>> p = ValidationParameters.from_values(metrics="time_in_sleep, sleep_efficiency")
>>> p.metrics, p.title
(('time_in_sleep', 'sleep_efficiency'), 'Validation against a reference scoring')
>>> ValidationParameters(archive="a", base_url="http://x")
Traceback (most recent call last):
...
asleep_nb.report.errors.ReportInputError: give either --archive (no network) or --base-url, not both
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.report.errors import ReportInputError
from asleep_nb.report.parameters import (
    NotebookParameters,
    ReportParameters,
    check_one_source,
    check_timezone,
    checked_title,
)

__all__ = ["VALIDATION_TITLE", "VALIDATION_METRICS", "N_BOOT", "SEED", "ValidationParameters"]

#: The default page title (and first heading) of a validation report.
VALIDATION_TITLE: Final = "Validation against a reference scoring"
#: The night-by-night metrics compared unless ``metrics`` says otherwise (``stat`` field names).
VALIDATION_METRICS: tuple[str, ...] = (
    "time_in_sleep",
    "sleep_efficiency",
    "sleep_latency",
    "time_in_wake",
    "time_in_light",
    "time_in_deep",
    "time_in_rem",
)
#: Bootstrap resamples of every interval of the report (participants resampled).
N_BOOT: Final = 1000
#: Seed of every bootstrap of the report (the same inputs give the same numbers).
SEED: Final = 20250115


@dataclass(frozen=True)
class ValidationParameters(NotebookParameters):
    """Everything a validation report depends on besides its data; invalid values raise at construction.

    Parameters
    ----------
    manifest
        The study manifest (``user_id``, ``group``, ``session_id``, ...): the
        device sessions. ``None``: the demo's ``validation.csv``.
    reference
        The reference manifest (:mod:`asleep_nb.data.reference.manifest`):
        which scoring file belongs to which session. ``None``: the demo's
        ``reference/manifest.csv``.
    timezone, archive, allow_missing, base_url
        As for ``asleep-nb report``: the sessions' zone, an archive to read
        them from offline, whether sessions that cannot be had are left out
        (and listed), the API's base URL.
    metrics
        Night-by-night metrics (``stat`` field names), in order.
    title
        Page title and first heading.

    Raises
    ------
    ReportInputError
        An unknown zone or metric, an empty title, or both ``archive`` and ``base_url``.
    """

    manifest: str | None = None
    reference: str | None = None
    timezone: str | None = None
    archive: str | None = None
    allow_missing: bool = False
    base_url: str | None = None
    metrics: tuple[str, ...] = VALIDATION_METRICS
    title: str = VALIDATION_TITLE

    def __post_init__(self) -> None:
        check_timezone(self.timezone)
        object.__setattr__(self, "metrics", _metrics(self.metrics))
        object.__setattr__(self, "title", checked_title(self.title))
        check_one_source(self.archive, self.base_url)

    def report_parameters(self) -> ReportParameters:
        """The cohort report's parameters that load the device sessions (aligned by start).

        Examples
        --------
        >>> ValidationParameters().report_parameters().manifest.endswith("validation.csv")
        True
        """
        return ReportParameters(
            manifest=self.manifest if self.manifest is not None else str(demo_validation_manifest()),
            timezone=self.timezone,
            archive=self.archive,
            allow_missing=self.allow_missing,
            align="start",
            base_url=self.base_url,
        )

    def shown(self) -> dict[str, str]:
        """The analysis choices in words, for the provenance table.

        Examples
        --------
        >>> ValidationParameters().shown()["bootstrap"]
        '1000 resamples of participants, seed 20250115'
        """
        return {
            "time zone": self.timezone or "each manifest row's own",
            "metrics compared night by night": ", ".join(self.metrics),
            "a session that cannot be had": self.missing_shown(),
            "bootstrap": f"{N_BOOT} resamples of participants, seed {SEED}",
            "title": self.title,
        }


def demo_validation_manifest() -> Any:
    """Path of the demo's study manifest of the validation sessions.

    Examples
    --------
    >>> demo_validation_manifest().name
    'validation.csv'
    """
    from asleep_nb.resources import demo_data_dir

    return demo_data_dir() / "validation.csv"


def _metrics(metrics: Sequence[str] | str) -> tuple[str, ...]:
    """Metric names checked as a cohort report checks them, then limited to durations, shares and counts."""
    names = ReportParameters.from_values(metrics=metrics).metrics
    for name in names:
        if STAT_FIELDS[name].kind not in ("duration", "ratio", "count"):
            raise ReportInputError(
                f"--metrics: {name!r} is a {STAT_FIELDS[name].kind}, not a duration, share or count; "
                "a validation compares those night by night"
            )
    return names
