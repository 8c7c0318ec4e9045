r"""Figures of a validation study, epoch by epoch: the confusion matrix and one night's two hypnograms.

The numbers are :func:`asleep_nb.stats.epoch_agreement`'s and the alignment
:func:`asleep_nb.data.reference_alignment.align_to_device`'s; stage labels and
colours come from :mod:`asleep_nb.definitions`.

Examples
--------
>>> import numpy as np, asleep_nb.plot as ap
>>> ax = ap.confusion_matrix(np.array([[50, 10], [5, 200]]))
>>> [t.get_text() for t in ax.get_yticklabels()], ax.texts[0].get_text()
(['Wake (60)', 'Sleep (205)'], '83.3%\n50')
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from asleep_nb.data.reference_alignment import align_to_device, native_stages
from asleep_nb.definitions import EPOCH_SECONDS, NO_SIGNAL_LABEL, SleepStage
from asleep_nb.definitions.agreement import AGREEMENT_COLORS, class_labels, to_sleep_wake
from asleep_nb.plot._style import (
    ERROR_COLOR,
    HYPNOGRAM_ORDER,
    LEGEND_ABOVE,
    STAGE_COLORS,
    TITLE_PAD_OVER_LEGEND,
    TWO_STAGE_ORDER,
    format_share,
    get_axes,
    stage_labels,
    style,
)
from asleep_nb.plot._time import local_time_axes, to_num
from asleep_nb.plot.hypnogram import runs
from asleep_nb.stats.study.agreement import EpochAgreement

__all__ = ["confusion_matrix", "hypnogram_comparison"]

_EPOCH_DAYS = EPOCH_SECONDS / 86400.0
#: Cells above this row share (percent) are written in white.
_DARK = 60.0
#: Colour marking epochs where device and reference disagree.
_DISAGREE = AGREEMENT_COLORS["disagree"]


def _counts(agreement: EpochAgreement | pd.DataFrame | np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    if isinstance(agreement, EpochAgreement):
        return agreement.confusion.to_numpy(dtype=np.int64), tuple(str(c) for c in agreement.confusion.index)
    counts = np.asarray(agreement.values if isinstance(agreement, pd.DataFrame) else agreement)
    if counts.shape not in ((4, 4), (2, 2)):
        raise ValueError(f"a confusion matrix must be 4 x 4 or 2 x 2 epoch counts, got shape {counts.shape}")
    if (counts < 0).any() or not np.allclose(counts, np.round(counts)):
        raise ValueError("a confusion matrix holds epoch counts: whole numbers, none negative")
    return counts.astype(np.int64), class_labels(4 if counts.shape == (4, 4) else 2)


def confusion_matrix(
    agreement: EpochAgreement | pd.DataFrame | np.ndarray,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    colorbar: bool = True,
) -> Axes:
    """Heatmap of a confusion matrix: each cell's share of its reference row (colour) and epoch count.

    Parameters
    ----------
    agreement
        An :class:`~asleep_nb.stats.study.agreement.EpochAgreement`, or a
        4 x 4 (2 x 2) matrix of epoch counts, reference stages in rows and
        device stages in columns, in code order.
    ax
        Axes to draw on; new figure when ``None``.
    title
        Axes title.
    colorbar
        Draw a colour bar (row share, %).

    Returns
    -------
    matplotlib.axes.Axes
        Cell texts (``gid="cell"``): the row share (:func:`format_share`) over the count.

    Examples
    --------
    See the module docstring.
    """
    counts, labels = _counts(agreement)
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = np.where(totals > 0, counts / totals, np.nan)
    k = len(labels)
    with style():
        ax = get_axes(ax, (4.6, 3.6))
        image = ax.imshow(shares * 100, cmap="Blues", vmin=0, vmax=100)
        for i in range(k):
            for j in range(k):
                dark = bool(np.isfinite(shares[i, j]) and shares[i, j] * 100 > _DARK)
                ax.text(
                    j,
                    i,
                    f"{format_share(shares[i, j])}\n{counts[i, j]:,}",
                    ha="center",
                    va="center",
                    fontsize=7.5,
                    color="white" if dark else "black",
                    gid="cell",
                )
        ax.set_xticks(range(k), list(labels))
        ax.set_yticks(range(k), [f"{name} ({n:,})" for name, n in zip(labels, totals[:, 0], strict=True)])
        ax.set_xlabel("Device")
        ax.set_ylabel("Reference (epochs)")
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        if colorbar:
            bar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
            bar.set_label("Share of the reference stage (%)")
            bar.outline.set_visible(False)
            bar.ax.set_gid("colorbar")
        if title:
            ax.set_title(title)
    return ax


def _session_index(cohort: xr.Dataset, session: str | int) -> int:
    ids = [str(s) for s in cohort["session_id"].values]
    if isinstance(session, (int, np.integer)) and not isinstance(session, bool):
        if not 0 <= int(session) < len(ids):
            raise IndexError(f"session index {session} is out of range: the cohort holds {len(ids)} sessions")
        return int(session)
    if str(session) not in ids:
        raise KeyError(f"no session {session!r} in the device cohort; first ids: {ids[:5]}")
    return ids.index(str(session))


def _levels(base: float, two_stage: bool) -> dict[int, float]:
    """Row of each stage in a band from ``base`` to ``base + 3`` (wake on top, deep or sleep lower)."""
    rows = {code: base + len(HYPNOGRAM_ORDER) - 1 - i for i, code in enumerate(HYPNOGRAM_ORDER)}
    return {code: rows[code] for code in TWO_STAGE_ORDER} if two_stage else rows


def _band(ax: Axes, x0: np.ndarray, stages: np.ndarray, base: float, two_stage: bool, gid: str) -> None:
    """One hypnogram in the rows of :func:`_levels`, no signal hatched across the band."""
    level = _levels(base, two_stage)
    y = np.array([level.get(c, np.nan) for c in range(4)])[np.clip(stages, 0, 3)]
    y = np.where(stages >= 0, y, np.nan)
    x_end = x0[-1] + _EPOCH_DAYS
    ax.step(
        np.append(x0, x_end), np.append(y, y[-1]), where="post", color="#333333", lw=0.6, zorder=2, gid=gid
    )
    for code in level:
        starts, lengths = runs(stages == code)
        half = 0.22 if code == SleepStage.REM else 0.09
        if starts.size:
            ax.broken_barh(
                list(zip(x0[starts], lengths * _EPOCH_DAYS, strict=True)),
                (level[code] - half, 2 * half),
                facecolors=STAGE_COLORS[code],
                edgecolors="none",
                zorder=3,
                gid=f"{gid}_{code}",
            )
    starts, lengths = runs(stages == SleepStage.ERROR)
    if starts.size:
        ax.broken_barh(
            list(zip(x0[starts], lengths * _EPOCH_DAYS, strict=True)),
            (base - 0.4, 3.8),
            facecolors="#EEEEEE",
            edgecolors=ERROR_COLOR,
            hatch="////",
            linewidth=0,
            zorder=1,
            gid=f"{gid}_error",
        )


def hypnogram_comparison(
    device: xr.Dataset,
    reference: xr.Dataset,
    session: str | int = 0,
    ax: Axes | None = None,
    *,
    timezone: str | None = None,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """The device's hypnogram over the reference's for one night, on the device's epochs.

    The reference is aligned onto the device night by the majority-cover rule
    (:func:`~asleep_nb.data.reference_alignment.align_to_device`); epochs
    outside the overlap show no reference stage. A black tick between the
    two marks every epoch both scored where they disagree. Grey hatching:
    no signal (device) or unscored (reference). A two-stage device night
    is drawn, and compared, in wake and sleep (the sleep/wake rule).

    Parameters
    ----------
    device, reference
        Cohorts of the same nights (as for :func:`asleep_nb.stats.epoch_agreement`).
    session
        The night: a ``session_id`` or a position in the device cohort.
    ax
        Axes to draw on; new figure when ``None``.
    timezone
        IANA zone of the time axis; default the session's ``timezone``
        coordinate, else UTC.
    title, legend
        Axes title; a legend row above the axes.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    KeyError, IndexError
        An unknown session.

    Examples
    --------
    >>> import numpy as np, xarray as xr, asleep_nb.plot as ap
    >>> c = xr.Dataset({"sleep_stage": (("session", "epoch"), np.array([[0, 1, 2, 2, 3, 0]], np.int8))},
    ...                coords={"session_id": ("session", ["s"]),
    ...                        "start_time": ("session", np.array(["2025-01-01T23:00"], "datetime64[ns]"))})
    >>> ax = ap.hypnogram_comparison(c, c, "s")
    >>> [t.get_text() for t in ax.get_yticklabels()][:4]
    ['Wake', 'REM', 'Light', 'Deep']
    """
    i = _session_index(device, session)
    sid = str(device["session_id"].values[i])
    ref_ids = [str(s) for s in reference["session_id"].values]
    if sid not in ref_ids:
        raise KeyError(f"no reference for session {sid!r}")
    night = reference.isel(session=[ref_ids.index(sid)])
    aligned = align_to_device(device.isel(session=[i]), night).reference
    dev = native_stages(device, i).astype(np.int64)
    ref = native_stages(aligned, 0).astype(np.int64)
    start = np.asarray(device["start_time"].values, dtype="datetime64[ns]")[i]
    x0 = to_num(start + np.arange(dev.size) * np.timedelta64(EPOCH_SECONDS, "s"))
    zone = timezone or (str(device["timezone"].values[i]) if "timezone" in device.variables else "UTC")
    two = "two_stage" in device.variables and bool(device["two_stage"].values[i])
    if two:  # a two-stage night: both in wake/sleep by the sleep/wake rule
        dev, ref = to_sleep_wake(dev), to_sleep_wake(ref)
    differ = (dev >= 0) & (ref >= 0) & (dev != ref)
    labels = stage_labels(two)
    with style():
        ax = get_axes(ax, (8, 4.2))
        _band(ax, x0, ref, 0.0, two, "reference")
        _band(ax, x0, dev, 5.0, two, "device")
        starts, lengths = runs(differ)
        if starts.size:
            ax.broken_barh(
                list(zip(x0[starts], lengths * _EPOCH_DAYS, strict=True)),
                (3.75, 0.5),
                facecolors=_DISAGREE,
                edgecolors="none",
                gid="disagreement",
            )
        ticks = [(y, labels[c]) for base in (0.0, 5.0) for c, y in _levels(base, two).items()]
        ax.set_yticks([t[0] for t in ticks], [t[1] for t in ticks])
        for y, name in ((1.5, "Reference"), (6.5, "Device")):
            ax.text(
                -0.09,
                y,
                name,
                transform=ax.get_yaxis_transform(),
                rotation=90,
                ha="center",
                va="center",
                fontsize=9,
                fontweight="bold",
            )
        ax.set_ylim(-0.6, 8.8)
        local_time_axes(ax, zone, x0[0], x0[-1] + _EPOCH_DAYS)
        if legend:
            handles: list[Any] = [
                Line2D([], [], color=_DISAGREE, lw=4, label=f"Disagree ({int(differ.sum())} epochs)")
            ]
            if ((dev == SleepStage.ERROR) | (ref == SleepStage.ERROR)).any():
                handles.append(
                    Patch(
                        facecolor="#EEEEEE",
                        edgecolor=ERROR_COLOR,
                        hatch="////",
                        label=f"{NO_SIGNAL_LABEL} / unscored",
                    )
                )
            ax.legend(handles=handles, **LEGEND_ABOVE, ncol=len(handles))
        if title:
            ax.set_title(title, pad=TITLE_PAD_OVER_LEGEND if legend else 6)
    return ax
