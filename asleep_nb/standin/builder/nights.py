"""The generated part of the demo: timing, identifiers, snoring, ``sleep_index`` and whole sessions.

Every draw comes from a generator seeded by :data:`SEED` and a fixed key
(:func:`seeded_rng`), so the build is byte-identical on every run.

Examples
--------
>>> import numpy as np
>>> from asleep_nb.standin.builder.nights import generate_snoring
>>> generate_snoring(np.array([0, 1, 1, 0]), np.random.default_rng(0), 1.0, 0.0).tolist()
[0, 1, 1, 0]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from asleep_nb.api.records import Peculiarity
from asleep_nb.definitions import EPOCH_SECONDS, SLEEP_CODES
from asleep_nb.definitions.identifiers import (
    SESSION_ID_ALPHABET,
    SESSION_ID_SUFFIX_LENGTH,
    USER_ID_ALPHABET,
    USER_ID_SUFFIX_LENGTH,
    format_session_id,
    format_user_id,
)
from asleep_nb.standin.builder.recordings import Recording

__all__ = [
    "SEED",
    "SNORING_RATES",
    "BEDTIME_SPAN_S",
    "DemoNight",
    "DemoUser",
    "around",
    "generate_snoring",
    "generated_metadata",
    "generated_sleep_index",
    "local_instant",
    "new_session_id",
    "new_user_id",
    "seeded_rng",
    "session_data",
    "timed_night",
]

#: Root seed of every random draw of the builder.
SEED: int = 20250115

#: Snoring Markov chain: (range of P(start snoring), range of P(stop snoring)) per epoch of sleep.
SNORING_RATES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "dodh": ((0.004, 0.015), (0.15, 0.30)),
    "dodo": ((0.03, 0.07), (0.07, 0.14)),
}
#: Seconds of the bedtime window after 21:30 local (to 01:00).
BEDTIME_SPAN_S = 210 * 60

#: Peculiarity labels in the order the contract lists them (used to order every list).
_PECULIARITY_ORDER: tuple[str, ...] = tuple(label.value for label in Peculiarity)
_SESSION_ID_CHARS = np.array(list(SESSION_ID_ALPHABET))
_USER_ID_CHARS = np.array(list(USER_ID_ALPHABET))
_GENDERS = ("male", "female", "non_binary", "other", "prefer_not_to_say")
_EARLIEST_BEDTIME = time(21, 30)


def seeded_rng(*key: int) -> np.random.Generator:
    """A generator seeded by ``SEED`` and a fixed key, one stream per item."""
    return np.random.default_rng([SEED, *key])


def generate_snoring(
    stages: np.ndarray, rng: np.random.Generator, p_start: float, p_stop: float
) -> np.ndarray:
    """Snoring codes from a two-state Markov chain that runs only during sleep.

    In a sleep epoch (1, 2, 3) the chain moves (no snoring -> snoring with
    probability ``p_start``, snoring -> no snoring with ``p_stop``); a wake
    epoch gives 0 and resets the chain; an error epoch (-1) gives -1 and
    resets it.

    Examples
    --------
    >>> s = generate_snoring(np.array([0, 1, 2, -1, 3]), np.random.default_rng(0), 1.0, 0.0)
    >>> s.tolist()
    [0, 1, 1, -1, 1]
    """
    stages = np.asarray(stages)
    draws = rng.random(stages.size)
    out = np.zeros(stages.size, dtype=np.int8)
    state = 0
    for i, stage in enumerate(stages.tolist()):
        if stage in SLEEP_CODES:
            state = int(draws[i] >= p_stop) if state else int(draws[i] < p_start)
            out[i] = state
        else:
            state = 0
            out[i] = -1 if stage == -1 else 0
    return out


def generated_sleep_index(stat: dict[str, Any]) -> int | None:
    """The generated ``sleep_index`` of the demo (the vendor's score cannot be recomputed).

    ``clip(round(20 + 60 * sleep_efficiency + 40 * (deep_ratio + rem_ratio)), 50, 100)``;
    under a two-stage contract (``deep_ratio`` null) the deep-plus-REM share
    is taken as 0.3. ``None`` when the stat is of a night without sleep
    (``sleep_time`` null). ``round`` is Python's.

    Examples
    --------
    >>> night = {"sleep_time": "2025-01-15T03:05:29+00:00", "deep_ratio": 0.15, "rem_ratio": 0.2}
    >>> generated_sleep_index({**night, "sleep_efficiency": 0.9})
    88
    >>> generated_sleep_index({**night, "sleep_efficiency": 0.3, "deep_ratio": 0.0, "rem_ratio": 0.0})
    50
    """
    if stat.get("sleep_time") is None:
        return None
    if stat.get("deep_ratio") is None:
        share = 0.3
    else:
        share = float(stat["deep_ratio"]) + float(stat["rem_ratio"])
    score = round(20 + 60 * float(stat["sleep_efficiency"]) + 40 * share)
    return int(min(max(score, 50), 100))


def iso_utc(dt: datetime | None) -> str | None:
    """``dt`` as ISO 8601 in UTC, whole seconds; ``None`` stays ``None``."""
    return None if dt is None else dt.astimezone(UTC).isoformat(timespec="seconds")


def local_instant(zone: str, evening: date, offset_s: int) -> datetime:
    """The UTC instant ``offset_s`` seconds after 21:30 wall clock of ``evening`` in ``zone``."""
    wall = datetime.combine(evening, _EARLIEST_BEDTIME) + timedelta(seconds=int(offset_s))
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def around(offset_s: int, rng: np.random.Generator) -> int:
    """``offset_s`` give or take ten minutes, whole seconds."""
    return offset_s + int(rng.integers(-600, 601))


def new_session_id(start: datetime, rng: np.random.Generator) -> str:
    """A session id for a night starting at ``start``, its suffix drawn from ``rng``."""
    return format_session_id(start, "".join(rng.choice(_SESSION_ID_CHARS, SESSION_ID_SUFFIX_LENGTH)))


def new_user_id(created: datetime, rng: np.random.Generator) -> str:
    """A user id created at ``created``, its suffix drawn from ``rng``."""
    return format_user_id(created, "".join(rng.choice(_USER_ID_CHARS, USER_ID_SUFFIX_LENGTH)))


def generated_metadata(rng: np.random.Generator, cohort: str) -> dict[str, Any]:
    """Generated demographics; apnea users older and heavier on average."""
    apnea = cohort == "dodo"
    year = int(rng.integers(1950, 1985) if apnea else rng.integers(1965, 2004))
    gender = _GENDERS[int(rng.choice(5, p=[0.46, 0.46, 0.03, 0.02, 0.03]))]
    height = round(rng.normal(176 if gender == "male" else 164, 7))
    bmi = rng.normal(31 if apnea else 23.5, 3.5 if apnea else 2.5)
    return {
        "birth_year": year,
        "birth_month": int(rng.integers(1, 13)),
        "birth_day": int(rng.integers(1, 29)),
        "gender": gender,
        "height": height,
        "weight": round(bmi * (height / 100) ** 2),
    }


def _ordered(labels: Iterable[str]) -> list[str]:
    return sorted(set(labels), key=_PECULIARITY_ORDER.index)


@dataclass
class DemoNight:
    """What a generated session is made of before ids are known."""

    start: datetime
    stages: np.ndarray
    snoring: np.ndarray
    dod_record: str
    state: str = "COMPLETE"
    end: datetime | None = None
    unexpected_end: datetime | None = None
    extra: tuple[str, ...] = ()
    two_stage: bool = False
    analysed: bool = True


@dataclass
class DemoUser:
    """A generated user: group, zone, nights and metadata; the id is assigned last."""

    group: str
    zone: str
    nights: list[DemoNight]
    metadata: dict[str, Any] | None
    fixed: dict[str, Any] | None = None  # the published example: data copied as is
    user_id: str = ""


def generated_stat(night: DemoNight) -> dict[str, Any] | None:
    """The vendor's stat of an analysed night (``compute_stat``) with a generated ``sleep_index``."""
    from asleep_nb.stats import compute_stat  # imported late: the builder only needs it when run

    if not night.analysed or night.end is None:
        return None
    stat = compute_stat(
        night.stages,
        night.start,
        night.end,
        snoring_stages=night.snoring,
        two_stage=night.two_stage,
    )
    stat = dict(stat)
    stat["sleep_index"] = generated_sleep_index(stat)
    return stat


def generated_peculiarities(night: DemoNight) -> list[str]:
    """The peculiarities of a generated night, in the contract's order.

    ``NO_BREATHING_STABILITY`` always; ``IN_PROGRESS`` while OPEN or CLOSED; the
    case's own labels; and, for analysed nights, what follows from the stages and
    times (``NEVER_SLEPT``, ``TOO_LONG_FOR_ANALYSIS``; see ``stats.derive_peculiarities``).
    """
    from asleep_nb.stats import derive_peculiarities

    labels = {"NO_BREATHING_STABILITY", *night.extra}
    if night.state in ("OPEN", "CLOSED"):
        labels.add("IN_PROGRESS")
    if night.analysed and night.end is not None:
        labels.update(derive_peculiarities(night.stages, night.start, night.end))
    return _ordered(labels)


def session_data(night: DemoNight, session_id: str, user: DemoUser) -> dict[str, Any]:
    """The webhook ``data`` object of one night, keys in the vendor's order."""
    stages = night.stages
    missing = round(float(np.mean(stages == -1)), 2) if stages.size else 0.0
    return {
        "timezone": "UTC",
        "peculiarities": generated_peculiarities(night),
        "missing_data_ratio": missing,
        "session": {
            "id": session_id,
            "state": night.state,
            "start_time": iso_utc(night.start),
            "end_time": iso_utc(night.end),
            "unexpected_end_time": iso_utc(night.unexpected_end),
            "created_timezone": user.zone,
            "sleep_stages": stages.astype(int).tolist(),
            "breath_stages": None,
            "snoring_stages": night.snoring.astype(int).tolist(),
        },
        "stat": generated_stat(night),
        "user_id": user.user_id,
    }


def timed_night(
    rec: Recording,
    zone: str,
    evening: date,
    offset_s: int,
    rng: np.random.Generator,
    *,
    two_stage: bool = False,
) -> DemoNight:
    """A real recording re-timed to start ``offset_s`` after 21:30 local on ``evening``."""
    stages = (np.minimum(rec.stages, 1) if two_stage else rec.stages).astype(np.int8)  # -1 stays -1
    start = local_instant(zone, evening, offset_s)
    end = start + timedelta(seconds=stages.size * EPOCH_SECONDS + int(rng.integers(0, 30)))
    (lo_on, hi_on), (lo_off, hi_off) = SNORING_RATES[rec.cohort]
    snoring = generate_snoring(stages, rng, rng.uniform(lo_on, hi_on), rng.uniform(lo_off, hi_off))
    return DemoNight(start, stages, snoring, rec.record_id, end=end, two_stage=two_stage)
