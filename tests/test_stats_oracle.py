"""The vendor's own pysleep 0.2.0 as the oracle of the stat engine.

Real nights (Dreem Open Datasets, majority vote of five scorers) and
hypothesis-generated nights: every field that pysleep defines the way the
API does must be equal, ratios to the last bit.
"""

from __future__ import annotations

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
