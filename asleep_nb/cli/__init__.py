"""The ``asleep-nb`` command.

Each subcommand is a :class:`Subcommand` in :data:`SUBCOMMANDS`: a help line, a
function that adds its options to an ``argparse`` parser, and a function that
runs it and returns the exit status. Heavy imports happen inside ``run``, so
``asleep-nb --help`` stays fast.

Exit statuses, the same for every subcommand: 0 done; 1 data that could not
be had (``fetch``: some sessions failed, each listed; ``report``: a missing
session, a server out of reach); 2 bad input or setup, an invalid id in a
manifest included (one line on stderr);
3 the archive cannot be written, disk full or no permission (one line, by
``fetch``, :data:`asleep_nb.cli.fetch.EXIT_STORAGE`); 130 interrupted.

Examples
--------
.. code-block:: console

    $ asleep-nb serve --port 8000
    $ python -m asleep_nb.cli serve --data-dir data/demo --port 0
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from asleep_nb.cli import fetch, report, serve, status, sync, validate

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


#: The subcommands, by name. Add one by defining its ``configure`` and ``run`` and an entry here.
SUBCOMMANDS: dict[str, Subcommand] = {
    "serve": Subcommand("serve a local stand-in of the Asleep API", serve.configure, serve.run),
    "report": Subcommand(
        "write a reproducible HTML report of a cohort (default: the demo)", report.configure, report.run
    ),
    "fetch": Subcommand("fill a local archive with a manifest's sessions", fetch.configure, fetch.run),
    "sync": Subcommand(
        "bring a study's archive up to date: new nights, sessions still processing", sync.configure, sync.run
    ),
    "status": Subcommand(
        "adherence: who recorded last night, who needs contact (from an archive)",
        status.configure,
        status.run,
    ),
    "validate": Subcommand(
        "compare sessions with a reference scoring (PSG) in an HTML report (default: the demo study)",
        validate.configure,
        validate.run,
    ),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``asleep-nb`` argument parser with every registered subcommand.

    Examples
    --------
    >>> build_parser().parse_args(["serve", "--port", "0"]).port
    0
    """
    from asleep_nb.version import __version__

    parser = argparse.ArgumentParser(
        prog="asleep-nb",
        description="Study nights recorded with the Asleep sleep-tracking API.",
        epilog="exit status: 0 done; 1 data could not be had; 2 bad input (manifest, option, ...); "
        "3 archive not writable (fetch); 130 interrupted. See each COMMAND --help.",
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
    >>> main(["serve", "--data-dir", "/no/such/folder", "--port", "0"])
    2
    """
    args = build_parser().parse_args(argv)
    return int(args._run(args))
