"""Releasing stored nights day by day: the stand-in's notion of "today".

With a ``today`` set (:class:`~asleep_nb.standin.endpoints.StandinAPI`,
``serve(today=...)``, ``asleep-nb serve --today``), the stand-in serves a
study as it unfolds: a session is listed (and can be fetched) only once it
has been uploaded, and it may be ``OPEN`` or ``CLOSED`` for a while before it
is ``COMPLETE``. Without ``today`` every stored session is served as stored.

Each session belongs to a **night** (the night rule,
:func:`~asleep_nb.definitions.rules.night_of`, in its ``created_timezone``).
On the morning of ``today``, a session of night ``N`` with the
:class:`Release` ``r`` is

- not listed while ``today < N + r.upload_delay`` (normal: the day after
  the night; a late upload: a day later), never when ``r.withheld``;
- then in the states ``r.processing`` one day each (e.g. ``OPEN`` then
  ``CLOSED``), then ``COMPLETE``; a ``r.short`` night is served as what a
  recording stopped after four minutes gives (``TOO_SHORT_FOR_ANALYSIS``).

:meth:`ReleaseSchedule.demo` gives the demo panel's users behaviours derived
from their position (users of the group ``panel`` ordered by their first
session) and the number of each night (1 to 14), in :data:`DEMO_PLAN`:

===  ===============  =====================================================
pos  user's zone      what happens over the fortnight
===  ===============  =====================================================
0    Asia/Seoul       every night on time
1    America/New_York nights 4 and 9 uploaded a day late
2    America/New_York stops recording after night 9 (nights 10-14 never come)
3    Europe/Paris     nights 6 and 7 too short (a recording stopped after 4 min)
4    Europe/Paris     night 5 OPEN a day, then CLOSED a day; night 8 CLOSED a
                      day; night 10 not recorded (one night missed)
5    Asia/Seoul       night 14 CLOSED a day
6-7  Paris, New York  every night on time
===  ===============  =====================================================

Examples
--------
>>> from datetime import date
>>> release = Release(upload_delay=1, processing=("OPEN", "CLOSED"))
>>> [release.state_on(date(2025, 3, 28), date(2025, 3, d)) for d in (28, 29, 30, 31)]
[None, 'OPEN', 'CLOSED', 'COMPLETE']
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

import numpy as np

from asleep_nb.definitions.rules import night_of
from asleep_nb.standin.convert import parse_time
from asleep_nb.standin.store import StandinStore, StoredSession

__all__ = ["Release", "ReleaseSchedule", "DEMO_PLAN", "ON_TIME", "SHORT_EPOCHS"]

#: Epochs a too-short night keeps (4 minutes: under the contract's 5).
SHORT_EPOCHS: Final = 8


@dataclass(frozen=True, slots=True)
class Release:
    """How one session reaches the server (see the module docs).

    Attributes
    ----------
    upload_delay
        Days after its night when it is first listed (1: the next morning).
    processing
        States it shows, one day each, before ``COMPLETE`` (``"OPEN"``, ``"CLOSED"``).
    short
        Served as a night whose recording stopped after :data:`SHORT_EPOCHS` epochs.
    withheld
        Never uploaded (the participant did not record).
    """

    upload_delay: int = 1
    processing: tuple[str, ...] = ()
    short: bool = False
    withheld: bool = False

    def state_on(self, night: date, today: date) -> str | None:
        """The state served on the morning of ``today``; ``None`` while not listed.

        Examples
        --------
        >>> Release(withheld=True).state_on(date(2025, 1, 1), date(2025, 2, 1)) is None
        True
        """
        day = (today - night).days - self.upload_delay
        if self.withheld or day < 0:
            return None
        return self.processing[day] if day < len(self.processing) else "COMPLETE"


#: A session that is uploaded the morning after its night and is complete at once.
ON_TIME: Final = Release()
_LATE = Release(upload_delay=2)
_SHORT = Release(short=True)
_WITHHELD = Release(withheld=True)

#: The demo panel's behaviours: user position -> night number (1-based) -> release.
DEMO_PLAN: dict[int, dict[int, Release]] = {
    1: {4: _LATE, 9: _LATE},
    2: dict.fromkeys(range(10, 15), _WITHHELD),
    3: {6: _SHORT, 7: _SHORT},
    4: {5: Release(processing=("OPEN", "CLOSED")), 8: Release(processing=("CLOSED",)), 10: _WITHHELD},
    5: {14: Release(processing=("CLOSED",))},
}


def _night(stored: StoredSession) -> date:
    """The night of a stored session, in its ``created_timezone`` (UTC when it has none)."""
    zone_name = stored.brief.get("created_timezone") or "UTC"
    local = stored.start.astimezone(ZoneInfo(zone_name)).replace(tzinfo=None)
    night: date = night_of(np.datetime64(local, "ns")).astype("datetime64[D]").item()
    return night


@dataclass
class ReleaseSchedule:
    """The :class:`Release` of every stored session, and the session as served on a day.

    Parameters
    ----------
    store
        The stand-in's data.
    plan
        Session id -> release; sessions not in it are :data:`ON_TIME`.

    Examples
    --------
    >>> from pathlib import Path
    >>> schedule = ReleaseSchedule(StandinStore(data_dir=Path(".")))
    >>> schedule.release("20250115025029_fvivn") == ON_TIME
    True
    """

    store: StandinStore
    plan: dict[str, Release] = field(default_factory=dict)
    _nights: dict[str, date] = field(default_factory=dict, repr=False)
    _variants: dict[tuple[str, str], StoredSession] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def demo(cls, store: StandinStore) -> ReleaseSchedule:
        """The schedule of :data:`DEMO_PLAN` for the users of the group ``panel`` (others on time).

        Examples
        --------
        >>> from asleep_nb.standin.store import load
        >>> from asleep_nb.resources import demo_data_dir
        >>> schedule = ReleaseSchedule.demo(load(demo_data_dir()))
        >>> sorted({r.withheld for r in schedule.plan.values()})
        [False, True]
        """
        panel = {row["user_id"] for row in store.manifest if row.get("group") == "panel"}
        users = sorted((s for u, s in store.by_user.items() if u in panel and s), key=lambda s: s[0].start)
        plan: dict[str, Release] = {}
        for position, sessions in enumerate(users):
            for number, release in DEMO_PLAN.get(position, {}).items():
                if number <= len(sessions):
                    plan[sessions[number - 1].id] = release
        return cls(store, plan)

    def release(self, session_id: str) -> Release:
        """The release of a session (:data:`ON_TIME` unless the plan says otherwise)."""
        return self.plan.get(session_id, ON_TIME)

    def night(self, stored: StoredSession) -> date:
        """The night a stored session belongs to (cached)."""
        night = self._nights.get(stored.id)
        if night is None:
            night = self._nights[stored.id] = _night(stored)
        return night

    def served(self, stored: StoredSession, today: date | None) -> StoredSession | None:
        """The session as served on the morning of ``today`` (as stored when ``None``); ``None``: not yet."""
        if today is None:
            return stored
        release = self.release(stored.id)
        state = release.state_on(self.night(stored), today)
        if state is None:
            return None
        kind = "SHORT" if release.short and state == "COMPLETE" else state
        if kind == "COMPLETE":
            return stored
        key = (stored.id, kind)
        with self._lock:
            variant = self._variants.get(key)
            if variant is None:
                variant = self._variants[key] = _variant(stored, kind)
        return variant


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _variant(stored: StoredSession, kind: str) -> StoredSession:
    """A stored session as it looks while ``OPEN`` or ``CLOSED``, or cut ``SHORT`` (all in UTC)."""
    result: dict[str, Any] = stored.result
    session = result["session"]
    start = parse_time(session["start_time"], "session.start_time")
    result["stat"] = None
    others = [p for p in result.get("peculiarities") or [] if p == "NO_BREATHING_STABILITY"]
    if kind == "SHORT":
        keep = SHORT_EPOCHS
        result["peculiarities"] = ["TOO_SHORT_FOR_ANALYSIS", *others]
        session["end_time"] = _iso(start + timedelta(seconds=30 * keep + 10))
    else:
        result["peculiarities"] = ["IN_PROGRESS", *others]
        session["state"] = kind
        keep = len(session.get("sleep_stages") or [])
        if kind == "OPEN":  # still recording: part of the night uploaded, no end yet
            keep = keep // 2
            session["end_time"] = None
    session["unexpected_end_time"] = None if kind != "CLOSED" else session.get("unexpected_end_time")
    for name in ("sleep_stages", "snoring_stages"):
        if session.get(name) is not None:
            session[name] = session[name][:keep]
    stages = session.get("sleep_stages") or []
    result["missing_data_ratio"] = (
        round(sum(1 for s in stages if s == -1) / len(stages), 2) if stages else 0.0
    )
    return StoredSession.of(stored.id, stored.user_id, result, f"variant {kind} of {stored.id}")
