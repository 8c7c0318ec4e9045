"""The report's group comparison: which metrics, the table the figures draw, and Table 1 as shown.

The figures (:func:`asleep_nb.plot.metric`) and Table 1
(:func:`asleep_nb.stats.table_one`) are computed from the same nights with
the same groups, reference and bootstrap settings (:data:`N_BOOT`,
:data:`SEED`), and both write each metric with
:mod:`asleep_nb.definitions.display`: so a difference reads the same, in the
same unit and precision, in a figure and in the table (``+4.2 pp [95% CI 1.1,
7.3]``). This module chooses and arranges; every number comes from
:mod:`asleep_nb.stats`.

Sleep latency is the one metric whose two onset rules disagree in practice
(a night that opens with no signal has a vendor ``sleep_latency`` of 0): where
the report compares ``sleep_latency`` and any night's two latencies differ,
the research rule's latency is compared right after it
(:func:`compared_metrics`).

Examples
--------
>>> compared_metrics(["time_in_sleep", "sleep_latency"], latencies_differ=True)
('time_in_sleep', 'sleep_latency', 'research_sleep_latency')
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any, Final

import pandas as pd
import xarray as xr

from asleep_nb.definitions import RESEARCH_METRICS
from asleep_nb.definitions.display import label

__all__ = [
    "N_BOOT",
    "SEED",
    "VENDOR_LATENCY",
    "RESEARCH_LATENCY",
    "compared_metrics",
    "compared_groups",
    "comparison_table",
    "table_one",
    "table_one_header",
    "table_one_note",
    "table_one_latex",
    "rules_note",
    "table_one_html",
    "TABLE_ONE_CAPTION",
]

#: Bootstrap resamples of every interval the report shows (figures and Table 1 alike).
N_BOOT: Final = 2000
#: Seed of those resamples.
SEED: Final = 0
#: The API's sleep latency (vendor rule) and the research rule's.
VENDOR_LATENCY: Final = "sleep_latency"
RESEARCH_LATENCY: Final = "research_sleep_latency"
#: Caption of Table 1 on the page.
TABLE_ONE_CAPTION: Final = "Table 1: the groups described and compared"


def compared_metrics(metrics: Sequence[str], *, latencies_differ: bool) -> tuple[str, ...]:
    """The metrics to compare: ``metrics``, with the research latency after the vendor's where they differ.

    Examples
    --------
    >>> compared_metrics(["sleep_latency", "rem_ratio"], latencies_differ=False)
    ('sleep_latency', 'rem_ratio')
    >>> compared_metrics(["rem_ratio", "sleep_latency"], latencies_differ=True)
    ('rem_ratio', 'sleep_latency', 'research_sleep_latency')
    """
    names = list(metrics)
    if latencies_differ and VENDOR_LATENCY in names and RESEARCH_LATENCY not in names:
        names.insert(names.index(VENDOR_LATENCY) + 1, RESEARCH_LATENCY)
    return tuple(names)


def compared_groups(present: Sequence[Any], manifest_groups: Sequence[Any] | None) -> list[str]:
    """The groups compared, the reference first: in the order the manifest first names them.

    Every difference of the report (figures and Table 1) is "other minus
    reference", as :func:`asleep_nb.stats.compare_groups` takes it with these
    groups; without a manifest (an archive) the groups are sorted.

    Examples
    --------
    >>> compared_groups(["apnea", "healthy", "apnea"], ["healthy", "healthy", "apnea"])
    ['healthy', 'apnea']
    >>> compared_groups(["b", "a"], None)
    ['a', 'b']
    """
    here = {str(g) for g in present}
    order = list(dict.fromkeys(str(g) for g in manifest_groups)) if manifest_groups is not None else []
    return [g for g in order if g in here] + sorted(here - set(order))


def comparison_table(cohort: xr.Dataset, metrics: Sequence[str]) -> pd.DataFrame:
    """The cohort's stats table, with the research latency computed from its stages when compared.

    The column holds what :func:`asleep_nb.stats.table_one` computes from
    the same cohort (:func:`asleep_nb.stats.research_sleep_latency`), so the
    figures drawn from this table and Table 1 agree.
    """
    from asleep_nb.data.table import stats_table
    from asleep_nb.stats import research_sleep_latency

    table = stats_table(cohort)
    if RESEARCH_LATENCY in metrics:
        latency = research_sleep_latency(cohort)
        by_session = pd.Series(latency.values, index=latency["session_id"].values)
        table[RESEARCH_LATENCY] = table["session_id"].map(by_session).astype(float)
    return table


def table_one(cohort: xr.Dataset, metrics: Sequence[str], groups: Sequence[Any]) -> pd.DataFrame:
    """:func:`asleep_nb.stats.table_one` of ``cohort`` with the report's groups and bootstrap settings.

    The cohort itself is passed, so research metrics (the research-rule
    latency) are computed from its stage arrays.
    """
    from asleep_nb import stats

    return stats.table_one(cohort, metrics=list(metrics), groups=list(groups), n_boot=N_BOOT, seed=SEED)


def table_one_html(cohort: xr.Dataset, metrics: Sequence[str], groups: Sequence[Any]) -> str:
    """Table 1 as the page shows it: caption, table, what its columns hold, and its LaTeX folded.

    With fewer than two groups there is nothing to compare, and one
    sentence says so.

    Examples
    --------
    >>> table_one_html(xr.Dataset(), ["time_in_sleep"], ["apnea"])
    '<p>Table 1 compares groups, and every night analysed is in one group (apnea): there is no Table 1.</p>'
    """
    from asleep_nb.report.page import captioned, table_html

    if len(groups) < 2:
        group = escape(", ".join(map(str, groups)) or "none")
        return (
            "<p>Table 1 compares groups, and every night analysed is in one group "
            f"({group}): there is no Table 1.</p>"
        )
    study = table_one_header(table_one(cohort, metrics, groups), groups)
    latex = f"<pre>{escape(table_one_latex(study))}</pre>"
    return (
        captioned(table_html(study, grouped=True), TABLE_ONE_CAPTION)
        + f"<p>{table_one_note(study)}</p>"
        + captioned(latex, "Table 1 as LaTeX (booktabs)", collapsed=True)
    )


def table_one_header(table: pd.DataFrame, groups: Sequence[Any]) -> pd.DataFrame:
    """Table 1 with a header of two rows: each group over its columns, each difference over its own.

    :func:`asleep_nb.stats.table_one` names its columns ``"<group>: mean
    (SD)"`` ..., then per difference ``"<group> - <reference>"``, ``"p"`` and
    ``"p (FDR)"`` (prefixed ``"<group> - <reference>: "`` when there are
    several); here they become (``group``, ``mean (SD)``) ... and
    (``<group> - <reference>``, ``estimate``), (..., ``p``), (..., ``p (FDR)``).

    Examples
    --------
    >>> t = pd.DataFrame(columns=["a: mean (SD)", "b: mean (SD)", "b - a", "p", "p (FDR)"])
    >>> table_one_header(t, ["a", "b"]).columns.tolist()
    [('a', 'mean (SD)'), ('b', 'mean (SD)'), ('b - a', 'estimate'), ('b - a', 'p'), ('b - a', 'p (FDR)')]
    """
    names = {str(g) for g in groups}
    columns, current = [], ""
    for column in map(str, table.columns):
        top, sep, rest = column.partition(": ")
        if sep and top in names:
            columns.append((top, rest))
        elif " - " in column and not sep:
            current = column
            columns.append((column, "estimate"))
        else:
            columns.append((current, rest if sep and top == current else column))
    out = table.copy()
    out.columns = pd.MultiIndex.from_tuples(columns)
    return out


def table_one_note(table: pd.DataFrame) -> str:
    """What Table 1's columns hold, from the settings it records (escaped HTML, one paragraph).

    Examples
    --------
    >>> t = pd.DataFrame()
    >>> t.attrs.update(ci=0.95, interval="percentile", n_boot=2000, seed=0, reference="healthy",
    ...                test="bootstrap test of user means (the interval inverted)",
    ...                fdr="Benjamini-Hochberg over the table")
    >>> note = table_one_note(t)
    >>> "95 % percentile-bootstrap" in note, note.endswith("p (FDR): Benjamini-Hochberg over the table.")
    (True, True)
    """
    a = table.attrs
    level = round(100 * float(a.get("ci", 0.95)))
    return escape(
        "Users are the unit: each user's nights are averaged first. Per group: the mean (SD) and "
        "median [IQR] of the user means, and the users (nights) with a value. Each difference is "
        f"that of the group means, other minus reference ({a.get('reference', '')}), with its {level} % "
        f"{a.get('interval', '')}-bootstrap confidence interval (users resampled within groups, "
        f"{a.get('n_boot', '')} resamples, seed {a.get('seed', '')}), in the row's unit (shares differ "
        "in percentage points, pp), exactly as above each figure; p: from the same resamples, "
        f"{a.get('test', '')}, so an interval excludes 0 exactly when p < {1 - level / 100:.2f}; "
        f"p (FDR): {a.get('fdr', '')}."
    )


def table_one_latex(table: pd.DataFrame) -> str:
    r"""Table 1 as LaTeX (``booktabs``): every label escaped (they hold ``%``), groups as multicolumns.

    ``escape=True`` escapes ``%``, ``&``, ``_`` ...; ``<`` and ``>`` (``"<0.001"``)
    become ``\textless{}`` and ``\textgreater{}``.

    Examples
    --------
    >>> t = table_one_header(pd.DataFrame({"a: mean (SD)": ["93.4 (1.0)"], "b - a": ["+1.2 pp"],
    ...                                    "p": ["<0.001"]}, index=["Sleep efficiency (%)"]), ["a", "b"])
    >>> print(table_one_latex(t).splitlines()[5])
    Sleep efficiency (\%) & 93.4 (1.0) & +1.2 pp & \textless{}0.001 \\
    """
    latex = table.to_latex(escape=True, multicolumn=True, multicolumn_format="c")
    # pandas leaves < and > as they are; in LaTeX's default text encoding they print as ¡ and ¿
    return latex.replace("<", r"\textless{}").replace(">", r"\textgreater{}")


def rules_note(metrics: Sequence[str]) -> str:
    """Which onset rule the compared metrics follow, in one sentence of escaped HTML.

    Examples
    --------
    >>> rules_note(["time_in_sleep", "sleep_latency", "research_sleep_latency"])[:66]
    'Sleep latency (research rule) is computed from the stage arrays by'
    """
    research = [label(m) for m in metrics if m in RESEARCH_METRICS]
    stat = "a field of the API's stat object, which follows the vendor rule wherever sleep onset or the " \
        "sleep period matters"  # fmt: skip
    if not research:
        return escape(f"Every panel and row is {stat}.")
    return escape(
        f"{' and '.join(research)} {'is' if len(research) == 1 else 'are'} computed from the stage "
        f"arrays by the research rule; every other panel and row is {stat}."
    )
