"""Build the demo cohort served by the stand-in API, deterministically.

The sleep-stage sequences are real: expert scorings of the Dreem Open
Datasets (DOD-H, 25 healthy adults; DOD-O, 55 patients with obstructive
sleep apnea; five scorers per night), reduced to one list per night by a
per-epoch majority vote after mapping to the Asleep four-stage code.
Everything else is generated from fixed seeds: clock times, time zones,
identifiers, users, snoring, ``sleep_index`` and the contract's edge cases.

Run it as::

    python -m asleep_nb.standin.builder [--source PATH] [--out data/demo]

Rerunning it gives byte-identical files.

Examples
--------
>>> import numpy as np
>>> from asleep_nb.standin.builder import to_asleep_code, majority_vote
>>> to_asleep_code(np.array([-1, 0, 1, 2, 3, 4])).tolist()
[-1, 0, 1, 1, 2, 3]
>>> majority_vote(np.array([[0, 2], [0, 2], [1, 3], [1, 3], [0, 4]])).tolist()
[0, 1]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from asleep_nb.definitions import EPOCH_SECONDS
from asleep_nb.standin import store

__all__ = [
    "SEED",
    "DemoSummary",
    "Recording",
    "build_demo",
    "default_source",
    "generated_sleep_index",
    "generate_snoring",
    "load_recordings",
    "main",
    "majority_vote",
    "scorer_agreement",
    "to_asleep_code",
]

#: Root seed of every random draw of the builder.
SEED: int = 20250115

#: AASM code (-1..4) -> Asleep four-stage code, indexed by ``aasm + 1``.
_AASM_TO_ASLEEP = np.array([-1, 0, 1, 1, 2, 3], dtype=np.int8)
#: Asleep codes a scorer can give after mapping, in vote order.
_VOTE_CODES = np.array([-1, 0, 1, 2, 3], dtype=np.int8)
_SLEEP_CODES = (1, 2, 3)

#: Peculiarity labels in the order the contract lists them (used to order every list).
_PECULIARITY_ORDER = (
    "IN_PROGRESS",
    "NEVER_SLEPT",
    "TOO_SHORT_FOR_ANALYSIS",
    "TOO_LONG_FOR_ANALYSIS",
    "TOO_MANY_DEFECTS_IN_SLEEP_STAGES",
    "NO_BREATHING_STABILITY",
    "NO_REALTIME_POLLING",
)

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

#: Snoring Markov chain: (range of P(start snoring), range of P(stop snoring)) per epoch of sleep.
SNORING_RATES: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "dodh": ((0.004, 0.015), (0.15, 0.30)),
    "dodo": ((0.03, 0.07), (0.07, 0.14)),
}

_GROUP_KEYS = {"healthy": 1, "apnea": 2, "panel": 3, "edge": 4}
_COHORT_GROUP = {"dodh": "healthy", "dodo": "apnea"}
_ID_CHARS = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))
_LETTERS = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
_GENDERS = ("male", "female", "non_binary", "other", "prefer_not_to_say")
_EARLIEST_BEDTIME = time(21, 30)
_BEDTIME_SPAN_S = 210 * 60  # 21:30 to 01:00 local


def _rng(*key: int) -> np.random.Generator:
    """A generator seeded by ``SEED`` and a fixed key, one stream per item."""
    return np.random.default_rng([SEED, *key])


# ---------------------------------------------------------------------------
# Source data: DOD scorings and the majority vote
# ---------------------------------------------------------------------------


def default_source() -> Path:
    """Where the DOD scorings are looked for when no source is given.

    ``$ASLEEP_NB_DOD_DIR`` if set, else ``../shared/data/dod`` beside the
    repository (``Path(asleep_nb.__file__).parents[2] / "shared/data/dod"``).

    Examples
    --------
    >>> default_source().name
    'dod'
    """
    env = os.environ.get("ASLEEP_NB_DOD_DIR")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / "shared" / "data" / "dod"


def to_asleep_code(aasm: np.ndarray) -> np.ndarray:
    """Map AASM codes (-1 not scored, 0 wake, 1 N1, 2 N2, 3 N3, 4 REM) to Asleep codes.

    N1 and N2 become light (1), N3 deep (2), REM 3; wake stays 0 and
    not scored stays -1.

    Raises
    ------
    ValueError
        When a value is outside -1..4.

    Examples
    --------
    >>> to_asleep_code(np.array([0, 1, 2, 3, 4, -1])).tolist()
    [0, 1, 1, 2, 3, -1]
    """
    aasm = np.asarray(aasm)
    if aasm.size and (aasm.min() < -1 or aasm.max() > 4):
        raise ValueError(f"AASM codes must lie in -1..4, got values from {aasm.min()} to {aasm.max()}")
    return _AASM_TO_ASLEEP[aasm.astype(np.int64) + 1]


def _cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two scorings over the epochs both scored (codes 0..3)."""
    both = (a >= 0) & (b >= 0)
    a, b = a[both].astype(np.int64), b[both].astype(np.int64)
    if a.size == 0:
        return 0.0
    observed = float(np.mean(a == b))
    pa = np.bincount(a, minlength=4) / a.size
    pb = np.bincount(b, minlength=4) / b.size
    expected = float(pa @ pb)
    return 1.0 if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def scorer_agreement(mapped: np.ndarray) -> np.ndarray:
    """Mean Cohen's kappa of each scorer with every other scorer.

    Parameters
    ----------
    mapped
        Array ``(n_scorers, n_epochs)`` of Asleep codes. Kappa is computed
        on the four stages, over the epochs both scorers scored.

    Returns
    -------
    numpy.ndarray
        One float per scorer.

    Examples
    --------
    >>> s = np.array([[0, 1, 2, 3], [0, 1, 2, 3], [0, 1, 1, 3]])
    >>> scorer_agreement(s).round(2).tolist()
    [0.83, 0.83, 0.67]
    """
    n = mapped.shape[0]
    kappa = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            kappa[i, j] = kappa[j, i] = _cohen_kappa(mapped[i], mapped[j])
    if n == 1:
        return np.ones(1)
    return (kappa.sum(axis=1) - 1.0) / (n - 1)


def majority_vote(scorings: np.ndarray) -> np.ndarray:
    """One Asleep-coded list per night from several AASM scorings.

    Each scorer's list is first mapped to the Asleep code, then each epoch
    takes the most frequent code (-1 "not scored" is one of the candidates,
    so an epoch stays -1 only when that is the vote). Ties go to the scorer
    with the best agreement with the rest (highest mean Cohen's kappa, see
    :func:`scorer_agreement`; lower scorer index on equal kappa) among the
    scorers who gave one of the tied codes.

    Parameters
    ----------
    scorings
        Array ``(n_scorers, n_epochs)`` of AASM codes (-1..4).

    Returns
    -------
    numpy.ndarray
        ``int8`` Asleep codes, one per epoch.

    Raises
    ------
    ValueError
        When ``scorings`` is not two-dimensional or holds codes outside -1..4.

    Examples
    --------
    >>> majority_vote(np.array([[2], [2], [3], [3], [-1]])).tolist()
    [1]
    """
    scorings = np.asarray(scorings)
    if scorings.ndim != 2 or scorings.shape[0] == 0:
        raise ValueError(f"scorings must be (n_scorers, n_epochs), got shape {scorings.shape}")
    mapped = to_asleep_code(scorings)
    counts = (mapped[:, :, None] == _VOTE_CODES[None, None, :]).sum(axis=0)  # (epochs, codes)
    best = counts.max(axis=1, keepdims=True)
    tied = counts == best  # (epochs, codes)
    vote = _VOTE_CODES[np.argmax(counts, axis=1)]
    unresolved = tied.sum(axis=1) > 1
    agreement = scorer_agreement(mapped)
    ranking = sorted(range(mapped.shape[0]), key=lambda s: (-agreement[s], s))
    for scorer in ranking:
        code_index = mapped[scorer] + 1  # _VOTE_CODES[k] == k - 1
        takes = unresolved & tied[np.arange(mapped.shape[1]), code_index]
        vote[takes] = mapped[scorer][takes]
        unresolved &= ~takes
    return vote.astype(np.int8)


@dataclass(frozen=True)
class Recording:
    """One real DOD night, reduced to the Asleep code.

    Attributes
    ----------
    record_id
        The DOD record id (a UUID).
    cohort
        ``"dodh"`` (healthy) or ``"dodo"`` (obstructive sleep apnea).
    stages
        ``int8`` majority-vote stages, one per 30-second epoch.
    """

    record_id: str
    cohort: str
    stages: np.ndarray = field(repr=False)


def load_recordings(source: str | Path | None = None) -> dict[str, list[Recording]]:
    """Read ``dodh.json`` and ``dodo.json`` and vote each night.

    Parameters
    ----------
    source
        The folder holding the two files; :func:`default_source` when ``None``.

    Returns
    -------
    dict
        ``{"dodh": [...], "dodo": [...]}``, each list sorted by record id.

    Raises
    ------
    FileNotFoundError
        When the folder or one of the files is missing.
    ValueError
        When a record's scorer lists differ in length.

    Examples
    --------
    >>> recs = load_recordings()  # doctest: +SKIP
    >>> len(recs["dodh"]), len(recs["dodo"])  # doctest: +SKIP
    (25, 55)
    """
    folder = Path(source) if source is not None else default_source()
    out: dict[str, list[Recording]] = {}
    for cohort in ("dodh", "dodo"):
        path = folder / f"{cohort}.json"
        if not path.is_file():
            raise FileNotFoundError(
                f"DOD scorings not found: {path} is missing. Pass --source PATH (the folder holding "
                "dodh.json and dodo.json) or set ASLEEP_NB_DOD_DIR."
            )
        raw = json.loads(path.read_text(encoding="utf-8"))
        records = []
        for record_id in sorted(raw):
            lists = [raw[record_id][name] for name in sorted(raw[record_id])]
            if len({len(x) for x in lists}) != 1:
                raise ValueError(f"{path}: record {record_id} has scorer lists of different lengths")
            records.append(Recording(record_id, cohort, majority_vote(np.array(lists, dtype=np.int64))))
        out[cohort] = records
    return out


# ---------------------------------------------------------------------------
# Generated parts: snoring, sleep_index, identifiers, metadata
# ---------------------------------------------------------------------------


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
        if stage in _SLEEP_CODES:
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


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).isoformat(timespec="seconds")


def _local(zone: str, evening: date, offset_s: int) -> datetime:
    """The UTC instant ``offset_s`` seconds after 21:30 wall clock of ``evening`` in ``zone``."""
    wall = datetime.combine(evening, _EARLIEST_BEDTIME) + timedelta(seconds=int(offset_s))
    return wall.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def _around(offset_s: int, rng: np.random.Generator) -> int:
    """``offset_s`` give or take ten minutes, whole seconds."""
    return offset_s + int(rng.integers(-600, 601))


def _session_id(start: datetime, rng: np.random.Generator) -> str:
    return start.astimezone(UTC).strftime("%Y%m%d%H%M%S") + "_" + "".join(rng.choice(_ID_CHARS, 5))


def _user_id(created: datetime, rng: np.random.Generator) -> str:
    return "G-" + created.astimezone(UTC).strftime("%Y%m%d%H%M%S") + "-" + "".join(rng.choice(_LETTERS, 20))


def _metadata(rng: np.random.Generator, cohort: str) -> dict[str, Any]:
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


# ---------------------------------------------------------------------------
# Sessions and users
# ---------------------------------------------------------------------------


@dataclass
class _Night:
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
class _User:
    group: str
    zone: str
    nights: list[_Night]
    metadata: dict[str, Any] | None
    fixed: dict[str, Any] | None = None  # the published example: data copied as is
    user_id: str = ""


def _stat(night: _Night) -> dict[str, Any] | None:
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


def _peculiarities(night: _Night) -> list[str]:
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


def _session_data(night: _Night, session_id: str, user: _User) -> dict[str, Any]:
    """The webhook ``data`` object of one night, keys in the vendor's order."""
    stages = night.stages
    missing = round(float(np.mean(stages == -1)), 2) if stages.size else 0.0
    return {
        "timezone": "UTC",
        "peculiarities": _peculiarities(night),
        "missing_data_ratio": missing,
        "session": {
            "id": session_id,
            "state": night.state,
            "start_time": _iso(night.start),
            "end_time": _iso(night.end),
            "unexpected_end_time": _iso(night.unexpected_end),
            "created_timezone": user.zone,
            "sleep_stages": stages.astype(int).tolist(),
            "breath_stages": None,
            "snoring_stages": night.snoring.astype(int).tolist(),
        },
        "stat": _stat(night),
        "user_id": user.user_id,
    }


def _timed_night(
    rec: Recording,
    zone: str,
    evening: date,
    offset_s: int,
    rng: np.random.Generator,
    *,
    two_stage: bool = False,
) -> _Night:
    """A real recording re-timed to start ``offset_s`` after 21:30 local on ``evening``."""
    stages = (np.minimum(rec.stages, 1) if two_stage else rec.stages).astype(np.int8)  # -1 stays -1
    start = _local(zone, evening, offset_s)
    end = start + timedelta(seconds=stages.size * EPOCH_SECONDS + int(rng.integers(0, 30)))
    (lo_on, hi_on), (lo_off, hi_off) = SNORING_RATES[rec.cohort]
    snoring = generate_snoring(stages, rng, rng.uniform(lo_on, hi_on), rng.uniform(lo_off, hi_off))
    return _Night(start, stages, snoring, rec.record_id, end=end, two_stage=two_stage)


def _single_night_users(recs: Sequence[Recording], group: str) -> list[_User]:
    """One user per DOD night, dates spread over 2025, one night per DST zone on a change.

    Users take the zones of :data:`SINGLE_NIGHT_ZONES` in turn; the first user
    of each zone of :data:`DST_NIGHTS` gets the spring change (``healthy``) or
    the autumn change (``apnea``).
    """
    key = _GROUP_KEYS[group]
    n = len(recs)
    zones = [SINGLE_NIGHT_ZONES[i % len(SINGLE_NIGHT_ZONES)] for i in range(n)]
    # the first user of each DST zone sleeps through the spring change (healthy) or autumn (apnea)
    dst_left = {zone: dates[key - 1] for zone, dates in DST_NIGHTS.items()}
    users = []
    for i, rec in enumerate(recs):
        rng = _rng(key, i)
        evening = date(2025, 1, 3) + timedelta(days=int((i + rng.random()) * 355 / n))
        evening = dst_left.pop(zones[i], evening)
        night = _timed_night(rec, zones[i], evening, int(rng.integers(0, _BEDTIME_SPAN_S)), rng)
        users.append(_User(group, zones[i], [night], _metadata(rng, rec.cohort)))
    return users


def _panel_users(recordings: dict[str, list[Recording]]) -> list[_User]:
    """Users with 14 consecutive nights each, later bedtimes on Friday and Saturday nights."""
    users = []
    for i, (zone, first, cohort) in enumerate(PANEL_PLAN):
        rng = _rng(_GROUP_KEYS["panel"], i)
        pool = recordings[cohort]
        picks = rng.choice(len(pool), PANEL_NIGHTS, replace=False)
        weekday_s = int(rng.integers(15 * 60, 75 * 60))  # 21:45-22:45
        weekend_delay_s = int(rng.integers(50 * 60, 100 * 60))
        nights = []
        for k, pick in enumerate(picks.tolist()):
            evening = first + timedelta(days=k)
            base = weekday_s + (weekend_delay_s if evening.weekday() in (4, 5) else 0)
            jitter = int(np.clip(rng.normal(0, 12 * 60), -25 * 60, 25 * 60))
            offset = int(np.clip(base + jitter, 0, _BEDTIME_SPAN_S))
            nights.append(_timed_night(pool[pick], zone, evening, offset, rng))
        users.append(_User("panel", zone, nights, _metadata(rng, cohort)))
    return users


def _edge_users(recordings: dict[str, list[Recording]], published: dict[str, Any]) -> list[_User]:
    """One user per edge case of the contract (two-stage: one user, four nights)."""
    healthy, apnea = recordings["dodh"], recordings["dodo"]
    key = _GROUP_KEYS["edge"]
    users = [_User("edge", "UTC", [], None, fixed=published, user_id=published["user_id"])]

    def add(zone: str, nights: list[_Night], rng: np.random.Generator, cohort: str) -> None:
        users.append(_User("edge", zone, nights, _metadata(rng, cohort)))

    # OPEN: recording still running, 2.5 hours uploaded so far.
    rng = _rng(key, 1)
    night = _timed_night(healthy[3], "Asia/Seoul", date(2025, 12, 30), _around(5400, rng), rng)
    night.stages, night.snoring = night.stages[:300].copy(), night.snoring[:300].copy()
    night.state, night.end, night.analysed = "OPEN", None, False
    add("Asia/Seoul", [night], rng, "dodh")

    # CLOSED: recording ended, analysis running.
    rng = _rng(key, 2)
    night = _timed_night(healthy[7], "Europe/Paris", date(2025, 12, 29), _around(3000, rng), rng)
    night.state, night.analysed = "CLOSED", False
    add("Europe/Paris", [night], rng, "dodh")

    # TOO_SHORT_FOR_ANALYSIS: three minutes.
    rng = _rng(key, 3)
    night = _timed_night(healthy[11], "America/New_York", date(2025, 5, 14), _around(4000, rng), rng)
    night.stages, night.snoring = night.stages[:6].copy(), night.snoring[:6].copy()
    night.end = night.start + timedelta(seconds=6 * EPOCH_SECONDS)
    night.extra, night.analysed = ("TOO_SHORT_FOR_ANALYSIS",), False
    add("America/New_York", [night], rng, "dodh")

    # TOO_MANY_DEFECTS_IN_SLEEP_STAGES: long runs of missing uploads.
    rng = _rng(key, 4)
    night = _timed_night(apnea[5], "Asia/Seoul", date(2025, 7, 9), _around(2400, rng), rng)
    n = night.stages.size
    for lo, hi in ((0.12, 0.31), (0.40, 0.58), (0.70, 0.90)):
        a, b = int(n * (lo + rng.uniform(0, 0.02))), int(n * hi)
        night.stages[a:b] = -1
        night.snoring[a:b] = -1
    night.extra, night.analysed = ("TOO_MANY_DEFECTS_IN_SLEEP_STAGES",), False
    add("Asia/Seoul", [night], rng, "dodo")

    # NEVER_SLEPT: ninety minutes awake.
    rng = _rng(key, 5)
    start = _local("Europe/Paris", date(2025, 8, 21), _around(6000, rng))
    stages = np.zeros(180, dtype=np.int8)
    night = _Night(start, stages, stages.copy(), "", end=start + timedelta(seconds=180 * 30 + 12))
    add("Europe/Paris", [night], rng, "dodh")

    # TOO_LONG_FOR_ANALYSIS: a night, a day awake with the app running, a second night.
    rng = _rng(key, 6)
    first, second = apnea[17], apnea[29]
    day = np.zeros(14 * 120, dtype=np.int8)
    night = _timed_night(first, "America/New_York", date(2025, 9, 17), _around(3600, rng), rng)
    tail = _timed_night(second, "America/New_York", date(2025, 9, 18), 0, rng)
    night.stages = np.concatenate([night.stages, day, tail.stages])
    night.snoring = np.concatenate([night.snoring, day, tail.snoring])
    night.end = night.start + timedelta(seconds=night.stages.size * EPOCH_SECONDS + 7)
    night.dod_record = f"{first.record_id}+{second.record_id}"
    add("America/New_York", [night], rng, "dodo")

    # unexpected_end_time: the app crashed; end_time is the end of the last uploaded chunk.
    rng = _rng(key, 7)
    night = _timed_night(healthy[19], "Asia/Seoul", date(2025, 11, 12), _around(2000, rng), rng)
    kept = int(night.stages.size * 0.62)
    night.unexpected_end = night.end
    night.stages, night.snoring = night.stages[:kept].copy(), night.snoring[:kept].copy()
    night.end = night.start + timedelta(seconds=kept * EPOCH_SECONDS)
    add("Asia/Seoul", [night], rng, "dodh")

    # Two-stage contract: four consecutive nights, stages 0 (wake) and 1 (sleep) only.
    rng = _rng(key, 8)
    picks = rng.choice(len(healthy), 4, replace=False).tolist()
    nights = [
        _timed_night(
            healthy[p],
            "Europe/Paris",
            date(2025, 6, 16) + timedelta(days=k),
            _around(3000, rng),
            rng,
            two_stage=True,
        )
        for k, p in enumerate(picks)
    ]
    add("Europe/Paris", nights, rng, "dodh")
    return users


def _assign_ids(users: list[_User]) -> None:
    """User ids from a creation time before the first night; unique across the cohort."""
    seen: set[str] = set()
    for index, user in enumerate(users):
        if user.fixed is not None:
            seen.add(user.user_id)
            continue
        rng = _rng(99, index)
        first = min(n.start for n in user.nights)
        created = first - timedelta(days=int(rng.integers(1, 60)), seconds=int(rng.integers(0, 86400)))
        while (uid := _user_id(created, rng)) in seen:  # pragma: no cover - 52**20 letters
            pass
        seen.add(uid)
        user.user_id = uid


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`build_demo` wrote.

    Attributes
    ----------
    out
        The output folder.
    users, sessions
        Number of users and sessions per group.
    files
        Every file written, relative to ``out``, sorted.
    """

    out: Path
    users: dict[str, int]
    sessions: dict[str, int]
    files: tuple[str, ...]

    def __str__(self) -> str:
        lines = [
            f"demo cohort in {self.out}: {sum(self.users.values())} users, "
            f"{sum(self.sessions.values())} sessions"
        ]
        for group in self.users:
            lines.append(f"  {group:8s} {self.users[group]:3d} users {self.sessions[group]:4d} sessions")
        return "\n".join(lines)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def build_demo(source: str | Path | None = None, out: str | Path | None = None) -> DemoSummary:
    """Build the demo cohort from the DOD scorings into ``out``.

    Parameters
    ----------
    source
        Folder holding ``dodh.json``, ``dodo.json`` and ``LICENSE``;
        :func:`default_source` when ``None``.
    out
        Output folder; ``data/demo`` of the repository when ``None``. Any
        ``sessions/*.json`` and ``users/*.json`` already there are removed
        first, so the folder holds exactly this build.

    Returns
    -------
    DemoSummary

    Raises
    ------
    FileNotFoundError
        When the source folder or one of its files is missing.

    Examples
    --------
    >>> import tempfile
    >>> summary = build_demo(out=tempfile.mkdtemp())  # doctest: +SKIP
    >>> summary.users["healthy"], summary.users["apnea"]  # doctest: +SKIP
    (25, 55)
    """
    src = Path(source) if source is not None else default_source()
    dest = Path(out) if out is not None else Path(__file__).resolve().parents[2] / "data" / "demo"
    recordings = load_recordings(src)
    if not (src / "LICENSE").is_file():
        raise FileNotFoundError(f"DOD licence not found: {src / 'LICENSE'} is missing")
    example_path = Path(__file__).resolve().parents[2] / "data" / "published_example.json"
    published = json.loads(example_path.read_text(encoding="utf-8"))["data"]

    users = [
        *_single_night_users(recordings["dodh"], "healthy"),
        *_single_night_users(recordings["dodo"], "apnea"),
        *_panel_users(recordings),
        *_edge_users(recordings, published),
    ]
    _assign_ids(users)

    dest.mkdir(parents=True, exist_ok=True)
    for sub in ("sessions", "users"):
        for old in sorted((dest / sub).glob("*.json")):
            old.unlink()
    session_rows: list[tuple[str, ...]] = []
    n_sessions: Counter[str] = Counter()
    seen_sessions: set[str] = set()
    for index, user in enumerate(users):
        rng = _rng(98, index)
        datas = []
        if user.fixed is not None:
            datas.append((user.fixed, ""))
        for night in user.nights:
            while (sid := _session_id(night.start, rng)) in seen_sessions:  # pragma: no cover
                pass
            datas.append((_session_data(night, sid, user), night.dod_record))
        for data, record in datas:
            seen_sessions.add(data["session"]["id"])
            store.write_session(dest, data)
            session_rows.append(
                (
                    data["session"]["id"],
                    user.user_id,
                    user.group,
                    record,
                    user.zone,
                    data["session"]["start_time"],
                )
            )
            n_sessions[user.group] += 1
        last = max(datas, key=lambda d: (d[0]["session"]["start_time"], d[0]["session"]["id"]))[0]["session"]
        store.write_user(
            dest,
            {
                "user_id": user.user_id,
                "to_be_deleted": False,
                "last_session_info": {
                    "session_id": last["id"],
                    "state": last["state"],
                    "start_time": last["start_time"],
                    "end_time": last["end_time"],
                },
                "metadata": user.metadata,
            },
        )
    _write_csv(
        dest / "manifest.csv", ("user_id", "group", "timezone"), [(u.user_id, u.group, u.zone) for u in users]
    )
    _write_csv(
        dest / "sessions.csv",
        ("session_id", "user_id", "group", "dod_record", "timezone", "start_time_utc"),
        session_rows,
    )
    shutil.copyfile(src / "LICENSE", dest / "LICENSE-DOD")

    n_users = Counter(u.group for u in users)
    groups = ("healthy", "apnea", "panel", "edge")
    files = sorted(
        str(p.relative_to(dest))
        for p in [
            dest / "manifest.csv",
            dest / "sessions.csv",
            dest / "LICENSE-DOD",
            *(dest / "sessions").glob("*.json"),
            *(dest / "users").glob("*.json"),
        ]
    )
    return DemoSummary(
        out=dest,
        users={g: n_users[g] for g in groups},
        sessions={g: n_sessions[g] for g in groups},
        files=tuple(files),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m asleep_nb.standin.builder [--source PATH] [--out DIR]``.

    Examples
    --------
    >>> main(["--source", "/nonexistent"])  # doctest: +SKIP
    error: DOD scorings not found: ...
    2
    """
    parser = argparse.ArgumentParser(
        prog="python -m asleep_nb.standin.builder", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--source", type=Path, default=None, help="folder with dodh.json and dodo.json")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: data/demo)")
    args = parser.parse_args(argv)
    try:
        summary = build_demo(args.source, args.out)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
