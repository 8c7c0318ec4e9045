"""The research metrics computed block by block equal the whole padded matrix's, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from asleep_nb.definitions import PAD
from asleep_nb.stats import stage_matrix as sm
from asleep_nb.stats._blocks import Block
from asleep_nb.stats.night import (
    persistent_sleep_latency,
    rem_latency_from_onset,
    research_sleep_latency,
    sleep_fragmentation_index,
    stage_bouts,
    transition_counts,
    transition_probabilities,
)

METRICS = {
    "research_sleep_latency": research_sleep_latency,
    "persistent_sleep_latency": persistent_sleep_latency,
    "rem_latency_from_onset": rem_latency_from_onset,
    "transition_counts": transition_counts,
    "transition_counts_night": lambda c: transition_counts(c, within="night"),
    "transition_probabilities": lambda c: transition_probabilities(c, self_transitions=False),
    "sleep_fragmentation_index": sleep_fragmentation_index,
    "sleep_fragmentation_index_night": lambda c: sleep_fragmentation_index(c, within="night"),
    "stage_bouts": lambda c: stage_bouts(c, min_epochs=2),
}


def _cohort(n: int = 400, long_epochs: int = 6_000, seed: int = 31) -> xr.Dataset:
    """``n`` nights of 150-2,500 epochs of runs of random stages, one of ``long_epochs``, one all padding."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(150, 2_500, n)
    lengths[n // 2] = long_epochs
    lengths[7] = 0
    codes = np.full((n, long_epochs), PAD, dtype=np.int8)
    for i, k in enumerate(lengths):
        runs = rng.choice([-1, 0, 1, 2, 3], size=k + 1, p=[0.05, 0.25, 0.4, 0.15, 0.15])
        codes[i, :k] = np.repeat(runs, rng.integers(1, 10, runs.size))[:k]
    start = np.datetime64("2026-01-01T22:00") + np.arange(n).astype("timedelta64[D]")
    return xr.Dataset(
        {"sleep_stage": (("session", "epoch"), codes)},
        coords={"session": [f"s{i}" for i in range(n)], "start_time": ("session", start)},
    )


def _whole(codes: np.ndarray, n_epochs: np.ndarray | None = None) -> list[Block]:
    """The former path: one block of every row and every column of the padded matrix."""
    return [Block(np.arange(codes.shape[0]), 0, codes.shape[1])]


@pytest.mark.parametrize("slots", [sm._BLOCK_SLOTS, 2**14])
@pytest.mark.parametrize("name", sorted(METRICS))
def test_blocks_equal_whole_matrix_bit_for_bit(monkeypatch, name, slots):
    cohort = _cohort()
    monkeypatch.setattr(sm, "_BLOCK_SLOTS", slots)
    codes = sm.stage_matrix(cohort).codes
    blocks = sm._plan(codes)
    assert len(blocks) > 1  # the cohort really is cut, and short nights get narrow blocks
    assert min(b.hi for b in blocks) < codes.shape[1] // 2
    by_block = METRICS[name](cohort)
    monkeypatch.setattr(sm, "_plan", _whole)
    whole = METRICS[name](cohort)
    if isinstance(whole, pd.DataFrame):
        assert len(whole) > 1_000
        pd.testing.assert_frame_equal(by_block, whole, check_exact=True)
    else:
        assert whole.dtype == by_block.dtype
        np.testing.assert_array_equal(by_block.values.view(np.uint8), whole.values.view(np.uint8))
        xr.testing.assert_identical(by_block, whole)
