"""Text cells a spreadsheet would run as a formula, neutralised in CSV files (and restored on reading).

Excel, LibreOffice and Google Sheets evaluate a CSV cell that starts with
``=``, ``+``, ``-`` or ``@`` (and, in some versions, a tab or a carriage
return) as a formula: a group named ``=HYPERLINK(...)`` in a manifest would
run when a colleague opens ``stats.csv``. Following OWASP's advice on CSV
injection, :func:`neutralise_formulas` prefixes such **text** cells with a
single quote (``'``), which spreadsheets show as text; numbers are never
touched (``-1`` in a numeric column stays a number). A cell that already
starts with quotes followed by one of these characters gets one more quote,
so :func:`restore_formulas` gives back exactly what was written.

The CSV writers of :mod:`asleep_nb.data.export` do this by default
(``spreadsheet_safe=True``), say so in the CSVW metadata
(``asleep_nb:spreadsheetSafe``), and :func:`~asleep_nb.data.export.read_table`
undoes it; pipelines that only read the CSV with R or pandas and want the
cells verbatim pass ``spreadsheet_safe=False``.

Examples
--------
>>> import pandas as pd
>>> cells = pd.Series(["=1+1", "healthy", "-x", "'=y", "@SUM(A1)"])
>>> neutralise_formulas(cells).tolist()
["'=1+1", 'healthy', "'-x", "''=y", "'@SUM(A1)"]
>>> restore_formulas(neutralise_formulas(cells)).tolist() == cells.tolist()
True
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise_formulas", "restore_formulas"]

#: The first characters that make a spreadsheet evaluate a cell (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_RISKY = re.compile("'*[" + re.escape("".join(FORMULA_STARTS)) + "]")
_ESCAPED = re.compile("'+[" + re.escape("".join(FORMULA_STARTS)) + "]")


def neutralise_formulas(cells: pd.Series) -> pd.Series:
    """``cells`` with a ``'`` before every text cell a spreadsheet would evaluate (module docs)."""
    return cells.map(lambda v: "'" + v if isinstance(v, str) and _RISKY.match(v) else v)


def restore_formulas(cells: pd.Series) -> pd.Series:
    """Undo :func:`neutralise_formulas`: one leading ``'`` less where it added one."""
    return cells.map(lambda v: v[1:] if isinstance(v, str) and _ESCAPED.match(v) else v)
