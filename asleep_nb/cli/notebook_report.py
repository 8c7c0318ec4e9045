"""What ``asleep-nb report`` and ``asleep-nb validate`` share: their common options and their run.

Both execute a notebook into one HTML page from the same kind of input (a
manifest's sessions, from the API or an archive); an option they share means
the same in both, so it is written once here. Heavy imports happen inside
:func:`run_notebook`, so ``asleep-nb --help`` stays fast.

Examples
--------
>>> p = argparse.ArgumentParser()
>>> add_shared(p, "--archive", "--allow-missing")
>>> p.parse_args(["--archive", "a", "--allow-missing"])
Namespace(archive='a', allow_missing=True)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["SHARED_OPTIONS", "add_shared", "run_notebook"]

#: The options of both commands, by flag: ``add_argument`` keywords.
SHARED_OPTIONS: dict[str, dict[str, Any]] = {
    "--timezone": {
        "default": None,
        "help": "IANA zone for every session (default: each row's own zone)",
    },
    "--archive": {
        "metavar": "DIR",
        "default": None,
        "help": "read the sessions from this archive (asleep-nb fetch --archive DIR); no network is used",
    },
    "--allow-missing": {
        "action": "store_true",
        "help": "continue without sessions that cannot be had; the report lists each with the reason",
    },
    "--title": {"default": None, "help": "page title and first heading"},
    "--base-url": {
        "default": None,
        "help": "the API's base URL (default $ASLEEP_BASE_URL, then the real API)",
    },
}


def add_shared(parser: argparse.ArgumentParser, *flags: str) -> None:
    """Add the shared options named by ``flags`` to ``parser``, in that order (the order ``--help`` shows).

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_shared(p, "--timezone", "--title")
    >>> p.parse_args(["--title", "T"]).title
    'T'
    """
    for flag in flags:
        parser.add_argument(flag, **SHARED_OPTIONS[flag])


def run_notebook(
    args: argparse.Namespace, command: str, notebook: str, build: Callable[..., object], **options: Any
) -> int:
    """Run ``build`` with the shared options of ``args`` and ``options``; return the exit status.

    ``build`` is :func:`asleep_nb.report.build_report` or
    :func:`asleep_nb.report.validation.build_validation_report`. Progress and
    the written path go to the terminal as ``asleep-nb COMMAND: ...``; a
    :class:`~asleep_nb.report.ReportError` ends in one line on stderr and its
    exit code.

    Examples
    --------
    >>> def build(out, **options):
    ...     options["on_start"]()
    ...     return out
    >>> args = argparse.Namespace(out="x.html", manifest=None, timezone=None, archive=None,
    ...                           allow_missing=False, metrics=None, title=None, base_url=None)
    >>> run_notebook(args, "report", "report", build)
    asleep-nb report: wrote x.html
    0
    """
    from asleep_nb.report import ReportError

    def started() -> None:
        print(f"asleep-nb {command}: running the {notebook} notebook ...", file=sys.stderr, flush=True)

    try:
        out = build(
            args.out,
            manifest=args.manifest,
            timezone=args.timezone,
            archive=args.archive,
            allow_missing=args.allow_missing,
            metrics=args.metrics,
            title=args.title,
            base_url=args.base_url,
            on_start=started,
            **options,
        )
    except ReportError as exc:
        print(f"asleep-nb {command}: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"asleep-nb {command}: wrote {out}", flush=True)
    return 0
