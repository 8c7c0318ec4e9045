"""``asleep-nb serve``: a local stand-in of the Asleep API on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from datetime import date
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.standin.server import StandinServer

__all__ = ["configure", "run", "iso_date"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the options of ``asleep-nb serve`` to ``parser``."""
    parser.epilog = "exit status: 0 stopped by Ctrl-C or SIGTERM; 2 bad input (data folder, port, option)."
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
    parser.add_argument(
        "--today",
        type=iso_date,
        default=None,
        help="release the nights day by day: serve the study as it stood on this morning, YYYY-MM-DD "
        "(late uploads, sessions OPEN or CLOSED before COMPLETE; default: every session as stored)",
    )


def iso_date(text: str) -> date:
    """A ``YYYY-MM-DD`` option value (argparse reports the error).

    Examples
    --------
    >>> iso_date("2025-03-31")
    datetime.date(2025, 3, 31)
    """
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    """Run ``asleep-nb serve`` until interrupted; return the exit status."""
    from asleep_nb.standin import serve

    key = args.api_key or os.environ.get("ASLEEP_NB_STANDIN_KEY") or None
    key_source = "--api-key" if args.api_key else "ASLEEP_NB_STANDIN_KEY" if key else None
    try:
        server = serve(
            args.data_dir,
            port=args.port,
            api_key=key,
            latency=args.latency,
            today=getattr(args, "today", None),
        )
    except (FileNotFoundError, OSError, ValueError) as exc:
        print(f"asleep-nb serve: {exc}", file=sys.stderr)
        return 2
    # SIGTERM stops the server cleanly from the moment the banner says it serves
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        _print_banner(server, key_source)
        while not server.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("\nasleep-nb stand-in API stopped", flush=True)
    finally:
        server.close()
        signal.signal(signal.SIGTERM, previous)
    return 0


def _print_banner(server: StandinServer, key_source: str | None) -> None:
    """What is served, where, with which key, and a ``curl`` line to try (never a given key)."""
    store = server.store
    print(
        f"asleep-nb stand-in API: {len(store.users)} users, {len(store.sessions)} sessions "
        f"from {server.data_dir}",
        flush=True,
    )
    if server.today is not None:
        print(f"Releasing nights day by day: the study as of the morning of {server.today}", flush=True)
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
