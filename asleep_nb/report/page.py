"""How the report notebook puts things on its page: headings, paragraphs, tables, folded blocks.

Every helper displays escaped HTML without attributes other than classes (and
an image's ``src`` and ``alt``), so the page stays a plain, reproducible
document (no ids, no scripts, no styles but :data:`PAGE_STYLE`).

Examples
--------
>>> import pandas as pd
>>> html = table_html(pd.DataFrame({"n": [1, None]}, index=pd.Index(["a & b", "c"], name="group")))
>>> "<th>a &amp; b</th>" in html, "<td>—</td>" in html
(True, True)
"""

from __future__ import annotations

import base64
import io
from html import escape
from typing import TYPE_CHECKING

import pandas as pd

from asleep_nb.definitions.display import column_heading

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "PAGE_STYLE",
    "captioned",
    "figure_html",
    "heading",
    "say",
    "show",
    "show_figure",
    "show_section",
    "show_table",
    "table_html",
]

#: The page's own style: tables of text (reasons, provenance) read left-aligned; a table with a
#: header of two rows (Table 1) centres each group over its columns and keeps its cells and column
#: labels on one line (row labels wrap); a table of estimates with intervals keeps each cell on one line;
#: folded blocks of source (LaTeX) scroll instead of widening the page; the tables of a section
#: (the codebook appendix, whose elements carry no attribute) read left-aligned.
PAGE_STYLE = (
    ".jp-RenderedHTMLCommon table.report-text :is(td, thead th) { text-align: left; }\n"
    ".jp-RenderedHTMLCommon table.report-grouped thead tr:first-child th[colspan] "
    "{ text-align: center; border-bottom: 1px solid #BDBDBD; }\n"
    ".jp-RenderedHTMLCommon table.report-grouped :is(td, thead th) { white-space: nowrap; }\n"
    ".jp-RenderedHTMLCommon table.report-grouped tbody th { min-width: 12em; }\n"
    ".jp-RenderedHTMLCommon table.report-grouped :is(td, th) { padding: 0.5em 0.35em; }\n"
    ".jp-RenderedHTMLCommon table.report-nowrap td { white-space: nowrap; }\n"
    ".jp-RenderedHTMLCommon details pre { max-height: 24em; overflow: auto; }\n"
    ".jp-RenderedHTMLCommon.jp-OutputArea-output section :is(td, th) "
    "{ text-align: left; vertical-align: top; }"
)


def heading(title: str) -> None:
    """Display the page's style and its first heading (``title``, escaped)."""
    show(f"<style>{PAGE_STYLE}</style><h1>{escape(title)}</h1>")


def table_html(
    frame: pd.DataFrame, *, text: bool = False, grouped: bool = False, nowrap: bool = False
) -> str:
    """A DataFrame as a plain HTML table: cells escaped, missing values as an em dash.

    Column and index names are headed in words
    (:func:`asleep_nb.definitions.display.column_heading`: ``user_id`` is
    "user"), and a named index heads its column in the one header row
    instead of a second row. With ``text`` its cells are left-aligned (tables
    of words); with ``grouped`` (a header of two rows) each top-level label
    is centred over its columns and cells do not wrap; with ``nowrap`` cells
    do not wrap (an estimate and its interval read on one line) but headers may.

    Examples
    --------
    >>> html = table_html(pd.DataFrame({"user_id": ["G-1"]}, index=pd.Index(["s1"], name="session_id")))
    >>> html.count("<tr"), "<th>session</th>" in html, "<th>user</th>" in html
    (2, True, True)
    """
    classes = ["report-table"] + (["report-text"] if text else []) + (["report-grouped"] if grouped else [])
    classes += ["report-nowrap"] if nowrap else []
    if not isinstance(frame.columns, pd.MultiIndex):
        frame = frame.rename(columns=lambda c: column_heading(c) if isinstance(c, str) else c)
    name = frame.index.name
    if frame.index.nlevels > 1 or name is None or isinstance(frame.columns, pd.MultiIndex):
        return frame.to_html(border=0, na_rep="—", escape=True, classes=" ".join(classes))
    html = frame.rename_axis(None).to_html(border=0, na_rep="—", escape=True, classes=" ".join(classes))
    return html.replace("<th></th>", f"<th>{escape(column_heading(str(name)))}</th>", 1)


def captioned(html: str, caption: str | None, *, collapsed: bool = False) -> str:
    """``html`` under a bold caption (escaped), or folded in a closed ``<details>`` titled by it.

    Examples
    --------
    >>> captioned("<table></table>", "A & B")
    '<p><b>A &amp; B</b></p><table></table>'
    >>> captioned("<pre>x</pre>", "Source", collapsed=True)
    '<details><summary><b>Source</b></summary><pre>x</pre></details>'
    """
    if collapsed:
        return f"<details><summary><b>{escape(caption or '')}</b></summary>{html}</details>"
    return f"<p><b>{escape(caption)}</b></p>{html}" if caption else html


def show(html: str) -> None:
    """Display ``html`` (already escaped) as it is."""
    from IPython.display import HTML, display

    display(HTML(html))


def show_table(
    frame: pd.DataFrame,
    caption: str | None = None,
    *,
    collapsed: bool = False,
    text: bool = False,
    grouped: bool = False,
    nowrap: bool = False,
) -> None:
    """Display a DataFrame as a plain HTML table, with an optional bold caption.

    With ``collapsed`` the table sits in a closed ``<details>`` element whose
    summary is the caption (long lists: the reader opens them); ``text``,
    ``grouped`` and ``nowrap`` as for :func:`table_html`.
    """
    html = table_html(frame, text=text, grouped=grouped, nowrap=nowrap)
    show(captioned(html, caption, collapsed=collapsed))


def show_section(body_html: str) -> None:
    """Display ``body_html`` (already escaped, e.g. the codebook) as a ``<section>`` of the page.

    The section element has no attribute either; :data:`PAGE_STYLE` aligns its tables' text left.
    """
    show(f"<section>{body_html}</section>")


def say(text: str) -> None:
    """Display one paragraph of (already escaped) HTML."""
    show(f"<p>{text}</p>")


def figure_html(fig: Figure, alt: str) -> str:
    """A figure as an embedded PNG ``<img>`` with its text alternative (``alt``, escaped).

    The PNG is drawn at 96 dpi, cropped to what is drawn, without a creation
    time, so the same figure gives the same bytes.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(1, 1))
    >>> html = figure_html(fig, "An empty plot & its axes")
    >>> html.startswith('<img src="data:image/png;base64,')
    True
    >>> html.endswith('alt="An empty plot &amp; its axes">')
    True
    >>> plt.close(fig)
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt, quote=True)}">'


def show_figure(fig: Figure, alt: str) -> None:
    """Display a figure with its text alternative (:func:`figure_html`) and close it.

    Every figure of the report is shown this way, so each image says what it shows to a reader
    who cannot see it.
    """
    import matplotlib.pyplot as plt

    show(f"<p>{figure_html(fig, alt)}</p>")
    plt.close(fig)
