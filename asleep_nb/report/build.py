"""Building a report: check the inputs, inject the parameters, execute, write one HTML file.

Examples
--------
A run executes the whole report notebook (about 10 s), so the example is not a doctest::

    from asleep_nb.report.build import build_report

    build_report("report.html", manifest="study.csv", allow_missing=True)  # -> Path of report.html
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from asleep_nb.report.checks import PARAMETERS_TAG, TEMPLATE, preflight
from asleep_nb.report.kernel import execute
from asleep_nb.report.parameters import ReportParameters

__all__ = ["build_report", "inject_parameters", "strip_volatile", "write_html"]


def build_report(
    out: str | os.PathLike[str] = "report.html",
    *,
    manifest: str | os.PathLike[str] | None = None,
    timezone: str | None = None,
    archive: str | os.PathLike[str] | None = None,
    allow_missing: bool = False,
    align: str | None = None,
    metrics: Sequence[str] | str | None = None,
    title: str | None = None,
    base_url: str | None = None,
    template: str | os.PathLike[str] | None = None,
    exclude_flagged: bool = False,
    no_signal_threshold: float | str | None = None,
    no_signal_run: float | str | None = None,
    kernel_name: str = "python3",
    timeout: int = 900,
    on_start: Callable[[], object] | None = None,
) -> Path:
    """Execute the report notebook and write a self-contained HTML report.

    Every input is checked before the kernel starts; relative paths are
    taken from the working folder, where the kernel also runs. ``None``
    means the default for every option that has one.

    Parameters
    ----------
    out
        Path of the HTML file to write.
    manifest
        CSV with columns ``user_id``, ``group`` (and optionally ``session_id``,
        ``date_gte``, ``date_lte``, ``timezone``). ``None``: the demo
        cohort, or with ``archive`` every archived session.
    timezone
        IANA zone to express every session in; ``None`` keeps each row's own.
    archive
        An archive folder (``asleep-nb fetch``) to read sessions from; no
        network is used.
    allow_missing
        Leave out sessions that cannot be had, listing each (id and reason)
        in the report; otherwise the first one stops the report.
    align
        Cohort alignment: ``"onset"`` (default), ``"start"`` or ``"clock"``.
    metrics
        Stats compared between groups (``stat`` field names, or one
        comma-separated text); default
        :data:`~asleep_nb.report.parameters.DEFAULT_METRICS`.
    title
        Page title and first heading (default "Sleep cohort report").
    base_url
        The API's base URL (the key comes from ``ASLEEP_API_KEY``).
    template
        A notebook of one's own to execute instead of the shipped one; it
        needs a cell tagged ``parameters`` (the parameters are injected
        after it, as for the shipped one).
    exclude_flagged
        Leave the nights flagged for no signal out of the group comparison.
    no_signal_threshold
        A night whose share of no-signal epochs exceeds this is flagged
        (default :data:`~asleep_nb.stats.quality.FLAG_NO_SIGNAL_SHARE`).
    no_signal_run
        Minutes: a no-signal run opening or closing a night longer than this
        is long (default :data:`~asleep_nb.stats.quality.LONG_EDGE_RUN_MINUTES`).
    kernel_name
        Jupyter kernel to execute with.
    timeout
        Seconds any one cell may run.
    on_start
        Called once the inputs are checked, just before the kernel starts.

    Returns
    -------
    pathlib.Path
        The written report (absolute).

    Raises
    ------
    asleep_nb.report.errors.ReportInputError
        Bad input (manifest, naming its file line; zone; archive; template;
        option); nothing is written.
    asleep_nb.report.errors.ReportError
        Data that cannot be had (an unreachable server, a missing session
        without ``allow_missing``) or any other ``AsleepError`` raised by the
        notebook; nothing is written.
    nbclient.exceptions.CellExecutionError
        A bug: a cell raised something else.
    """
    params = ReportParameters.from_values(
        manifest=_path(manifest),
        timezone=timezone,
        archive=_path(archive),
        allow_missing=allow_missing,
        align=align,
        metrics=metrics,
        title=title,
        base_url=base_url,
        exclude_flagged=exclude_flagged,
        no_signal_threshold=no_signal_threshold,
        no_signal_run=no_signal_run,
    )
    nb = preflight(params, TEMPLATE if template is None else template)
    inject_parameters(nb, params.values())
    if on_start is not None:
        on_start()
    execute(nb, kernel_name=kernel_name, timeout=timeout, cwd=os.getcwd())
    return write_html(nb, out, params.title)


def write_html(nb: Any, out: str | os.PathLike[str], title: str) -> Path:
    """Strip the executed notebook's volatile metadata and write it as one self-contained HTML page.

    Returns
    -------
    pathlib.Path
        The written file (absolute).

    Examples
    --------
    >>> import nbformat, tempfile, pathlib
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hello")])
    >>> write_html(nb, pathlib.Path(tempfile.mkdtemp()) / "r.html", "T").read_text().count("Hello") > 0
    True
    """
    strip_volatile(nb)
    body, _ = _exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    out_path = Path(out).resolve()
    out_path.write_text(body, encoding="utf-8")
    return out_path


def _path(path: str | os.PathLike[str] | None) -> str | None:
    """A path as given (the kernel runs in this working folder, so relative paths hold there too)."""
    return None if path is None else os.fspath(path)


# JupyterLab's HTML page without the scripts it loads from a CDN (require.js, MathJax, Mermaid):
# a report has neither widgets nor math, and must open offline.
_PAGE_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


def _exporter() -> Any:
    """An HTML exporter without code, prompts or network scripts."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name="lab",
        template_file="asleep_nb_report.html.j2",
        extra_loaders=[DictLoader({"asleep_nb_report.html.j2": _PAGE_TEMPLATE})],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def inject_parameters(nb: Any, params: Mapping[str, Any]) -> None:
    """Insert a cell assigning ``params`` after the cell tagged ``parameters``.

    Raises
    ------
    ValueError
        No cell is tagged ``parameters``.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})])
    >>> inject_parameters(nb, {"x": 2}); nb.cells[1].source
    'x = 2'
    """
    import nbformat

    source = "\n".join(f"{k} = {v!r}" for k, v in params.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    for i, existing in enumerate(nb.cells):
        if PARAMETERS_TAG in existing.get("metadata", {}).get("tags", []):
            nb.cells.insert(i + 1, cell)
            return
    raise ValueError(f"the report template has no cell tagged {PARAMETERS_TAG!r}")


def strip_volatile(nb: Any) -> None:
    """Drop per-run metadata (timestamps, ids) so reports are reproducible.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    >>> nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2025-01-01T00:00:00Z"}
    >>> strip_volatile(nb); nb.cells[0].id, "execution" in nb.cells[0].metadata
    ('cell-0', False)
    """
    nb.metadata.pop("widgets", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        cell.get("metadata", {}).pop("execution", None)
        for output in cell.get("outputs", []):
            output.get("metadata", {}).pop("execution", None)
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                output["text"] = sanitised_stderr(output.get("text", ""))


#: ``/any/folder/file.py:12: SomeWarning: message``: how :mod:`warnings` prints a warning.
_WARNING_LINE = re.compile(r"^\S.*?:\d+: (?P<what>[A-Za-z_][\w.]*: .*)$")
#: An absolute POSIX path, or a Windows one (``C:\...``).
_ABSOLUTE_PATH = re.compile(
    r"(?<![\w.~-])(?:/|[A-Za-z]:\\)(?:[^\s'\"():,;\\/]+[/\\])+(?P<name>[^\s'\"():,;\\/]*)"
)


def sanitised_stderr(text: str) -> str:
    r"""What a kernel printed on stderr, as a report may show it: no path of this machine.

    A warning keeps its category and message, without the file, line and
    source line :mod:`warnings` prints before it; any other absolute path is
    cut to its last part. So the same inputs still give a byte-identical
    report wherever the files and the Python installation lie.

    Examples
    --------
    >>> print(sanitised_stderr(
    ...     "/home/me/study/run.py:12: UserWarning: cannot read /home/me/study/a.csv\n"
    ...     "  warnings.warn(message)\n"
    ... ))
    UserWarning: cannot read a.csv
    <BLANKLINE>
    """
    lines: list[str] = []
    after_warning = False
    for line in text.splitlines(keepends=True):
        match = _WARNING_LINE.match(line.rstrip("\n"))
        if match:
            lines.append(match["what"] + "\n")
            after_warning = True
            continue
        if after_warning and line.startswith("  "):  # the source line of the warning
            continue
        after_warning = False
        lines.append(line)
    return _ABSOLUTE_PATH.sub(lambda m: m["name"], "".join(lines))
