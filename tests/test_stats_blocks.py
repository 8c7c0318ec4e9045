"""The engine in blocks of like extent gives what it gives one session at a time, errors included.

A cohort of more epoch slots than one block (``_core._BLOCK_SLOTS``) is computed block by block,
each block cut to the columns its sessions use (``_blocks``). Each session's fields must equal those
of the session computed alone (the path the pysleep oracle tests pin), whatever the padding, the
offsets, the snoring (absent, asleep only, or while awake too) and the session order; errors must
name the session by its index in the whole cohort.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from asleep_nb.definitions import PAD
from asleep_nb.errors import PayloadError
from asleep_nb.stats import _core
from asleep_nb.stats._blocks import plan_blocks, row_extents
from asleep_nb.stats._core import stat_arrays

WIDTH = 3_300  # one 27.5-hour session; most are 400-2,500 epochs


def night(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stage runs of 1-40 epochs, -1 now and then."""
    codes = rng.choice([-1, 0, 1, 2, 3], size=n, p=[0.03, 0.2, 0.4, 0.15, 0.22])
    lengths = rng.integers(1, 40, size=n)
    return np.repeat(codes, lengths)[:n].astype(np.int8)


def cohort(rng: np.random.Generator, n_sessions: int) -> tuple[np.ndarray, ...]:
    """Stages, snoring, time in bed and two-stage flags, padded to WIDTH, many at an offset."""
    stages = np.full((n_sessions, WIDTH), PAD, dtype=np.int8)
    snoring = np.full_like(stages, PAD)
    lengths = rng.integers(1, 2_500, size=n_sessions)
    lengths[::300] = WIDTH - 7
    offsets = np.where(rng.random(n_sessions) < 0.5, rng.integers(0, 400, size=n_sessions), 0)
    offsets = np.minimum(offsets, WIDTH - lengths)
    two = rng.random(n_sessions) < 0.05
    for i, (n, at) in enumerate(zip(lengths, offsets, strict=True)):
        s = night(rng, int(n))
        if two[i]:
            s = np.minimum(s, 1)
        stages[i, at : at + n] = s
        kind = i % 4
        if kind == 1:  # the demo's kind: snoring only asleep
            snoring[i, at : at + n] = np.where(s > 0, rng.random(n) < 0.3, np.where(s == -1, -1, 0))
        elif kind == 2:  # any code anywhere, awake included
            snoring[i, at : at + n] = rng.choice([-1, 0, 1], size=n)
        elif kind == 3:  # snoring also awake, and codes outside the session (ignored)
            snoring[i] = rng.choice([-1, 0, 1], size=WIDTH)
    tib = 30.0 * lengths + rng.integers(0, 30, size=n_sessions)
    return stages, snoring, tib, two


def alone(stages: np.ndarray, snoring: np.ndarray | None, tib: np.ndarray, two: np.ndarray) -> tuple:
    rows = [
        stat_arrays(
            stages[i : i + 1], None if snoring is None else snoring[i : i + 1], tib[i : i + 1], two[i]
        )
        for i in range(len(tib))
    ]
    return np.concatenate([r.fields for r in rows]), [r.cycles[0] for r in rows]


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Blocks of 2**18 slots, so a cohort of a few hundred sessions makes several."""
    monkeypatch.setattr(_core, "_BLOCK_SLOTS", 2**18)
    return 2**18


@pytest.mark.parametrize("with_snoring", [True, False])
def test_blocks_equal_each_session_alone(with_snoring: bool, small_blocks: int) -> None:
    rng = np.random.default_rng(25)
    stages, snoring, tib, two = cohort(rng, 600)
    assert len(plan_blocks(*row_extents(stages, PAD), small_blocks)) > 2
    N = snoring if with_snoring else None
    got = stat_arrays(stages, N, tib, two)
    fields, cycles = alone(stages, N, tib, two)
    assert same(got.fields, fields)
    for i, c in enumerate(cycles):
        assert same(got.cycles[i, : c.size], c) and np.isnan(got.cycles[i, c.size :]).all()
    assert np.isfinite(got.fields).any(axis=0).sum() > 20  # not vacuous: most fields have values
    trimmed = stat_arrays(stages, N, tib, two, trim_cycles=True)
    used = int((~np.isnan(got.cycles)).sum(axis=1).max())
    assert 1 < used < got.cycles.shape[1]  # not vacuous: the trim cuts columns, and keeps some
    assert same(trimmed.fields, got.fields) and same(trimmed.cycles, got.cycles[:, :used])


def test_errors_name_the_session_in_the_whole_cohort(small_blocks: int) -> None:
    rng = np.random.default_rng(7)
    stages, snoring, tib, two = cohort(rng, 700)
    bad = stages.copy()
    bad[650, np.flatnonzero(bad[650] != PAD)[3]] = 7
    with pytest.raises(PayloadError, match=r"sleep_stage\[650, "):
        stat_arrays(bad, None, tib, two)
    gap = stages.copy()
    kept = np.flatnonzero(gap[123] != PAD)
    gap[123, kept[len(kept) // 2]] = PAD
    with pytest.raises(PayloadError, match=r"sleep_stage\[123\].*contiguous"):
        stat_arrays(gap, None, tib, two)
    partial = snoring.copy()
    kept = np.flatnonzero(stages[401] != PAD)
    partial[401, kept[:5]] = PAD
    with pytest.raises(PayloadError, match=r"snoring_stage\[401\]"):
        stat_arrays(stages, partial, tib, two)


@settings(max_examples=200, deadline=None)
@given(arrays(np.int8, st.tuples(st.integers(0, 5), st.integers(0, 40)), elements=st.integers(PAD, 3)))
def test_row_extents_hold_every_code_but_the_padding(matrix: np.ndarray) -> None:
    start, stop = row_extents(matrix, PAD)
    for r, row in enumerate(matrix):
        busy = np.flatnonzero(row != PAD)
        if busy.size:
            assert start[r] <= busy[0] < start[r] + 8 and stop[r] - 8 <= busy[-1] < stop[r]
        else:
            assert start[r] == stop[r] == 0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), max_size=30), st.integers(1, 120))
def test_blocks_take_every_row_once_with_its_columns(spans: list[tuple[int, int]], slots: int) -> None:
    start = np.array([min(a, b) for a, b in spans], dtype=np.int64)
    stop = np.array([max(a, b) for a, b in spans], dtype=np.int64)
    blocks = plan_blocks(start, stop, slots)
    rows = np.concatenate([b.rows for b in blocks]) if blocks else np.array([], dtype=np.int64)
    assert sorted(rows.tolist()) == list(range(len(spans)))
    for b in blocks:
        assert b.lo <= start[b.rows].min() and b.hi >= stop[b.rows].max()


def test_little_padding_takes_ranges_of_rows_equal_to_each_session_alone(small_blocks: int) -> None:
    rng = np.random.default_rng(11)
    stages, _, tib, _ = cohort(rng, 300)
    full = np.full_like(stages, PAD)
    full_snoring = np.full_like(stages, PAD)
    for i in range(len(tib)):  # every session 3,000-3,300 epochs: over 60 % of the matrix recorded
        n = int(rng.integers(3_000, stages.shape[1]))
        full[i, :n] = night(rng, n)
        full_snoring[i, :n] = rng.choice([-1, 0, 1], size=n)
        tib[i] = 30.0 * n
    assert full.size > 3 * small_blocks
    got = stat_arrays(full, full_snoring, tib, np.zeros(len(tib), dtype=bool))
    fields, _ = alone(full, full_snoring, tib, np.zeros(len(tib), dtype=bool))
    assert same(got.fields, fields)
