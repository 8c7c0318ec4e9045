"""Tests of asleep_nb.plot: structure of every figure and image comparison.

Baseline images live in tests/baseline/. Regenerate them (after checking the
new PNGs by eye) with::

    MPLBACKEND=Agg PYTHONPATH=. python tests/test_plot.py --regenerate

or by running pytest with ``ASLEEP_NB_REGENERATE_BASELINES=1``.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from unittest.mock import patch

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.testing.compare import compare_images
from matplotlib.text import Text

from asleep_nb import plot as ap
from asleep_nb.definitions import PAD, STAT_FIELDS, display
from asleep_nb.stats import compare_groups

BASELINE = Path(__file__).parent / "baseline"
REGENERATE = os.environ.get("ASLEEP_NB_REGENERATE_BASELINES") == "1"
TOLERANCE = 3.0  # RMS, out of 255
#: Pinned style for image comparison (independent of the user's matplotlibrc).
PINNED_RC = {
    "font.family": "DejaVu Sans",
    "font.sans-serif": ["DejaVu Sans"],
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "text.hinting": "none",
    "text.antialiased": True,
    "lines.antialiased": True,
    "patch.antialiased": True,
    "axes.unicode_minus": True,
    "svg.hashsalt": "asleep_nb",
}
EPOCH = np.timedelta64(30, "s")


# ---------------------------------------------------------------- synthetic data (contract-exact)
def synthetic_stages(rng: np.random.Generator, n_epochs: int = 900, *, errors: bool = True) -> np.ndarray:
    """A plausible night: latency, ~90-min cycles (deep early, REM late), brief wakes, final wake."""
    out: list[int] = [0] * int(rng.integers(10, 50))
    cycle = 0
    while len(out) < n_epochs - 20:
        deep = max(0, int(rng.normal(50 - 14 * cycle, 8)))
        rem = max(6, int(rng.normal(12 + 10 * cycle, 5)))
        light1, light2 = int(rng.integers(15, 40)), int(rng.integers(10, 30))
        block = [1] * light1 + [2] * deep + [1] * light2 + [3] * rem
        if rng.random() < 0.6:
            block += [0] * int(rng.integers(1, 8))
        out += block
        cycle += 1
    out = out[: n_epochs - int(rng.integers(8, 30))]
    out += [0] * (n_epochs - len(out))
    stages = np.array(out, dtype=np.int8)
    if errors:
        start = int(rng.integers(n_epochs // 3, n_epochs // 2))
        stages[start : start + int(rng.integers(6, 25))] = -1
    return stages


def make_night(
    stages: np.ndarray,
    start: str = "2025-01-14T22:30:00",
    timezone: str = "UTC",
    *,
    snoring: np.ndarray | None = None,
    two_stage: bool = False,
    session_id: str = "s0",
    user_id: str = "u0",
    cycle_times: list[str] | None = None,
    stats: bool = True,
) -> xr.Dataset:
    """A one-night dataset exactly as docs/architecture.md describes (start is UTC-naive)."""
    stages = np.asarray(stages, dtype=np.int8)
    n = stages.size
    time = np.datetime64(start, "ns") + np.arange(n) * EPOCH
    local = pd.DatetimeIndex(time).tz_localize("UTC").tz_convert(timezone).tz_localize(None).to_numpy()
    ds = xr.Dataset(
        {"sleep_stage": ("time", stages)},
        coords={
            "time": time,
            "epoch": ("time", np.arange(n, dtype=np.int32)),
            "elapsed": ("time", (time - time[0]).astype("timedelta64[ns]")),
            "local_time": ("time", local),
        },
        attrs={
            "session_id": session_id,
            "user_id": user_id,
            "timezone": timezone,
            "two_stage": int(two_stage),
            "peculiarities": [],
        },
    )
    if snoring is not None:
        ds["snoring_stage"] = ("time", np.asarray(snoring, dtype=np.int8))
    if stats:
        sleep = np.flatnonzero(np.isin(stages, (1, 2, 3)))
        if sleep.size:
            ds["sleep_time"] = ((), time[sleep[0]])
            ds["wake_time"] = ((), time[sleep[-1]] + EPOCH)
            ds["time_in_sleep"] = ((), float(sleep.size * 30))
            ds["sleep_latency"] = ((), float(sleep[0] * 30))
        if cycle_times is not None:
            ds["sleep_cycle_time"] = ("cycle", np.array(cycle_times, dtype="datetime64[ns]"))
    return ds


def make_cohort(nights: list[xr.Dataset], groups: list[str] | None = None) -> xr.Dataset:
    """A start-aligned cohort (dims session, epoch) exactly as docs/architecture.md describes."""
    n = np.array([d.sizes["time"] for d in nights], dtype=np.int32)
    width = int(n.max())
    stages = np.full((len(nights), width), PAD, dtype=np.int8)
    for i, d in enumerate(nights):
        stages[i, : n[i]] = d["sleep_stage"].values
    start = np.array([d["time"].values[0] for d in nights], dtype="datetime64[ns]")
    zones = [d.attrs["timezone"] for d in nights]
    local_start = pd.Series(
        [
            pd.Timestamp(s).tz_localize("UTC").tz_convert(z).tz_localize(None)
            for s, z in zip(start, zones, strict=False)
        ]
    )
    coords = {
        "session_id": ("session", [d.attrs["session_id"] for d in nights]),
        "user_id": ("session", [d.attrs["user_id"] for d in nights]),
        "group": ("session", groups if groups is not None else ["all"] * len(nights)),
        "night": ("session", (local_start - pd.Timedelta(hours=12)).dt.floor("D").to_numpy()),
        "start_time": ("session", start),
        "end_time": ("session", start + n * EPOCH),
        "timezone": ("session", zones),
        "two_stage": ("session", np.array([bool(d.attrs["two_stage"]) for d in nights])),
        "n_epochs": ("session", n),
        "offset": ("session", np.zeros(len(nights), dtype=np.int32)),
        "epoch": ("epoch", np.arange(width)),
    }
    ds = xr.Dataset({"sleep_stage": (("session", "epoch"), stages)}, coords=coords)
    ds["epoch"].attrs["alignment"] = "start"
    for name in ("time_in_sleep", "sleep_latency"):
        ds[name] = ("session", np.array([float(d[name]) if name in d else np.nan for d in nights]))
        ds[name].attrs["units"] = STAT_FIELDS[name].units
    return ds


def demo_cohort(n_users: int = 12, nights_per_user: int = 5, seed: int = 1) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    nights, groups = [], []
    for u in range(n_users):
        group = "control" if u % 2 == 0 else "insomnia"
        for k in range(nights_per_user):
            stages = synthetic_stages(rng, int(rng.integers(800, 1000)), errors=k == 0)
            if group == "insomnia":
                wake = rng.random(stages.size) < 0.05
                stages[wake & (stages > 0)] = 0
            start = f"2025-01-{10 + k:02d}T{int(rng.integers(21, 24)):02d}:{int(rng.integers(0, 60)):02d}"
            nights.append(make_night(stages, start, "Europe/Paris", session_id=f"u{u}n{k}", user_id=f"u{u}"))
            groups.append(group)
    return make_cohort(nights, groups)


@pytest.fixture(scope="module")
def night() -> xr.Dataset:
    rng = np.random.default_rng(0)
    stages = synthetic_stages(rng, 900)
    snore = np.where(rng.random(900) < 0.15, 1, 0).astype(np.int8)
    snore[stages == -1] = -1
    return make_night(
        stages, "2025-01-14T22:30:00", "Europe/Paris", snoring=snore,
        cycle_times=["2025-01-14T22:50:00", "2025-01-15T00:20:00", "2025-01-15T02:00:00"],
    )  # fmt: skip


@pytest.fixture(scope="module")
def cohort() -> xr.Dataset:
    return demo_cohort()


# ---------------------------------------------------------------- helpers
@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def check_image(fig: plt.Figure, name: str, tmp_path: Path) -> None:
    """Compare ``fig`` with tests/baseline/<name>.png (written instead when regenerating)."""
    target = BASELINE / f"{name}.png"
    out = tmp_path / f"{name}.png"
    with mpl.rc_context(PINNED_RC):
        fig.savefig(out if not REGENERATE else target, dpi=80)
    if REGENERATE:
        return
    assert target.exists(), f"missing baseline {target}; see the module docstring to regenerate"
    result = compare_images(str(target), str(out), tol=TOLERANCE)
    assert result is None, result


def pinned(fn, *args, figsize=(8, 3), **kw):
    with mpl.rc_context(PINNED_RC):
        _fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fn(*args, ax=ax, **kw)


# ---------------------------------------------------------------- conventions
ALL_FIGURES = [
    ("hypnogram", lambda n, c: ap.hypnogram(n)),
    ("nights", lambda n, c: ap.nights(c, user_id="u1")),
    ("stage_distribution", lambda n, c: ap.stage_distribution(c)),
    ("metric", lambda n, c: ap.metric(c, "time_in_sleep", n_boot=200)),
    ("transition_matrix", lambda n, c: ap.transition_matrix(c)),
]


@pytest.mark.parametrize(("name", "draw"), ALL_FIGURES, ids=[f[0] for f in ALL_FIGURES])
def test_global_state_untouched(name, draw, night, cohort):
    before = dict(mpl.rcParams)
    ax = draw(night, cohort)
    assert dict(mpl.rcParams) == before
    assert isinstance(ax, mpl.axes.Axes)
    _fig, ax2 = plt.subplots()
    n_figs = len(plt.get_fignums())
    kw = {"ax": ax2}
    if name == "hypnogram":
        ap.hypnogram(night, **kw)
    elif name == "nights":
        ap.nights(cohort, user_id="u1", **kw)
    elif name == "stage_distribution":
        ap.stage_distribution(cohort, **kw)
    elif name == "metric":
        ap.metric(cohort, "time_in_sleep", n_boot=200, **kw)
    else:
        ap.transition_matrix(cohort, **kw)
    assert len(plt.get_fignums()) == n_figs


def test_hypnodensity_uses_given_figure(cohort):
    fig = plt.figure()
    n_figs = len(plt.get_fignums())
    before = dict(mpl.rcParams)
    out = ap.hypnodensity(cohort, fig=fig)
    assert out is fig and len(plt.get_fignums()) == n_figs
    assert dict(mpl.rcParams) == before
    assert [a.get_label() for a in fig.axes] == ["control", "control nights", "insomnia", "insomnia nights"]
    assert fig.axes[-1].get_xlabel() == "Time since sleep onset (h)"


# ---------------------------------------------------------------- hypnogram structure
def test_hypnogram_structure(night):
    ax = ap.hypnogram(night)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Wake", "REM", "Light", "Deep", "Snoring"]
    ticks = ax.get_yticks()
    assert list(ticks) == sorted(ticks, reverse=True)  # Wake on top, snoring row under Deep
    assert not ax.child_axes  # the snoring row lives inside the axes
    assert ax.get_xlabel() == "Local time (Europe/Paris)"
    gids = {a.get_gid() for a in ax.get_children()}
    assert {"error", "onset", "awakening", "stage_rem", "cycle", "snoring", "snoring_separator"} <= gids
    (err,) = [a for a in ax.collections if a.get_gid() == "error"]
    n_err_runs = len(err.get_paths())
    assert n_err_runs == 1  # one run of error epochs, one shaded patch
    onset = next(a for a in ax.lines if a.get_gid() == "onset")
    one_second = 1 / 86400  # date numbers are days: the default relative tolerance would allow ~30 min
    assert onset.get_xdata()[0] == pytest.approx(
        ap._time.to_num(night["sleep_time"].values)[0], abs=one_second
    )


def _inside_figure(ax: mpl.axes.Axes) -> None:
    """Every label, tick label, title and legend of ``ax`` is drawn and lies inside its figure."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    texts = [ax.xaxis.label, ax.yaxis.label, ax.title]
    texts += [t for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_visible()]
    legend = ax.get_legend()
    for item in [t for t in texts if t.get_text()] + ([legend] if legend else []):
        ext = item.get_window_extent(renderer)
        assert box.x0 - 0.5 <= ext.x0 and ext.x1 <= box.x1 + 0.5, (item, ext, box)
        assert box.y0 - 0.5 <= ext.y0 and ext.y1 <= box.y1 + 0.5, (item, ext, box)


@pytest.mark.parametrize("height", [3.5, 4.5])
def test_hypnogram_complete_in_plain_figure(height, night):
    """No constrained layout, no bbox_inches: time labels, snoring row and legend still show."""
    rng = np.random.default_rng(3)
    stages = synthetic_stages(rng, 800)
    snore = (rng.random(800) < 0.2).astype(np.int8)
    dst = make_night(stages, "2025-03-29T22:00:00", "Europe/Paris", snoring=snore)
    for ds in (night, dst):
        _fig, ax = plt.subplots(figsize=(9, height))
        ap.hypnogram(ds, ax=ax, title="A night")
        _inside_figure(ax)
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert len(labels) >= 4 and all(labels)
        assert "Snoring" in [t.get_text() for t in ax.get_yticklabels()]
        assert ax.get_xlabel() == "Local time (Europe/Paris)"


def test_hypnogram_options_off(night):
    ax = ap.hypnogram(night, snoring=False, cycles=False, error_shading=False, markers=False, legend=False)
    assert not ax.child_axes and ax.get_legend() is None
    assert ax.get_xlabel() == "Local time (Europe/Paris)"
    assert not {"error", "onset", "cycle"} & {a.get_gid() for a in ax.get_children()}


def test_hypnogram_timezone_override(night):
    ax = ap.hypnogram(night, snoring=False, timezone="Asia/Seoul")
    ax.figure.canvas.draw()
    assert ax.get_xlabel() == "Local time (Asia/Seoul)"
    assert ax.get_xticklabels()[0].get_text() == "08:00"  # 22:30 UTC = 07:30 KST; first round hour


def test_hypnogram_dst_night_is_linear_with_local_labels():
    stages = np.r_[np.zeros(20), np.ones(760), np.zeros(20)].astype(np.int8)
    ds = make_night(stages, "2025-03-29T22:00:00", "Europe/Paris")  # 23:00 CET -> 05:40 CEST
    ax = ap.hypnogram(ds)
    ax.figure.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    ticks = ax.get_xticks()
    assert "02:00" not in labels and "01:00" in labels and "03:00" in labels
    i = labels.index("01:00")
    assert labels[i + 1] == "03:00"
    assert (ticks[i + 1] - ticks[i]) * 24 == pytest.approx(1.0)  # one real hour apart
    assert np.allclose(np.diff(ticks) * 24, 1.0)


def test_hypnogram_two_stage():
    stages = np.r_[np.zeros(10), np.ones(100), np.zeros(10)].astype(np.int8)
    ax = ap.hypnogram(make_night(stages, two_stage=True))
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Wake", "Sleep"]


def test_hypnogram_from_to_dataset():
    to_dataset = pytest.importorskip("asleep_nb.data.night").to_dataset
    import json

    body = json.loads((Path(__file__).parents[1] / "data" / "published_example.json").read_text())
    ds = to_dataset(body)
    ax = ap.hypnogram(ds)
    assert ax.get_xlabel().startswith("Local time (UTC)") or ax.child_axes


def test_hypnogram_bad_input(cohort):
    with pytest.raises(ValueError, match="one-night"):
        ap.hypnogram(cohort)
    with pytest.raises(TypeError):
        ap.hypnogram(np.zeros(10))
    with pytest.raises(ValueError, match="Unknown IANA"):
        ap.hypnogram(make_night(np.zeros(4, np.int8)), timezone="Mars/Base")


# ---------------------------------------------------------------- other figures
def test_nights_structure(cohort):
    ax = ap.nights(cohort, user_id="u1")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Fri 10 Jan" and len(labels) == 5
    assert ax.get_xlabel() == "Local time (Europe/Paris)"
    assert sum(p.get_gid() == "weekend" for p in ax.patches) == 2  # Fri 10 and Sat 11 Jan
    with pytest.raises(ValueError, match="user_id"):
        ap.nights(cohort)
    with pytest.raises(ValueError, match="HH:MM"):
        ap.nights(cohort, user_id="u1", clock_start="25:00")


def test_nights_axis_covers_every_epoch():
    """A Seoul user's nights stored in UTC start at ~13:00; clock_start 18:00 must not crop them."""
    nights_ = [make_night(np.ones(960, np.int8), f"2025-01-{10 + k:02d}T13:00:00", "UTC",
                          session_id=f"s{k}", user_id="u") for k in range(3)]  # fmt: skip
    last_epoch_end = 13 + 960 * 30 / 3600  # local hours after midnight: 21:00
    for clock_start in ("18:00", "auto", "12:00"):
        ax = ap.nights(nights_, clock_start=clock_start)
        origin = 7.0 if clock_start == "auto" else float(clock_start[:2])
        _lo, hi = ax.get_xlim()
        assert origin + hi >= last_epoch_end + (24 if origin > 13 else 0) - 1e-9, clock_start
        mesh = ax.collections[0]
        assert np.ma.count(mesh.get_array()) == 3 * 960  # every epoch drawn
    ax = ap.nights(nights_, clock_start="18:00")
    assert ax.get_xlim()[1] == pytest.approx(27.0)  # 21:00 the next day, past 24 h after 18:00
    assert ax.get_xticklabels()[-1].get_text() == "21:00"


def test_nights_auto_clock_start_is_six_hours_before_mean_bedtime():
    from asleep_nb.plot.nights import _auto_clock

    starts = np.array(["2025-01-01T23:40", "2025-01-02T00:50", "2025-01-03T23:10"], dtype="datetime64[ns]")
    assert _auto_clock(starts, np.array(["UTC"] * 3, dtype=object)) == pd.Timedelta(hours=17)
    # the same instants seen from Seoul (UTC+9): bedtimes ~08:40 -> 02:00
    assert _auto_clock(starts, np.array(["Asia/Seoul"] * 3, dtype=object)) == pd.Timedelta(hours=2)


def test_nights_accepts_list_of_nights(night):
    ax = ap.nights([night, night])
    assert len(ax.get_yticklabels()) == 1


def test_stage_distribution_values(cohort):
    ax = ap.stage_distribution(cohort, within="night")
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == ["control", "insomnia"]
    tops = np.zeros(2)
    for container in ax.containers:
        tops += [r.get_height() for r in container]
    assert np.allclose(tops, 100)
    assert ax.get_ylabel() == "Share of recording (%)"


def test_stage_distribution_two_stage_sessions_warn(cohort):
    mixed = cohort.assign_coords(two_stage=("session", np.arange(cohort.sizes["session"]) == 0))
    with pytest.warns(UserWarning, match="two-stage"):
        ap.stage_distribution(mixed)


def test_cohort_figures_complete_in_plain_figure(cohort):
    """Legends sit above the axes, inside the figure; labels are not clipped."""
    for draw, size in (
        (lambda ax: ap.stage_distribution(cohort, ax=ax, title="Stages"), (8, 4)),
        (lambda ax: ap.stage_distribution(cohort, ax=ax), (5, 4)),
        (lambda ax: ap.metric(cohort, "time_in_sleep", ax=ax, n_boot=200), (5, 4)),
        (lambda ax: ap.nights(cohort, user_id="u1", ax=ax), (9, 5)),
        (lambda ax: ap.transition_matrix(cohort, ax=ax), (5, 4)),
    ):
        _fig, ax = plt.subplots(figsize=size)
        draw(ax)
        _inside_figure(ax)
        legend = ax.get_legend()
        if legend is not None:  # above the axes, not over the data
            renderer = ax.figure.canvas.get_renderer()
            assert legend.get_window_extent(renderer).y0 >= ax.get_window_extent(renderer).y1 - 0.5
        plt.close("all")


def test_grouping_by_user_id(cohort):
    out = compare_groups(cohort, "time_in_sleep", by="user_id", n_boot=200)
    assert len(out) == 12 and out.index.name == "user_id"
    assert (out["n_nights"] == 5).all()
    ax = ap.metric(cohort, "time_in_sleep", by="user_id", n_boot=200)
    assert len(ax.get_xticklabels()) == 12
    table = pd.DataFrame({"user_id": ["a", "a", "b"], "time_in_sleep": [1.0, 3.0, 5.0]})
    means = compare_groups(table, "time_in_sleep", by="user_id", n_boot=200)["mean"]
    assert means.tolist() == [2.0, 5.0, 3.0]  # a, b and the difference b - a
    ax = ap.stage_distribution(cohort, by="user_id")
    assert len(ax.get_xticklabels()) == 12


def test_metric_structure_and_units(cohort):
    ax = ap.metric(cohort, "time_in_sleep", n_boot=200)
    assert ax.get_ylabel() == "Time in sleep (h)"
    ax = ap.metric(cohort, "sleep_latency", n_boot=200)
    assert ax.get_ylabel() == "Sleep latency (min)"
    users = next(c for c in ax.collections if c.get_gid() == "users")
    assert len(users.get_offsets()) == 12  # one point per user, not per night


def test_metric_difference_label_names_the_unit_or_none(cohort):
    def difference_text(ax):
        return next(t.get_text() for t in ax.texts if "95% CI" in t.get_text())

    assert " min [95% CI" in difference_text(ap.metric(cohort, "sleep_latency", n_boot=200))
    table = pd.DataFrame(
        {
            "user_id": [f"u{i}" for i in range(8)],
            "group": ["control", "insomnia"] * 4,
            "waso_count": [10, 14, 12, 18, 9, 15, 11, 16],
        }
    )
    count = difference_text(ap.metric(table, "waso_count", n_boot=200))
    assert re.fullmatch(r"insomnia - control: [+-][\d.]+ \[95% CI [-\d.]+, [-\d.]+\]", count), count


def test_compare_groups_numbers(cohort):
    out = compare_groups(cohort, "time_in_sleep", n_boot=500, seed=1)
    assert out.index.tolist() == ["control", "insomnia", "insomnia - control"]
    assert out.loc["control", "n_users"] == 6 and out.loc["control", "n_nights"] == 30
    tis = cohort["time_in_sleep"].to_pandas().groupby(cohort["user_id"].values).mean()
    control = tis[[f"u{i}" for i in range(0, 12, 2)]].mean()
    assert out.loc["control", "mean"] == pytest.approx(control)
    for g in out.index:
        assert out.loc[g, "ci_low"] <= out.loc[g, "mean"] <= out.loc[g, "ci_high"]
    again = compare_groups(cohort, "time_in_sleep", n_boot=500, seed=1)
    pd.testing.assert_frame_equal(out, again)
    with pytest.raises(KeyError, match="nope"):
        compare_groups(cohort, "time_in_sleep", groups=["nope"])
    with pytest.raises(ValueError, match="n_boot"):
        compare_groups(cohort, "time_in_sleep", n_boot=10)


def test_compare_groups_stats_table_with_clock_times():
    table = pd.DataFrame({
        "user_id": ["a", "b", "c", "d"], "group": ["x", "x", "y", "y"],
        "timezone": ["Europe/Paris"] * 4,
        "sleep_time": pd.to_datetime(["2025-01-01T22:30", "2025-01-01T23:00", "2025-01-01T23:30",
                                      "2025-01-02T00:30"]).tz_localize("UTC").tz_convert("Europe/Paris"),
    })  # fmt: skip
    out = compare_groups(table, "sleep_time", n_boot=200)
    assert out.loc["x", "mean"] == pytest.approx(23.75)  # 23:30 and 00:00 CET
    assert out.loc["y", "mean"] == pytest.approx(25.0)  # 00:30 and 01:30 CET
    ax = ap.metric(table, "sleep_time", n_boot=200)
    assert "local clock" in ax.get_ylabel()


def _two_zone_tables() -> list[pd.DataFrame]:
    """One table of bedtimes 22:30/23:30 (x) and 00:30/01:30 (y), local clock, in three encodings."""
    local = [("2025-01-01 22:30", "Europe/Paris"), ("2025-01-01 23:30", "Asia/Seoul"),
             ("2025-01-02 00:30", "Europe/Paris"), ("2025-01-02 01:30", "Asia/Seoul")]  # fmt: skip
    aware = [pd.Timestamp(t, tz=z) for t, z in local]
    base = {"user_id": list("abcd"), "group": list("xxyy"), "timezone": [z for _, z in local]}
    utc = pd.DatetimeIndex([t.tz_convert("UTC") for t in aware])
    return [
        pd.DataFrame({**base, "sleep_time": pd.Series(aware, dtype=object)}),  # as stats_table (mixed zones)
        pd.DataFrame({**base, "sleep_time": utc.tz_localize(None)}),  # UTC-naive + timezone column
        pd.DataFrame({**base, "sleep_time": utc}),  # UTC-aware + timezone column
    ]


@pytest.mark.parametrize("encoding", [0, 1, 2])
def test_clock_times_use_each_sessions_zone(encoding):
    table = _two_zone_tables()[encoding]
    out = compare_groups(table, "sleep_time", n_boot=200)
    assert out.loc["x", "mean"] == pytest.approx(23.0)
    assert out.loc["y", "mean"] == pytest.approx(25.0)
    ax = ap.metric(table, "sleep_time", n_boot=200)
    users = next(c for c in ax.collections if c.get_gid() == "users")
    assert sorted(users.get_offsets()[:, 1]) == pytest.approx([22.5, 23.5, 24.5, 25.5])
    # a stats table indexed by session works the same
    indexed = compare_groups(table.set_index("user_id"), "sleep_time", n_boot=200)
    pd.testing.assert_frame_equal(indexed, out)


def test_local_clock_hours_own_zone_without_zone_column():
    from asleep_nb.stats.study.groups import local_clock_hours

    values = pd.Series([pd.Timestamp("2025-06-01 23:45", tz="America/New_York"), pd.NaT], dtype=object)
    assert local_clock_hours(values.to_numpy())[0] == pytest.approx(23.75)
    assert np.isnan(local_clock_hours(values.to_numpy())[1])


def test_transition_matrix(cohort):
    ax = ap.transition_matrix(cohort)
    image = ax.images[0].get_array()
    assert np.allclose(np.nansum(image, axis=1), 100)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Wake", "Light", "Deep", "REM"]
    with pytest.raises(ValueError, match="4 x 4"):
        ap.transition_matrix(np.eye(3))


def test_hypnodensity_clock_and_errors(cohort):
    fig = ap.hypnodensity(cohort, relative_to="clock", by="user_id")
    assert len(fig.axes) == 24  # a panel and a nights strip per user
    assert fig.axes[-1].get_xlabel() == "Local time (Europe/Paris)"
    with pytest.raises(ValueError, match="relative_to"):
        ap.hypnodensity(cohort, relative_to="bedtime")
    with pytest.raises(KeyError, match="sex"):
        ap.hypnodensity(cohort, by="sex")


def test_hypnodensity_clock_label_with_several_zones(cohort):
    zones = np.where(np.arange(cohort.sizes["session"]) % 2 == 0, "Europe/Paris", "Asia/Seoul")
    mixed = cohort.assign_coords(timezone=("session", zones))
    fig = ap.hypnodensity(mixed, relative_to="clock")
    assert fig.axes[-1].get_xlabel() == "Local time (each session's zone)"


def test_hypnodensity_shares_match_a_loop(cohort):
    """The vectorised shares equal a per-session loop at onset + 1 h."""
    fig = ap.hypnodensity(cohort, bin_minutes=5, before_onset=0.5)
    stages = cohort["sleep_stage"].values
    groups = cohort["group"].values
    k = (30 + 60) * 2  # epoch index of onset + 1 h in the aligned matrix
    got = []
    for i in range(stages.shape[0]):
        row = stages[i]
        onset = np.flatnonzero(np.isin(row, (1, 2, 3)))[0]
        got.append((groups[i], row[onset - 60 + k : onset - 60 + k + 10]))
    control = np.concatenate([r for g, r in got if g == "control"])
    control = control[control != PAD]
    deep_share = (control == 2).mean() * 100
    ax = fig.axes[0]
    deep = next(p for p in ax.patches if p.get_gid() == "stage_deep")
    bin_index = k // 10
    assert deep._values[bin_index] - deep._baseline[bin_index] == pytest.approx(deep_share)


# ---------------------------------------------------------------- hypnodensity: nights per bin
def _nights_per_bin(cohort: xr.Dataset, group: str, lead: int, per_bin: int, n_bins: int) -> np.ndarray:
    """Sessions of ``group`` with at least one epoch in each bin, counted session by session."""
    stages, n, groups = cohort["sleep_stage"].values, cohort["n_epochs"].values, cohort["group"].values
    out = np.zeros(n_bins, dtype=int)
    for i in np.flatnonzero(groups == group):
        row = stages[i, : n[i]]
        onset = np.flatnonzero(np.isin(row, (1, 2, 3)))[0]
        columns = lead - onset + np.arange(n[i])  # aligned column of each epoch
        out[np.unique(columns[columns >= 0] // per_bin)] += 1
    return out


def _strip_values(ax: mpl.axes.Axes, gid: str) -> np.ndarray:
    return next(p for p in ax.patches if p.get_gid() == gid).get_data().values


def test_hypnodensity_draws_nights_per_bin_beneath_each_group(cohort):
    fig = ap.hypnodensity(cohort, bin_minutes=5, before_onset=0.5)
    axes = {a.get_label(): a for a in fig.axes}
    for group in ("control", "insomnia"):
        panel, strip = axes[group], axes[f"{group} nights"]
        assert strip.get_ylabel() == "Nights"
        assert strip.get_shared_x_axes().joined(panel, strip)
        assert strip.get_position().y1 <= panel.get_position().y0  # beneath its panel
        values = _strip_values(strip, "nights")
        expected = _nights_per_bin(cohort, group, lead=60, per_bin=10, n_bins=values.size)
        np.testing.assert_array_equal(values, expected)
        assert values.max() == 30  # every night of the group is recording at onset
        assert panel.get_title(loc="left") == f"{group} (6 users, 30 nights)"


def test_hypnodensity_hatches_bins_resting_on_few_nights(cohort):
    fig = ap.hypnodensity(cohort, min_nights=25)
    axes = {a.get_label(): a for a in fig.axes}
    enough = some = np.zeros(0, dtype=bool)
    for group in ("control", "insomnia"):
        panel, strip = axes[group], axes[f"{group} nights"]
        nights = _strip_values(strip, "nights")
        few = next(p for p in panel.patches if p.get_gid() == "few_nights")
        hatched = np.isfinite(few.get_data().values)
        np.testing.assert_array_equal(hatched, (nights > 0) & (nights < 25))
        assert hatched.any() and not hatched.all()  # the lead-in and the tail, not the night
        assert few.get_hatch() == "////"
        (line,) = [a for a in strip.lines if a.get_gid() == "min_nights"]
        assert line.get_ydata()[0] == 25
        enough = enough | (nights >= 25) if enough.size else nights >= 25
        some = some | (nights > 0) if some.size else nights > 0
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert legend[-1] == "Fewer than 25 nights"
    # the time axis: from the first bin with a night to the last where some group has 25 nights
    edges = next(p for p in fig.axes[0].patches if p.get_gid() == "few_nights").get_data().edges
    first, last = np.flatnonzero(some)[0], np.flatnonzero(enough)[-1]
    assert -0.5 <= edges[first] < 0 and last + 1 < some.size  # a lead-in; the longest nights cut
    assert fig.axes[-1].get_xlim() == pytest.approx((edges[first], edges[last + 1]))


def test_hypnodensity_min_nights_zero_hatches_nothing(cohort):
    fig = ap.hypnodensity(cohort, min_nights=0)
    few = next(p for p in fig.axes[0].patches if p.get_gid() == "few_nights")
    assert not np.isfinite(few.get_data().values).any()
    assert "Fewer than" not in " ".join(t.get_text() for t in fig.axes[0].get_legend().get_texts())
    for bad in (-1, 2.5):
        with pytest.raises(ValueError, match="min_nights"):
            ap.hypnodensity(cohort, min_nights=bad)


def test_hypnodensity_default_size_is_full_width(cohort):
    fig = ap.hypnodensity(cohort)
    assert tuple(fig.get_size_inches()) == pytest.approx(ap.hypnodensity_figsize(2))
    assert fig.get_size_inches()[0] == ap._style.FULL_WIDTH
    fig.canvas.draw()
    left = min(a.get_position().x0 for a in fig.axes)
    right = max(a.get_position().x1 for a in fig.axes)
    assert right - left > 0.85  # the panels use the width, the labels only a margin


# ---------------------------------------------------------------- one format per number
SHARE = rf"\d+\.\d{{{display.precision('light_ratio')}}}%"  # a share has a ratio's precision


def test_transition_cells_share_one_format(cohort):
    matrix = np.array([[0.993, 0.007, 0, 0], [0.05, 0.9, 0.05, 0], [0, 0.1, 0.9, 0], [0.02, 0, 0, 0.98]])
    texts = [t.get_text() for t in ap.transition_matrix(matrix).texts]
    assert texts[:4] == ["99.3%", "0.7%", "0.0%", "0.0%"]
    for ax in (
        ap.transition_matrix(matrix),
        ap.transition_matrix(cohort),
        *ap.transition_matrices(cohort).axes[:2],
    ):
        cells = [t.get_text() for t in ax.texts if t.get_gid() == "cell"]
        assert len(cells) == 16 and all(re.fullmatch(SHARE, c) for c in cells), cells


def test_stage_distribution_labels_share_one_format(cohort):
    ax = ap.stage_distribution(cohort)
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "share"]
    assert labels and all(re.fullmatch(SHARE, t) for t in labels), labels


def test_metric_ratio_difference_in_percentage_points_with_each_groups_n():
    table = pd.DataFrame(
        {
            "user_id": ["a1", "a1", "a2", "a2", "a3", "a3", "b1", "b2", "b3", "b4", "b5"],
            "group": ["a"] * 6 + ["b"] * 5,
            "rem_ratio": [0.18, 0.2, 0.21, 0.19, 0.22, 0.2, 0.15, 0.17, 0.14, 0.16, 0.18],
        }
    )
    ax = ap.metric(table, "rem_ratio", n_boot=200)
    numbers = compare_groups(table, "rem_ratio", n_boot=200)
    diff = numbers.iloc[2]
    (text,) = [t.get_text() for t in ax.texts if t.get_gid() == "difference"]
    expected = display.format_estimate(
        "rem_ratio", diff["mean"], diff["ci_low"], diff["ci_high"], difference=True
    )
    assert text == f"b - a: {expected}" and " pp [95% CI " in text
    assert ax.get_ylabel() == display.axis_label("rem_ratio")
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["a\n(3 users, 6 nights)", "b\n(5 users, 5 nights)"]
    assert "8 users" not in " ".join(ticks) and "11 nights" not in " ".join(ticks)  # never the totals


# ---------------------------------------------------------------- text layout: nothing overlaps or is clipped
def drawn_texts(fig: mpl.figure.Figure) -> list[tuple[Text, mpl.transforms.Bbox]]:
    """Every text the renderer draws (not tick labels outside the view), with its window extent."""
    drawn: list[Text] = []
    draw = Text.draw

    def record(self, renderer):
        draw(self, renderer)
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)

    with patch.object(Text, "draw", record):
        fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [(t, t.get_window_extent(renderer)) for t in dict.fromkeys(drawn)]


def layout_problems(fig: mpl.figure.Figure) -> list[str]:
    """Texts reaching out of the figure, and pairs of texts whose boxes overlap (more than 0.5 px)."""
    texts = drawn_texts(fig)
    box = fig.bbox
    problems = [
        f"clipped {t.get_text()!r}"
        for t, e in texts
        if e.x0 < box.x0 - 0.5 or e.x1 > box.x1 + 0.5 or e.y0 < box.y0 - 0.5 or e.y1 > box.y1 + 0.5
    ]
    for i, (t1, e1) in enumerate(texts):
        for t2, e2 in texts[i + 1 :]:
            width = min(e1.x1, e2.x1) - max(e1.x0, e2.x0)
            height = min(e1.y1, e2.y1) - max(e1.y0, e2.y0)
            if width > 0.5 and height > 0.5:
                problems.append(f"overlap {t1.get_text()!r} / {t2.get_text()!r}")
    return problems


def test_two_group_transition_figure_has_no_overlapping_text(cohort):
    fig = ap.transition_matrices(cohort)
    matrices = [a for a in fig.axes if a.get_label() in ("control", "insomnia")]
    assert len(matrices) == 2
    assert [a.get_ylabel() for a in matrices] == ["From stage", ""]  # the rows are named once
    assert sum(a.get_gid() == "colorbar" for a in fig.axes) == 1  # one shared colour bar
    assert len(drawn_texts(fig)) > 40
    assert layout_problems(fig) == []
    # in a plain figure, and beside a stage distribution as the report sets them
    plain = plt.figure(figsize=tuple(fig.get_size_inches()))
    assert layout_problems(ap.transition_matrices(cohort, fig=plain)) == []
    row = plt.figure(figsize=(12.6, 3.8), layout="constrained")
    left, right = row.subfigures(1, 2, width_ratios=[1, 2])
    ap.stage_distribution(cohort, ax=left.subplots())
    ap.transition_matrices(cohort, fig=right)
    assert layout_problems(row) == []


def test_transition_matrices_groups_and_errors(cohort):
    fig = ap.transition_matrices(cohort, groups=["insomnia"])
    assert fig.axes[0].get_label() == "insomnia"
    assert fig.axes[0].get_title(loc="left") == "insomnia (6 users, 30 nights)"
    with pytest.raises(KeyError, match="nope"):
        ap.transition_matrices(cohort, groups=["nope"])
    ax = ap.transition_matrix(cohort, colorbar=False)
    assert len(ax.figure.axes) == 1


LAYOUTS = {
    "hypnogram": ("ax", lambda n, c, **kw: ap.hypnogram(n, title="A night", **kw)),
    "nights": ("ax", lambda n, c, **kw: ap.nights(c, user_id="u1", **kw)),
    "one_night": ("ax", lambda n, c, **kw: ap.nights(c.isel(session=[5]), **kw)),
    "stage_distribution": ("ax", lambda n, c, **kw: ap.stage_distribution(c, **kw)),
    "metric": ("ax", lambda n, c, **kw: ap.metric(c, "time_in_sleep", n_boot=200, **kw)),
    "metric_clock": (
        "ax",
        lambda n, c, **kw: ap.metric(_two_zone_tables()[0], "sleep_time", n_boot=200, **kw),
    ),
    "metric_four_groups": (
        "ax",
        lambda n, c, **kw: ap.metric(
            c.assign_coords(group=("session", np.arange(60) // 15 % 4 * 1.0)),
            "time_in_sleep",
            n_boot=200,
            **kw,
        ),
    ),
    "transition_matrix": ("ax", lambda n, c, **kw: ap.transition_matrix(c, **kw)),
    "hypnodensity": ("fig", lambda n, c, **kw: ap.hypnodensity(c, **kw)),
    "hypnodensity_clock": ("fig", lambda n, c, **kw: ap.hypnodensity(c, relative_to="clock", **kw)),
    "transition_matrices": ("fig", lambda n, c, **kw: ap.transition_matrices(c, **kw)),
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_figure_fits_at_its_default_size(name, night, cohort):
    """At the default size, constrained (the default) and plain: no text clipped, none overlapping."""
    kind, draw = LAYOUTS[name]
    out = draw(night, cohort)
    fig = out if kind == "fig" else out.figure
    assert layout_problems(fig) == [], "constrained"
    plain = plt.figure(figsize=tuple(fig.get_size_inches()))
    draw(night, cohort, **({"fig": plain} if kind == "fig" else {"ax": plain.add_subplot()}))
    assert layout_problems(plain) == [], "plain"


# ---------------------------------------------------------------- image comparison
IMAGES = {
    "hypnogram": lambda n, c: pinned(ap.hypnogram, n, title="Synthetic night").figure,
    "nights": lambda n, c: pinned(ap.nights, c, user_id="u1", figsize=(6, 2.5)).figure,
    "stage_distribution": lambda n, c: pinned(ap.stage_distribution, c, figsize=(4, 3)).figure,
    "metric": lambda n, c: pinned(ap.metric, c, "time_in_sleep", figsize=(3.5, 3), n_boot=200).figure,
    "transition_matrix": lambda n, c: pinned(ap.transition_matrix, c, figsize=(3.6, 3)).figure,
    "hypnodensity": lambda n, c: _pinned_fig(ap.hypnodensity, c, figsize=ap.hypnodensity_figsize(2, 8)),
    "transition_matrices": lambda n, c: _pinned_fig(ap.transition_matrices, c, figsize=(6.4, 3)),
}


def _pinned_fig(fn, *args, figsize=(6, 3.5), **kw):
    with mpl.rc_context(PINNED_RC):
        return fn(*args, fig=plt.figure(figsize=figsize, layout="constrained"), **kw)


@pytest.mark.parametrize("name", sorted(IMAGES))
def test_image(name, night, cohort, tmp_path):
    fig = IMAGES[name](night, cohort)
    check_image(fig, name, tmp_path)


if __name__ == "__main__" and "--regenerate" in sys.argv:
    os.environ["ASLEEP_NB_REGENERATE_BASELINES"] = "1"
    sys.exit(pytest.main([__file__, "-q", "-k", "test_image", "-p", "no:cacheprovider"]))
