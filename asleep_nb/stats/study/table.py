"""Table 1 of a study: every metric described per group, and the groups compared.

One row per metric. Per group: the mean (SD) and the median [IQR] of the
users' means (each user's nights averaged first), and how many users and
nights; then each group's difference from the reference with its interval
and p-value from :func:`~asleep_nb.stats.study.groups.compare_groups`, and
optionally the p-values adjusted for the false discovery rate over the
table. Values are shown in each metric's display unit and precision from
:mod:`asleep_nb.definitions`, so the table reads as the figures do.

:func:`table_one_numbers` gives the numbers (stored units: seconds, ratios),
:func:`table_one` the text a paper prints; ``to_latex``, ``to_markdown`` and
``to_csv`` are pandas' own.

Examples
--------
>>> table = table_one(cohort, groups=["healthy", "apnea"])
>>> table.to_latex("table1.tex", escape=True)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from asleep_nb.data.table import stats_table
from asleep_nb.definitions import axis_label, difference_label, format_estimate, format_value
from asleep_nb.definitions.display import MISSING
from asleep_nb.errors import ValidationError
from asleep_nb.stats.night import persistent_sleep_latency, rem_latency_from_onset, research_sleep_latency
from asleep_nb.stats.study.balance import balance_text
from asleep_nb.stats.study.fdr import fdr_adjust
from asleep_nb.stats.study.groups import METHODS, Method, compare_groups
from asleep_nb.stats.study.metric_frame import GROUP, metric_frame, user_means

__all__ = ["DEFAULT_METRICS", "DESCRIPTIVES", "table_one", "table_one_numbers", "format_p_value"]

#: The metrics of a Table 1 unless told otherwise: time in bed, time in sleep,
#: efficiency, latency under the research rule, wake after sleep onset, stage
#: shares of the sleep period, awakenings and sleep cycles.
DEFAULT_METRICS: tuple[str, ...] = (
    "time_in_bed",
    "time_in_sleep",
    "sleep_efficiency",
    "research_sleep_latency",
    "time_in_wake",
    "light_ratio",
    "deep_ratio",
    "rem_ratio",
    "waso_count",
    "sleep_cycle_count",
)

#: Per-group columns of :func:`table_one_numbers`, over user means.
DESCRIPTIVES: tuple[str, ...] = ("n_users", "n_nights", "mean", "sd", "median", "q1", "q3")

#: Research metrics computed from a cohort's stage arrays when the table lacks them.
_FROM_STAGES: dict[str, Callable[[Any], Any]] = {
    "research_sleep_latency": research_sleep_latency,
    "persistent_sleep_latency": persistent_sleep_latency,
    "rem_latency_from_onset": rem_latency_from_onset,
}
#: ``compare_groups`` column -> column of a difference in :func:`table_one_numbers`.
_DIFFERENCE = {"mean": "difference", "ci_low": "ci_low", "ci_high": "ci_high", "p_value": "p_value",
               "effect_size": "effect_size", "effect_ci_low": "effect_ci_low",
               "effect_ci_high": "effect_ci_high"}  # fmt: skip
#: What ``compare_groups`` records of one metric's mixed-model fit.
_FIT_ATTRS = ("formula", "user_variance", "residual_variance", "icc", "converged", "boundary", "optimiser",
              "llf", "fit_warnings", "covariates")  # fmt: skip
#: Top-level column of a mixed-model table holding each metric's fit status.
FIT = "fit"


def fit_status(attrs: dict[str, Any]) -> str:
    """``"boundary"``, ``"not converged"``, both, or ``""`` (a clean fit) from a comparison's ``attrs``.

    Examples
    --------
    >>> fit_status({"converged": True, "boundary": True}), fit_status({"converged": True, "boundary": False})
    ('boundary', '')
    """
    said = []
    if attrs.get("boundary"):
        said.append("boundary")
    if not attrs.get("converged", True):
        said.append("not converged")
    return ", ".join(said)


def table_one_numbers(
    data: pd.DataFrame | xr.Dataset,
    *,
    by: str = "group",
    metrics: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    reference: str | None = None,
    method: Method = "bootstrap",
    fdr: bool = True,
    **options: Any,
) -> pd.DataFrame:
    """The numbers of :func:`table_one`, in stored units (seconds, ratios in [0, 1], counts).

    Parameters
    ----------
    data
        A :func:`asleep_nb.stats_table` DataFrame, or a cohort Dataset (its
        stats table is built, and research metrics such as
        ``research_sleep_latency`` are computed from its stage arrays).
    by
        The column defining the groups.
    metrics
        The metrics, in row order; default :data:`DEFAULT_METRICS`, leaving
        out with a warning those no night has a value of (a research metric
        is missing from a stats table: pass the cohort to have it computed).
    groups
        The groups, in column order; default: all, sorted. At least two.
    reference
        The group the others are compared with; default: the first.
    method
        ``"bootstrap"`` or ``"mixed"``: how differences, their intervals and
        p-values are computed (:func:`~asleep_nb.stats.study.groups.compare_groups`).
    fdr
        Add ``p_fdr``: Benjamini-Hochberg adjusted p-values over every
        comparison in the table (:func:`~asleep_nb.stats.study.fdr.fdr_adjust`).
    **options
        ``ci``, ``n_boot``, ``seed``, ``interval``, passed to ``compare_groups``.

    Returns
    -------
    pandas.DataFrame
        Indexed by metric name; columns a MultiIndex. ``(group, statistic)``
        for :data:`DESCRIPTIVES`: users and nights with a value, and the
        mean, SD (``ddof=1``), median and quartiles (linear interpolation)
        of the user means. ``("<group> - <reference>", statistic)`` for
        ``difference``, ``ci_low``, ``ci_high``, ``p_value``, ``effect_size``
        (Hedges' g on user means), ``effect_ci_low``, ``effect_ci_high``,
        and ``p_fdr`` when asked. ``attrs``: the settings of the comparison
        as ``compare_groups`` records them, ``by``, ``fdr``, and with
        ``method="mixed"`` the per-metric ``fits`` (ICC, variances, warnings).

    Raises
    ------
    ValidationError
        Fewer than two groups; a metric named in ``metrics`` that no night has.
    KeyError
        A metric or group that is not in the data.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"user_id": list("abcdef"), "group": list("xxxyyy"),
    ...                       "time_in_sleep": [25200.0, 27000, 24000, 21600, 22000, 23400]})
    >>> numbers = table_one_numbers(table, metrics=["time_in_sleep"], n_boot=999)
    >>> numbers.loc["time_in_sleep", [("x", "median"), ("y - x", "difference")]].tolist()
    [25200.0, -3066.666666666668]
    """
    table = _as_table(data, DEFAULT_METRICS if metrics is None else metrics)
    names = list(metrics) if metrics is not None else _available(table, DEFAULT_METRICS)
    levels = _levels(table, by, groups)
    ref = levels[0] if reference is None else reference
    if not names:
        raise ValidationError("no metric to tabulate")
    rows: dict[str, dict[tuple[Any, str], Any]] = {}
    fits: dict[str, dict[str, Any]] = {}
    settings: dict[str, Any] = {}
    for name in names:
        compared = compare_groups(table, name, by=by, groups=levels, method=method, reference=ref, **options)
        rows[name] = {**_describe(table, name, by, levels), **_differences(compared, levels, ref)}
        fits[name] = {k: compared.attrs[k] for k in _FIT_ATTRS if k in compared.attrs}
        if method == "mixed":
            rows[name][(FIT, "status")] = fit_status({str(k): v for k, v in compared.attrs.items()})
        settings = {str(k): v for k, v in compared.attrs.items() if k not in ("name", "units", *_FIT_ATTRS)}
    out = pd.DataFrame.from_dict(rows, orient="index")  # tuple keys: MultiIndex columns
    if fdr:
        out = _with_fdr(out, [difference_label(g, ref) for g in levels if g != ref])
    out.index.name = "metric"
    out.attrs.update(settings, by=by, fdr="Benjamini-Hochberg over the table" if fdr else "none")
    if method == "mixed":
        out.attrs["fits"] = fits
    return out


def table_one(
    data: pd.DataFrame | xr.Dataset,
    *,
    by: str = "group",
    metrics: Sequence[str] | None = None,
    balance: Sequence[str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Table 1: per group mean (SD), median [IQR], users (nights); the differences and p-values, as text.

    Each value is written in its metric's display unit and precision
    (:mod:`asleep_nb.definitions`): the row label names the unit, a
    difference carries its own (``"pp"`` for shares). ``to_latex``,
    ``to_markdown`` (with the ``tabulate`` package) and ``to_csv`` give the
    table in those formats; for LaTeX pass ``escape=True`` (labels hold ``%``).

    Parameters
    ----------
    data, by, metrics
        As for :func:`table_one_numbers`.
    balance
        Covariates to describe per group in rows after the metrics (a
        number as mean (SD) of the users' values, a category as n (%) of
        users per level; :mod:`~asleep_nb.stats.study.balance`); default the
        ``covariates`` adjusted for.
    **options
        The other parameters of :func:`table_one_numbers` (``groups``,
        ``reference``, ``method``, ``fdr``, ``ci``, ``n_boot``, ``seed``,
        ``interval``, ``covariates``).

    Returns
    -------
    pandas.DataFrame
        Of text; one row per metric, labelled with its unit; columns
        ``"<group>: mean (SD)"``, ``"<group>: median [IQR]"`` and
        ``"<group>: users (nights)"`` per group, then per difference
        ``"<other> - <reference>"`` (estimate [CI], other minus reference),
        ``"p"``, ``"p (FDR)"`` and ``"method"`` (how the interval and the
        p-value were both computed; prefixed ``"<other> - <reference>: "``
        when there are several differences); with ``method="mixed"`` a
        ``"fit"`` column saying ``"boundary"`` (user variance 0) or ``"not
        converged"`` where a fit is so. Balance rows fill the ``mean (SD)``
        columns. ``attrs`` as :func:`table_one_numbers`, plus ``numbers``
        naming that function.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"user_id": list("abcdef"), "group": list("xxxyyy"),
    ...                       "time_in_sleep": [25200.0, 27000, 24000, 21600, 22000, 23400]})
    >>> print(table_one(table, metrics=["time_in_sleep"], n_boot=999).T.to_string())
                                          Time in sleep (h)
    x: mean (SD)                                7.06 (0.42)
    x: median [IQR]                       7.00 [6.83, 7.25]
    x: users (nights)                                 3 (3)
    y: mean (SD)                                6.20 (0.26)
    y: median [IQR]                       6.11 [6.06, 6.31]
    y: users (nights)                                 3 (3)
    y - x                     -0.85 h [95% CI -1.33, -0.41]
    p                                                 0.001
    p (FDR)                                           0.001
    method             bootstrap of user means (percentile)
    """
    numbers = table_one_numbers(data, by=by, metrics=metrics, **options)
    level = round(100 * float(numbers.attrs.get("ci", 0.95)))
    tops = numbers.columns.get_level_values(0).unique()
    groups = [g for g in tops if (g, "mean") in numbers.columns]
    differences = [d for d in tops if d not in groups and d != FIT]
    columns: dict[str, list[str]] = {}
    for g in groups:
        columns.update(_group_text(numbers, g))
    prefix = len(differences) > 1
    method = _method_text({str(k): v for k, v in numbers.attrs.items()})
    for d in differences:
        columns.update(_difference_text(numbers, d, level, prefix))
        columns[f"{d}: method" if prefix else "method"] = [method] * len(numbers)
    if (FIT, "status") in numbers.columns:
        columns["fit"] = [str(v) for v in numbers[(FIT, "status")]]
    out = pd.DataFrame(columns, index=[axis_label(name) for name in numbers.index])
    balance = list(options.get("covariates", ())) if balance is None else list(balance)
    if balance:
        rows = balance_text(data, balance, by=by, groups=groups)
        rows.columns = [f"{g}: mean (SD)" for g in rows.columns]
        out = pd.concat([out, rows.reindex(columns=out.columns, fill_value="")])
    out.attrs.update({str(k): v for k, v in numbers.attrs.items()})
    out.attrs["numbers"] = "asleep_nb.stats.table_one_numbers"
    return out


def format_p_value(p: float) -> str:
    """A p-value as text: three decimals, ``"<0.001"`` below that, an en dash when missing.

    Examples
    --------
    >>> format_p_value(0.04231), format_p_value(0.00002), format_p_value(float("nan"))
    ('0.042', '<0.001', '–')
    """
    if p is None or np.isnan(p):
        return MISSING
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _as_table(data: pd.DataFrame | xr.Dataset, metrics: Sequence[str]) -> pd.DataFrame:
    """The stats table of ``data``, with the research metrics of ``metrics`` computed from stages."""
    if not isinstance(data, xr.Dataset):
        return data
    table = stats_table(data)
    for name in metrics:
        if name in _FROM_STAGES and name not in table.columns and "sleep_stage" in data:
            table[name] = np.asarray(_FROM_STAGES[name](data).values, dtype=float)
    return table


def _available(table: pd.DataFrame, metrics: Sequence[str]) -> list[str]:
    """The default metrics ``table`` has a value of; a warning names the others."""
    present = [m for m in metrics if m in table.columns and table[m].notna().any()]
    left_out = [m for m in metrics if m not in present]
    if left_out:
        warnings.warn(
            f"Table 1 leaves out {left_out}: no value in any night"
            + (
                " (research metrics need the cohort's stage arrays: pass the cohort)"
                if any(m in _FROM_STAGES for m in left_out)
                else ""
            ),
            UserWarning,
            stacklevel=3,
        )
    return present


def _levels(table: pd.DataFrame, by: str, groups: Sequence[str] | None) -> list[Any]:
    if by not in table.columns:
        raise KeyError(f"the stats table has no column {by!r} to group by")
    levels = sorted(table[by].dropna().unique().tolist(), key=str) if groups is None else list(groups)
    if len(levels) < 2:
        raise ValidationError(f"Table 1 compares groups: {by!r} has only {levels}")
    return levels


def _describe(table: pd.DataFrame, name: str, by: str, levels: list[Any]) -> dict[tuple[Any, str], float]:
    """:data:`DESCRIPTIVES` of the user means of ``name`` in each group."""
    per_user = user_means(metric_frame(table, name, by))
    grouped = per_user.groupby(GROUP, observed=True)
    stats = pd.DataFrame({
        "n_users": grouped["mean"].size(),
        "n_nights": grouped["count"].sum(),
        "mean": grouped["mean"].mean(),
        "sd": grouped["mean"].std(ddof=1),
        "median": grouped["mean"].median(),
        "q1": grouped["mean"].quantile(0.25),
        "q3": grouped["mean"].quantile(0.75),
    })  # fmt: skip
    return {(g, k): float(stats.loc[g, k]) for g in levels for k in DESCRIPTIVES}


def _differences(compared: pd.DataFrame, levels: list[Any], ref: Any) -> dict[tuple[str, str], float]:
    out = {}
    for g in levels:
        if g != ref:
            label = difference_label(g, ref)
            values = compared.loc[label, list(_DIFFERENCE)].to_numpy(dtype=float)
            out.update({(label, new): float(v) for new, v in zip(_DIFFERENCE.values(), values, strict=True)})
    return out


def _with_fdr(numbers: pd.DataFrame, differences: list[str]) -> pd.DataFrame:
    """``p_fdr`` after each difference's columns, adjusted over the whole table."""
    family = numbers[[(d, "p_value") for d in differences]].to_numpy()
    adjusted = fdr_adjust(family.ravel()).reshape(family.shape)
    for i, d in enumerate(differences):
        numbers[(d, "p_fdr")] = adjusted[:, i]
    tops = numbers.columns.get_level_values(0).unique()
    return numbers[[c for top in tops for c in numbers.columns if c[0] == top]]


def _group_text(numbers: pd.DataFrame, g: Any) -> dict[str, list[str]]:
    rows = [(name, numbers.loc[name, g]) for name in numbers.index]
    return {
        f"{g}: mean (SD)": [f"{_value(n, r['mean'])} ({_spread(n, r['sd'])})" for n, r in rows],
        f"{g}: median [IQR]": [
            f"{_value(n, r['median'])} [{_value(n, r['q1'])}, {_value(n, r['q3'])}]" for n, r in rows
        ],
        f"{g}: users (nights)": [f"{int(r['n_users'])} ({int(r['n_nights'])})" for _, r in rows],
    }


def _difference_text(numbers: pd.DataFrame, d: str, level: int, prefix: bool) -> dict[str, list[str]]:
    rows = [(name, numbers.loc[name, d]) for name in numbers.index]
    head = f"{d}: " if prefix else ""
    out = {d: [format_estimate(n, r["difference"], r["ci_low"], r["ci_high"], difference=True, level=level)
               for n, r in rows]}  # fmt: skip
    out[f"{head}p"] = [format_p_value(r["p_value"]) for _, r in rows]
    if (d, "p_fdr") in numbers.columns:
        out[f"{head}p (FDR)"] = [format_p_value(r["p_fdr"]) for _, r in rows]
    return out


def _method_text(attrs: dict[str, Any]) -> str:
    """How every difference of the table was estimated, e.g. ``"bootstrap of user means (percentile)"``."""
    method = str(attrs.get("method", "bootstrap"))
    text = METHODS.get(method, method)
    if method == "bootstrap":
        text += f" ({attrs.get('interval', 'percentile')})"
    covariates = attrs.get("adjusted_for")
    return text + (f", adjusted for {', '.join(covariates)}" if covariates else "")


def _value(name: str, value: float) -> str:
    return format_value(name, value, unit=False)


def _spread(name: str, value: float) -> str:
    """An SD, in the unit of a difference of the metric (percentage points, hours of clock time)."""
    return format_value(name, value, difference=True, unit=False).lstrip("+")
