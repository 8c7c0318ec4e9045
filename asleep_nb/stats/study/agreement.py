"""Epoch-by-epoch agreement of a device with a reference scoring (validation studies).

:func:`epoch_agreement` aligns a reference (e.g. PSG scored by technologists)
onto each device night (:func:`asleep_nb.data.reference_alignment.align_to_device`,
the majority-cover rule), keeps the epochs that **both** scored (code >= 0 on
both sides, inside the overlap) and counts them in a confusion matrix,
reference in rows and device in columns, classes in code order
(:mod:`asleep_nb.definitions.agreement`: wake, light, deep, REM; or wake,
sleep by the sleep/wake rule).

Definitions (pooled over every night unless said otherwise; each equals
scikit-learn's on the same epochs, which the tests check):

- ``accuracy``: share of epochs in the diagonal;
- ``kappa``: Cohen's kappa, ``(p_o - p_e) / (1 - p_e)``, ``p_e`` from the
  row and column totals (``NaN`` when ``p_e`` is 1: one class on both sides);
- ``balanced_accuracy``: mean sensitivity over the classes the reference
  scored (scikit-learn's ``balanced_accuracy_score``);
- ``macro_f1``: mean F1 over every class of the set, a class that neither
  side scored counting 0 (scikit-learn's ``zero_division=0``);
- per stage, one class against the rest: ``sensitivity`` TP/(TP+FN),
  ``specificity`` TN/(TN+FP), ``ppv`` TP/(TP+FP), ``npv`` TN/(TN+FN),
  ``f1`` 2TP/(2TP+FP+FN); ``NaN`` where the denominator is 0.

**Participants, not epochs, are the unit of the interval.** Epochs of a night,
and nights of a person, are not independent, so the interval of the pooled
kappa comes from a bootstrap that resamples **participants** (``user_id``)
with replacement, each drawn participant bringing all the epochs of all their
nights (:func:`scipy.stats.bootstrap`, percentile interval, seeded).

Examples
--------
>>> import numpy as np, xarray as xr
>>> def cohort(rows, users):
...     n = len(rows)
...     return xr.Dataset(
...         {"sleep_stage": (("session", "epoch"), np.array(rows, dtype=np.int8))},
...         coords={"session_id": ("session", [f"s{i}" for i in range(n)]), "user_id": ("session", users),
...                 "start_time": ("session", np.full(n, "2025-01-01T23:00", dtype="datetime64[ns]"))})
>>> device = cohort([[0, 1, 1, 2, 3, 0], [0, 0, 1, 2, 2, -1]], ["a", "b"])
>>> reference = cohort([[0, 1, 2, 2, 3, 0], [0, 1, 1, 2, 2, 3]], ["a", "b"])
>>> result = epoch_agreement(device, reference, n_boot=200)
>>> int(result.confusion.loc["Deep", "Light"]), int(result.pooled["n_epochs"])
(1, 11)
>>> round(float(result.pooled["accuracy"]), 3)
0.818
>>> result.confusion_normalized.sum(axis=1).round(6).tolist()
[1.0, 1.0, 1.0, 1.0]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.reference_alignment import align_to_device
from asleep_nb.definitions.agreement import Classes, check_classes, class_codes, class_labels, to_classes
from asleep_nb.errors import ValidationError
from asleep_nb.stats.study.bootstrap import DEFAULT_CI, DEFAULT_N_BOOT, check_options

__all__ = [
    "EpochAgreement",
    "POOLED_FIELDS",
    "STAGE_FIELDS",
    "epoch_agreement",
    "paired_epochs",
    "kappa_from_confusion",
    "confusion_counts",
]

#: Entries of :attr:`EpochAgreement.pooled`.
POOLED_FIELDS = (
    "accuracy",
    "kappa",
    "kappa_ci_low",
    "kappa_ci_high",
    "balanced_accuracy",
    "macro_f1",
    "n_epochs",
    "n_nights",
    "n_users",
)
#: Columns of :attr:`EpochAgreement.by_stage`.
STAGE_FIELDS = ("sensitivity", "specificity", "ppv", "npv", "f1", "n_reference", "n_device")


@dataclass(frozen=True)
class EpochAgreement:
    """Epoch-by-epoch agreement of a device with a reference (see :func:`epoch_agreement`).

    Attributes
    ----------
    confusion
        Epoch counts, reference stage in rows (index ``reference``), device
        stage in columns (``device``), labels and order from
        :mod:`asleep_nb.definitions.agreement`.
    pooled
        :data:`POOLED_FIELDS` over every night (``float64``; the counts are whole numbers).
    per_night
        Indexed by ``session_id``: ``user_id``, ``accuracy``, ``kappa``, ``n_epochs``.
    by_stage
        One row per class in code order: :data:`STAGE_FIELDS` (pooled).
    overlap
        The per-night overlap table of the alignment (epochs, overlap bounds,
        offsets, unscored counts).
    classes
        4 or 2.
    attrs
        How the numbers were made: ``ci``, ``n_boot``, ``seed``, ``interval``,
        ``resampled`` (``"user_id"``), ``classes``.
    """

    confusion: pd.DataFrame
    pooled: pd.Series
    per_night: pd.DataFrame
    by_stage: pd.DataFrame
    overlap: pd.DataFrame
    classes: Classes
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def confusion_normalized(self) -> pd.DataFrame:
        """Each reference row as shares of its epochs (rows sum to 1; ``NaN`` for an empty row)."""
        totals = self.confusion.sum(axis=1).replace(0, np.nan)
        return self.confusion.div(totals, axis=0)


def paired_epochs(
    device: xr.Dataset, reference: xr.Dataset, *, classes: Classes = 4, shift_seconds: float = 0.0
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Device and aligned reference codes as two ``(session, epoch)`` grids in a class set.

    Epochs that either side did not score (no signal, unscored, padding,
    outside the overlap) are ``-2`` on both, so ``device >= 0`` marks the
    epochs that count.

    Returns
    -------
    tuple
        ``(device_codes, reference_codes, overlap)``.

    Examples
    --------
    >>> import xarray as xr
    >>> c = xr.Dataset({"sleep_stage": (("session", "epoch"), [[0, 2, -1]])},
    ...                coords={"session_id": ("session", ["s"]),
    ...                        "start_time": ("session", np.array(["2025-01-01"], "datetime64[ns]"))})
    >>> d, r, _ = paired_epochs(c, c, classes=2)
    >>> d.tolist(), r.tolist()
    ([[0, 1, -2]], [[0, 1, -2]])
    """
    classes = check_classes(classes)
    if classes == 4 and "two_stage" in device.variables and np.asarray(device["two_stage"].values).any():
        two = [
            str(s) for s, t in zip(device["session_id"].values, device["two_stage"].values, strict=True) if t
        ]
        raise ValidationError(
            f"device night(s) {', '.join(two[:5])} are two-stage (wake/sleep only): compare with classes=2"
        )
    aligned, overlap = align_to_device(device, reference, shift_seconds=shift_seconds)
    dev = np.asarray(device["sleep_stage"].values)
    ref = np.asarray(aligned["sleep_stage"].values)
    both = (dev >= 0) & (ref >= 0)
    dev_c = np.where(both, to_classes(dev, classes), -2).astype(np.int8)
    ref_c = np.where(both, to_classes(ref, classes), -2).astype(np.int8)
    return dev_c, ref_c, overlap


def confusion_counts(device: np.ndarray, reference: np.ndarray, k: int) -> np.ndarray:
    """One ``k x k`` confusion matrix per session (reference rows, device columns), ``int64``.

    Examples
    --------
    >>> confusion_counts(np.array([[0, 1, -2]]), np.array([[0, 0, -2]]), 2).tolist()
    [[[1, 1], [0, 0]]]
    """
    n_s = device.shape[0]
    keep = device >= 0
    session = np.broadcast_to(np.arange(n_s)[:, None], device.shape)[keep]
    flat = (session * k + reference[keep].astype(np.int64)) * k + device[keep].astype(np.int64)
    return np.bincount(flat, minlength=n_s * k * k).reshape(n_s, k, k)


def kappa_from_confusion(cm: np.ndarray) -> np.ndarray:
    """Cohen's kappa of confusion matrices (last two axes), ``NaN`` where chance agreement is 1.

    Examples
    --------
    >>> round(float(kappa_from_confusion(np.array([[20, 5], [10, 15]]))), 4)
    0.4
    """
    cm = np.asarray(cm, dtype=np.float64)
    n = cm.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.trace(cm, axis1=-2, axis2=-1) / n
        expected = (cm.sum(axis=-1) * cm.sum(axis=-2)).sum(axis=-1) / n**2
        return np.asarray(np.where(expected < 1, (observed - expected) / (1 - expected), np.nan))


def _by_stage(cm: np.ndarray, labels: tuple[str, ...]) -> pd.DataFrame:
    tp = np.diag(cm).astype(np.float64)
    fn = cm.sum(axis=1) - tp
    fp = cm.sum(axis=0) - tp
    tn = cm.sum() - tp - fn - fp

    def share(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(b > 0, a / b, np.nan)

    out = pd.DataFrame(
        {
            "sensitivity": share(tp, tp + fn),
            "specificity": share(tn, tn + fp),
            "ppv": share(tp, tp + fp),
            "npv": share(tn, tn + fn),
            "f1": share(2 * tp, 2 * tp + fp + fn),
            "n_reference": cm.sum(axis=1),
            "n_device": cm.sum(axis=0),
        },
        index=pd.Index(labels, name="stage"),
    )
    return out


def _kappa_interval(
    user_cm: np.ndarray, *, ci: float, n_boot: int, seed: int, interval: str
) -> tuple[float, float]:
    """Percentile bootstrap of the pooled kappa, participants resampled with all their epochs."""
    if user_cm.shape[0] < 2:
        return np.nan, np.nan
    from scipy.stats import bootstrap  # scipy.stats is slow to import: only when asked

    def pooled_kappa(users: np.ndarray, axis: int = -1) -> np.ndarray:
        drawn = np.moveaxis(np.asarray(users, dtype=np.int64), axis, -1)
        return kappa_from_confusion(user_cm[drawn].sum(axis=-3))

    result = bootstrap(
        (np.arange(user_cm.shape[0]),),
        pooled_kappa,
        n_resamples=n_boot,
        confidence_level=ci,
        method=interval,
        vectorized=True,
        batch=200,
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def epoch_agreement(
    device: xr.Dataset,
    reference: xr.Dataset,
    *,
    classes: Classes = 4,
    ci: float = DEFAULT_CI,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    interval: str = "percentile",
    shift_seconds: float = 0.0,
) -> EpochAgreement:
    """Epoch-by-epoch agreement of a device cohort with a reference cohort of the same nights.

    Parameters
    ----------
    device
        The device's cohort (``to_cohort`` / ``load_cohort``, any alignment).
    reference
        The reference cohort with the same ``session_id`` values (e.g.
        :func:`asleep_nb.data.reference.read_reference`); aligned onto the
        device nights by :func:`~asleep_nb.data.reference_alignment.align_to_device`.
    classes
        4 (wake, light, deep, REM) or 2 (wake, sleep by the sleep/wake rule
        of :mod:`asleep_nb.definitions.agreement`).
    ci
        Confidence level of the kappa interval.
    n_boot
        Bootstrap resamples (at least 100).
    seed
        Seed of the resampling (``numpy.random.default_rng(seed)``): the same
        seed gives the same interval.
    interval
        ``"percentile"`` (default), ``"BCa"`` or ``"basic"``
        (:func:`scipy.stats.bootstrap`'s ``method``).
    shift_seconds
        Move the reference this much later before aligning (see
        :func:`asleep_nb.stats.lag_search`, which never applies a lag itself).

    Returns
    -------
    EpochAgreement
        ``.confusion``, ``.confusion_normalized``, ``.pooled``,
        ``.per_night``, ``.by_stage``, ``.overlap`` (module docstring for the
        definitions). The kappa interval resamples ``user_id`` values (each
        session its own participant when the device has no ``user_id``);
        ``NaN`` with a single participant.

    Raises
    ------
    ValidationError
        Session ids that differ, a missing ``start_time``, a night without
        overlap (from the alignment), no epoch that both scored, or
        ``classes=4`` with two-stage device nights.
    ValueError
        ``classes``, ``ci``, ``n_boot`` or ``interval`` out of range.

    Examples
    --------
    See the module docstring.
    """
    classes = check_classes(classes)
    check_options(ci, n_boot, interval)
    dev, ref, overlap = paired_epochs(device, reference, classes=classes, shift_seconds=shift_seconds)
    codes, labels = class_codes(classes), class_labels(classes)
    k = len(codes)
    night_cm = confusion_counts(dev, ref, k)
    pooled_cm = night_cm.sum(axis=0)
    n = int(pooled_cm.sum())
    if n == 0:
        raise ValidationError("no epoch was scored by both the device and the reference inside the overlap")
    sessions = [str(s) for s in device["session_id"].values]
    users = [str(u) for u in device["user_id"].values] if "user_id" in device.variables else sessions
    user_ids, user_of_night = np.unique(np.asarray(users, dtype=object), return_inverse=True)
    user_cm = np.zeros((user_ids.size, k, k), dtype=np.int64)
    np.add.at(user_cm, user_of_night, night_cm)
    low, high = _kappa_interval(user_cm, ci=ci, n_boot=n_boot, seed=seed, interval=interval)
    stage = _by_stage(pooled_cm, labels)
    scored = stage["n_reference"].to_numpy() > 0
    night_n = night_cm.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        night_accuracy = np.trace(night_cm, axis1=1, axis2=2) / night_n
    pooled = pd.Series(
        {
            "accuracy": float(np.trace(pooled_cm)) / n,
            "kappa": float(kappa_from_confusion(pooled_cm)),
            "kappa_ci_low": low,
            "kappa_ci_high": high,
            "balanced_accuracy": float(stage["sensitivity"].to_numpy()[scored].mean()),
            "macro_f1": float(np.nan_to_num(stage["f1"].to_numpy(), nan=0.0).mean()),
            "n_epochs": n,
            "n_nights": int((night_n > 0).sum()),
            "n_users": int(user_ids.size),
        },
        dtype=np.float64,
    ).reindex(list(POOLED_FIELDS))
    per_night = pd.DataFrame(
        {
            "user_id": users,
            "accuracy": night_accuracy,
            "kappa": kappa_from_confusion(night_cm),
            "n_epochs": night_n,
        },
        index=pd.Index(sessions, name="session_id"),
    )
    confusion = pd.DataFrame(
        pooled_cm, index=pd.Index(labels, name="reference"), columns=pd.Index(labels, name="device")
    )
    attrs = {
        "classes": classes,
        "ci": ci,
        "n_boot": n_boot,
        "seed": seed,
        "interval": interval,
        "resampled": "user_id",
        "shift_seconds": float(shift_seconds),
    }
    return EpochAgreement(confusion, pooled, per_night, stage, overlap, classes, attrs)
