"""``asleep-nb validate``: Asleep sessions against a reference scoring (PSG), as one HTML report.

Every expected failure (a bad study or reference manifest, a scoring file
that cannot be read, a session without reference, a session that cannot be
had, a server out of reach) ends in one or two lines on stderr and a
non-zero exit status: 2 for bad input, 1 for data that cannot be had. Only
a bug shows a traceback.
"""

from __future__ import annotations

import argparse

from asleep_nb.cli.notebook_report import add_shared, run_notebook

__all__ = ["configure", "run"]

_EPILOG = """\
exit status: 0 written; 1 data could not be had (a missing session, an unreachable server);
2 bad input (a manifest, a reference file, a session without reference, an option).
Without --manifest and --reference the report runs on the demo validation study (data/demo:
validation.csv and reference/manifest.csv). The API key is read from ASLEEP_API_KEY."""


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``asleep-nb validate`` to ``parser``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument(
        "--manifest",
        default=None,
        help="study CSV of the device sessions (user_id, group, session_id[, timezone]); "
        "default: the demo's validation.csv",
    )
    parser.add_argument(
        "--reference",
        metavar="REFERENCE_MANIFEST",
        default=None,
        help="reference manifest CSV (session_id, user_id, file[, format, start_time]): the PSG scoring "
        "of each session, as CSV/TSV, EDF+ (needs asleep-nb[edf]) or NSRR XML; default: the demo's",
    )
    parser.add_argument(
        "--out", default="validation.html", help="HTML file to write (default validation.html)"
    )
    add_shared(parser, "--archive", "--timezone", "--allow-missing")
    parser.add_argument(
        "--metrics",
        default=None,
        help="comma-separated stat fields compared night by night (default: time_in_sleep, "
        "sleep_efficiency, sleep_latency, time_in_wake, time_in_light, time_in_deep, time_in_rem)",
    )
    add_shared(parser, "--title", "--base-url")


def run(args: argparse.Namespace) -> int:
    """Run ``asleep-nb validate``; return the exit status."""
    from asleep_nb.report.validation import build_validation_report

    return run_notebook(args, "validate", "validation", build_validation_report, reference=args.reference)
