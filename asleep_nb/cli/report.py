"""``asleep-nb report``: a reproducible HTML report of a cohort."""

from __future__ import annotations

import argparse
import sys

__all__ = ["configure", "run"]


# -- report --------------------------------------------------------------------------------------
def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``asleep-nb report`` to ``parser``."""
    parser.add_argument(
        "--manifest",
        default=None,
        help="cohort CSV (user_id, group[, session_id, date_gte, date_lte, timezone]); "
        "default: the demo cohort, healthy vs apnea",
    )
    parser.add_argument(
        "--timezone", default=None, help="IANA zone for every session (default: each row's own zone)"
    )
    parser.add_argument("--out", default="report.html", help="HTML file to write (default report.html)")


def run(args: argparse.Namespace) -> int:
    """Run ``asleep-nb report``; return the exit status."""
    from asleep_nb.errors import InvalidTimezone
    from asleep_nb.report import build_report

    print("asleep-nb report: running the report notebook ...", file=sys.stderr, flush=True)
    try:
        out = build_report(args.out, manifest=args.manifest, timezone=args.timezone)
    except (InvalidTimezone, FileNotFoundError) as exc:
        print(f"asleep-nb report: {exc}", file=sys.stderr)
        return 2
    print(f"asleep-nb report: wrote {out}", flush=True)
    return 0
