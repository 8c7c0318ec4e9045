"""CohortExplorer: pick a metric, a grouping and an alignment; see the comparison and the numbers.

Wires :func:`~asleep_nb.loading.load.load_cohort` / :func:`~asleep_nb.data.table.stats_table`
to the cohort figures :func:`~asleep_nb.plot.metric` and
:func:`~asleep_nb.plot.hypnodensity` and to the table of
:func:`~asleep_nb.stats.compare_groups`. Failures become a status line inside
the widget.

Every panel shows the same nights (:mod:`asleep_nb.widgets._cohort_view`): the
analysis set of :func:`asleep_nb.stats.sample.analysis_set` with a value of
the metric, so every panel states the same numbers of users and nights. A
grouping with more than :data:`MAX_GROUPS` values is summarised as one
group, with a message. In a kernel, redraws run on a worker thread: the
status says "Working" at once, then the step in progress, and a click made
meanwhile replaces the redraw in progress instead of queueing behind it.
"""

from __future__ import annotations

import warnings
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd

from asleep_nb.data.alignment import check_alignment
from asleep_nb.definitions import STAT_FIELDS
from asleep_nb.definitions.display import inline_label
from asleep_nb.stats.sample import analysis_set
from asleep_nb.widgets._cohort_view import MAX_GROUPS, cohort_view, n_groups
from asleep_nb.widgets._explorer import Explorer
from asleep_nb.widgets._format import numbers_html
from asleep_nb.widgets._messages import describe_error
from asleep_nb.widgets._render import Quiet, demo_manifest_path, new_figure
from asleep_nb.widgets._themed import AUTO_CLASS, ThemedImage, check_theme, theme_css
from asleep_nb.widgets._worker import LatestOnly, in_kernel

__all__ = ["CohortExplorer", "MAX_GROUPS"]

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
        The stats table to compare (default: ``stats_table(cohort)``), matched
        to the cohort's sessions on ``session_id``.
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
    theme
        Figures for the page's theme: ``"auto"`` (a light and a dark variant;
        the page's JupyterLab/Voilà theme shows one), ``"light"`` or ``"dark"``.
    background
        Redraw on a worker thread after a control changes (newest request
        wins). ``None``: when running in a Jupyter kernel. The first view is
        drawn before the constructor returns; :meth:`wait` waits for a redraw.

    Attributes
    ----------
    metric, by, align : ipywidgets.Dropdown
        The controls; set their ``value`` to drive the explorer from code.
        The grouping picker labels a grouping with more than
        :data:`MAX_GROUPS` values "summarised".
    metric_image, hypnodensity_image : ipywidgets.Image
        The metric comparison and the hypnodensity as PNG (light page);
        ``metric_image_dark``, ``hypnodensity_image_dark`` for a dark page.
    table, status : ipywidgets.HTML
        The ``compare_groups`` numbers and the status line.
    cohort, stats, numbers
        The current cohort dataset, stats table and ``compare_groups`` DataFrame.
    shown
        The :class:`~asleep_nb.widgets._cohort_view.CohortView` drawn: the
        nights of every panel and the grouping used.
    widget : ipywidgets.VBox
        The whole explorer.
    message : str
        The current status text.
    """

    def __init__(
        self,
        cohort: Any = None,
        *,
        stats: Any = None,
        client: Any = None,
        manifest: Any = None,
        align: str = "start",
        theme: str = "auto",
        background: bool | None = None,
    ) -> None:
        alignment = check_alignment(align)
        self._theme = check_theme(theme)
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
        self.shown: Any = None
        self.message = ""
        self._quiet = Quiet()
        self._worker = LatestOnly(in_kernel() if background is None else background)
        self._density_key: tuple[Any, ...] | None = None

        metrics = numeric_metrics(self.stats)
        if not metrics:
            raise ValueError("the stats table holds no numeric stat field with a value")
        current = align if align in FIGURE_ALIGNMENTS else str(cohort.attrs.get("alignment", "onset"))
        self.metric = widgets.Dropdown(
            options=metrics,
            value="time_in_sleep" if "time_in_sleep" in metrics else metrics[0],
            description="Metric",
        )
        self.by = widgets.Dropdown(options=self._grouping_options(), description="Group by")
        self.align = widgets.Dropdown(
            options=list(FIGURE_ALIGNMENTS),
            value=current if current in FIGURE_ALIGNMENTS else "onset",
            description="Align",
        )
        self.status = widgets.HTML()
        figure_layout = {"max_width": "49%", "align_self": "flex-start"}
        self._metric_figure = ThemedImage("metric-figure", self._theme, **figure_layout)
        self._density_figure = ThemedImage("hypnodensity", self._theme, **figure_layout)
        self.metric_image, self.metric_image_dark = self._metric_figure.children
        self.hypnodensity_image, self.hypnodensity_image_dark = self._density_figure.children
        self.table = widgets.HTML()
        controls = widgets.HBox([self.metric, self.by, self.align], layout=widgets.Layout(flex_flow="wrap"))
        figures = widgets.HBox([*self._metric_figure.children, *self._density_figure.children])
        self.widget = widgets.VBox([theme_css(), controls, self.status, figures, self.table])
        self.widget.add_class("asleep-cohort-explorer")
        if self._theme == "auto":
            self.widget.add_class(AUTO_CLASS)
        for control, hook in ((self.metric, "metric"), (self.by, "by"), (self.align, "align")):
            control.add_class(f"asleep-{hook}")
        self.status.add_class("asleep-status-line")
        self.table.add_class("asleep-numbers-table")

        self.metric.observe(self._quiet.observer(lambda _: self._request("metric")), names="value")
        self.by.observe(self._quiet.observer(lambda _: self._request("grouping")), names="value")
        self.align.observe(self._quiet.observer(self._on_align), names="value")
        self._redraw(lambda: False)

    # ----------------------------------------------------------------- display
    def __repr__(self) -> str:
        return (
            f"CohortExplorer(sessions={self.cohort.sizes.get('session', 0)}, metric={self.metric.value!r}, "
            f"by={self.by.value!r}, align={self.align.value!r})"
        )

    def _stills(self) -> list[bytes]:
        return [bytes(self.metric_image.value), bytes(self.hypnodensity_image.value)]

    def wait(self, timeout: float = 120.0) -> bool:
        """Wait for the redraw in progress (background mode); whether it finished within ``timeout`` s."""
        return self._worker.wait(timeout)

    # ------------------------------------------------------------------- steps
    @staticmethod
    def _stats_of(cohort: Any) -> Any:
        from asleep_nb.data.table import stats_table

        return stats_table(cohort)

    def _grouping_options(self) -> list[tuple[str, str]]:
        """``(label, coordinate)`` of each grouping; one with too many values says it is summarised."""
        columns = set(_columns(self.stats))
        names = [g for g in GROUPINGS if g in self.cohort.variables and g in columns] or ["user_id"]
        compared = self.cohort.isel(session=np.flatnonzero(analysis_set(self.cohort).mask))
        options = []
        for name in names:
            count = n_groups(compared[name].values)  # over the nights compared, as the panels count
            options.append((f"{name} ({count} values: summarised)" if count > MAX_GROUPS else name, name))
        return options

    def _on_align(self, change: dict[str, Any]) -> None:
        self._request("alignment", reload_from=change["old"] if self._can_realign else None)

    def _request(self, what: str, reload_from: str | None = None) -> None:
        """Say "Working" at once, then redraw (on the worker thread in a kernel; newest request wins)."""
        with self._worker.lock:
            self._set_status(f"Working: new {what}…", "info")
        self._worker.submit(lambda stale: self._redraw(stale, reload_from=reload_from))

    def _progress(self, stale: Any, step: int, total: int, text: str) -> bool:
        """Show the step in progress unless superseded; whether to go on."""
        with self._worker.lock:
            if stale():
                return False
            self._set_status(f"Working ({step}/{total}): {text}…", "info")
        return True

    def _reload(self, stale: Any, align: str, old: str) -> list[str] | None:
        """Reload the cohort with ``align``; the load's warnings, or ``None`` when it failed (said)."""
        from asleep_nb.loading.load import load_cohort

        try:
            with warnings.catch_warnings(record=True) as caught:  # sessions left out: said in the status
                warnings.simplefilter("always")
                cohort = load_cohort(self.client, self._manifest, align=check_alignment(align))
        except Exception as exc:
            with self._worker.lock:
                if not stale():
                    with self._quiet:
                        self.align.value = old
                    self._set_status(describe_error(exc), "error")
            return None
        if stale():
            return None
        self.cohort = cohort
        if not self._given_stats:
            self.stats = self._stats_of(cohort)
        return [str(w.message) for w in caught]

    def _redraw(self, stale: Any, *, reload_from: str | None = None) -> None:
        """Redraw the metric figure, the hypnodensity (when its nights changed) and the numbers."""
        from asleep_nb.plot import hypnodensity, hypnodensity_figsize, metric
        from asleep_nb.stats.study.groups import compare_groups

        name, by, align = self.metric.value, self.by.value, self.align.value
        notes: list[str] = []
        total = 4 if reload_from is not None else 3
        if reload_from is not None:
            if not self._progress(stale, 1, total, f"reloading the cohort aligned by {align}"):
                return
            loaded = self._reload(stale, check_alignment(align), reload_from)
            if loaded is None:
                return
            notes += loaded
        problems: list[str] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            view = cohort_view(self.cohort, self.stats, name, by)
            if not view.cohort.sizes.get("session", 0):
                self._finish(stale, view, [], [*notes, *view.notes], empty=True, warn=True)
                return
            if not self._progress(stale, total - 2, total, "metric figure"):
                return
            fig = new_figure(6.0, 3.6)
            draw: Any = lambda: metric(view.stats, name, by=view.by, ax=fig.subplots())  # noqa: E731
            problems += self._draw("metric figure", self._metric_figure, fig, draw, stale)
            ids = np.asarray(view.cohort["session_id"].values).astype(str).tobytes()
            key = (view.by, align, ids, id(self.cohort))
            if key != self._density_key:
                if not self._progress(stale, total - 1, total, "hypnodensity"):
                    return
                groups = n_groups(view.cohort[view.by].values)
                fig = new_figure(*hypnodensity_figsize(groups, 7.0))
                draw = lambda: hypnodensity(view.cohort, by=view.by, fig=fig, relative_to=align)  # noqa: E731
                density_problem = self._draw("hypnodensity", self._density_figure, fig, draw, stale)
                problems += density_problem
                self._density_key = None if density_problem else key
            if not self._progress(stale, total, total, "numbers"):
                return
            try:
                compared = compare_groups(view.stats, name, by=view.by)
                numbers: pd.DataFrame | None = compared
                table = numbers_html(compared.rename_axis(by), name)  # the grouping picked, even summarised
            except Exception as exc:
                numbers, table = None, ""
                problems.append(f"numbers: {describe_error(exc)}")
        warned = [*notes, *(str(w.message) for w in caught)]  # the load's and the figures' warnings
        with self._worker.lock:
            if stale():
                return
            self.numbers, self.table.value = numbers, table
        self._finish(stale, view, problems, [*view.notes, *warned], warn=bool(warned))

    def _finish(
        self, stale: Any, view: Any, problems: list[str], notes: list[str], *, empty: bool = False,
        warn: bool = False,
    ) -> None:  # fmt: skip
        """The final status line (unless superseded)."""
        notes = list(dict.fromkeys(notes))
        name, align = self.metric.value, self.align.value
        with self._worker.lock:
            if stale():
                return
            self.shown = view
            if empty:
                self._metric_figure.clear()
                self._density_figure.clear()
                self._density_key = None
                self.numbers, self.table.value = None, ""
                self._set_status(" ".join(["No night to show.", *notes]), "warning")
            elif problems:
                self._set_status("; ".join(problems + notes), "error")
            else:
                users = n_groups(view.cohort["user_id"].values) if "user_id" in view.cohort.variables else 0
                nights = int(view.cohort.sizes["session"])
                text = (
                    f"{inline_label(name)} by {self.by.value}: {nights} nights of {users} users "
                    f"in every panel, hypnodensity from {_ALIGN_TEXT[align]}."
                )
                self._set_status(" ".join([text, *notes]), "warning" if view.summarised or warn else "ok")

    def _draw(self, what: str, shown: ThemedImage, fig: Any, draw: Any, stale: Any) -> list[str]:
        """Draw into ``fig`` and show it (unless superseded); return the problem, if any."""
        try:
            draw()
            if stale():
                return []
            shown.show(fig)
        except Exception as exc:
            shown.clear()
            return [f"{what}: {describe_error(exc)}"]
        return []
