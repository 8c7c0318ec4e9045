"""Night-by-night agreement of a device with a reference: the same statistics on both, bias and limits.

:func:`night_stats_pair` computes the statistics of every night on the device
and on the aligned reference **by one rule** over **the same epochs**:

- both are cut to the night's overlap (:func:`~asleep_nb.data.reference_alignment.align_to_device`);
- an epoch that either side did not score (device no signal, reference
  unscored) is no signal (-1) on both sides, so the two describe the same
  epochs and ``time_in_bed`` is the overlap on both;
- a two-stage device night (``two_stage``) is compared in sleep/wake: the
  reference's stages pass through the sleep/wake rule and the four-stage
  fields (stage minutes and shares) are missing for that night on both sides;
- the fields are those of the ``stat`` object (:func:`asleep_nb.stats.compute_stats`,
  whose definitions and names they keep) with the sleep period located by
  the **research rule** (:func:`asleep_nb.definitions.research_sleep_period`:
  first to last epoch scored as sleep): no-signal epochs outside that period
  are read as wake before the engine runs, which moves onset and final
  awakening to the research rule's and changes no duration (wake outside
  the sleep period counts in none).

:func:`stats_agreement` then runs :func:`~asleep_nb.stats.study.bland_altman.bland_altman`
(Menghini et al. 2021, nights nested in participants) metric by metric.

Examples
--------
>>> from asleep_nb.stats.study.discrepancy import DEFAULT_METRICS
>>> DEFAULT_METRICS[:3]
('time_in_sleep', 'sleep_efficiency', 'sleep_latency')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.reference_alignment import align_to_device
from asleep_nb.definitions import PAD, STAT_FIELDS, research_sleep_period, to_sleep_wake
from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.bland_altman import (
    BA_FIELDS,
    R2_GATE,
    SD_RATIO_GATE,
    HeteroscedasticLoA,
    bland_altman,
)
from asleep_nb.stats.study.bootstrap import DEFAULT_CI, DEFAULT_N_BOOT
from asleep_nb.stats.vendor import compute_stats

__all__ = ["DEFAULT_METRICS", "DISCREPANCY_COLUMNS", "night_stats_pair", "stats_agreement"]

#: The metrics :func:`stats_agreement` compares by default (``stats_table`` column names).
DEFAULT_METRICS = (
    "time_in_sleep",
    "sleep_efficiency",
    "sleep_latency",
    "time_in_wake",
    "waso_count",
    "time_in_light",
    "time_in_deep",
    "time_in_rem",
)
#: Columns of :func:`stats_agreement`'s table.
DISCREPANCY_COLUMNS = BA_FIELDS


def _research_period_codes(codes: np.ndarray) -> np.ndarray:
    """No-signal epochs outside each night's research-rule sleep period read as wake (module docstring)."""
    period = research_sleep_period(codes)
    column = np.arange(codes.shape[1])[None, :]
    outside = (column < period.onset[:, None]) | (column > period.last[:, None])
    out = codes.copy()
    out[outside & (codes == -1)] = 0
    return out


def night_stats_pair(device: xr.Dataset, reference: xr.Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stat fields of every night on the device and on the aligned reference, over the same epochs.

    Parameters
    ----------
    device, reference
        Cohorts of the same nights (as for :func:`asleep_nb.stats.epoch_agreement`).

    Returns
    -------
    tuple of pandas.DataFrame
        ``(device, reference)``, each indexed by ``session_id`` with a
        ``user_id`` column and one column per numeric stat field (seconds,
        ratios, counts as ``float64``), by the rule of the module docstring.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> c = xr.Dataset({"sleep_stage": (("session", "epoch"), np.array([[-1, 0, 1, 1, 0, -1]], np.int8))},
    ...                coords={"session_id": ("session", ["s"]), "user_id": ("session", ["u"]),
    ...                        "start_time": ("session", np.array(["2025-01-01T23:00"], "datetime64[ns]"))})
    >>> dev, ref = night_stats_pair(c, c)
    >>> float(dev.loc["s", "sleep_latency"]), float(dev.loc["s", "time_in_sleep"])
    (60.0, 60.0)
    """
    aligned, overlap = align_to_device(device, reference)
    dev = np.asarray(device["sleep_stage"].values)
    ref = np.asarray(aligned["sleep_stage"].values)
    sessions = [str(s) for s in device["session_id"].values]
    users = [str(u) for u in device["user_id"].values] if "user_id" in device.variables else sessions
    width = int(overlap["overlap_epochs"].max())
    grids = [np.full((len(sessions), width), PAD, dtype=np.int8) for _ in range(2)]
    starts = pd.DatetimeIndex(overlap.loc[sessions, "overlap_start"]).to_numpy("datetime64[ns]")
    ends = pd.DatetimeIndex(overlap.loc[sessions, "overlap_end"]).to_numpy("datetime64[ns]")
    for i in range(len(sessions)):
        cols = np.flatnonzero(ref[i] != PAD)  # the overlap, contiguous on the device grid
        d, r = dev[i, cols], ref[i, cols]
        unscored = (d < 0) | (r < 0)
        grids[0][i, : cols.size] = np.where(unscored, -1, d)
        grids[1][i, : cols.size] = np.where(unscored, -1, r)
    two = np.zeros(len(sessions), dtype=bool)
    if "two_stage" in device.variables:
        two = np.asarray(device["two_stage"].values, dtype=bool)
        grids[1][two] = to_sleep_wake(grids[1][two])  # a two-stage night is compared in sleep/wake
    coords = {
        "session_id": ("session", sessions),
        "start_time": ("session", starts),
        "end_time": ("session", ends),
        "two_stage": ("session", two),
    }
    frames = []
    for grid in grids:
        cohort = xr.Dataset(
            {"sleep_stage": (("session", "epoch"), _research_period_codes(grid))}, coords=coords
        )
        stats = compute_stats(cohort)
        numeric = [
            n for n, f in STAT_FIELDS.items() if f.kind not in ("time", "time_list", "text") and n in stats
        ]
        frame = pd.DataFrame(
            {n: np.asarray(stats[n].values, dtype=np.float64) for n in numeric},
            index=pd.Index(sessions, name="session_id"),
        )
        frame.insert(0, "user_id", users)
        frames.append(frame)
    return frames[0], frames[1]


def stats_agreement(
    device: xr.Dataset,
    reference: xr.Dataset,
    *,
    metrics: Sequence[str] | None = None,
    ci: float = DEFAULT_CI,
    alpha: float = 0.05,
    r2_gate: float | None = R2_GATE,
    sd_ratio_gate: float | None = SD_RATIO_GATE,
    heteroscedastic_loa: HeteroscedasticLoA = "regression",
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
) -> pd.DataFrame:
    """Bias and limits of agreement of sleep statistics, device against reference, night by night.

    Parameters
    ----------
    device, reference
        Cohorts of the same nights (the same ``session_id`` values); the
        device's ``user_id`` names the participant of each night.
    metrics
        ``stats_table`` column names of numeric stat fields; default
        :data:`DEFAULT_METRICS` (total sleep time, efficiency, latency, wake
        after sleep onset, awakenings, stage minutes).
    ci, alpha, r2_gate, sd_ratio_gate, heteroscedastic_loa, n_boot, seed
        See :func:`~asleep_nb.stats.study.bland_altman.bland_altman`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``metric``, columns :data:`DISCREPANCY_COLUMNS`: ``n``
        nights and ``n_users`` participants with a value on both sides,
        ``mean_device``, ``mean_reference``, ``bias`` (device minus
        reference) and its interval, ``proportional_slope`` / ``_p`` /
        ``_r2``, ``heteroscedasticity_p`` / ``_sd_ratio``, ``bias_method``,
        ``loa_method`` (``"parametric"``, ``"regression"`` or ``"log"``),
        ``loa_low`` and ``loa_high`` at the mean reference value with their
        intervals, ``ci_method`` and the lines ``bias_intercept``,
        ``bias_slope``, ``loa_intercept``, ``loa_slope``. Values in the
        fields' own units (seconds, ratios in [0, 1], counts). ``attrs``
        hold the per-night values (``"device"``, ``"reference"``) and the
        options. A metric without a value in three nights has ``NaN`` numbers.

    Raises
    ------
    ValidationError
        An unknown or non-numeric metric, or the alignment's errors.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> ref = np.where(rng.random((12, 200)) < 0.2, 0, rng.integers(1, 4, (12, 200))).astype(np.int8)
    >>> dev = np.where(rng.random((12, 200)) < 0.1, 0, ref).astype(np.int8)
    >>> def cohort(stages):
    ...     return xr.Dataset({"sleep_stage": (("session", "epoch"), stages)},
    ...         coords={"session_id": ("session", [f"s{i}" for i in range(12)]),
    ...                 "user_id": ("session", [f"u{i // 2}" for i in range(12)]),
    ...                 "start_time": ("session", np.full(12, "2025-01-01T23:00", "datetime64[ns]"))})
    >>> table = stats_agreement(cohort(dev), cohort(ref), metrics=["time_in_sleep"], n_boot=200)
    >>> bool(table.loc["time_in_sleep", "bias"] < 0), table.loc["time_in_sleep", "ci_method"]
    (True, 'bootstrap')
    """
    names = list(DEFAULT_METRICS if metrics is None else metrics)
    numeric = {n for n, f in STAT_FIELDS.items() if f.kind not in ("time", "time_list", "text")}
    unknown = [n for n in names if n not in numeric]
    if unknown:
        raise ValidationError(f"no numeric sleep statistic named {unknown}; choose from {sorted(numeric)}")
    dev, ref = night_stats_pair(device, reference)
    rows: dict[str, dict[str, Any]] = {}
    for name in names:
        rows[name] = bland_altman(
            ref[name].to_numpy(),
            dev[name].to_numpy(),
            dev["user_id"].to_numpy(),
            ci=ci,
            alpha=alpha,
            r2_gate=r2_gate,
            sd_ratio_gate=sd_ratio_gate,
            heteroscedastic_loa=heteroscedastic_loa,
            n_boot=n_boot,
            seed=seed,
        )
    table = pd.DataFrame.from_dict(rows, orient="index").reindex(columns=list(DISCREPANCY_COLUMNS))
    table.index.name = "metric"
    table.attrs.update(
        device=dev[["user_id", *names]],
        reference=ref[["user_id", *names]],
        ci=ci,
        alpha=alpha,
        r2_gate=r2_gate,
        sd_ratio_gate=sd_ratio_gate,
        n_boot=n_boot,
        seed=seed,
        rule="research",
    )
    return table
