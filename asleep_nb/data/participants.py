"""The participants of a study run day by day: one manifest row per user, with a zone and enrolment nights.

A participants manifest is a cohort manifest (:mod:`asleep_nb.data.manifest`)
whose rows name users, not sessions: ``user_id``, ``group``, ``timezone``
and optionally ``date_gte``/``date_lte``, read here as the **first and last
night** of the user's enrolment (nights by the night rule,
:func:`~asleep_nb.definitions.rules.night_of`, in the user's zone).
:func:`asleep_nb.loading.incremental.sync` and :func:`asleep_nb.stats.adherence`
read it; ``data/demo/daily.csv`` is one.

Examples
--------
>>> import pandas as pd
>>> from asleep_nb.data.manifest import read_manifest
>>> table = read_manifest(pd.DataFrame({"user_id": ["G-1"], "group": ["a"], "date_gte": ["2025-03-01"]}))
>>> participants(table)[0].first_night
datetime.date(2025, 3, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from asleep_nb.errors import ManifestError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["Participant", "participants"]


@dataclass(frozen=True, slots=True)
class Participant:
    """One participant of a sync manifest: a user, a zone and the enrolment nights.

    Attributes
    ----------
    row
        The manifest row (1-based) that names the user.
    first_night, last_night
        ``date_gte`` and ``date_lte`` of the row (``None`` when not given).
    """

    user_id: str
    group: str
    timezone: str
    first_night: date | None
    last_night: date | None
    row: int


def participants(table: pd.DataFrame, *, need_zone: bool = False) -> list[Participant]:
    """The participants of a validated manifest, one per row, in row order.

    Parameters
    ----------
    table
        The output of :func:`~asleep_nb.data.manifest.read_manifest`.
    need_zone
        Refuse a row without ``timezone`` (local dates need it).

    Raises
    ------
    ManifestError
        A row naming a session (a study run day by day follows users), a
        user on two rows, or (with ``need_zone``) a row without a zone.

    Examples
    --------
    >>> import pandas as pd
    >>> from asleep_nb.data.manifest import read_manifest
    >>> table = read_manifest(pd.DataFrame({"user_id": ["G-1"], "group": ["a"], "timezone": [""]}))
    >>> participants(table)[0].timezone
    'UTC'
    >>> participants(table, need_zone=True)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    asleep_nb.errors.ManifestError: row 1: timezone is empty; nights are local dates, ...
    """
    out: list[Participant] = []
    seen: dict[str, int] = {}
    for i, row in enumerate(table.to_dict(orient="records"), start=1):
        if row["session_id"]:
            raise ManifestError(
                f"row {i}: names session {row['session_id']!r}; a study run day by day follows "
                "participants: one row per user (user_id, group, timezone, date_gte, date_lte)"
            )
        if row["user_id"] in seen:
            raise ManifestError(
                f"row {i}: user {row['user_id']!r} is already a participant in row {seen[row['user_id']]}"
            )
        seen[row["user_id"]] = i
        if need_zone and not row["timezone"]:
            raise ManifestError(
                f"row {i}: timezone is empty; nights are local dates, so each participant needs a zone "
                "(an IANA name such as Europe/Paris)"
            )
        first = date.fromisoformat(row["date_gte"]) if row["date_gte"] else None
        last = date.fromisoformat(row["date_lte"]) if row["date_lte"] else None
        out.append(Participant(row["user_id"], row["group"], row["timezone"] or "UTC", first, last, i))
    return out
