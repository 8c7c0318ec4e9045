"""``asleep-nb fetch``: fill a local archive with the sessions a manifest names."""

from __future__ import annotations

import argparse
import sys

from asleep_nb.errors import AsleepError, ManifestError
from asleep_nb.loading.fetch import DEFAULT_WORKERS, fetch_sessions

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``asleep-nb fetch`` to ``parser``.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); configure(p)
    >>> p.parse_args(["--manifest", "m.csv", "--archive", "a", "--workers", "8"]).workers
    8
    """
    parser.add_argument("--manifest", required=True, help="cohort manifest CSV (user_id, group, ...)")
    parser.add_argument("--archive", required=True, help="archive folder to fill (created if missing)")
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"concurrent requests (default {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--timezone", default=None, help="one IANA zone for every session (default: the manifest's column)"
    )
    parser.add_argument(
        "--base-url",
        default=None,
        help="API base URL (default $ASLEEP_BASE_URL; the key is read from $ASLEEP_API_KEY, "
        "and without one the built-in demo stand-in is used)",
    )
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")


def run(args: argparse.Namespace) -> int:
    """Run ``asleep-nb fetch``: fill an archive from a manifest; print a summary.

    Returns 0 when every session is in the archive, 1 when some failed, 2 on
    a bad manifest or setup.

    Examples
    --------
    >>> run(argparse.Namespace(manifest="m.csv", archive="study", workers=4,
    ...                        timezone=None, base_url=None, no_progress=True))  # doctest: +SKIP
    fetched 12, from archive 0, failed 0
    0
    """
    from asleep_nb.connection import connect
    from asleep_nb.data.manifest import read_manifest
    from asleep_nb.loading.archive import Archive
    from asleep_nb.loading.load import expand_manifest

    try:
        archive = Archive(args.archive)
        with connect(base_url=args.base_url, verbose=True) as client:
            table = read_manifest(args.manifest)
            requests = expand_manifest(client, table, timezone=args.timezone)
            result = fetch_sessions(
                client, requests, workers=args.workers, archive=archive, progress=not args.no_progress
            )
    except (ManifestError, ValueError, FileNotFoundError, AsleepError) as exc:
        print(f"asleep-nb fetch: {exc}", file=sys.stderr)
        return 2
    print(result.summary(), flush=True)
    return 0 if result.ok else 1
