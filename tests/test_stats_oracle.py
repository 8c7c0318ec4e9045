"""The vendor's own pysleep 0.2.0 as the oracle of the stat engine.

Real nights (Dreem Open Datasets, majority vote of five scorers) and
hypothesis-generated nights: every field that pysleep defines the way the
API does must be equal, ratios to the last bit.
"""

from __future__ import annotations

import itertools
import json
import math
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from asleep_nb.definitions import NEVER_SLEPT_NULL_FIELDS, PAD, STAT_FIELDS
from asleep_nb.stats import UNKNOWABLE_FIELDS, compute_stat, compute_stats, stat_from_pysleep

pysleep = pytest.importorskip("pysleep")
from pysleep import SleepStageCalculator  # noqa: E402

DOD = Path(__file__).resolve().parents[2] / "shared" / "data" / "dod"
SNORING_FIELDS = {"time_in_snoring", "time_in_no_snoring", "snoring_ratio", "no_snoring_ratio"} | {
    "snoring_count"
}
#: Fields pysleep computes the way the API defines them.
COMPARABLE = [f for f in STAT_FIELDS if f not in UNKNOWABLE_FIELDS | SNORING_FIELDS]
#: ... and for never-slept nights, where the API has nulls instead.
COMPARABLE_NEVER_SLEPT = [f for f in COMPARABLE if f not in NEVER_SLEPT_NULL_FIELDS]
AASM_TO_ASLEEP = np.array([-1, 0, 1, 1, 2, 3], dtype=np.int8)  # index = AASM code + 1
CALC = SleepStageCalculator()


def majority_vote(scorers: list[list[int]]) -> np.ndarray:
    """Per-epoch majority of the scorers; ties go to the best-agreeing scorer among the tied votes."""
    votes = np.array(scorers) + 1  # codes 0..5
    n_scorers = votes.shape[0]
    agreement = [
        np.mean([(votes[i] == votes[j]).mean() for j in range(n_scorers) if j != i]) for i in range(n_scorers)
    ]
    counts = np.stack([(votes == c).sum(axis=0) for c in range(6)])
    tied = counts == counts.max(axis=0)
    chosen = np.full(votes.shape[1], -1)
    for s in np.argsort(agreement)[::-1]:
        pick = (chosen < 0) & tied[votes[s], np.arange(votes.shape[1])]
        chosen[pick] = votes[s][pick]
    return AASM_TO_ASLEEP[chosen]


def dod_nights() -> list[tuple[str, np.ndarray]]:
    if not DOD.exists():
        pytest.skip("shared/data/dod not available")
    nights = []
    for name in ("dodh.json", "dodo.json"):
        for record, scorers in json.loads((DOD / name).read_text()).items():
            nights.append((f"{name[:4]}:{record[:8]}", majority_vote(list(scorers.values()))))
    return nights


def oracle(stages: np.ndarray, start: datetime, end: datetime) -> dict:
    return stat_from_pysleep(CALC.calculate([int(s) for s in stages], start, end))


def differences(mine: dict, theirs: dict, stages: np.ndarray) -> dict:
    fields = COMPARABLE if ((stages >= 1) & (stages <= 3)).any() else COMPARABLE_NEVER_SLEPT
    return {
        f: (mine[f], theirs[f]) for f in fields if (mine[f], type(mine[f])) != (theirs[f], type(theirs[f]))
    }


def json_row(stats: xr.Dataset, i: int) -> dict:
    """One session of compute_stats in the JSON form (UTC times)."""

    def iso(t: np.datetime64) -> str:
        return pd.Timestamp(t).tz_localize("UTC").isoformat()

    out = {}
    for name, field in STAT_FIELDS.items():
        v = stats[name].values[i]
        if name in UNKNOWABLE_FIELDS:
            out[name] = None
        elif field.kind == "time_list":
            out[name] = [iso(t) for t in v if not np.isnat(t)]
        elif field.kind == "time":
            out[name] = None if np.isnat(v) else iso(v)
        elif math.isnan(v):
            out[name] = None
        else:
            out[name] = float(v) if field.kind == "ratio" else int(v)
    return out


START = datetime(2024, 3, 1, 22, 17, 3, tzinfo=UTC)


def test_majority_vote_breaks_ties_with_the_best_scorer():
    # scorers 0-2 agree everywhere; epoch 1 is a 2-2-1 split in AASM codes
    scorers = [[0, 2, 4], [0, 2, 4], [0, 4, 4], [1, 4, 4], [1, 3, 4]]
    assert majority_vote(scorers).tolist() == [0, 3, 3]


def test_dod_nights_match_pysleep_with_error_epochs_dropped():
    nights = dod_nights()
    assert len(nights) == 80
    clean = 0
    for name, stages in nights:
        kept = stages[stages != -1]
        clean += kept.size == stages.size
        end = START + timedelta(seconds=30 * kept.size)
        mine = compute_stat(kept, START, end)
        assert differences(mine, oracle(kept, START, end), kept) == {}, name
    assert clean > 0  # some nights have no -1 at all and are compared as they are


def test_dod_cohort_matches_compute_stat_per_night_with_error_epochs():
    nights = dod_nights()
    width = max(s.size for _, s in nights)
    stages = np.full((len(nights), width), PAD, dtype=np.int8)
    starts, ends = [], []
    for i, (_, s) in enumerate(nights):
        stages[i, : s.size] = s
        start = START + timedelta(days=i, seconds=7 * i)
        starts.append(start)
        ends.append(start + timedelta(seconds=30 * s.size + i % 30))
    cohort = xr.Dataset(
        {"sleep_stage": (("session", "epoch"), stages)},
        coords={
            "start_time": ("session", pd.to_datetime(starts).tz_convert(None)),
            "end_time": ("session", pd.to_datetime(ends).tz_convert(None)),
        },
    )
    stats = compute_stats(cohort)
    for i, (name, s) in enumerate(nights):
        assert json_row(stats, i) == compute_stat(s, starts[i], ends[i]), name


@st.composite
def nights(draw, max_epochs: int = 1500) -> np.ndarray:
    """Hypnograms drawn as runs, so that REM clusters (>= 20 epochs) occur."""
    n = draw(st.integers(1, max_epochs))
    runs = draw(
        st.lists(
            st.tuples(st.sampled_from([0, 0, 1, 1, 1, 2, 3, 3]), st.integers(1, 45)),
            min_size=1,
            max_size=80,
        )
    )
    stages = np.concatenate([np.full(length, stage, dtype=np.int8) for stage, length in runs])
    return np.resize(stages, n) if stages.size < n else stages[:n]


@settings(max_examples=300, deadline=None)
@given(
    stages=nights(),
    extra=st.integers(0, 29),
    offset_minutes=st.sampled_from([0, 540, -300, 330]),
)
def test_generated_nights_match_pysleep(stages, extra, offset_minutes):
    tz = timezone(timedelta(minutes=offset_minutes))
    start = START.astimezone(tz)
    end = start + timedelta(seconds=30 * stages.size + extra)
    mine = compute_stat(stages, start, end)
    assert differences(mine, oracle(stages, start, end), stages) == {}


@settings(max_examples=60, deadline=None)
@given(batch=st.lists(nights(max_epochs=600), min_size=1, max_size=6))
def test_generated_batches_match_pysleep(batch):
    width = max(s.size for s in batch)
    stages = np.full((len(batch), width), PAD, dtype=np.int8)
    for i, s in enumerate(batch):
        stages[i, : s.size] = s
    start = np.datetime64("2024-03-01T22:00:00", "ns")
    n = np.array([s.size for s in batch])
    cohort = xr.Dataset(
        {"sleep_stage": (("session", "epoch"), stages)},
        coords={
            "start_time": ("session", np.full(len(batch), start)),
            "end_time": ("session", start + n * np.timedelta64(30, "s")),
        },
    )
    stats = compute_stats(cohort)
    utc = datetime(2024, 3, 1, 22, tzinfo=UTC)
    for i, s in enumerate(batch):
        theirs = oracle(s, utc, utc + timedelta(seconds=30 * s.size))
        assert differences(json_row(stats, i), theirs, s) == {}


# --- the documented rules as the oracle where pysleep has none: -1 epochs and snoring -----------


def documented_rules(stages: list[int], snoring: list[int] | None) -> dict:
    """The fields the vendor module's docstring defines for -1 epochs and snoring, as plain loops."""
    ref: dict = {
        f"time_in_{name}": 30 * stages.count(code) for name, code in (("light", 1), ("deep", 2), ("rem", 3))
    }
    ref["time_in_sleep"] = ref["time_in_light"] + ref["time_in_deep"] + ref["time_in_rem"]
    not_wake = [i for i, code in enumerate(stages) if code != 0]  # -1 counts as not wake
    if not any(code >= 1 for code in stages):
        ref.update(sleep_latency=None, time_in_wake=0, waso_count=0, sleep_cycle_count=0)
        if snoring is not None:
            ref.update(time_in_snoring=0, snoring_count=0)
        return ref
    first, last = not_wake[0], not_wake[-1]
    period = stages[first : last + 1]
    wake_runs = [len(list(run)) for code, run in itertools.groupby(period) if code == 0]  # -1 splits a run
    ref.update(
        sleep_latency=30 * first,
        wakeup_latency=30 * (len(stages) - 1 - last),
        time_in_wake=30 * period.count(0),
        waso_count=len(wake_runs),
        longest_waso=30 * max(wake_runs, default=0),
    )
    ref["time_in_sleep_period"] = ref["time_in_sleep"] + ref["time_in_wake"]
    for name, code in (("light_latency", 1), ("deep_latency", 2), ("rem_latency", 3)):
        ref[name] = 30 * (stages.index(code) - first) if code in stages else None
    clusters: list[int] = []
    gap = None  # non-REM epochs (-1 included) since the last REM epoch
    for code in period:
        if code == 3:
            if gap is None or gap > 20:
                clusters.append(0)
            clusters[-1] += 1
            gap = 0
        elif gap is not None:
            gap += 1
    ref["sleep_cycle_count"] = sum(size >= 20 for size in clusters)
    if snoring is not None:
        snores = [snoring[i] == 1 and stages[i] != -1 for i in range(first, last + 1)]
        ref["time_in_snoring"] = 30 * sum(snores)
        ref["snoring_count"] = sum(1 for on, _ in itertools.groupby(snores) if on)
    return ref


@st.composite
def nights_with_errors(draw, max_epochs: int = 400) -> tuple[np.ndarray, np.ndarray | None]:
    """Nights drawn as runs, -1 included, with snoring (-1, 0, 1) in runs or none."""
    stages = draw(nights(max_epochs))
    n = stages.size
    errors = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, 25)), max_size=6))
    for at, length in errors:
        stages[at : at + length] = -1
    if not draw(st.booleans()):
        return stages, None
    runs = draw(
        st.lists(st.tuples(st.sampled_from([-1, 0, 1, 1]), st.integers(1, 30)), min_size=1, max_size=40)
    )
    snoring = np.concatenate([np.full(length, code, dtype=np.int8) for code, length in runs])
    return stages, np.resize(snoring, n)


@settings(max_examples=150, deadline=None)
@given(
    batch=st.lists(nights_with_errors(), min_size=1, max_size=5),
    offsets=st.lists(st.integers(0, 7), min_size=5),
)
def test_error_epochs_and_snoring_follow_the_documented_rules(batch, offsets):
    width = max(s.size for s, _ in batch) + max(offsets)
    stages = np.full((len(batch), width), PAD, dtype=np.int8)
    snoring = np.full_like(stages, PAD)
    for i, (s, sn) in enumerate(batch):
        stages[i, offsets[i] : offsets[i] + s.size] = s
        if sn is not None:
            snoring[i, offsets[i] : offsets[i] + s.size] = sn
    start = np.datetime64("2024-03-01T22:00:00", "ns")
    n = np.array([s.size for s, _ in batch])
    cohort = xr.Dataset(
        {"sleep_stage": (("session", "epoch"), stages), "snoring_stage": (("session", "epoch"), snoring)},
        coords={
            "start_time": ("session", np.full(len(batch), start)),
            "end_time": ("session", start + n * np.timedelta64(30, "s")),
        },
    )
    stats = compute_stats(cohort)
    for i, (s, sn) in enumerate(batch):
        expected = documented_rules(s.tolist(), None if sn is None else sn.tolist())
        night = compute_stat(s, START, START + timedelta(seconds=30 * s.size), snoring_stages=sn)
        row = json_row(stats, i)
        assert {f: night[f] for f in expected} == expected
        assert {f: row[f] for f in expected} == expected
        if sn is None:
            assert night["time_in_snoring"] is None and row["snoring_count"] is None
