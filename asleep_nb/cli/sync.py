"""``asleep-nb sync``: bring a study's archive up to date, once a day (e.g. from cron).

Lists each participant's sessions from the last one archived (minus an
overlap for late uploads), fetches what is new, re-polls what is still
``OPEN`` or ``CLOSED``, and prints one line::

    sync: new 8, completed 1, still processing 2, failed 0 (8 participants)

then one line per failure, naming its manifest line. The exit statuses are
``asleep-nb fetch``'s (:mod:`asleep_nb.cli.fetch`): 0 all synced, 1 some
participants or sessions could not be had, 2 bad input or setup (a row
with an invalid id or zone included), 3 the archive cannot be written, 130
interrupted.
"""

from __future__ import annotations

import argparse

from asleep_nb.cli.fetch import FAILURES, add_api_options, failure_status, finish
from asleep_nb.cli.serve import iso_date

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``asleep-nb sync`` to ``parser``.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); configure(p)
    >>> p.parse_args(["--manifest", "m.csv", "--archive", "a", "--today", "2025-03-31"]).today
    datetime.date(2025, 3, 31)
    """
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = (
        "exit status: 0 all synced; 1 some participants or sessions could not be had (each listed with\n"
        "its manifest line); 2 bad input (the manifest, a row's id or zone, an option, the key);\n"
        "3 the archive cannot be written; 130 interrupted."
    )
    parser.add_argument(
        "--manifest", required=True, help="participants CSV: user_id, group, timezone[, date_gte, date_lte]"
    )
    parser.add_argument(
        "--archive", required=True, help="archive folder to bring up to date (created if missing)"
    )
    parser.add_argument(
        "--today",
        type=iso_date,
        default=None,
        help="the study day, YYYY-MM-DD: list nothing starting after it",
    )
    parser.add_argument(
        "--overlap-days",
        type=int,
        default=1,
        help="days before the last session to list again (late uploads; 1)",
    )
    parser.add_argument("--workers", type=int, default=4, help="concurrent requests (default 4)")
    add_api_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``asleep-nb sync``; print the summary; return the exit status (see the module docs)."""
    from datetime import timedelta

    from asleep_nb.connection import connect
    from asleep_nb.data.manifest_file import read_manifest_file
    from asleep_nb.errors import ManifestError
    from asleep_nb.loading.incremental import participants, sync

    try:
        if args.overlap_days < 0:
            raise ValueError(f"--overlap-days must be 0 or more, got {args.overlap_days}")
        manifest = read_manifest_file(args.manifest)
        try:
            participants(manifest.rows)
        except ManifestError as exc:
            raise manifest.located(exc) from None
        with connect(base_url=args.base_url, verbose=True) as client:
            result = sync(
                client,
                manifest.rows,
                args.archive,
                today=args.today,
                overlap=timedelta(days=args.overlap_days),
                workers=args.workers,
                progress=not args.no_progress,
            )
    except FAILURES as exc:
        return failure_status("sync", exc)
    return finish(result, manifest)  # a row with an invalid id or zone is bad input, as in asleep-nb fetch
