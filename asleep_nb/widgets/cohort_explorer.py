"""CohortExplorer: pick a metric, a grouping and an alignment; see the comparison and the numbers.

Wires :func:`~asleep_nb.loading.load.load_cohort` / :func:`~asleep_nb.data.table.stats_table`
to the cohort figures :func:`~asleep_nb.plot.metric` and
:func:`~asleep_nb.plot.hypnodensity` and to the table of
:func:`~asleep_nb.stats.compare_groups`. Failures become a status line inside
the widget.

Examples
--------
>>> from asleep_nb.widgets import CohortExplorer
>>> explorer = CohortExplorer()                 # the demo cohort  # doctest: +SKIP
>>> explorer.metric.value = "sleep_efficiency"  # doctest: +SKIP
>>> explorer.numbers                            # compare_groups' DataFrame  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from asleep_nb.data.alignment import check_alignment
from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.widgets._explorer import Explorer
from asleep_nb.widgets._format import numbers_html
from asleep_nb.widgets._messages import describe_error
from asleep_nb.widgets._render import Quiet, demo_manifest_path, figure_png, new_figure

__all__ = ["CohortExplorer"]

#: Alignments the picker offers: those the hypnodensity can show (its ``relative_to``).
FIGURE_ALIGNMENTS: tuple[str, ...] = ("onset", "clock")
#: Per-session coordinates offered for grouping, when the cohort has them.
GROUPINGS: tuple[str, ...] = ("group", "user_id", "timezone", "state", "two_stage")
_ALIGN_TEXT = {"onset": "sleep onset", "clock": "local clock time"}
_NUMERIC_KINDS = ("duration", "ratio", "count", "index")


def _columns(stats: Any) -> list[str]:
    if isinstance(stats, pd.DataFrame):
        return [*map(str, stats.columns), *[str(n) for n in stats.index.names if n]]
    return [str(k) for k, v in stats.variables.items() if v.dims == ("session",)]


def _has_values(stats: Any, name: str) -> bool:
    values = stats[name] if isinstance(stats, pd.DataFrame) else stats[name].values
    return bool(np.isfinite(np.asarray(values, dtype=float)).any())


def numeric_metrics(stats: Any) -> list[str]:
    """The numeric stat fields of a stats table (or cohort) with at least one value, in API order.

    Examples
    --------
    >>> import pandas as pd
    >>> numeric_metrics(pd.DataFrame({"time_in_sleep": [1.0], "sleep_time": [pd.NaT], "rem_ratio": [None]}))
    ['time_in_sleep']
    """
    present = set(_columns(stats))
    return [
        name
        for name, field in STAT_FIELDS.items()
        if field.kind in _NUMERIC_KINDS and name in present and _has_values(stats, name)
    ]


class CohortExplorer(Explorer):
    """Compare the nights of a cohort: metric, grouping and alignment pickers over figures and numbers.

    Parameters
    ----------
    cohort
        A cohort dataset (:func:`~asleep_nb.data.cohort.to_cohort`). ``None`` loads
        one with :func:`~asleep_nb.loading.load.load_cohort` from ``client`` and
        ``manifest``.
    stats
        The stats table to compare (default: ``stats_table(cohort)``).
    client
        Used with ``manifest`` when ``cohort`` is ``None`` (default:
        :func:`asleep_nb.connect`).
    manifest
        Manifest ``DataFrame`` or CSV path (default: the demo manifest).
    align
        Alignment of the cohort loaded from ``client`` and ``manifest``, one
        of ``"start"``, ``"onset"``, ``"clock"``. The alignment picker offers
        ``"onset"`` and ``"clock"`` (what the hypnodensity can show, from any
        cohort: it realigns from ``offset``/``n_epochs``); when the explorer
        loaded the cohort itself, picking one also reloads ``cohort`` with
        that alignment so code that continues from ``explorer.cohort`` sees it.

    Attributes
    ----------
    metric, by, align : ipywidgets.Dropdown
        The controls; set their ``value`` to drive the explorer from code.
    metric_image, hypnodensity_image : ipywidgets.Image
        The metric comparison and the hypnodensity as PNG.
    table, status : ipywidgets.HTML
        The ``compare_groups`` numbers and the status line.
    cohort, stats, numbers
        The current cohort dataset, stats table and ``compare_groups`` DataFrame.
    widget : ipywidgets.VBox
        The whole explorer.
    message : str
        The current status text.

    Examples
    --------
    >>> import asleep_nb
    >>> cohort = asleep_nb.load_cohort(asleep_nb.connect(), "data/demo/manifest.csv")  # doctest: +SKIP
    >>> asleep_nb.CohortExplorer(cohort)                                               # doctest: +SKIP
    """

    def __init__(
        self,
        cohort: Any = None,
        *,
        stats: Any = None,
        client: Any = None,
        manifest: Any = None,
        align: str = "start",
    ) -> None:
        alignment = check_alignment(align)
        self._can_realign = cohort is None
        if cohort is None:
            if client is None:
                from asleep_nb.connection import connect

                client = connect()
            if manifest is None:
                manifest = demo_manifest_path()
                if manifest is None:
                    raise ValueError("no cohort and no manifest given, and the demo manifest was not found")
            from asleep_nb.loading.load import load_cohort

            cohort = load_cohort(client, manifest, align=alignment)
        self.client = client
        self._manifest = manifest
        self.cohort = cohort
        self._given_stats = stats is not None
        self.stats = stats if stats is not None else self._stats_of(cohort)
        self.numbers: pd.DataFrame | None = None
        self.message = ""
        self._quiet = Quiet()

        metrics = numeric_metrics(self.stats)
        if not metrics:
            raise ValueError("the stats table holds no numeric stat field with a value")
        columns = set(_columns(self.stats))
        groupings = [g for g in GROUPINGS if g in cohort.variables and g in columns] or ["user_id"]
        current = align if align in FIGURE_ALIGNMENTS else str(cohort.attrs.get("alignment", "onset"))
        self.metric = widgets.Dropdown(
            options=metrics,
            value="time_in_sleep" if "time_in_sleep" in metrics else metrics[0],
            description="Metric",
        )
        self.by = widgets.Dropdown(options=groupings, value=groupings[0], description="Group by")
        self.align = widgets.Dropdown(
            options=list(FIGURE_ALIGNMENTS),
            value=current if current in FIGURE_ALIGNMENTS else "onset",
            description="Align",
        )
        self.status = widgets.HTML()
        self.metric_image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="49%", align_self="flex-start")
        )
        self.hypnodensity_image = widgets.Image(
            format="png", layout=widgets.Layout(max_width="49%", align_self="flex-start")
        )
        self.table = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.metric, self.by, self.align], layout=widgets.Layout(flex_flow="wrap")),
                self.status,
                widgets.HBox([self.metric_image, self.hypnodensity_image]),
                self.table,
            ]
        )
        self.widget.add_class("asleep-cohort-explorer")

        self.metric.observe(self._quiet.observer(lambda _: self._render(density=False)), names="value")
        self.by.observe(self._quiet.observer(lambda _: self._render(density=True)), names="value")
        self.align.observe(self._quiet.observer(self._on_align), names="value")
        self._render(density=True)

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        return (
            f"CohortExplorer(sessions={self.cohort.sizes.get('session', 0)}, metric={self.metric.value!r}, "
            f"by={self.by.value!r}, align={self.align.value!r})"
        )

    # ------------------------------------------------------------------- steps
    @staticmethod
    def _stats_of(cohort: Any) -> Any:
        from asleep_nb.data.table import stats_table

        return stats_table(cohort)

    def _on_align(self, change: dict[str, Any]) -> None:
        align = check_alignment(change["new"])
        if not self._can_realign:  # a given cohort: the figure realigns by itself
            self._render(density=True)
            return
        self._set_status(f"Re-aligning the cohort by {align}…", "info")
        try:
            from asleep_nb.loading.load import load_cohort

            with warnings.catch_warnings(record=True) as caught:  # sessions left out: said in the status
                warnings.simplefilter("always")
                cohort = load_cohort(self.client, self._manifest, align=align)
        except Exception as exc:
            with self._quiet:
                self.align.value = change["old"]
            self._set_status(describe_error(exc), "error")
            return
        self.cohort = cohort
        if not self._given_stats:
            self.stats = self._stats_of(cohort)
        self._render(density=True, notes=[str(w.message) for w in caught])

    def _render(self, *, density: bool, notes: list[str] | None = None) -> None:
        """Redraw the metric figure and the numbers, and the hypnodensity when ``density``.

        ``notes`` (warnings from loading the cohort) join the status line.
        """
        from asleep_nb.plot import hypnodensity, hypnodensity_figsize, metric
        from asleep_nb.stats.study.groups import compare_groups

        name, by, align = self.metric.value, self.by.value, self.align.value
        problems: list[str] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            problems += self._draw(
                "metric figure",
                self.metric_image,
                6.0,
                3.6,
                lambda fig: metric(self.stats, name, by=by, ax=fig.subplots()),
            )
            if density:
                n_groups = len(np.unique(np.asarray(self.cohort[by].values).astype(str)))
                problems += self._draw(
                    "hypnodensity",
                    self.hypnodensity_image,
                    *hypnodensity_figsize(n_groups, 7.0),
                    lambda fig: hypnodensity(self.cohort, by=by, fig=fig, relative_to=align),
                )
            try:
                self.numbers = compare_groups(self.stats, name, by=by)
                self.table.value = numbers_html(self.numbers, name)
            except Exception as exc:
                self.numbers = None
                self.table.value = ""
                problems.append(f"numbers: {describe_error(exc)}")
        notes = list(dict.fromkeys([*(notes or []), *(str(w.message) for w in caught)]))
        if problems:
            self._set_status("; ".join(problems + notes), "error")
        else:
            n = int(self.cohort.sizes.get("session", 0))
            text = f"{name} by {by}, {n} sessions, hypnodensity from {_ALIGN_TEXT[align]}."
            self._set_status(" ".join([text, *notes]), "warning" if notes else "ok")

    @staticmethod
    def _draw(what: str, image: widgets.Image, width: float, height: float, draw: Any) -> list[str]:
        """Draw into a new figure and show it in ``image``; return the problem, if any."""
        try:
            fig = new_figure(width, height)
            draw(fig)
            image.value = figure_png(fig)
        except Exception as exc:
            image.value = b""
            return [f"{what}: {describe_error(exc)}"]
        return []
