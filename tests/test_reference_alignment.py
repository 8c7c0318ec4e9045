"""A reference scoring aligned onto device nights on absolute time: known offsets, overlap, bad input, lags.

The oracle of the majority-cover rule is a brute-force count of the seconds each
reference epoch covers of each device epoch, in exact fractions.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from fractions import Fraction

import numpy as np
import pytest
from agreement_data import BASE, device_cohort, generated_pair, reference_cohort, session_id, user_id

from asleep_nb.data.reference_alignment import align_to_device, native_stages
from asleep_nb.errors import ValidationError
from asleep_nb.stats import epoch_agreement, lag_search


def brute_force(n_device: int, reference: np.ndarray, offset_s: Fraction) -> np.ndarray:
    """Reference stage of each device epoch (-9: none); the device starts `offset_s` after the reference."""
    out = np.full(n_device, -9, dtype=np.int64)
    for j in range(n_device):
        lo, hi = offset_s + 30 * j, offset_s + 30 * j + 30  # device epoch on the reference clock
        covers: list[tuple[Fraction, int]] = []
        for k in range(int(lo // 30) - 1, int(hi // 30) + 2):  # neighbours, real or not
            seconds = max(Fraction(0), min(hi, Fraction(30 * k + 30)) - max(lo, Fraction(30 * k)))
            covers.append((seconds, k))
        most = max(c for c, _ in covers)
        k = min(k for c, k in covers if c == most)  # a tie goes to the earlier epoch
        if 0 <= k < reference.size:
            out[j] = reference[k]
    return out


def one_night(device: np.ndarray, reference: np.ndarray, offset_s: float, **kw: object):
    start = BASE
    ids, users = [session_id(1, start)], [user_id(1)]
    dev = device_cohort([device], users, [start], ids, **kw)
    ref = reference_cohort([reference], users, [start - timedelta(seconds=offset_s)], ids)
    return dev, ref


@pytest.mark.parametrize(
    "offset_s", [0, 10, 15, 29, 30, 45, 60, 299.5, 900, -10, -15, -29, -30, -90, 14.999, 15.001]
)
def test_known_offsets_follow_the_majority_cover_rule(offset_s):
    rng = np.random.default_rng(int(abs(offset_s) * 1000))
    reference = rng.integers(0, 4, 120).astype(np.int8)
    device = rng.integers(0, 4, 110).astype(np.int8)
    dev, ref = one_night(device, reference, offset_s)
    aligned, overlap = align_to_device(dev, ref)
    got = native_stages(aligned, 0).astype(np.int64)
    expected = brute_force(device.size, reference, Fraction(str(offset_s)))
    assert got.tolist() == np.where(expected == -9, -2, expected).tolist()
    row = overlap.iloc[0]
    assert row["overlap_epochs"] == int((expected != -9).sum())
    assert row["offset_seconds"] == pytest.approx(offset_s)
    first = int(np.flatnonzero(expected != -9)[0])
    assert row["overlap_start"] == dev["start_time"].values[0] + np.timedelta64(30 * first, "s")


def test_whole_epoch_offsets_shift_by_whole_epochs():
    reference = np.arange(100, dtype=np.int8) % 4
    dev, ref = one_night(np.ones(100, np.int8), reference, 60)  # reference began two epochs earlier
    aligned, overlap = align_to_device(dev, ref)
    assert native_stages(aligned, 0)[:98].tolist() == reference[2:].tolist()
    assert native_stages(aligned, 0)[98:].tolist() == [-2, -2]
    assert overlap.iloc[0]["overlap_epochs"] == 98


def test_a_tie_goes_to_the_earlier_reference_epoch():
    reference = np.array([0, 1, 2, 3, 0, 1], dtype=np.int8)
    dev, ref = one_night(np.ones(5, np.int8), reference, 15)  # each device epoch straddles two halves
    assert native_stages(align_to_device(dev, ref).reference, 0).tolist() == [0, 1, 2, 3, 0]
    dev, ref = one_night(np.ones(5, np.int8), reference, -15)  # first device epoch: half before the reference
    assert native_stages(align_to_device(dev, ref).reference, 0).tolist() == [-2, 0, 1, 2, 3]


@pytest.mark.parametrize("align", ["onset", "clock"])
def test_any_cohort_alignment_gives_the_same_reference_epochs(align):
    device, reference, _, _ = generated_pair(seed=4, users=3, nights=2, offsets_s=(0, 10, 15, 29, 75))
    base = align_to_device(device, reference)
    ids = [str(s) for s in device["session_id"].values]
    other = device_cohort(
        [native_stages(device, i) for i in range(len(ids))],
        [str(u) for u in device["user_id"].values],
        [t.astype("datetime64[s]").item().replace(tzinfo=UTC) for t in device["start_time"].values],
        ids,
        align=align,
    )
    moved = align_to_device(other, reference)
    assert other["epoch"].size != device["epoch"].size or align == "onset"
    for sid in ids:
        i = ids.index(sid)
        j = [str(s) for s in other["session_id"].values].index(sid)
        assert native_stages(moved.reference, j).tolist() == native_stages(base.reference, i).tolist()
    assert moved.overlap.sort_index().equals(base.overlap.sort_index())


def test_partial_overlap_counts_only_the_overlap():
    device = np.ones(200, dtype=np.int8)
    device[:20] = -1  # no signal early on
    reference = np.full(100, 2, dtype=np.int8)
    reference[-5:] = -1  # unscored at the end
    dev, ref = one_night(device, reference, -150 * 30)  # reference starts 150 epochs after the device
    aligned, overlap = align_to_device(dev, ref)
    stages = native_stages(aligned, 0)
    assert (stages[:150] == -2).all() and stages[150:].tolist() == reference[:50].tolist()
    row = overlap.iloc[0]
    assert (row["device_epochs"], row["reference_epochs"], row["overlap_epochs"]) == (200, 100, 50)
    assert (row["device_unscored"], row["reference_unscored"], row["scored_epochs"]) == (0, 0, 50)
    assert row["overlap_end"] - row["overlap_start"] == np.timedelta64(50 * 30, "s")
    dev, ref = one_night(device, reference, -100 * 30)
    row = align_to_device(dev, ref).overlap.iloc[0]
    assert (row["overlap_epochs"], row["reference_unscored"], row["scored_epochs"]) == (100, 5, 95)
    dev, ref = one_night(device, reference, 90 * 30)  # reference began 90 epochs before the device
    row = align_to_device(dev, ref).overlap.iloc[0]
    assert (row["overlap_epochs"], row["device_unscored"], row["reference_unscored"]) == (10, 10, 5)


def test_no_overlap_is_an_error_naming_the_night():
    dev, ref = one_night(np.ones(50, np.int8), np.zeros(50, np.int8), -51 * 30)
    with pytest.raises(
        ValidationError, match=r"do not overlap for session\(s\) " + str(dev["session_id"].values[0])
    ):
        align_to_device(dev, ref)


def test_mismatched_session_ids_are_named_on_both_sides():
    device, reference, _, _ = generated_pair(seed=1, users=2, nights=2)
    ids = [str(s) for s in reference["session_id"].values]
    renamed = reference.assign_coords(session_id=("session", ["20250101000000_zzzzz", *ids[1:]]))
    with pytest.raises(ValidationError) as error:
        align_to_device(device, renamed)
    assert f"without a reference: {ids[0]}" in str(error.value)
    assert "without a device night: 20250101000000_zzzzz" in str(error.value)
    with pytest.raises(ValidationError, match="more than once"):
        align_to_device(device, reference.assign_coords(session_id=("session", [ids[0]] * len(ids))))


def test_missing_start_time_is_an_error():
    device, reference, _, _ = generated_pair(seed=1, users=2, nights=1)
    starts = reference["start_time"].values.copy()
    starts[1] = np.datetime64("NaT")
    with pytest.raises(ValidationError, match=r"reference has no start_time for session\(s\) "):
        align_to_device(device, reference.assign_coords(start_time=("session", starts)))
    with pytest.raises(ValidationError, match="must be a cohort"):
        align_to_device(device, reference.drop_vars("start_time"))
    with pytest.raises(TypeError):
        align_to_device(device, reference["sleep_stage"])  # type: ignore[arg-type]


def test_lag_search_reports_the_lag_and_applies_nothing():
    device, reference, _dev_stages, _ref_stages = generated_pair(seed=2, users=3, nights=2)
    late = reference.assign_coords(start_time=reference["start_time"] + np.timedelta64(3 * 30, "s"))
    result = lag_search(device, late, max_lag=5)
    assert result.best_lag == -3
    assert (result.per_night["best_lag"] == -3).all()
    assert list(result.kappa.columns) == list(range(-5, 6))
    assert result.pooled[-3] == result.pooled.max() > result.pooled[0]
    plain = epoch_agreement(device, late, n_boot=100)
    assert plain.pooled["kappa"] == pytest.approx(result.pooled[0])
    shifted = epoch_agreement(device, late, n_boot=100, shift_seconds=-90)
    assert shifted.pooled["kappa"] == pytest.approx(result.pooled[-3])
    with pytest.raises(ValueError, match="max_lag"):
        lag_search(device, late, max_lag=-1)


def test_a_session_of_another_user_is_named():
    device, reference, _, _ = generated_pair(seed=1, users=2, nights=1)
    users = [str(u) for u in reference["user_id"].values]
    swapped = reference.assign_coords(user_id=("session", users[::-1]))
    sid = str(reference["session_id"].values[0])
    with pytest.raises(ValidationError, match=f"another user for session\\(s\\) {sid} \\(device {users[0]}"):
        align_to_device(device, swapped)
    assert align_to_device(device, reference.drop_vars("user_id")).overlap.shape[0] == 2
