"""``asleep-nb report``: a reproducible HTML report of a cohort.

Every expected failure (a bad manifest, zone, archive, template or option; a
session that cannot be had; a server out of reach) ends in one or two lines
on stderr naming the problem, and a non-zero exit status: 2 for bad input,
1 for data that cannot be had. Only a bug shows a traceback.
"""

from __future__ import annotations

import argparse

from asleep_nb.cli.notebook_report import add_shared, run_notebook

__all__ = ["configure", "run"]

_EPILOG = """\
exit status: 0 written; 1 data could not be had (a missing session, an unreachable server);
2 bad input (manifest, time zone, archive, template, option).
The API key is read from ASLEEP_API_KEY; without it (and without --base-url or --archive) the
report runs on the built-in demo."""


# -- report --------------------------------------------------------------------------------------
def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``asleep-nb report`` to ``parser``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument(
        "--manifest",
        default=None,
        help="cohort CSV (user_id, group[, session_id, date_gte, date_lte, timezone]); "
        "default: the demo cohort, healthy vs apnea (with --archive: every archived session)",
    )
    add_shared(parser, "--timezone")
    parser.add_argument("--out", default="report.html", help="HTML file to write (default report.html)")
    add_shared(parser, "--archive", "--allow-missing")
    parser.add_argument(
        "--align",
        default=None,
        help="cohort alignment: onset (default: sleep onset by the research rule, the first epoch "
        "scored as sleep), start or clock",
    )
    parser.add_argument(
        "--metrics",
        default=None,
        help="comma-separated stat fields to compare (default: time_in_sleep, sleep_efficiency, "
        "sleep_latency, waso_count, deep_ratio, rem_ratio); with sleep_latency, the research rule's "
        "latency is compared next to it wherever the two differ",
    )
    add_shared(parser, "--title", "--base-url")
    parser.add_argument(
        "--template",
        metavar="NOTEBOOK",
        default=None,
        help="execute this notebook instead of the shipped one (it needs a cell tagged 'parameters')",
    )
    parser.add_argument(
        "--exclude-flagged",
        action="store_true",
        help="leave nights flagged for no signal out of the group comparison (the report says how many)",
    )
    parser.add_argument(
        "--no-signal-threshold",
        metavar="SHARE",
        default=None,
        help="flag nights whose share of no-signal epochs exceeds SHARE, in [0, 1] (default 0.2)",
    )
    parser.add_argument(
        "--no-signal-run",
        metavar="MINUTES",
        default=None,
        help="count nights opening or ending with a no-signal run longer than MINUTES (default 30)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``asleep-nb report``; return the exit status."""
    from asleep_nb.report import build_report

    return run_notebook(
        args,
        "report",
        "report",
        build_report,
        align=args.align,
        template=args.template,
        exclude_flagged=args.exclude_flagged,
        no_signal_threshold=args.no_signal_threshold,
        no_signal_run=args.no_signal_run,
    )
