"""The demo cohort's plan: who sleeps when and where, and the contract's edge cases.

Four groups: ``healthy`` (one user per DOD-H night), ``apnea`` (one user per
DOD-O night), ``panel`` (users with 14 consecutive nights, later bedtimes at
weekends, some across a daylight-saving change) and ``edge`` (one user per
edge case of the contract: OPEN, CLOSED, too short, too many defects, never
slept, too long, crashed app, two-stage nights, and the published example).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

from asleep_nb.definitions import EPOCH_SECONDS
from asleep_nb.standin.builder.nights import (
    BEDTIME_SPAN_S,
    DemoNight,
    DemoUser,
    around,
    generated_metadata,
    local_instant,
    new_user_id,
    seeded_rng,
    timed_night,
)
from asleep_nb.standin.builder.recordings import Recording

__all__ = [
    "SINGLE_NIGHT_ZONES",
    "DST_NIGHTS",
    "PANEL_PLAN",
    "PANEL_NIGHTS",
    "GROUP_KEYS",
    "single_night_users",
    "panel_users",
    "edge_users",
    "assign_ids",
]

#: Zones of the single-night users, assigned in turn.
SINGLE_NIGHT_ZONES = (
    "Asia/Seoul",
    "Europe/Paris",
    "America/New_York",
    "Australia/Sydney",
    "America/Los_Angeles",
)

#: Evening dates (local) of the nights that cross a daylight-saving change in 2025.
DST_NIGHTS: dict[str, tuple[date, ...]] = {
    "Europe/Paris": (date(2025, 3, 29), date(2025, 10, 25)),  # 2025-03-30 / 10-26 01:00 UTC
    "America/New_York": (date(2025, 3, 8), date(2025, 11, 1)),  # 2025-03-09 / 11-02 02:00 local
    "America/Los_Angeles": (date(2025, 3, 8), date(2025, 11, 1)),
    "Australia/Sydney": (date(2025, 4, 5), date(2025, 10, 4)),  # 2025-04-06 03:00 / 10-05 02:00 local
}

#: The panel: (zone, evening date of the first of 14 nights, DOD cohort the nights come from).
PANEL_PLAN: tuple[tuple[str, date, str], ...] = (
    ("Asia/Seoul", date(2025, 1, 20), "dodh"),
    ("Europe/Paris", date(2025, 3, 22), "dodo"),  # spans the spring change (night of 03-29)
    ("America/New_York", date(2025, 3, 1), "dodh"),  # spans the spring change (night of 03-08)
    ("Asia/Seoul", date(2025, 6, 2), "dodo"),
    ("Europe/Paris", date(2025, 3, 24), "dodh"),  # spans the spring change
    ("America/New_York", date(2025, 3, 3), "dodo"),  # spans the spring change
    ("Europe/Paris", date(2025, 10, 20), "dodh"),  # spans the autumn change (night of 10-25)
    ("America/New_York", date(2025, 10, 27), "dodo"),  # spans the autumn change (night of 11-01)
)
PANEL_NIGHTS = 14

#: The seed key of each group.
GROUP_KEYS = {"healthy": 1, "apnea": 2, "panel": 3, "edge": 4, "validation_healthy": 5, "validation_apnea": 6}


def single_night_users(recs: Sequence[Recording], group: str) -> list[DemoUser]:
    """One user per DOD night, dates spread over 2025, one night per DST zone on a change.

    Users take the zones of :data:`SINGLE_NIGHT_ZONES` in turn; the first user
    of each zone of :data:`DST_NIGHTS` gets the spring change (``healthy``) or
    the autumn change (``apnea``).
    """
    key = GROUP_KEYS[group]
    n = len(recs)
    zones = [SINGLE_NIGHT_ZONES[i % len(SINGLE_NIGHT_ZONES)] for i in range(n)]
    # the first user of each DST zone sleeps through the spring change (healthy) or autumn (apnea)
    dst_left = {zone: dates[key - 1] for zone, dates in DST_NIGHTS.items()}
    users = []
    for i, rec in enumerate(recs):
        rng = seeded_rng(key, i)
        evening = date(2025, 1, 3) + timedelta(days=int((i + rng.random()) * 355 / n))
        evening = dst_left.pop(zones[i], evening)
        night = timed_night(rec, zones[i], evening, int(rng.integers(0, BEDTIME_SPAN_S)), rng)
        users.append(DemoUser(group, zones[i], [night], generated_metadata(rng, rec.cohort)))
    return users


def panel_users(recordings: dict[str, list[Recording]]) -> list[DemoUser]:
    """Users with 14 consecutive nights each, later bedtimes on Friday and Saturday nights."""
    users = []
    for i, (zone, first, cohort) in enumerate(PANEL_PLAN):
        rng = seeded_rng(GROUP_KEYS["panel"], i)
        pool = recordings[cohort]
        picks = rng.choice(len(pool), PANEL_NIGHTS, replace=False)
        weekday_s = int(rng.integers(15 * 60, 75 * 60))  # 21:45-22:45
        weekend_delay_s = int(rng.integers(50 * 60, 100 * 60))
        nights = []
        for k, pick in enumerate(picks.tolist()):
            evening = first + timedelta(days=k)
            base = weekday_s + (weekend_delay_s if evening.weekday() in (4, 5) else 0)
            jitter = int(np.clip(rng.normal(0, 12 * 60), -25 * 60, 25 * 60))
            offset = int(np.clip(base + jitter, 0, BEDTIME_SPAN_S))
            nights.append(timed_night(pool[pick], zone, evening, offset, rng))
        users.append(DemoUser("panel", zone, nights, generated_metadata(rng, cohort)))
    return users


def edge_users(recordings: dict[str, list[Recording]], published: dict[str, Any]) -> list[DemoUser]:
    """One user per edge case of the contract (two-stage: one user, four nights)."""
    healthy, apnea = recordings["dodh"], recordings["dodo"]
    key = GROUP_KEYS["edge"]
    users = [DemoUser("edge", "UTC", [], None, fixed=published, user_id=published["user_id"])]

    def add(zone: str, nights: list[DemoNight], rng: np.random.Generator, cohort: str) -> None:
        users.append(DemoUser("edge", zone, nights, generated_metadata(rng, cohort)))

    # OPEN: recording still running, 2.5 hours uploaded so far.
    rng = seeded_rng(key, 1)
    night = timed_night(healthy[3], "Asia/Seoul", date(2025, 12, 30), around(5400, rng), rng)
    night.stages, night.snoring = night.stages[:300].copy(), night.snoring[:300].copy()
    night.state, night.end, night.analysed = "OPEN", None, False
    add("Asia/Seoul", [night], rng, "dodh")

    # CLOSED: recording ended, analysis running.
    rng = seeded_rng(key, 2)
    night = timed_night(healthy[7], "Europe/Paris", date(2025, 12, 29), around(3000, rng), rng)
    night.state, night.analysed = "CLOSED", False
    add("Europe/Paris", [night], rng, "dodh")

    # TOO_SHORT_FOR_ANALYSIS: three minutes.
    rng = seeded_rng(key, 3)
    night = timed_night(healthy[11], "America/New_York", date(2025, 5, 14), around(4000, rng), rng)
    night.stages, night.snoring = night.stages[:6].copy(), night.snoring[:6].copy()
    night.end = night.start + timedelta(seconds=6 * EPOCH_SECONDS)
    night.extra, night.analysed = ("TOO_SHORT_FOR_ANALYSIS",), False
    add("America/New_York", [night], rng, "dodh")

    # TOO_MANY_DEFECTS_IN_SLEEP_STAGES: long runs of missing uploads.
    rng = seeded_rng(key, 4)
    night = timed_night(apnea[5], "Asia/Seoul", date(2025, 7, 9), around(2400, rng), rng)
    n = night.stages.size
    for lo, hi in ((0.12, 0.31), (0.40, 0.58), (0.70, 0.90)):
        a, b = int(n * (lo + rng.uniform(0, 0.02))), int(n * hi)
        night.stages[a:b] = -1
        night.snoring[a:b] = -1
    night.extra, night.analysed = ("TOO_MANY_DEFECTS_IN_SLEEP_STAGES",), False
    add("Asia/Seoul", [night], rng, "dodo")

    # NEVER_SLEPT: ninety minutes awake.
    rng = seeded_rng(key, 5)
    start = local_instant("Europe/Paris", date(2025, 8, 21), around(6000, rng))
    stages = np.zeros(180, dtype=np.int8)
    night = DemoNight(start, stages, stages.copy(), "", end=start + timedelta(seconds=180 * 30 + 12))
    add("Europe/Paris", [night], rng, "dodh")

    # TOO_LONG_FOR_ANALYSIS: a night, a day awake with the app running, a second night.
    rng = seeded_rng(key, 6)
    first, second = apnea[17], apnea[29]
    day = np.zeros(14 * 120, dtype=np.int8)
    night = timed_night(first, "America/New_York", date(2025, 9, 17), around(3600, rng), rng)
    tail = timed_night(second, "America/New_York", date(2025, 9, 18), 0, rng)
    night.stages = np.concatenate([night.stages, day, tail.stages])
    night.snoring = np.concatenate([night.snoring, day, tail.snoring])
    night.end = night.start + timedelta(seconds=night.stages.size * EPOCH_SECONDS + 7)
    night.dod_record = f"{first.record_id}+{second.record_id}"
    add("America/New_York", [night], rng, "dodo")

    # unexpected_end_time: the app crashed; end_time is the end of the last uploaded chunk.
    rng = seeded_rng(key, 7)
    night = timed_night(healthy[19], "Asia/Seoul", date(2025, 11, 12), around(2000, rng), rng)
    kept = int(night.stages.size * 0.62)
    night.unexpected_end = night.end
    night.stages, night.snoring = night.stages[:kept].copy(), night.snoring[:kept].copy()
    night.end = night.start + timedelta(seconds=kept * EPOCH_SECONDS)
    add("Asia/Seoul", [night], rng, "dodh")

    # Two-stage contract: four consecutive nights, stages 0 (wake) and 1 (sleep) only.
    rng = seeded_rng(key, 8)
    picks = rng.choice(len(healthy), 4, replace=False).tolist()
    nights = [
        timed_night(
            healthy[p],
            "Europe/Paris",
            date(2025, 6, 16) + timedelta(days=k),
            around(3000, rng),
            rng,
            two_stage=True,
        )
        for k, p in enumerate(picks)
    ]
    add("Europe/Paris", nights, rng, "dodh")
    return users


def assign_ids(users: list[DemoUser]) -> None:
    """DemoUser ids from a creation time before the first night; unique across the cohort."""
    seen: set[str] = set()
    for index, user in enumerate(users):
        if user.fixed is not None:
            seen.add(user.user_id)
            continue
        rng = seeded_rng(99, index)
        first = min(n.start for n in user.nights)
        created = first - timedelta(days=int(rng.integers(1, 60)), seconds=int(rng.integers(0, 86400)))
        while (uid := new_user_id(created, rng)) in seen:  # pragma: no cover - 52**20 letters
            pass
        seen.add(uid)
        user.user_id = uid
