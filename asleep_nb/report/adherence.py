"""The report's "Adherence" section: who recorded, night by night, in a study run day by day.

The section appears only when the report reads an archive that
``asleep-nb sync`` keeps (it holds ``sync.json``, see
:mod:`asleep_nb.loading.sync_state`) and the report's manifest is a
participants manifest (one row per user with a zone, as ``sync`` reads).
It is written as of the morning of the last sync: the latest ``today`` a
sync recorded, else the UTC date of the last sync. Everything else (a
cohort manifest naming sessions, a report from the API or the demo) leaves
the section out: adherence is about a study in progress, and a cohort
report shows its data quality in the section above it.

The numbers are :func:`asleep_nb.stats.adherence` and
:func:`asleep_nb.stats.night_table` of the archive (sessions still ``OPEN``
or ``CLOSED`` included); the figure is :func:`asleep_nb.plot.adherence_calendar`.

Examples
--------
>>> from asleep_nb.report.parameters import ReportParameters
>>> adherence_view(ReportParameters(), None) is None  # no archive: no section
True
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from asleep_nb.data.participants import participants
from asleep_nb.errors import ManifestError
from asleep_nb.loading.archive import open_archive
from asleep_nb.loading.sync_state import read_sync_state
from asleep_nb.stats.adherence_table import adherence, night_table

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.report.parameters import ReportParameters
    from asleep_nb.report.sources import ReportData

__all__ = ["AdherenceView", "adherence_view", "last_morning"]

#: Nights the report's calendar shows, up to the last night.
CALENDAR_NIGHTS = 21


@dataclass(frozen=True)
class AdherenceView:
    """What the section shows: the morning, the table for people, the nights for the calendar."""

    morning: date
    table: pd.DataFrame
    nights: pd.DataFrame

    @property
    def sentence(self) -> str:
        """One paragraph (plain text) saying as of when and how many need contact."""
        flagged = int((self.table["contact"] == "yes").sum())
        window = self.table.attrs.get("window", 7)
        return (
            f"As of the morning of {self.morning.isoformat()} (the last sync): "
            f"{len(self.table)} participants, {flagged} needing contact. Nights are local dates "
            f"in each participant's zone; counts cover the last {window} nights."
        )


def last_morning(marks: dict[str, object]) -> date | None:
    """The morning of the last sync: the latest ``today`` recorded, else the UTC date of the latest sync.

    Examples
    --------
    >>> from asleep_nb.loading.sync_state import SyncMark
    >>> last_morning({"G-1": SyncMark("2026-01-05T06:00:00+00:00", "2025-03-30", "UTC", None)})
    datetime.date(2025, 3, 30)
    """
    todays = [getattr(m, "today", None) for m in marks.values()]
    if any(todays):
        return max(date.fromisoformat(t) for t in todays if t)
    stamps = [datetime.fromisoformat(str(getattr(m, "synced_at", ""))).date() for m in marks.values()]
    return max(stamps, default=None)


def _shown(table: pd.DataFrame) -> pd.DataFrame:
    """The table for the page: flagged first, readable headers, one row per participant."""
    out = table.sort_values("needs_contact", ascending=False, kind="stable").set_index("user_id")
    shown = pd.DataFrame(
        {
            "enrolment": out["enrolment"],
            "recorded": [
                f"{r} of {n}" for r, n in zip(out["nights_recorded"], out["nights_in_window"], strict=True)
            ],
            "valid": out["nights_valid"],
            "last night": [d.isoformat() if d else "none" for d in out["last_night"]],
            "missed in a row": out["missed_in_a_row"],
            "processing": out["processing"],
            "no signal (%)": [f"{100 * v:.1f}" if v == v else "" for v in out["mean_no_signal_share"]],
            "contact": ["yes" if v else "" for v in out["needs_contact"]],
            "reason": out["reason"],
        },
        index=out.index.rename("participant"),
    )
    return shown.astype(str)  # every cell as written: counts are whole numbers, not metrics


def adherence_view(params: ReportParameters, data: ReportData | None) -> AdherenceView | None:
    """The section's content; ``None`` without a synced archive or a participants manifest."""
    if params.archive is None or data is None or data.manifest is None:
        return None
    marks = read_sync_state(params.archive)
    morning = last_morning(dict(marks))
    if morning is None:
        return None
    try:
        participants(data.manifest.rows, need_zone=True)
    except ManifestError:
        return None
    archive = open_archive(params.archive)
    table = adherence(archive, data.manifest.rows, today=morning)
    shown = _shown(table)
    shown.attrs["window"] = table.attrs["window"]
    return AdherenceView(morning, shown, night_table(archive, data.manifest.rows, today=morning))
