"""Lag search: which whole-epoch shift of the reference agrees best with the device? Reported, never applied.

Two recordings stamped with slightly wrong clocks agree worse than they
should. :func:`lag_search` realigns the reference shifted by every whole
number of epochs within ``+- max_lag`` and reports Cohen's kappa at each
shift, per night and pooled, with the best lag. It changes nothing: to use a
lag, pass ``shift_seconds=lag * 30`` to :func:`asleep_nb.stats.epoch_agreement`
yourself, and say so in the methods.

A positive lag moves the reference **later** (its epochs are compared with
device epochs that many epochs after them). Ties between lags go to the lag
nearest 0, then to the negative one.

Examples
--------
>>> import numpy as np, xarray as xr
>>> stages = np.array([[0, 0, 1, 1, 2, 2, 3, 3, 1, 0, 0, 1, 2, 3, 0, 0]], dtype=np.int8)
>>> def night(values, start):
...     return xr.Dataset({"sleep_stage": (("session", "epoch"), values)},
...         coords={"session_id": ("session", ["s"]), "user_id": ("session", ["u"]),
...                 "start_time": ("session", np.array([start], "datetime64[ns]"))})
>>> device = night(stages[:, 2:], "2025-01-01T23:00:00")  # the device's clock says 23:00, truly 23:01
>>> result = lag_search(device, night(stages, "2025-01-01T23:00:00"), max_lag=3)
>>> int(result.best_lag), result.per_night.loc["s", "best_lag"]
(-2, np.int64(-2))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.definitions import EPOCH_SECONDS
from asleep_nb.definitions.agreement import Classes, check_classes, class_codes
from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.agreement import confusion_counts, kappa_from_confusion, paired_epochs

__all__ = ["LagSearch", "lag_search"]


@dataclass(frozen=True)
class LagSearch:
    """What :func:`lag_search` found (nothing is applied).

    Attributes
    ----------
    kappa
        Kappa per night (rows, ``session_id``) and lag (columns, epochs);
        ``NaN`` where the shifted recordings do not overlap.
    pooled
        Pooled kappa (all nights' epochs together) per lag.
    per_night
        ``best_lag``, ``best_kappa``, ``kappa_at_zero`` per night.
    best_lag
        The lag of the best pooled kappa.
    """

    kappa: pd.DataFrame
    pooled: pd.Series
    per_night: pd.DataFrame
    best_lag: int


def _best(values: pd.Series) -> int:
    finite = values.dropna()
    if finite.empty:
        return 0
    top = finite.max()
    lags = sorted((int(lag) for lag in finite.index[finite == top]), key=lambda lag: (abs(lag), lag))
    return lags[0]


def lag_search(
    device: xr.Dataset, reference: xr.Dataset, *, max_lag: int = 4, classes: Classes = 4
) -> LagSearch:
    """Kappa of the device against the reference shifted by each lag in ``-max_lag .. max_lag`` epochs.

    Parameters
    ----------
    device, reference
        Cohorts of the same nights (see :func:`asleep_nb.stats.epoch_agreement`).
    max_lag
        Largest shift tried, in epochs (0 to 120: at most an hour each way).
    classes
        4 or 2 (sleep/wake rule).

    Returns
    -------
    LagSearch

    Raises
    ------
    ValueError
        ``max_lag`` out of range.
    ValidationError
        As :func:`asleep_nb.data.reference_alignment.align_to_device`, at lag 0.

    Examples
    --------
    See the module docstring.
    """
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or not 0 <= max_lag <= 120:
        raise ValueError(f"max_lag must be a whole number of epochs from 0 to 120, got {max_lag!r}")
    classes = check_classes(classes)
    k = len(class_codes(classes))
    sessions = pd.Index([str(s) for s in device["session_id"].values], name="session_id")
    per_lag: dict[int, np.ndarray] = {}
    pooled: dict[int, float] = {}
    for lag in range(-int(max_lag), int(max_lag) + 1):
        try:
            dev, ref, _ = paired_epochs(device, reference, classes=classes, shift_seconds=lag * EPOCH_SECONDS)
        except ValidationError:
            if lag == 0:
                raise
            per_lag[lag], pooled[lag] = np.full(len(sessions), np.nan), np.nan
            continue
        cm = confusion_counts(dev, ref, k)
        per_lag[lag] = kappa_from_confusion(cm)
        pooled[lag] = float(kappa_from_confusion(cm.sum(axis=0)))
    kappa = pd.DataFrame(per_lag, index=sessions)
    kappa.columns.name = "lag"
    pooled_series = pd.Series(pooled, name="kappa")
    pooled_series.index.name = "lag"
    best = [_best(kappa.iloc[i]) for i in range(len(sessions))]
    per_night = pd.DataFrame(
        {
            "best_lag": best,
            "best_kappa": [kappa.loc[s, b] for s, b in zip(sessions, best, strict=True)],
            "kappa_at_zero": kappa[0].to_numpy(),
        },
        index=sessions,
    )
    return LagSearch(kappa, pooled_series, per_night, _best(pooled_series))
