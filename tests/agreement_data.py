"""Device/reference pairs for the agreement tests: generated nights and the real DOD nights.

Device cohorts are built by ``asleep_nb.data.to_cohort`` from Get Session
payloads (conftest's ``make_session``); reference cohorts have the shape the
reference readers make (dims ``session``, ``epoch``, int8 padded with ``PAD``,
per-session ``session_id``, ``user_id``, ``start_time`` UTC-naive, ``n_epochs``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import xarray as xr
from conftest import make_session

from asleep_nb.data.cohort import to_cohort
from asleep_nb.definitions import PAD
from asleep_nb.definitions.identifiers import format_session_id

DOD = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "dod"
#: AASM codes of the DOD files (-1 unscored, 0 W, 1 N1, 2 N2, 3 N3, 4 REM) to the Asleep four stages.
AASM_TO_ASLEEP = {-1: -1, 0: 0, 1: 1, 2: 1, 3: 2, 4: 3}
BASE = datetime(2025, 1, 10, 22, 0, tzinfo=UTC)


def user_id(k: int) -> str:
    return f"G-20240101{k:06d}-" + (f"user{k:04d}" * 3)[:20]


def session_id(k: int, start: datetime) -> str:
    return format_session_id(start, f"{k:05d}"[-5:].replace("0", "a"))


def device_cohort(
    stages: Sequence[np.ndarray],
    users: Sequence[str],
    starts: Sequence[datetime],
    ids: Sequence[str],
    **kw: object,
) -> xr.Dataset:
    payloads = [
        make_session(sid, uid, start, [int(v) for v in s])
        for s, uid, start, sid in zip(stages, users, starts, ids, strict=True)
    ]
    return to_cohort(payloads, **kw)  # type: ignore[arg-type]


def reference_cohort(
    stages: Sequence[np.ndarray], users: Sequence[str], starts: Sequence[datetime], ids: Sequence[str]
) -> xr.Dataset:
    n = np.array([len(s) for s in stages], dtype=np.int32)
    grid = np.full((len(stages), int(n.max())), PAD, dtype=np.int8)
    for i, s in enumerate(stages):
        grid[i, : n[i]] = s
    start_utc = np.array([s.astimezone(UTC).replace(tzinfo=None) for s in starts], dtype="datetime64[ns]")
    return xr.Dataset(
        {"sleep_stage": (("session", "epoch"), grid)},
        coords={
            "session_id": ("session", np.array(ids, dtype=object)),
            "user_id": ("session", np.array(users, dtype=object)),
            "start_time": ("session", start_utc),
            "n_epochs": ("session", n),
        },
    )


def synthetic_reference(rng: np.random.Generator, n: int) -> np.ndarray:
    """A plausible scored night: wake, cycles of light/deep/light/REM, brief wakes, final wake."""
    out: list[int] = [0] * int(rng.integers(10, 40))
    cycle = 0
    while len(out) < n:
        out += [1] * int(rng.integers(15, 40)) + [2] * max(0, int(rng.normal(45 - 12 * cycle, 8)))
        out += [1] * int(rng.integers(10, 30)) + [3] * max(5, int(rng.normal(12 + 8 * cycle, 4)))
        if rng.random() < 0.6:
            out += [0] * int(rng.integers(1, 8))
        cycle += 1
    stages = np.array(out[:n], dtype=np.int8)
    stages[-int(rng.integers(5, 20)) :] = 0
    return stages


def noisy_device(rng: np.random.Generator, reference: np.ndarray, error: float) -> np.ndarray:
    """The reference with a share ``error`` of epochs replaced by a random stage; a few no-signal epochs."""
    device = reference.copy()
    wrong = rng.random(device.size) < error
    device[wrong] = rng.integers(0, 4, int(wrong.sum()))
    gap = int(rng.integers(0, device.size - 10))
    device[gap : gap + int(rng.integers(0, 8))] = -1
    return device


def generated_pair(
    seed: int = 0, users: int = 6, nights: int = 3, offsets_s: Sequence[float] = (0.0,)
) -> tuple[xr.Dataset, xr.Dataset, list[np.ndarray], list[np.ndarray]]:
    """Device and reference cohorts of ``users x nights`` generated nights; returns the raw arrays too.

    The reference of night ``i`` starts ``offsets_s[i % len(offsets_s)]`` seconds before the device
    night; the arrays returned are each side's native epochs.
    """
    rng = np.random.default_rng(seed)
    dev_stages, ref_stages, uids, dev_starts, ref_starts, ids = [], [], [], [], [], []
    for u in range(users):
        for k in range(nights):
            i = u * nights + k
            ref = synthetic_reference(rng, int(rng.integers(700, 1000)))
            dev = noisy_device(rng, ref, error=float(rng.uniform(0.1, 0.4)))
            start = BASE + timedelta(days=k, minutes=int(rng.integers(0, 90)))
            dev_stages.append(dev)
            ref_stages.append(ref)
            uids.append(user_id(u))
            dev_starts.append(start)
            ref_starts.append(start - timedelta(seconds=float(offsets_s[i % len(offsets_s)])))
            ids.append(session_id(i, start))
    device = device_cohort(dev_stages, uids, dev_starts, ids)
    reference = reference_cohort(ref_stages, uids, ref_starts, ids)
    return device, reference, dev_stages, ref_stages


def majority(scorers: np.ndarray) -> np.ndarray:
    """Per-epoch majority of the scorers (rows); ties go to the scorer agreeing best with the rest."""
    n_scorers = scorers.shape[0]
    agreement = [
        np.mean([np.mean(scorers[a] == scorers[b]) for b in range(n_scorers) if b != a])
        for a in range(n_scorers)
    ]
    best_first = np.argsort(agreement)[::-1]
    codes = np.arange(-1, 5)
    votes = np.stack([(scorers == c).sum(axis=0) for c in codes])
    top = votes.max(axis=0)
    out = np.empty(scorers.shape[1], dtype=np.int8)
    for j in range(scorers.shape[1]):
        winners = codes[votes[:, j] == top[j]]
        if winners.size == 1:
            out[j] = winners[0]
        else:
            out[j] = next(scorers[s, j] for s in best_first if scorers[s, j] in winners)
    return out


def to_asleep(aasm: np.ndarray) -> np.ndarray:
    lookup = np.array([AASM_TO_ASLEEP[c] for c in range(-1, 5)], dtype=np.int8)
    return lookup[np.asarray(aasm, dtype=np.int64) + 1]


def dod_pair(dataset: str = "dodh") -> tuple[xr.Dataset, xr.Dataset, list[np.ndarray], list[np.ndarray]]:
    """Device (chambon_2018) and reference (five-scorer majority) cohorts of the DOD nights.

    The hypnograms are real; ids, users (one per record) and times are generated. Device epochs the
    model did not score (-1) are no signal.
    """
    models = json.loads((DOD / f"{dataset}_models.json").read_text())
    scorers = json.loads((DOD / f"{dataset}.json").read_text())
    dev_stages, ref_stages, uids, starts, ids = [], [], [], [], []
    for i, record in enumerate(sorted(models)):
        device = to_asleep(np.asarray(models[record]["chambon_2018"]))
        reference = to_asleep(majority(np.array([scorers[record][f"scorer_{k}"] for k in range(1, 6)])))
        start = BASE + timedelta(days=i, minutes=7 * i)
        dev_stages.append(device)
        ref_stages.append(reference)
        uids.append(user_id(100 + i))
        starts.append(start)
        ids.append(session_id(1000 + i, start))
    device_ds = device_cohort(dev_stages, uids, starts, ids)
    reference_ds = reference_cohort(ref_stages, uids, starts, ids)
    return device_ds, reference_ds, dev_stages, ref_stages
