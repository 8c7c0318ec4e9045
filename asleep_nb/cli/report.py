"""``asleep-nb report``: a reproducible HTML report of a cohort.

Every expected failure (a bad manifest, zone, archive, template or option; a
session that cannot be had; a server out of reach) ends in one or two lines
on stderr naming the problem, and a non-zero exit status: 2 for bad input,
1 for data that cannot be had. Only a bug shows a traceback.
"""

from __future__ import annotations

import argparse
import sys

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
    parser.add_argument(
        "--timezone", default=None, help="IANA zone for every session (default: each row's own zone)"
    )
    parser.add_argument("--out", default="report.html", help="HTML file to write (default report.html)")
    parser.add_argument(
        "--archive",
        metavar="DIR",
        default=None,
        help="read the sessions from this archive (asleep-nb fetch --archive DIR); no network is used",
    )
    parser.add_argument(
        "--allow-missing",
        action="store_true",
        help="continue without sessions that cannot be had; the report lists each with the reason",
    )
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
    parser.add_argument("--title", default=None, help="page title and first heading")
    parser.add_argument(
        "--base-url", default=None, help="the API's base URL (default $ASLEEP_BASE_URL, then the real API)"
    )
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
    from asleep_nb.report import ReportError, build_report

    def started() -> None:
        print("asleep-nb report: running the report notebook ...", file=sys.stderr, flush=True)

    try:
        out = build_report(
            args.out,
            manifest=args.manifest,
            timezone=args.timezone,
            archive=args.archive,
            allow_missing=args.allow_missing,
            align=args.align,
            metrics=args.metrics,
            title=args.title,
            base_url=args.base_url,
            template=args.template,
            exclude_flagged=args.exclude_flagged,
            no_signal_threshold=args.no_signal_threshold,
            no_signal_run=args.no_signal_run,
            on_start=started,
        )
    except ReportError as exc:
        print(f"asleep-nb report: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"asleep-nb report: wrote {out}", flush=True)
    return 0
