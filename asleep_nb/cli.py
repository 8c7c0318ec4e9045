"""The ``asleep-nb`` command.

Each subcommand is a :class:`Subcommand` in :data:`SUBCOMMANDS`: a help line, a
function that adds its options to an ``argparse`` parser, and a function that
runs it and returns the exit status. Heavy imports happen inside ``run``, so
``asleep-nb --help`` stays fast.

Examples
--------
.. code-block:: console

    $ asleep-nb serve --port 8000
    $ python -m asleep_nb.cli serve --data-dir data/demo --port 0
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import FrameType

__all__ = ["Subcommand", "SUBCOMMANDS", "build_parser", "main"]


@dataclass(frozen=True)
class Subcommand:
    """One ``asleep-nb`` subcommand.

    Parameters
    ----------
    help
        One line shown by ``asleep-nb --help``.
    configure
        Adds the subcommand's arguments to its parser.
    run
        Runs it with the parsed arguments; returns the exit status.
    """

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


# -- serve ---------------------------------------------------------------------------------------
def _configure_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        default=None,
        help="stand-in data folder to serve (default: the demo cohort, or $ASLEEP_NB_DEMO_DIR)",
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 (default 8000; 0 picks a free one)"
    )
    parser.add_argument(
        "--api-key",
        default=None,
        help="key clients must send in x-api-key (default: $ASLEEP_NB_STANDIN_KEY, else random and printed)",
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds to wait before each response (default 0)"
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _run_serve(args: argparse.Namespace) -> int:
    from .standin import serve

    key = args.api_key or os.environ.get("ASLEEP_NB_STANDIN_KEY") or None
    key_source = "--api-key" if args.api_key else "ASLEEP_NB_STANDIN_KEY" if key else None
    try:
        server = serve(args.data_dir, port=args.port, api_key=key, latency=args.latency)
    except (FileNotFoundError, OSError, ValueError) as exc:
        print(f"asleep-nb serve: {exc}", file=sys.stderr)
        return 2
    store = server.store
    print(
        f"asleep-nb stand-in API: {len(store.users)} users, {len(store.sessions)} sessions "
        f"from {server.data_dir}",
        flush=True,
    )
    print(f"Serving at {server.url}  (Ctrl-C to stop)", flush=True)
    if key_source is None:
        print(
            f"API key: {server.api_key}  (a random key for this local stand-in only, not an Asleep key)",
            flush=True,
        )
        shown_key = server.api_key
    else:
        print(f"API key: the value of {key_source}", flush=True)
        shown_key = "$ASLEEP_NB_STANDIN_KEY" if key_source == "ASLEEP_NB_STANDIN_KEY" else "<your key>"
    if store.sessions:
        example = store.sessions.get("20250115025029_fvivn") or next(iter(store.sessions.values()))
        print(
            "Try:\n"
            f'  curl -s -H "x-api-key: {shown_key}" -H "x-user-id: {example.user_id}" '
            f'-H "timezone: UTC" {server.url}/data/v3/sessions/{example.id}',
            flush=True,
        )
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        while not server.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("\nasleep-nb stand-in API stopped", flush=True)
    finally:
        server.close()
        signal.signal(signal.SIGTERM, previous)
    return 0


# -- report --------------------------------------------------------------------------------------
def _configure_report(parser: argparse.ArgumentParser) -> None:
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


def _run_report(args: argparse.Namespace) -> int:
    from .errors import InvalidTimezone
    from .report import build_report

    print("asleep-nb report: running the report notebook ...", file=sys.stderr, flush=True)
    try:
        out = build_report(args.out, manifest=args.manifest, timezone=args.timezone)
    except (InvalidTimezone, FileNotFoundError) as exc:
        print(f"asleep-nb report: {exc}", file=sys.stderr)
        return 2
    print(f"asleep-nb report: wrote {out}", flush=True)
    return 0


# -- fetch (options and run live in asleep_nb.fetch) ---------------------------------------------
def _configure_fetch(parser: argparse.ArgumentParser) -> None:
    from .fetch import add_fetch_arguments

    add_fetch_arguments(parser)


def _run_fetch(args: argparse.Namespace) -> int:
    from .fetch import fetch_command

    return fetch_command(args)


#: The subcommands, by name. Add one by defining its ``configure`` and ``run`` and an entry here.
SUBCOMMANDS: dict[str, Subcommand] = {
    "serve": Subcommand("serve a local stand-in of the Asleep API", _configure_serve, _run_serve),
    "report": Subcommand(
        "write a reproducible HTML report of a cohort (default: the demo)", _configure_report, _run_report
    ),
    "fetch": Subcommand("fill a local archive with a manifest's sessions", _configure_fetch, _run_fetch),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``asleep-nb`` argument parser with every registered subcommand.

    Examples
    --------
    >>> build_parser().parse_args(["serve", "--port", "0"]).port
    0
    """
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="asleep-nb", description="Study nights recorded with the Asleep sleep-tracking API."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, sub in SUBCOMMANDS.items():
        sub_parser = subparsers.add_parser(name, help=sub.help, description=sub.help)
        sub.configure(sub_parser)
        sub_parser.set_defaults(_run=sub.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``asleep-nb`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status.

    Examples
    --------
    >>> main(["serve", "--data-dir", "/no/such/folder", "--port", "0"])  # doctest: +SKIP
    2
    """
    args = build_parser().parse_args(argv)
    return int(args._run(args))


if __name__ == "__main__":
    sys.exit(main())
