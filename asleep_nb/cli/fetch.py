"""``asleep-nb fetch``: fill a local archive with the sessions a manifest names.

Every session that cannot be had is listed with the manifest line that asked
for it, and the run goes on; the exit status says how it ended:

====  ==================================================================
0     every selected session is in the archive
1     some sessions could not be had (not found, server out of reach, ...);
      each is listed with its manifest line
2     bad input or setup: the manifest (a malformed file, or rows with an
      invalid user id, session id or zone: listed with their lines, the
      other rows still fetched), an option, the key, the base URL
3     the archive cannot be written: disk full, no permission, read-only
130   interrupted (Ctrl-C); what was archived stays
====  ==================================================================

Statuses 2 and 3 end with one line on stderr saying why, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from asleep_nb.errors import ArchiveUnwritable, AsleepError, ValidationError

if TYPE_CHECKING:
    from asleep_nb.data.manifest_file import ManifestFile
    from asleep_nb.loading.fetch_result import FetchResult
    from asleep_nb.loading.incremental import SyncResult

__all__ = [
    "configure",
    "run",
    "add_api_options",
    "failure_status",
    "finish",
    "EXIT_OK",
    "EXIT_FAILED",
    "EXIT_USAGE",
    "EXIT_STORAGE",
    "EXIT_INTERRUPTED",
]

#: Every selected session is archived.
EXIT_OK = 0
#: Some sessions or rows failed (listed, with their manifest lines).
EXIT_FAILED = 1
#: Bad input or setup.
EXIT_USAGE = 2
#: The archive's storage failed (disk full, no permission).
EXIT_STORAGE = 3
#: Interrupted by the user.
EXIT_INTERRUPTED = 130

_EPILOG = """\
exit status: 0 every session archived; 1 some sessions could not be had (each listed with its
manifest line); 2 bad input (the manifest, a row's user id, session id or zone, an option, the
key); 3 the archive cannot be written; 130 interrupted."""

#: What an archive-filling command (fetch, sync) reports in one line on stderr, never as a traceback.
FAILURES = (ArchiveUnwritable, ValidationError, ValueError, FileNotFoundError, AsleepError, KeyboardInterrupt)

_DEFAULT_WORKERS = 4  # asleep_nb.loading.fetch.DEFAULT_WORKERS, not imported: --help stays fast


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``asleep-nb fetch`` to ``parser``.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); configure(p)
    >>> p.parse_args(["--manifest", "m.csv", "--archive", "a", "--workers", "8"]).workers
    8
    """
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = _EPILOG
    parser.add_argument("--manifest", required=True, help="cohort manifest CSV (user_id, group, ...)")
    parser.add_argument("--archive", required=True, help="archive folder to fill (created if missing)")
    parser.add_argument(
        "--workers",
        type=int,
        default=_DEFAULT_WORKERS,
        help=f"concurrent requests, for listing users and fetching sessions (default {_DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--timezone", default=None, help="one IANA zone for every session (default: the manifest's column)"
    )
    add_api_options(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``asleep-nb fetch``: fill an archive from a manifest; print a summary; return the exit status.

    See the module docs for the statuses.

    Examples
    --------
    >>> run(argparse.Namespace(manifest="data/demo/study.csv", archive="study", workers=4,
    ...                        timezone=None, base_url=None, no_progress=True))  # doctest: +ELLIPSIS
    asleep_nb: no ASLEEP_API_KEY set; using the built-in demo API at ...
    fetched 0, from archive 80, failed 0
    0
    """
    from asleep_nb.connection import connect
    from asleep_nb.data.manifest_file import read_manifest_file
    from asleep_nb.loading.archive import Archive
    from asleep_nb.loading.fetch import FetchResult, fetch_sessions
    from asleep_nb.loading.selection import select_sessions

    try:
        manifest = read_manifest_file(args.manifest)
        archive = Archive(args.archive)
        with connect(base_url=args.base_url, verbose=True) as client:
            selection = select_sessions(client, manifest.rows, timezone=args.timezone, workers=args.workers)
            result = (
                fetch_sessions(
                    client,
                    selection.requests,
                    workers=args.workers,
                    archive=archive,
                    progress=not args.no_progress,
                    keep_results=False,
                )
                if selection.requests
                else FetchResult()
            )
    except FAILURES as exc:
        return failure_status("fetch", exc)
    result.failed = sorted([*selection.failed, *result.failed], key=lambda failure: failure[0].row or 0)
    return finish(result, manifest)


def add_api_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--base-url`` and ``--no-progress``, as ``fetch`` and ``sync`` take them.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); add_api_options(p)
    >>> p.parse_args(["--no-progress"])
    Namespace(base_url=None, no_progress=True)
    """
    parser.add_argument(
        "--base-url",
        default=None,
        help="API base URL (default $ASLEEP_BASE_URL; the key is read from $ASLEEP_API_KEY, "
        "and without one the built-in demo stand-in is used)",
    )
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")


def failure_status(command: str, exc: BaseException) -> int:
    """Say on stderr what stopped ``asleep-nb COMMAND`` (one of :data:`FAILURES`); return its exit status.

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stderr(io.StringIO()) as err:
    ...     status = failure_status("sync", KeyboardInterrupt())
    >>> status, err.getvalue().strip()
    (130, 'asleep-nb sync: interrupted; what was archived stays')
    """
    if isinstance(exc, KeyboardInterrupt):
        print(f"asleep-nb {command}: interrupted; what was archived stays", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(f"asleep-nb {command}: {exc}", file=sys.stderr)
    return EXIT_STORAGE if isinstance(exc, ArchiveUnwritable) else EXIT_USAGE


def finish(result: FetchResult | SyncResult, manifest: ManifestFile) -> int:
    """Print ``result``'s summary (failures named by manifest line); return the exit status.

    A row with an invalid id or zone is bad input (:data:`EXIT_USAGE`); other
    failures are data that could not be had (:data:`EXIT_FAILED`).

    Examples
    --------
    >>> from asleep_nb.data.manifest_file import read_manifest_file
    >>> from asleep_nb.loading.fetch_result import FetchResult
    >>> finish(FetchResult(), read_manifest_file("data/demo/study.csv"))
    fetched 0, from archive 0, failed 0
    0
    """
    print(result.summary(where=lambda r: manifest.where(r.row - 1) if r.row else manifest.name), flush=True)
    if any(isinstance(error, ValidationError) for _, error in result.failed):
        return EXIT_USAGE
    return EXIT_OK if result.ok else EXIT_FAILED
