"""The engine's snoring counts and its run-based code check against plain Python loops.

The engine reads each epoch's snoring and stage codes as one pair code and
counts by comparisons over whole blocks; the loops here read the contract
directly: a snoring epoch counts inside the vendor's sleep period unless its
stage is -1, a run of them is split by any epoch that does not count, a
session has snoring data when every one of its epochs has a code, and a code
off the contract is refused inside a session's epochs and ignored outside.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asleep_nb.definitions import PAD, vendor_sleep_period
from asleep_nb.errors import PayloadError
from asleep_nb.stats._checks import check_codes, check_run_codes
from asleep_nb.stats._runs import Runs
from asleep_nb.stats._scratch import Scratch
from asleep_nb.stats._snoring import snoring_in_period


@st.composite
def nights_with_snoring(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    """Rows of contiguous epochs (padding at either edge) with snoring codes, sometimes off the contract."""
    n_rows, width = draw(st.integers(0, 5)), draw(st.integers(0, 41))  # widths on and off multiples of 8
    stages = np.full((n_rows, width), PAD, dtype=np.int8)
    snoring = np.full((n_rows, width), PAD, dtype=np.int8)
    for r in range(n_rows):
        lo = draw(st.integers(0, width))
        hi = draw(st.integers(lo, width))
        stages[r, lo:hi] = draw(st.lists(st.integers(-1, 3), min_size=hi - lo, max_size=hi - lo))
        kind = draw(st.sampled_from(["full", "full", "full", "none", "partial", "off-contract"]))
        if kind != "none":
            snoring[r, lo:hi] = draw(st.lists(st.integers(-1, 1), min_size=hi - lo, max_size=hi - lo))
        if kind == "partial" and hi > lo:
            snoring[r, draw(st.integers(lo, hi - 1))] = PAD
        if kind == "off-contract" and width:
            snoring[r, draw(st.integers(0, width - 1))] = draw(st.sampled_from([-3, 2, 5, -100]))
    return stages, snoring


def _loop(stages: np.ndarray, snoring: np.ndarray) -> tuple[list[bool], list[int], list[int]] | str:
    """The contract read epoch by epoch; the error's place as the engine names it."""
    for r, (night, snore) in enumerate(zip(stages.tolist(), snoring.tolist(), strict=True)):
        for c, (stage, code) in enumerate(zip(night, snore, strict=True)):
            if stage != PAD and not PAD <= code <= 1:
                return f"snoring_stage[{r}, {c}]"
    has, epochs, runs = [], [], []
    for r, (night, snore) in enumerate(zip(stages.tolist(), snoring.tolist(), strict=True)):
        scored = [code != PAD for stage, code in zip(night, snore, strict=True) if stage != PAD]
        if any(scored) and not all(scored):
            return f"snoring_stage[{r}]"
        has.append(any(scored))
        period = vendor_sleep_period(np.array(night, dtype=np.int8))
        first, last = int(period.onset), int(period.last)
        counts = [
            first <= c <= last and code == 1 and stage not in (-1, PAD)
            for c, (stage, code) in enumerate(zip(night, snore, strict=True))
        ]
        epochs.append(sum(counts))
        runs.append(sum(1 for c, k in enumerate(counts) if k and (c == 0 or not counts[c - 1])))
    return has, epochs, runs


@settings(max_examples=400, deadline=None)
@given(nights_with_snoring())
def test_snoring_counts_equal_a_loop(night_pairs: tuple[np.ndarray, np.ndarray]) -> None:
    stages, snoring = night_pairs
    expected = _loop(stages, snoring)
    period = vendor_sleep_period(stages)
    epochs = (stages != PAD).sum(axis=1)
    # with work memory or without, and as floats (what xarray makes of codes it has to widen)
    for codes, scratch in ((snoring, None), (snoring, Scratch()), (snoring.astype(np.float64), None)):
        if isinstance(expected, str):
            with pytest.raises(PayloadError) as error:
                snoring_in_period(stages, codes, (period.onset, period.last), epochs, scratch)
            assert str(error.value).startswith(expected + ":")
            continue
        got = snoring_in_period(stages, codes, (period.onset, period.last), epochs, scratch)
        assert [a.tolist() for a in got] == list(expected)


@pytest.mark.parametrize("value", [np.nan, 0.5])
def test_a_float_that_is_no_code_is_refused_in_an_epoch_and_ignored_outside(value: float) -> None:
    stages = np.array([[0, 1, 1, 2, 0, PAD]], dtype=np.int8)
    snoring = np.array([[0, 1, 1, 0, 0, value]])
    period = vendor_sleep_period(stages)
    got = snoring_in_period(stages, snoring, (period.onset, period.last), np.array([5]))
    assert [a.tolist() for a in got] == [[True], [2], [1]]
    snoring[0, 2] = value
    with pytest.raises(PayloadError, match=rf"snoring_stage\[0, 2\]: unknown code {value}; expected -1\.\.1"):
        snoring_in_period(stages, snoring, (period.onset, period.last), np.array([5]))


def test_snoring_while_awake_counts_inside_the_period_only() -> None:
    stages = np.array([[0, 0, 1, 0, 0, 2, 0, 0]], dtype=np.int8)
    snoring = np.ones_like(stages)
    period = vendor_sleep_period(stages)  # epochs 2..5
    has, epochs, runs = snoring_in_period(stages, snoring, (period.onset, period.last), np.array([8]))
    assert (has.tolist(), epochs.tolist(), runs.tolist()) == ([True], [4], [1])


def test_a_scratch_buffer_is_lent_again_in_any_shape() -> None:
    scratch = Scratch()
    a = scratch.array("x", (4, 8), np.int64)
    b = scratch.array("x", (3,), np.int8)
    c = scratch.array("x", (40, 8), bool)  # larger: a new buffer
    assert np.shares_memory(a, b) and not np.shares_memory(a, c)
    assert c.flags.c_contiguous and c.view(np.uint64).shape == (40, 1)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 4), st.integers(0, 19), st.data())
def test_the_code_check_on_runs_names_the_element_the_check_on_epochs_names(
    n_rows: int, width: int, data: st.DataObject
) -> None:
    values = data.draw(st.lists(st.sampled_from([PAD, -1, 0, 1, 2, 3, 4, -5, 9]), min_size=n_rows * width))
    stages = np.array(values[: n_rows * width], dtype=np.int8).reshape(n_rows, width)
    runs = Runs(stages)
    try:
        check_codes(stages, PAD, 3, "sleep_stage")
    except PayloadError as error:
        with pytest.raises(PayloadError) as on_runs:
            check_run_codes(runs.code, runs.row, runs.col, PAD, 3, "sleep_stage")
        assert str(on_runs.value) == str(error)
    else:
        check_run_codes(runs.code, runs.row, runs.col, PAD, 3, "sleep_stage")
