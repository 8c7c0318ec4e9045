"""Bland-Altman panels of a validation study, night by night (from :func:`asleep_nb.stats.stats_agreement`).

Each night is a point: the reference value (x) and the device's difference from it (y), in the
metric's display unit (:mod:`asleep_nb.definitions.display`). The bias (solid) and the limits of
agreement (dashed) are drawn as the table gives them: horizontal lines when parametric, lines
along the reference when the bias is proportional or the limits are regression- or log-based
(Menghini et al. 2021). Their confidence intervals are shaded bands when the lines are
horizontal, and error bars at the mean reference value otherwise.

Examples
--------
>>> import numpy as np, pandas as pd, asleep_nb.plot as ap
>>> from asleep_nb.stats import bland_altman as numbers
>>> ref = np.array([400.0, 420, 380, 450, 410, 390, 430, 440]) * 60
>>> dev = ref + np.array([10.0, -5, 12, 3, 8, -2, 6, 0]) * 60
>>> row = pd.DataFrame([numbers(ref, dev, n_boot=200)], index=pd.Index(["time_in_sleep"], name="metric"))
>>> row.attrs.update(device=pd.DataFrame({"time_in_sleep": dev}),
...                  reference=pd.DataFrame({"time_in_sleep": ref}))
>>> ax = ap.bland_altman(row, "time_in_sleep")
>>> ax.get_ylabel()
'Device - reference: time in sleep (h)'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import FigureBase

from asleep_nb.definitions.agreement import AGREEMENT_COLORS
from asleep_nb.definitions.display import display_unit, display_value, format_estimate, inline_label, label
from asleep_nb.plot._style import FULL_WIDTH, RC_PARAMS, get_axes, get_figure, style, style_axes

__all__ = ["bland_altman", "bland_altman_panels"]

_POINT = AGREEMENT_COLORS["night"]
_BIAS = AGREEMENT_COLORS["bias"]
_LIMIT = AGREEMENT_COLORS["limit"]


def _row(table: pd.DataFrame, name: str) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    if name not in table.index:
        raise KeyError(f"no metric {name!r} in the agreement table; metrics: {list(table.index)}")
    device, reference = table.attrs.get("device"), table.attrs.get("reference")
    if not isinstance(device, pd.DataFrame) or not isinstance(reference, pd.DataFrame):
        raise ValueError("the table holds no per-night values: pass the DataFrame stats_agreement returned")
    x = reference[name].to_numpy(dtype=np.float64)
    d = device[name].to_numpy(dtype=np.float64) - x
    keep = np.isfinite(x) & np.isfinite(d)
    row = table.loc[name]
    if not isinstance(row, pd.Series):
        raise ValueError(f"the agreement table holds metric {name!r} more than once")
    return row, x[keep], d[keep]


def bland_altman(table: pd.DataFrame, name: str, ax: Axes | None = None, *, title: str | None = None) -> Axes:
    """One Bland-Altman panel: nights, bias, limits of agreement and their 95 % intervals.

    Parameters
    ----------
    table
        What :func:`asleep_nb.stats.stats_agreement` returned (its ``attrs``
        carry the per-night values).
    name
        A metric of the table (e.g. ``"time_in_sleep"``).
    ax
        Axes to draw on; new figure when ``None``.
    title
        Axes title; default the metric's label.

    Returns
    -------
    matplotlib.axes.Axes
        Artists with ``gid`` ``"nights"``, ``"bias"``, ``"loa_low"``, ``"loa_high"``; the
        intervals are bands with ``gid`` ``"bias_ci"``, ``"loa_low_ci"``, ``"loa_high_ci"``, or
        error-bar containers labelled ``"_bias_ci"``, ... when the lines follow the reference.

    Raises
    ------
    KeyError
        A metric not in the table.
    ValueError
        A table without per-night values.

    Examples
    --------
    See the module docstring.
    """
    row, x, d = _row(table, name)
    scale = float(display_value(name, 1.0))
    X, D = x * scale, d * scale
    unit = display_unit(name)
    suffix = f" ({unit})" if unit else ""
    with style():
        ax = get_axes(ax, (4.8, 3.6))
        ax.axhline(0, color="#999999", lw=0.6, ls=":", zorder=1)
        ax.scatter(X, D, s=14, color=_POINT, alpha=0.7, edgecolors="none", zorder=3, gid="nights")
        lo, hi = (float(X.min()), float(X.max())) if X.size else (0.0, 1.0)
        grid = np.linspace(lo, hi, 50)
        b0, b1 = float(row["bias_intercept"]) * scale, float(row["bias_slope"])
        h0, h1 = float(row["loa_intercept"]) * scale, float(row["loa_slope"])
        centre = b0 + b1 * grid
        flat = b1 == 0 and h1 == 0
        x_bar = float(row["mean_reference"]) * scale
        for key, sign, color, style_ in (
            ("bias", 0, _BIAS, "-"),
            ("loa_low", -1, _LIMIT, "--"),
            ("loa_high", 1, _LIMIT, "--"),
        ):
            ax.plot(grid, centre + sign * (h0 + h1 * grid), color=color, ls=style_, lw=1.1, zorder=4, gid=key)
            low, high = float(row[f"{key}_ci_low"]) * scale, float(row[f"{key}_ci_high"]) * scale
            if not (np.isfinite(low) and np.isfinite(high)):
                continue
            if flat or (key == "bias" and b1 == 0):
                ax.axhspan(low, high, color=color, alpha=0.12, lw=0, zorder=2, gid=f"{key}_ci")
            else:
                value = float(row["bias"] if key == "bias" else row[key]) * scale
                ax.errorbar(
                    [x_bar],
                    [value],
                    yerr=[[value - low], [high - value]],
                    color=color,
                    capsize=3,
                    lw=1,
                    marker="o",
                    ms=3,
                    zorder=5,
                    label=f"_{key}_ci",
                )
        bias = format_estimate(name, row["bias"], row["bias_ci_low"], row["bias_ci_high"], difference=True)
        text = [
            f"Bias {bias}",
            f"Bias {row['bias_method']}, limits {row['loa_method']}; {int(row['n'])} nights",
        ]
        # the bias is the panel's result: written as large as the axis labels, never below the ticks
        ax.text(
            0.01,
            0.99,
            "\n".join(text),
            transform=ax.transAxes,
            va="top",
            ha="left",
            fontsize=RC_PARAMS["axes.labelsize"],
            gid="summary",
        )
        ax.set_xlabel(f"Reference: {inline_label(name)}{suffix}")
        ax.set_ylabel(f"Device - reference: {inline_label(name)}{suffix}")
        ax.set_title(label(name) if title is None else title)
        spread = np.nanmax(np.abs(np.concatenate([D, centre + h0 + h1 * grid, centre - h0 - h1 * grid])))
        ax.set_ylim(-1.45 * spread, 1.45 * spread)
    return ax


def bland_altman_panels(
    table: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    fig: FigureBase | None = None,
    *,
    columns: int = 3,
) -> FigureBase:
    """One :func:`bland_altman` panel per metric, in a grid of ``columns``.

    Parameters
    ----------
    table
        What :func:`asleep_nb.stats.stats_agreement` returned.
    metrics
        Metrics to draw, in order; default every metric with a bias.
    fig
        Figure (or SubFigure) to draw into; new constrained-layout figure when ``None``.
    columns
        Panels per row.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes`` in the order of ``metrics`` (each labelled with its metric).

    Examples
    --------
    The README's "Agreement with a reference" draws the demo study's panels.
    """
    names = (
        [m for m in table.index if np.isfinite(table.loc[m, "bias"])] if metrics is None else list(metrics)
    )
    if not names:
        raise ValueError("no metric to draw: the table holds no bias")
    rows = -(-len(names) // columns)
    with style():
        fig = get_figure(fig, (FULL_WIDTH, 3.4 * rows))
        axes = fig.subplots(rows, columns, squeeze=False).ravel()
        for ax, name in zip(axes, names, strict=False):
            style_axes(ax)
            bland_altman(table, name, ax)
            ax.set_label(name)
        for ax in axes[len(names) :]:
            ax.remove()
    return fig
