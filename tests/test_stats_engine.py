"""The stat engine's building blocks against plain Python loops: runs, the run-code matrix, the rules.

The engine finds the sleep period by applying the named rules of
``definitions.rules`` to each session's run codes, and the rules find the last
marked epoch through packed bits; these tests pin both to the obvious loop,
on widths that are and are not multiples of eight, with padding anywhere.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from asleep_nb.definitions import PAD, research_sleep_period, vendor_sleep_period
from asleep_nb.stats._runs import Runs

CODES = st.integers(PAD, 3)


def stage_matrices(max_rows: int = 6, max_cols: int = 70) -> st.SearchStrategy[np.ndarray]:
    """(sessions, epochs) int8 codes -2..3, in runs so that long and short runs both occur."""
    return st.integers(0, max_rows).flatmap(
        lambda rows: st.integers(0, max_cols).flatmap(
            lambda cols: st.lists(
                st.tuples(CODES, st.integers(1, 12)), min_size=1, max_size=max(1, rows * cols)
            ).map(lambda runs: _fill(rows, cols, runs))
        )
    )


def _fill(rows: int, cols: int, runs: list[tuple[int, int]]) -> np.ndarray:
    flat = np.concatenate([np.full(length, code, dtype=np.int8) for code, length in runs])
    return np.resize(flat, rows * cols).reshape(rows, cols)


@settings(max_examples=300, deadline=None)
@given(stage_matrices())
def test_runs_rebuild_the_stages_and_their_tables(stages: np.ndarray) -> None:
    runs = Runs(stages)
    rows, cols = stages.shape
    rebuilt = np.full((rows, cols), 99, dtype=np.int8)
    for code, row, col, length in zip(runs.code, runs.row, runs.col, runs.length, strict=True):
        assert (rebuilt[row, col : col + length] == 99).all()
        rebuilt[row, col : col + length] = code
        assert col + length == cols or stages[row, col + length] != code  # runs are maximal
    assert np.array_equal(rebuilt, stages)
    counts = runs.counts(PAD, 3)
    matrix = runs.code_matrix(PAD)
    start, end = runs.span(PAD)
    for r, night in enumerate(stages.tolist()):
        assert counts[r].tolist() == [night.count(code) for code in range(PAD, 4)]
        own = runs.code[runs.row == r].tolist()
        assert matrix[r].tolist() == own + [PAD] * (matrix.shape[1] - len(own))
        kept = [i for i, code in enumerate(night) if code != PAD]
        if kept and kept == list(range(kept[0], kept[-1] + 1)):  # padding only at the edges
            assert (start[r], end[r]) == (kept[0], kept[-1])
        elif not kept:
            assert (start[r], end[r]) == (cols, -1)
        for code in (1, 2, 3):
            if code in night:
                assert runs.first_epoch(matrix, code)[r] == night.index(code)


def _loop_period(night: list[int], marked: set[int]) -> tuple[int, int]:
    where = [i for i, code in enumerate(night) if code in marked]
    if not any(code >= 1 for code in night):
        return -1, -1
    return where[0], where[-1]


@settings(max_examples=300, deadline=None)
@given(arrays(np.int8, array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=23), elements=CODES))
def test_sleep_period_rules_equal_a_loop_on_any_shape(stages: np.ndarray) -> None:
    rows = stages.reshape(int(np.prod(stages.shape[:-1])), stages.shape[-1]).tolist()
    for rule, marked in ((vendor_sleep_period, {-1, 1, 2, 3}), (research_sleep_period, {1, 2, 3})):
        period = rule(stages)
        assert period.onset.shape == stages.shape[:-1] and period.onset.dtype == np.int64
        expected = [_loop_period(night, marked) for night in rows]
        got = zip(period.onset.reshape(-1).tolist(), period.last.reshape(-1).tolist(), strict=True)
        assert list(got) == expected


@settings(max_examples=200, deadline=None)
@given(stage_matrices(max_rows=5, max_cols=90))
def test_the_rule_on_run_codes_finds_the_rule_on_epochs(stages: np.ndarray) -> None:
    """What the engine relies on: a rule that marks epochs by code marks the same runs."""
    runs = Runs(stages)
    if runs.row.size == 0:
        return
    on_epochs = vendor_sleep_period(stages)
    on_runs = vendor_sleep_period(runs.code_matrix(PAD))
    assert np.array_equal(on_runs.slept, on_epochs.slept)
    slept = on_epochs.slept
    onset_run = runs.first_run[slept] + on_runs.onset[slept]
    last_run = runs.first_run[slept] + on_runs.last[slept]
    assert np.array_equal(runs.col[onset_run], on_epochs.onset[slept])
    assert np.array_equal(runs.col[last_run] + runs.length[last_run] - 1, on_epochs.last[slept])
