"""``asleep-nb status``: adherence of a study run day by day, from its archive (no network).

One row per participant of the manifest (:func:`asleep_nb.stats.adherence`),
the participants who need contact first::

    $ asleep-nb status --manifest daily.csv --archive study-archive --today 2025-03-31

``--format csv`` writes one row per manifest participant with the columns
of :data:`asleep_nb.stats.adherence_table.ADHERENCE_COLUMNS` (``needs_contact``
as ``true``/``false``, empty cells for no value); ``--format json`` a list of
objects (``null`` for no value). Exit status 0, or 2 with one line on stderr
for a bad manifest (its file line named), a missing archive or a bad option.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from asleep_nb.cli.fetch import EXIT_OK, EXIT_USAGE
from asleep_nb.cli.serve import iso_date
from asleep_nb.errors import AsleepError, ValidationError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["configure", "run", "render"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``asleep-nb status`` to ``parser``.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); configure(p)
    >>> p.parse_args(["--manifest", "m.csv", "--archive", "a", "--format", "csv"]).format
    'csv'
    """
    parser.epilog = "exit status: 0 printed; 2 bad input (the manifest, a missing archive, an option)."
    parser.add_argument(
        "--manifest", required=True, help="participants CSV: user_id, group, timezone[, date_gte, date_lte]"
    )
    parser.add_argument("--archive", required=True, help="the study's archive (filled by asleep-nb sync)")
    parser.add_argument(
        "--today",
        type=iso_date,
        default=None,
        help="the morning to report on, YYYY-MM-DD (default: today, locally)",
    )
    parser.add_argument("--window", type=int, default=7, help="nights counted, up to last night (default 7)")
    parser.add_argument(
        "--format", choices=("table", "csv", "json"), default="table", help="output (default table)"
    )


def render(table: pd.DataFrame, fmt: str) -> str:
    """The adherence table as text: flagged participants first, in ``fmt`` (``table``, ``csv``, ``json``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"user_id": ["G-1", "G-2"], "last_night": [None, None],
    ...                   "needs_contact": [False, True], "reason": ["", "no night recorded yet"]})
    >>> print(render(t, "csv"), end="")
    user_id,last_night,needs_contact,reason
    G-2,,true,no night recorded yet
    G-1,,false,
    """
    import json

    import pandas as pd

    ordered = table.sort_values("needs_contact", ascending=False, kind="stable").reset_index(drop=True)
    records = [{k: _plain(v) for k, v in row.items()} for row in ordered.to_dict(orient="records")]
    if fmt == "json":
        return json.dumps(records, indent=1, allow_nan=False) + "\n"
    out = pd.DataFrame(records, columns=ordered.columns, dtype=object)
    if fmt == "csv":
        out["needs_contact"] = ["true" if v else "false" for v in out["needs_contact"]]
        text: str = out.to_csv(index=False, lineterminator="\n")
        return text
    return _people_table(out)


def _people_table(out: pd.DataFrame) -> str:
    """The columns a coordinator reads first, as an aligned text table."""
    shown = {
        "user_id": out["user_id"],
        "enrolment": out.get("enrolment", ""),
        "recorded": [f"{r}/{n}" for r, n in zip(out["nights_recorded"], out["nights_in_window"], strict=True)]
        if "nights_in_window" in out
        else out.get("nights_recorded", ""),
        "valid": out.get("nights_valid", ""),
        "last night": out["last_night"].fillna("-"),
        "missed": out.get("missed_in_a_row", ""),
        "processing": out.get("processing", ""),
        "contact": ["YES" if v else "" for v in out["needs_contact"]],
        "reason": out["reason"],
    }
    columns = {name: [str(v) for v in values] for name, values in shown.items()}
    widths = {name: max(len(name), *map(len, cells)) for name, cells in columns.items()}
    lines = ["  ".join(name.ljust(widths[name]) for name in columns).rstrip()]
    for i in range(len(out)):
        lines.append("  ".join(cells[i].ljust(widths[name]) for name, cells in columns.items()).rstrip())
    return "\n".join(lines) + "\n"


def _plain(value: object) -> object:
    """A table cell as a plain JSON value: ``None`` for no value, ISO text for a date."""
    import math
    from datetime import date

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def run(args: argparse.Namespace) -> int:
    """Run ``asleep-nb status``; print the table; return the exit status."""
    from asleep_nb.data.manifest_file import read_manifest_file
    from asleep_nb.errors import ManifestError
    from asleep_nb.loading.archive import open_archive
    from asleep_nb.stats.adherence_table import adherence

    try:
        manifest = read_manifest_file(args.manifest)
        archive = open_archive(args.archive)
        try:
            table = adherence(archive, manifest.rows, today=args.today, window=args.window)
        except ManifestError as exc:
            raise manifest.located(exc) from None
    except (ValidationError, ValueError, FileNotFoundError, AsleepError) as exc:
        print(f"asleep-nb status: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(render(table, args.format))
    sys.stdout.flush()
    return EXIT_OK
