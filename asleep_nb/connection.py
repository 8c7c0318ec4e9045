"""``connect()``: a client for the real API when a key is set, else for the built-in demo.

Examples
--------
>>> import asleep_nb
>>> client = asleep_nb.connect()  # doctest: +ELLIPSIS
asleep_nb: no ASLEEP_API_KEY set; using the built-in demo API at http://127.0.0.1:... (...)
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import TYPE_CHECKING, Unpack

if TYPE_CHECKING:  # pragma: no cover
    from asleep_nb.api.client import Client, ClientOptions
    from asleep_nb.standin.server import StandinServer

__all__ = ["connect", "demo_server", "close_demo_server"]

_lock = threading.Lock()
_demo: StandinServer | None = None


def demo_server() -> StandinServer:
    """The stand-in serving the demo cohort for this process, started on first use.

    Returns
    -------
    StandinServer
        A running server on ``127.0.0.1`` with a random key; the same object
        on every call until :func:`close_demo_server`.

    Raises
    ------
    FileNotFoundError
        When the demo data folder is missing (see
        :func:`asleep_nb.resources.demo_data_dir`).

    Examples
    --------
    >>> demo_server().url.startswith("http://127.0.0.1:")
    True
    """
    global _demo
    with _lock:
        if _demo is None or _demo.closed:
            from asleep_nb.standin import serve

            _demo = serve()
            atexit.register(_demo.close)
        return _demo


def close_demo_server() -> None:
    """Stop the demo stand-in started by :func:`connect`, if any (the next call starts a new one)."""
    global _demo
    with _lock:
        if _demo is not None:
            _demo.close()
            _demo = None


def connect(
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    verbose: bool = True,
    **client_kwargs: Unpack[ClientOptions],
) -> Client:
    """A :class:`~asleep_nb.api.client.Client` for the real API, or for the demo stand-in.

    With an ``api_key`` (or ``$ASLEEP_API_KEY``) the client talks to
    ``base_url`` (or ``$ASLEEP_BASE_URL``, or the real API). Without one, the
    stand-in is started once per process on the demo cohort in a background
    thread, one line says so, and the client talks to it. The key is never
    printed.

    Parameters
    ----------
    api_key
        An Asleep API key; defaults to ``$ASLEEP_API_KEY``.
    base_url
        The API's base URL; defaults to ``$ASLEEP_BASE_URL``, then the
        client's default (``https://api.asleep.ai``). Giving a ``base_url``
        without any key is an error (``$ASLEEP_NB_STANDIN_KEY`` is used when set,
        for a stand-in started with ``asleep-nb serve``).
    verbose
        Print the one line that says the demo is used.
    **client_kwargs
        Passed to :class:`~asleep_nb.api.client.Client` (``timeout``, ``max_retries``, ...).

    Returns
    -------
    Client

    Raises
    ------
    ValueError
        When ``base_url`` is given but no key is known.
    FileNotFoundError
        When the demo is needed and its data folder is missing.

    Examples
    --------
    >>> client = connect()  # doctest: +ELLIPSIS
    asleep_nb: no ASLEEP_API_KEY set; using the built-in demo API at http://127.0.0.1:... (...)
    >>> client = connect(api_key="...")  # the real API
    """
    from asleep_nb.api.client import Client

    key = api_key or os.environ.get("ASLEEP_API_KEY") or None
    url = base_url or os.environ.get("ASLEEP_BASE_URL") or None
    if key is None and base_url is not None:
        key = os.environ.get("ASLEEP_NB_STANDIN_KEY") or None
        if key is None:
            raise ValueError(
                f"base_url={base_url!r} was given but no API key: pass api_key=... or set ASLEEP_API_KEY"
            )
    if key is not None:
        return Client(api_key=key, base_url=url, **client_kwargs)
    server = demo_server()
    if verbose:
        print(
            f"asleep_nb: no ASLEEP_API_KEY set; using the built-in demo API at {server.url} "
            f"({len(server.store.users)} users, {len(server.store.sessions)} sessions)"
        )
    return Client(api_key=server.api_key, base_url=server.url, **client_kwargs)
